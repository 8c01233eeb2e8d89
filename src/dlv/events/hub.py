"""One poller per process, fanning the event log out to this process's stream clients.

Every process polls ``events`` for ids above the last it delivered (one indexed range read
every ``poll_seconds``, whatever the number of clients) and hands each new event to the
queues of the connections whose filters match, in memory. The database is the only channel
between processes, so an event made by any process reaches the clients of every process.

Ids are delivered in increasing order, so "the last id I saw" is an exact resume point. On
PostgreSQL a sequence number is drawn before commit: id 101 can become visible before 100.
The poller then holds 101 back while 100 may still commit, and gives up on 100 (a rolled
back transaction) after ``grace_seconds``; SQLite serializes writers and never has a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from dlv.db import in_thread
from dlv.events import repository
from dlv.events.repository import EventRow

log = logging.getLogger("dlv.events")

BATCH = 1000
# Kinds that may touch anything: they pass every node, namespace and dashboard filter.
GLOBAL_KINDS = frozenset({"graph.imported"})


@dataclass(frozen=True, slots=True)
class Published:
    """An event as every connection sends it: encoded once, with what filters look at."""

    id: int
    kind: str
    nodes: frozenset[str]
    namespace: str | None
    dashboard_id: str | None
    text: str


def publishable(row: EventRow) -> Published:
    event_id, kind, node_id, payload, created_at = row
    nodes = {str(node_id)} if node_id else set()
    nodes.update(str(payload[k]) for k in ("source_id", "target_id") if payload.get(k))
    message = {
        "type": "event",
        "id": str(event_id),
        "kind": kind,
        "node_id": str(node_id) if node_id else None,
        "created_at": created_at.isoformat(),
        "payload": payload,
    }
    return Published(
        id=event_id,
        kind=kind,
        nodes=frozenset(nodes),
        namespace=payload.get("namespace"),
        dashboard_id=payload.get("dashboard_id"),
        text=json.dumps(message, separators=(",", ":")),
    )


@dataclass(frozen=True)
class EventFilter:
    """What a client asked for; empty sets: everything."""

    kinds: frozenset[str] = frozenset()
    node_ids: frozenset[str] = frozenset()
    namespaces: frozenset[str] = frozenset()
    dashboard_id: str | None = None

    def matches(self, event: Published) -> bool:
        if self.kinds and event.kind not in self.kinds:
            return False
        if not (self.node_ids or self.namespaces or self.dashboard_id):
            return True
        return (
            event.kind in GLOBAL_KINDS
            or not self.node_ids.isdisjoint(event.nodes)
            or (event.namespace is not None and event.namespace in self.namespaces)
            or (self.dashboard_id is not None and event.dashboard_id == self.dashboard_id)
        )


@dataclass(eq=False)
class Subscriber:
    """One connection's filter and bounded queue (None in the queue: it fell behind)."""

    filter: EventFilter
    limit: int
    token: str = field(repr=False)
    queue: asyncio.Queue[Published | None] = field(default_factory=asyncio.Queue)
    overflowed: bool = False
    revoked: int = 0  # a close code once its token no longer holds

    def offer(self, event: Published) -> None:
        if self.overflowed or not self.filter.matches(event):
            return
        if self.queue.qsize() >= self.limit:
            # Never wait for a slow client: it is closed and resumes with its last id.
            self.overflowed = True
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(event)

    def stop(self, code: int) -> None:
        self.revoked = code
        self.queue.put_nowait(None)


class Hub:
    """The process's poller and its connections."""

    def __init__(
        self,
        session: Callable[[], Session],
        *,
        poll_seconds: float,
        grace_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self.poll_seconds = poll_seconds
        self.grace_seconds = grace_seconds
        self._clock = clock
        self.horizon = 0  # every event with an id up to here was delivered (or given up on)
        self._gap_since: float | None = None
        self.subscribers: set[Subscriber] = set()
        self._wake = asyncio.Event()

    def start_at_newest(self) -> None:
        """Begin after the newest event: a process streams what happens from its start."""
        with self._session() as session:
            self.horizon = repository.bounds(session)[1]

    def wake(self) -> None:
        """Poll now instead of at the next tick."""
        self._wake.set()

    async def run(self) -> None:
        """Poll until cancelled; a failed read is logged and retried at the next tick."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()
            try:
                await self.poll()
            except Exception:
                log.exception("reading new events failed")

    async def poll(self) -> None:
        while True:
            rows = await in_thread(self._read, self.horizon)
            self.publish(self.advance(rows))
            if len(rows) < BATCH:
                return

    def _read(self, after: int) -> list[EventRow]:
        with self._session() as session:
            return repository.after(session, after, BATCH)

    def advance(self, rows: Sequence[EventRow]) -> list[Published]:
        """The rows that may go out now, in id order; moves ``horizon`` past them."""
        ready: list[Published] = []
        for row in rows:
            if row[0] > self.horizon + 1:  # an id before this one is not visible (yet)
                now = self._clock()
                if self._gap_since is None:
                    self._gap_since = now
                if now - self._gap_since < self.grace_seconds:
                    break  # it may still commit: hold this one and the rest back
            ready.append(publishable(row))
            self.horizon, self._gap_since = row[0], None
        return ready

    def publish(self, events: Iterable[Published]) -> None:
        for event in events:
            for subscriber in self.subscribers:
                subscriber.offer(event)

    def page(self, after: int, upto: int) -> list[Published]:
        """Events with ids in (``after``, ``upto``], the first ``BATCH`` (blocking)."""
        with self._session() as session:
            return [publishable(row) for row in repository.after(session, after, BATCH, upto)]

    def bounds(self) -> tuple[int, int]:
        with self._session() as session:
            return repository.bounds(session)


def tokens_of(subscribers: Iterable[Subscriber]) -> dict[str, list[Subscriber]]:
    grouped: dict[str, list[Subscriber]] = {}
    for subscriber in subscribers:
        grouped.setdefault(subscriber.token, []).append(subscriber)
    return grouped
