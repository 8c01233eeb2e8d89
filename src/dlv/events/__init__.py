"""The event log (what changed, in commit order) and the WebSocket that streams it."""
