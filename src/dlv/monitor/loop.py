"""The embedded monitoring loop: one task per server process, one of them the scheduler.

Every process runs a ``MonitorLoop``; each tick it tries to take or renew the lease, and only
the holder claims due checks. It claims no more than it has free slots (``concurrency``), so
nothing waits in memory: a slow or unreachable system holds one slot until its timeout, is
rescheduled one interval on from its start, and never queues a second check behind the first.
A claimed check runs on the event loop (the connector's network part); its database parts run
in short transactions in threads (see ``dlv.health.runner`` for why); a collection follows in a
thread of its own (``dlv.monitor.unit``).

Celery mode: the holder claims as many as the queue has room for (``monitor_max_outstanding``
unfinished claims, and no more waiting in Redis) and enqueues one task per node; ``dlv worker``
processes run the same unit of work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import anyio.to_thread

from dlv.config import Settings
from dlv.crypto import SecretBox
from dlv.db import utcnow
from dlv.health.network import NetworkPolicy
from dlv.health.runner import Database
from dlv.monitor import lease, service, unit
from dlv.ops import metrics

if TYPE_CHECKING:
    from dlv.monitor.queue import Queue

log = logging.getLogger("dlv.monitor")

MAX_TICK_SECONDS = 1.0
PG_WRITERS = 8  # the loop's write transactions at once on PostgreSQL (the pool holds 30)
# Between two claims: each is a write transaction (lease renewed, due rows locked), so
# checks that fall due or finish within this long are claimed together, not one by one.
MIN_PAUSE_SECONDS = 0.05
ENQUEUE_BATCH = 500  # Celery mode: claims per write transaction


class MonitorLoop:
    """Schedules and runs due checks while this process holds the lease."""

    def __init__(
        self,
        db: Database,
        box: SecretBox,
        policy: NetworkPolicy,
        settings: Settings,
        queue: Queue | None = None,
    ) -> None:
        self.db, self.box, self.policy, self.queue = db, box, policy, queue
        self.holder = lease.holder_name()
        self.concurrency = settings.monitor_concurrency
        self.max_outstanding = settings.monitor_max_outstanding
        self.timeouts = unit.Timeouts.of(settings)
        self.jitter = settings.monitor_jitter
        self.ttl = timedelta(seconds=settings.monitor_lease_seconds)
        # Renewed three times per lease: a missed renewal or two does not lose it.
        self.tick = min(MAX_TICK_SECONDS, settings.monitor_lease_seconds / 3)
        # A claim older than the longest a unit of work may take belongs to a process that died.
        self.stale_after = service.stale_after(settings)
        # SQLite runs one writer at a time anyway: its busy wait is a sleep-and-retry race
        # that 60 threads waiting at once lost after 10 s under load ("database is locked").
        # Waiting here instead is first come, first served, and holds no thread.
        sqlite = db.engine.dialect.name == "sqlite"
        self._writes = asyncio.Semaphore(1 if sqlite else PG_WRITERS)
        self.running: dict[int, asyncio.Task[None]] = {}
        self._freed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._schedule(), name="dlv-monitor")

    async def stop(self) -> None:
        # The scheduler first, so that no check starts after the list of unfinished ones.
        for task in [t for t in (self._task,) if t is not None]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        unfinished = list(self.running)  # a cancelled check leaves ``running`` as it ends
        checks = list(self.running.values())
        for task in checks:
            task.cancel()
        for task in checks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await self.db.write(service.abandon, unfinished)
            await self.db.write(lease.release, service.LEASE, self.holder, utcnow())
        except Exception:  # the database may be gone already; the lease then expires
            log.exception("monitor: could not hand over the lease")
        self.running.clear()

    async def _schedule(self) -> None:
        while True:
            self._freed.clear()
            try:
                pause = await self.claim_and_start()
            except Exception:  # the database is away: try again next tick
                log.exception("monitor: scheduling failed")
                pause = self.tick
            if pause is not None:  # nothing else is due before then
                await asyncio.sleep(pause)
                continue
            # Every slot was used, so more may be due: go again as soon as one frees.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._freed.wait(), self.tick)
            await asyncio.sleep(MIN_PAUSE_SECONDS)

    async def claim_and_start(self) -> float | None:
        """Claim what fits in the free slots and start it. None when every slot was used (more
        may be due), else how long to sleep: until the next check falls due, at most a tick."""
        if self.queue is not None:
            return await self.claim_and_enqueue(self.queue)
        free = self.concurrency - len(self.running)
        now, batch = await self._claim(free)
        claims = batch.claims if batch is not None else []
        for claim in claims:
            metrics.monitor_schedule_lag.observe(max(0.0, (now - claim.due_at).total_seconds()))
            pk = claim.target.pk
            self.running[pk] = asyncio.create_task(self._run(claim), name=f"dlv-check-{pk}")
        if claims and len(claims) >= free:
            return None
        return self._pause(batch)

    async def _claim(
        self, limit: int, outstanding: int | None = None
    ) -> tuple[datetime, service.Batch | None]:
        """One claiming transaction (``service.claim_due``); when it ran, and its batch."""
        async with self._writes:
            now = utcnow()
            batch = await self.db.write(
                service.claim_due,
                self.box,
                self.holder,
                now=now,
                ttl=self.ttl,
                stale_after=self.stale_after,
                limit=limit,
                jitter=self.jitter,
                outstanding=outstanding,
            )
        return now, batch

    def _pause(self, batch: service.Batch | None) -> float:
        if batch is None or batch.next_due_at is None:
            return self.tick
        # Checks falling due within MIN_PAUSE_SECONDS of each other are claimed together.
        until = (batch.next_due_at - utcnow()).total_seconds()
        return min(self.tick, max(until, MIN_PAUSE_SECONDS))

    async def claim_and_enqueue(self, queue: Queue) -> float | None:
        """Celery mode: claim what the queue has room for and enqueue it. A claim whose task
        could not be sent (Redis away) is ended: the node is checked at its next slot."""
        room = self.max_outstanding - await anyio.to_thread.run_sync(queue.length)
        limit = max(0, min(room, ENQUEUE_BATCH))
        _, batch = await self._claim(limit, self.max_outstanding)
        claims = batch.claims if batch is not None else []
        if claims:
            works = [unit.Work.of(c) for c in claims]
            try:
                await anyio.to_thread.run_sync(queue.send, works)
            except Exception:
                log.exception("monitor: enqueueing %d checks failed", len(works))
                for work in works:
                    await self.db.write(service.finish, work.pk, work.token)
                return self.tick
        if claims and len(claims) >= limit:
            return MIN_PAUSE_SECONDS  # more may be due
        return self._pause(batch)

    async def _run(self, claim: service.Claim) -> None:
        try:
            await unit.run(
                self.db,
                self.box,
                self.policy,
                self.timeouts,
                unit.Work.of(claim),
                target=claim.target,
                writes=self._writes,
            )
        except Exception:  # the claim expires and the node is tried again later
            log.exception("monitor: the scheduled work of node %s failed", claim.target.id)
        finally:
            self.running.pop(claim.target.pk, None)
            self._freed.set()
