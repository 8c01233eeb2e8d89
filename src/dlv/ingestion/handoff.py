"""Events this process stored but has not mapped yet, kept as they were parsed.

With background mapping the writer commits the raw events and answers; the drain maps them
a moment later. Reading them back and parsing them again was a third of the drain's work, so
the writer leaves the parsed events here and the drain takes them by id. The table stays
the truth: an event that is not here (stored by another process, or dropped because the
backlog outgrew ``size``) is read and parsed from its stored text, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from dlv.ingestion.events import ParsedEvent

# A parsed event of the usual size (~7 KB of JSON) holds ~20 KB of Python objects: this
# bounds the memory at ~40 MB per process while covering a few seconds of backlog.
HANDOFF_SIZE = 2_000


class Handoff:
    """Stored event id -> the parsed event; written by the writer, emptied by the drain."""

    def __init__(self, size: int = HANDOFF_SIZE) -> None:
        self._size = size
        self._events: dict[int, ParsedEvent] = {}
        self._lock = threading.Lock()  # the writer and the drain run in different threads

    def put(self, stored: Iterable[tuple[int, ParsedEvent]]) -> None:
        with self._lock:
            self._events.update(stored)
            while len(self._events) > self._size:  # the oldest go: dicts keep insertion order
                del self._events[next(iter(self._events))]

    def take(self, event_id: int) -> ParsedEvent | None:
        with self._lock:
            return self._events.pop(event_id, None)

    def __len__(self) -> int:
        return len(self._events)
