"""The embedded monitoring loop: one task per server process, one of them the scheduler.

Every process runs a ``MonitorLoop``; each tick it tries to take or renew the lease, and only
the holder claims due checks. It claims no more than it has free slots (``concurrency``), so
nothing waits in memory: a slow or unreachable system holds one slot until its timeout, is
rescheduled one interval on from its start, and never queues a second check behind the first.
A claimed check runs on the event loop (the connector's network part); its database parts run
in short transactions in threads (see ``dlv.health.runner`` for why).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from datetime import timedelta

from dlv.config import Settings
from dlv.crypto import SecretBox
from dlv.db import utcnow
from dlv.health import connectors
from dlv.health.network import NetworkPolicy
from dlv.health.runner import Database
from dlv.health.schemas import CheckResult, CheckStatus, CheckStep
from dlv.health.service import Target
from dlv.monitor import service
from dlv.ops import metrics

log = logging.getLogger("dlv.monitor")

MAX_TICK_SECONDS = 1.0
PG_WRITERS = 8  # the loop's write transactions at once on PostgreSQL (the pool holds 30)
# Between two claims: each is a write transaction (lease renewed, due rows locked), so
# checks that fall due or finish within this long are claimed together, not one by one.
MIN_PAUSE_SECONDS = 0.05


def new_holder() -> str:
    """This process's name in the lease: readable, and unique even across restarts."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{secrets.token_hex(3)}"


class MonitorLoop:
    """Schedules and runs due checks while this process holds the lease."""

    def __init__(
        self, db: Database, box: SecretBox, policy: NetworkPolicy, settings: Settings
    ) -> None:
        self.db, self.box, self.policy = db, box, policy
        self.holder = new_holder()
        self.concurrency = settings.monitor_concurrency
        self.timeout = settings.monitor_check_timeout_seconds
        self.jitter = settings.monitor_jitter
        self.ttl = timedelta(seconds=settings.monitor_lease_seconds)
        # Renewed three times per lease: a missed renewal or two does not lose it.
        self.tick = min(MAX_TICK_SECONDS, settings.monitor_lease_seconds / 3)
        # A claim older than the longest a check may take belongs to a process that died.
        self.stale_after = service.stale_after(self.timeout, settings.monitor_lease_seconds)
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
            await self.db.write(service.release_lease, self.holder, utcnow())
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
        free = self.concurrency - len(self.running)
        async with self._writes:
            now = utcnow()
            batch = await self.db.write(
                service.claim_due,
                self.box,
                self.holder,
                now=now,
                ttl=self.ttl,
                stale_after=self.stale_after,
                limit=free,
                jitter=self.jitter,
            )
        claims = batch.claims if batch is not None else []
        for claim in claims:
            metrics.monitor_schedule_lag.observe(max(0.0, (now - claim.due_at).total_seconds()))
            pk = claim.target.pk
            self.running[pk] = asyncio.create_task(self._run(claim.target), name=f"dlv-check-{pk}")
        if claims and len(claims) >= free:
            return None
        if batch is None or batch.next_due_at is None:
            return self.tick
        # Checks falling due within MIN_PAUSE_SECONDS of each other are claimed together.
        until = (batch.next_due_at - utcnow()).total_seconds()
        return min(self.tick, max(until, MIN_PAUSE_SECONDS))

    async def _run(self, target: Target) -> None:
        started = time.monotonic()
        try:
            result = await self._check(target)
            async with self._writes:
                await self.db.write(service.store, target, result)
            metrics.monitor_checks.labels(result=self._result_label(result)).inc()
        except Exception:  # the claim expires and the node is tried again later
            log.exception("monitor: storing the check of node %s failed", target.id)
        finally:
            metrics.monitor_check_duration.observe(time.monotonic() - started)
            self.running.pop(target.pk, None)
            self._freed.set()

    async def _check(self, target: Target) -> CheckResult:
        try:
            async with asyncio.timeout(self.timeout):
                return await connectors.run(target.config, self.policy)
        except TimeoutError:
            message = f"The check did not finish within {self.timeout:g} s"
            return CheckResult(
                status=CheckStatus.error,
                latency_ms=round(self.timeout * 1000),
                message=message,
                steps=[CheckStep(name="check", ok=False, message=message, latency_ms=0)],
                checked_at=utcnow(),
            )

    @staticmethod
    def _result_label(result: CheckResult) -> str:
        if result.status is CheckStatus.error and result.message.startswith("The check did not"):
            return "timeout"
        return result.status.value
