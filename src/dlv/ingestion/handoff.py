"""Events this process stored but has not mapped yet, kept as they were parsed.

With background mapping the writer commits the raw events and answers; the drain maps them
a moment later. Reading them back and parsing them again was a third of the drain's work, so
the writer leaves the parsed events here and the drain takes these first, oldest first.
With two server processes each drain would otherwise take half its batch from the other
process's events and parse those again. The table stays the truth: an event that is not
here (stored by another process, or dropped because the backlog outgrew ``size``) is read
and parsed from its stored text; one here that another drain mapped meanwhile is skipped.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable

from dlv.ingestion.mapping import Sent


class Handoff:
    """Stored event id -> the parsed event and its sender; written by the writer, emptied by
    the drain."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._events: dict[int, Sent] = {}
        self._lock = threading.Lock()  # the writer and the drain run in different threads
        self._taken = threading.Condition(self._lock)

    def put(self, stored: Iterable[tuple[int, Sent]]) -> None:
        with self._lock:
            self._events.update(stored)
            while len(self._events) > self._size:  # the oldest go: dicts keep insertion order
                del self._events[next(iter(self._events))]

    def take(self, limit: int) -> dict[int, Sent]:
        """Remove and return up to ``limit`` events, the oldest first."""
        with self._lock:
            ids = list(itertools.islice(self._events, limit))
            taken = {event_id: self._events.pop(event_id) for event_id in ids}
            self._taken.notify_all()
            return taken

    def wait_for_room(self, count: int, timeout: float) -> bool:
        """Wait (up to ``timeout`` seconds) until ``count`` more events fit; whether they do.

        Backpressure: the writer calls this before taking more events, so when events come
        faster than the drain maps them, answers slow down to the drain's pace instead of the
        catalog falling further and further behind."""
        with self._lock:
            return self._taken.wait_for(lambda: len(self._events) + count <= self._size, timeout)

    def __len__(self) -> int:
        return len(self._events)
