"""Group commit: one thread writes every request's events, many requests per transaction.

A request hands its validated events to the writer and waits. The writer takes everything
waiting (up to ``max_batch`` events), stores and maps it in one transaction, commits, and only
then answers each request: a 201 means the event is committed. Under load, batches grow by
themselves, so the cost of a commit (and of looking up the same nodes again) is shared by
many events; with one request in flight it is an ordinary one-row transaction.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from dlv.db import utcnow
from dlv.ingestion import service
from dlv.ingestion.handoff import Handoff
from dlv.ingestion.inbox import Inbox
from dlv.ingestion.mapping import Sent

log = logging.getLogger("dlv.ingestion")

MAX_BATCH = 500
# How long the writer waits for the drain to make room before it stores more events anyway
# (they are then read back from the table): the drain keeps up long before this unless it
# is stuck, and a stuck drain must not stop events from being stored.
BACKPRESSURE_SECONDS = 5.0
LINGER_SECONDS = 0.001
LINGER_BELOW = 32


@dataclass
class _Request:
    batch: list[Sent]
    future: asyncio.Future[list[int]]
    loop: asyncio.AbstractEventLoop


def _resolve(future: asyncio.Future[list[int]], ids: list[int]) -> None:
    if not future.done():  # the client may have gone away meanwhile
        future.set_result(ids)


def _reject(future: asyncio.Future[list[int]], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


def store(
    factory: sessionmaker[Session], inbox: Inbox | None, batch: list[Sent], *, inline: bool
) -> tuple[list[int], bool]:
    """Commit one writer batch: to SQLite's inbox when there is one (then always left for the
    drain), else to the events table, mapped too when ``inline``. (ids, any left unmapped)"""
    if inbox is not None and not inline:
        return service.stage(inbox, batch, utcnow()), True
    with factory() as session, session.begin():
        return service.ingest(session, batch, inline=inline, now=utcnow())


class StoreFailed(Exception):
    """The events could not be committed; nothing was acknowledged."""


class EventWriter:
    """The process's single writer thread for incoming events."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        inline: bool,
        on_pending: Callable[[], None],
        handoff: Handoff,
        inbox: Inbox | None = None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._factory = factory
        self._inbox = inbox
        self._handoff = handoff
        self._inline = inline
        self._on_pending = on_pending
        self._max_batch = max_batch
        self._linger = LINGER_SECONDS
        self._queue: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._last_commit = 0.0
        self._waiting_for_room = False
        self._thread = threading.Thread(target=self._run, name="dlv-ingest-writer", daemon=True)

    def busy(self, quiet: float) -> bool:
        """Are requests waiting, or was a batch committed less than ``quiet`` seconds ago?
        Not while the writer waits for the drain to make room: the drain must not wait too."""
        if self._waiting_for_room:
            return False
        return not self._queue.empty() or time.monotonic() - self._last_commit < quiet

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Finish what is queued, then end the thread."""
        self._queue.put(None)
        self._thread.join()

    async def write(self, events: Sequence[Sent]) -> list[int]:
        """Store (and map) the events; their ids once committed. Raises StoreFailed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[int]] = loop.create_future()
        self._queue.put(_Request(list(events), future, loop))
        return await future

    def _take(self, first: _Request) -> tuple[list[_Request], bool]:
        taken, size = [first], len(first.batch)
        # A small batch waits a moment for more: under load the next requests are already on
        # their way (the clients just got their answers), and a batch costs about the same
        # whether it holds 5 events or 30. A sleep, then what has come: the writer blocked
        # in SimpleQueue.get(timeout=0.001) twice in benchmark runs here and never returned
        # (every request of the process then waited for ever; not reproduced in isolation).
        if size < LINGER_BELOW:
            time.sleep(self._linger)
        while size < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return taken, True
            taken.append(item)
            size += len(item.batch)
        return taken, False

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            requests, stopping = self._take(first)
            if not self._inline:
                self._waiting_for_room = True
                count = sum(len(r.batch) for r in requests)
                self._handoff.wait_for_room(count, BACKPRESSURE_SECONDS)
                self._waiting_for_room = False
            self._commit(requests)

    def _commit(self, requests: list[_Request]) -> None:
        batch = [item for r in requests for item in r.batch]
        try:
            ids, pending = store(self._factory, self._inbox, batch, inline=self._inline)
        except Exception as exc:  # the database refused: tell every waiting request
            log.exception("storing %d events failed", len(batch))
            error = StoreFailed(type(exc).__name__)
            for r in requests:
                r.loop.call_soon_threadsafe(_reject, r.future, error)
            return
        self._last_commit = time.monotonic()
        if pending:
            self._handoff.put(zip(ids, batch, strict=True))
        start = 0
        for r in requests:
            end = start + len(r.batch)
            r.loop.call_soon_threadsafe(_resolve, r.future, ids[start:end])
            start = end
        if pending:
            self._on_pending()
