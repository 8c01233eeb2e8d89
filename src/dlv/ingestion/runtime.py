"""What ingestion runs inside a server process: the writer, the drain, the retention schedule.

Started and stopped by the ingestion router's lifespan (FastAPI merges a router's lifespan
into the app's when the router is included), after the app has opened its database.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
import time
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from dlv.auth.principal import Principal
from dlv.config import Settings
from dlv.db import in_thread, utcnow
from dlv.ingestion import retention, service
from dlv.ingestion.handoff import Handoff
from dlv.ingestion.inbox import Inbox, Staging, inbox_url
from dlv.ingestion.summary import IngestSummary
from dlv.ingestion.writer import EventWriter

log = logging.getLogger("dlv.ingestion")

# Events mapped per transaction. A batch reads each node, edge and run it touches once, so
# the more often the same jobs recur in it the less each event costs: measured on PostgreSQL
# with 200 jobs, 0.114 ms/event at 500, 0.083 at 1,000, 0.078 at 2,000. On SQLite, whose one
# write lock a drain holds meanwhile, 200 -> 1,000 took batched events from 2,700-3,200/s to
# 4,150-4,350 (single events' p99 22 ms against 40), and 1,000 -> 2,000 mapping CPU from
# 0.17-0.20 to 0.13-0.15 ms/event in-process (4,000: no less), batched events 4-16% up at an
# even worker split, single events' p99 no worse (bench/README, ADR 7).
DRAIN_BATCH = 2_000
# Background mapping gives way to a burst of incoming events: it waits until the writer has
# been idle this long, but never longer than DRAIN_MAX_DEFER_SECONDS. Once it finds a full
# batch waiting it maps without giving way until the backlog is gone: under sustained load
# mapping and answering then share the CPU, so the backlog stays bounded instead of growing
# for as long as events keep coming.
DRAIN_QUIET_SECONDS = 0.02
DRAIN_MAX_DEFER_SECONDS = 5.0
# Unmapped events can also come from another process (or one that died): look now and then.
DRAIN_POLL_SECONDS = 5.0
PRINCIPAL_TTL_SECONDS = 1.0
PRINCIPAL_CACHE_SIZE = 1024
GC_THRESHOLDS = (300_000, 100, 100)  # young, middle, old: see tune_gc


def tune_gc() -> None:
    """Make the cyclic garbage collector cheap for a server that parses many events.

    Every event allocates hundreds of containers; with the default threshold (700) the
    collector runs every few events and its older generations walk the whole heap (the app's
    modules, SQLAlchemy's metadata): measured, half the cost of parsing a batch of events and
    most of the p99 latency of single events. ``freeze`` moves what startup built out of the
    collector's sight. The young threshold is above what a drain batch and the events waiting
    for it hold alive (``DRAIN_BATCH`` decoded events, ~50 tracked containers each), so a young
    pass no longer walks an in-flight batch again and again, and the middle one (100 young
    passes) rarely meets it at all: measured with a gc callback over a 100,000-event SQLite batch
    run, 2.5-3.6 s of collection per worker at (20,000, 50) against 0.5-0.8 s. Nearly nothing
    the collector frees is a cycle (~1,300 objects in that run), so collecting later keeps
    little garbage a little longer. Process-wide (done once per process), so it belongs with
    the app's startup; it lives here until it moves there.
    """
    if gc.get_threshold()[0] >= GC_THRESHOLDS[0]:
        return
    gc.collect()  # garbage frozen now would never be collected
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def drain_batch(
    factory: sessionmaker[Session],
    handoff: Handoff,
    inbox: Inbox | None,
    limit: int,
    *,
    wait: bool = False,
    started: datetime | None = None,
    summary: IngestSummary | None = None,
) -> int:
    """One drain transaction of up to ``limit`` events, moving them out of SQLite's inbox
    first (and deleting them there once it committed); how many were taken. ``started``:
    when this process started (events stored before are no live process's own). ``summary``
    counts the events that failed to map."""
    now = utcnow()
    before = service.others_cutoff(now, started)
    staging = None
    if inbox is not None:  # others' events once they waited; with ``wait``, all
        staging = Staging(inbox, None if wait else before, limit)
    with factory() as session, session.begin():
        taken = service.drain(
            session,
            limit,
            now,
            wait=wait,
            handoff=handoff,
            staging=staging,
            others_before=before,
            on_failures=summary.mapping_failed if summary is not None else None,
        )
    if staging is not None:
        staging.committed()
    return taken


class PrincipalCache:
    """Bearer -> principal for one second: an event stream costs one token lookup a second,
    and a revoked token or changed password stops working within that second."""

    def __init__(self, ttl: float = PRINCIPAL_TTL_SECONDS, size: int = PRINCIPAL_CACHE_SIZE):
        self._ttl, self._size = ttl, size
        self._entries: dict[str, tuple[float, Principal]] = {}

    @staticmethod
    def _key(bearer: str) -> str:
        return hashlib.sha256(bearer.encode()).hexdigest()  # never keep the token itself

    def get(self, bearer: str) -> Principal | None:
        entry = self._entries.get(self._key(bearer))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, bearer: str, principal: Principal) -> None:
        if len(self._entries) >= self._size:
            self._entries.clear()
        self._entries[self._key(bearer)] = (time.monotonic() + self._ttl, principal)


class IngestRuntime:
    """One per server process."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings) -> None:
        self.factory = factory
        self.settings = settings
        self.mode = settings.ingest_mapping
        self.principals = PrincipalCache()
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        # One drain batch: the drain takes it whole and the writer fills it again meanwhile.
        # A parsed event of the usual size (~7 KB of JSON) holds ~35 KB of Python objects, its
        # text included (tracemalloc): ~70 MB here, as much again in the batch being mapped.
        self.handoff = Handoff(size=DRAIN_BATCH)
        # Opened in either mode: the drain maps what a background-mode run left in it. It
        # keeps the rows of the handoff's events, and of as many again that a full handoff
        # dropped (~1.2 KB each).
        url = settings.resolved_database_url
        self.inbox = Inbox(url, keep=2 * DRAIN_BATCH) if inbox_url(url) else None
        self.writer = EventWriter(
            factory,
            inline=self.mode == "inline",
            on_pending=self.poke,
            handoff=self.handoff,
            inbox=self.inbox,
        )
        self._tasks: list[asyncio.Task[None]] = []
        self.started = utcnow()
        # None when DLV_INGEST_SUMMARY_SECONDS is 0: then nothing is counted either.
        self.summary = IngestSummary() if settings.ingest_summary_seconds > 0 else None

    def poke(self) -> None:
        """Wake the drain (callable from any thread)."""
        with contextlib.suppress(RuntimeError):  # the loop is closing: the next start drains
            self._loop.call_soon_threadsafe(self._wake.set)

    def start(self) -> None:
        tune_gc()
        if self.inbox is not None:
            with self.factory() as session:
                self.inbox.continue_ids(session)
        self.writer.start()
        self._tasks = [
            asyncio.create_task(self._drain_loop(), name="dlv-ingest-drain"),
            asyncio.create_task(self._prune_loop(), name="dlv-runs-prune"),
        ]
        if self.summary is not None:
            summary_loop = self._summary_loop(self.summary)
            self._tasks.append(asyncio.create_task(summary_loop, name="dlv-ingest-summary"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await asyncio.to_thread(self.writer.stop)
        if self.inbox is not None:
            self.inbox.dispose()
        if self.summary is not None:
            self.summary.log()  # the last, shorter interval

    def drain_all(self, *, wait: bool = False) -> int:
        """Map every waiting event (in the caller's thread); how many were taken. With
        ``wait``, also wait for events another drain is mapping: read-your-writes."""
        total = 0
        while True:
            taken = self.drain_once(wait=wait)
            total += taken
            if taken < DRAIN_BATCH:
                return total

    def drain_once(self, *, wait: bool = False) -> int:
        """Map one batch of waiting events in its own transaction; how many were taken."""
        return drain_batch(
            self.factory,
            self.handoff,
            self.inbox,
            DRAIN_BATCH,
            wait=wait,
            started=self.started,
            summary=self.summary,
        )

    async def _give_way(self) -> None:
        deadline = time.monotonic() + DRAIN_MAX_DEFER_SECONDS
        while self.writer.busy(DRAIN_QUIET_SECONDS) and time.monotonic() < deadline:  # noqa: ASYNC110 - polls a thread's state
            await asyncio.sleep(DRAIN_QUIET_SECONDS)

    async def _drain_loop(self) -> None:
        taken = 0
        while True:
            behind, taken = taken == DRAIN_BATCH, 0
            try:
                if self.mode == "background" and not behind:
                    await self._give_way()
                taken = await in_thread(self.drain_once)
            except Exception:  # keep draining later; the events are safe in the table
                log.exception("draining stored events failed")
            if taken == DRAIN_BATCH:
                continue  # more are waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), DRAIN_POLL_SECONDS)
            self._wake.clear()

    async def _prune_loop(self) -> None:
        interval = self.settings.runs_prune_interval_seconds
        older_than = timedelta(days=self.settings.runs_retention_days)
        while True:
            await asyncio.sleep(interval)
            try:
                pruned = await in_thread(retention.prune, self.factory, older_than)
            except Exception:  # try again next time
                log.exception("pruning old runs failed")
                continue
            if pruned.events or pruned.runs:
                log.info("pruned %d raw events and %d runs", pruned.events, pruned.runs)

    async def _summary_loop(self, summary: IngestSummary) -> None:
        while True:
            await asyncio.sleep(self.settings.ingest_summary_seconds)
            summary.log()
