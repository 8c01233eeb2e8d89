"""One claimed unit of work: a node's check, then (when the check was ok and the node asks for
it) its collection, then the claim's end. The embedded loop and Celery workers run this same
function, so a result lands in the database the same way whoever ran it.

A collection follows only an ok check: a system that cannot be reached would fail its
collection too, after a longer timeout, and store a second failure saying the same thing.

Run twice for one claim (a Celery task delivered again after its worker died), it stores one
check: the claim's token on the node says how far the first run got (``service.progress``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from dlv.collectors import service as collectors
from dlv.collectors.schemas import CollectionResult
from dlv.config import Settings
from dlv.crypto import SecretBox
from dlv.db import utcnow
from dlv.health import connectors
from dlv.health import service as health
from dlv.health.network import NetworkPolicy
from dlv.health.runner import Database
from dlv.health.schemas import CheckResult, CheckStatus, CheckStep
from dlv.monitor import service
from dlv.monitor.service import MONITOR, Progress
from dlv.ops import metrics

log = logging.getLogger("dlv.monitor")
T = TypeVar("T")
TIMEOUT_PREFIX = "The check did not finish within"


@dataclass(frozen=True)
class Timeouts:
    check: float
    collect: float

    @classmethod
    def of(cls, settings: Settings) -> Timeouts:
        return cls(settings.monitor_check_timeout_seconds, settings.monitor_collect_timeout_seconds)


@dataclass(frozen=True)
class Work:
    """What a queued task carries: which node and which claim, never a secret."""

    pk: int
    node_id: uuid.UUID
    token: datetime
    collect: bool
    due_at: datetime

    @classmethod
    def of(cls, claim: service.Claim) -> Work:
        return cls(claim.target.pk, claim.target.id, claim.token, claim.collect, claim.due_at)

    def to_args(self) -> list[Any]:
        at = (self.token.isoformat(), self.due_at.isoformat())
        return [self.pk, str(self.node_id), at[0], self.collect, at[1]]

    @classmethod
    def from_args(cls, pk: int, node_id: str, token: str, collect: bool, due_at: str) -> Work:
        at = (datetime.fromisoformat(token), datetime.fromisoformat(due_at))
        return cls(int(pk), uuid.UUID(node_id), at[0], bool(collect), at[1])


async def run(
    db: Database,
    box: SecretBox,
    policy: NetworkPolicy,
    timeouts: Timeouts,
    work: Work,
    *,
    target: health.Target | None = None,
    writes: AbstractAsyncContextManager[Any] | None = None,
) -> None:
    """Check, store, maybe collect, end the claim; drops the work if the claim is not its own.

    ``target``: the node's config, when the caller read it while claiming. ``writes``: held
    around each write transaction (the embedded loop's SQLite queue)."""
    gate = writes or nullcontext()
    queued = target is None
    if target is None:  # from the queue: how far its claim got, and the node's config
        progress, target = await db.read(service.claimed, box, work.pk, work.node_id, work.token)
    else:  # a claim this process has just made: nothing ran it yet
        progress = Progress.due
    if progress is Progress.gone:
        log.info("monitor: node %s: claim %s ended already, dropped", work.node_id, work.token)
        return
    if progress is Progress.due:
        if target is None:  # no connection any more, or one that cannot be read
            async with gate:
                await db.write(service.finish, work.pk, work.token)
            return
        if queued:  # the lag is what it waited in the queue too
            lag = (utcnow() - work.due_at).total_seconds()
            metrics.monitor_schedule_lag.observe(max(0.0, lag))
        started = time.monotonic()
        result = await check(target, policy, timeouts.check)
        ok = result.status is CheckStatus.ok
        async with gate:
            last = not (ok and work.collect)  # then the claim ends with the check stored
            stored = await db.write(service.store, target, result, work.token, last=last)
        metrics.monitor_check_duration.observe(time.monotonic() - started)
        if not stored:
            return
        metrics.monitor_checks.labels(result=result_label(result)).inc()
        if last:
            return
    else:  # run again after its worker died: the check is stored, the rest may not be
        ok = progress is Progress.checked_ok
    if ok and work.collect and not await collect(db, box, policy, timeouts.collect, work):
        return  # still running in its thread: the claim stays until it is stale
    async with gate:
        await db.write(service.finish, work.pk, work.token)


async def check(target: health.Target, policy: NetworkPolicy, seconds: float) -> CheckResult:
    """The node's connection check, an error result when it outlasts ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            return await connectors.run(target.config, policy)
    except TimeoutError:
        message = f"{TIMEOUT_PREFIX} {seconds:g} s"
        return CheckResult(
            status=CheckStatus.error,
            latency_ms=round(seconds * 1000),
            message=message,
            steps=[CheckStep(name="check", ok=False, message=message, latency_ms=0)],
            checked_at=utcnow(),
        )


def result_label(result: CheckResult) -> str:
    if result.status is CheckStatus.error and result.message.startswith(TIMEOUT_PREFIX):
        return "timeout"
    return result.status.value


async def collect(
    db: Database, box: SecretBox, policy: NetworkPolicy, seconds: float, work: Work
) -> bool:
    """Run the node's collector (it stores its own run, failed or not); False when it outlasted
    ``seconds`` and still runs. A node without a collector is no failure: nothing to do."""
    started = time.monotonic()

    def job() -> CollectionResult:
        return collectors.collect(db, box, policy, MONITOR, work.node_id)

    label: str | None
    try:
        label = (await in_thread(job, seconds)).status.value
    except (collectors.NoCollector, health.NodeNotFound, health.NoConnection):
        label = None
    except TimeoutError:
        log.warning("monitor: the collection of node %s outlasted %g s", work.node_id, seconds)
        label = "timeout"
    except Exception:  # a collector bug: logged and counted, never the loop's end
        log.exception("monitor: the collection of node %s failed", work.node_id)
        label = "error"
    if label is not None:
        metrics.monitor_collections.labels(result=label).inc()
        metrics.monitor_collection_duration.observe(time.monotonic() - started)
    return label != "timeout"


async def in_thread(fn: Callable[[], T], seconds: float) -> T:
    """``fn()`` in a thread of its own, awaited for at most ``seconds``. A thread cannot be
    stopped: on timeout it runs on (its own timeouts end it) and its result is dropped."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(value: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)  # type: ignore[arg-type]

    def work() -> None:
        try:
            value, error = fn(), None
        except BaseException as exc:  # handed to the awaiting task
            value, error = None, exc
        with suppress(RuntimeError):  # the event loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle, value, error)

    threading.Thread(target=work, name="dlv-collect", daemon=True).start()
    async with asyncio.timeout(seconds):
        return await asyncio.shield(future)
