"""The delivery worker: claims due deliveries, sends them outside any transaction, logs each
attempt, and retries with capped exponential backoff.

One runs in every server process (``router.lifespan``). Claiming is one short transaction
(``SKIP LOCKED`` on PostgreSQL, so workers never take the same delivery); sending holds no
connection and no lock, bounded by the send timeout and ``DLV_ALERTS_CONCURRENCY``; the
outcomes are a second short transaction. A receiver that is down costs the worker its
timeout, never a check or an ingestion (they only queue).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dlv.alerts import repository
from dlv.alerts.channels import Outcome, Send, send
from dlv.alerts.models import AlertChannel, DeliveryAttempt, DeliveryStatus
from dlv.alerts.service import ChannelUnreadable, full_config
from dlv.config import Settings
from dlv.crypto import SecretBox
from dlv.db import utcnow
from dlv.health.network import NetworkPolicy

log = logging.getLogger("dlv.alerts")

BATCH = 50
LEASE_MARGIN_SECONDS = 30


@dataclass(frozen=True)
class Job:
    pk: int
    id: str
    number: int  # this attempt's number (claiming counted it)
    send: Send | None
    error: str | None = None  # why it cannot be sent at all (unreadable secrets)


def backoff(settings: Settings, attempt: int) -> float:
    """Seconds before attempt ``attempt + 1``: base * 2^(attempt-1), capped."""
    return float(
        min(
            settings.alerts_backoff_seconds * 2 ** (attempt - 1),
            settings.alerts_backoff_max_seconds,
        )
    )


class DeliveryWorker:
    """Sends what the alert engine queued; ``run_once`` is one claim-send-record round."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        box: SecretBox,
        policy: NetworkPolicy,
        settings: Settings,
        *,
        batch: int = BATCH,
        read_bind: Engine | None = None,
    ) -> None:
        self._batch = batch
        self._read_bind = read_bind
        self._factory = factory
        self._box = box
        self._policy = policy
        self._settings = settings

    def tick(self) -> None:
        """``run_once``, its failures logged (the background loop's body)."""
        try:
            self.run_once()
        except Exception:
            log.exception("alert delivery round failed")

    def run_once(self, now: datetime | None = None) -> int:
        """Claim due deliveries, send them, record the outcomes; how many were attempted."""
        now = now or utcnow()
        # Polled every few seconds in every process: an idle poll is one read, so that on
        # SQLite it never queues behind (or holds up) a writer for the write lock.
        reader = self._factory(bind=self._read_bind) if self._read_bind else self._factory()
        with reader as session:
            if not repository.any_due(session, now):
                return 0
        jobs = self._claim(now)
        if not jobs:
            return 0
        outcomes = asyncio.run(self._send_all(jobs))
        self._record(jobs, outcomes, now)
        return len(jobs)

    def _claim(self, now: datetime) -> list[Job]:
        timeout = self._settings.alerts_send_timeout_seconds
        lease = now + timedelta(seconds=timeout + LEASE_MARGIN_SECONDS)
        jobs: list[Job] = []
        with self._factory.begin() as session:
            for delivery in repository.claim(session, now, lease, self._batch):
                channel = session.get(AlertChannel, delivery.channel_id)
                if channel is None:  # pragma: no cover - the join found it in this transaction
                    continue
                try:
                    config = full_config(self._box, channel)
                except ChannelUnreadable as exc:
                    jobs.append(
                        Job(delivery.pk, str(delivery.id), delivery.attempts, None, str(exc))
                    )
                    continue
                job = Send(
                    channel.kind, config, delivery.payload, str(delivery.id), timeout, self._policy
                )
                jobs.append(Job(delivery.pk, str(delivery.id), delivery.attempts, job))
        return jobs

    async def _send_all(self, jobs: list[Job]) -> list[tuple[datetime, Outcome]]:
        limit = asyncio.Semaphore(self._settings.alerts_concurrency)

        async def one(job: Job) -> tuple[datetime, Outcome]:
            started = utcnow()
            if job.send is None:
                return started, Outcome(ok=False, error=job.error)
            async with limit:
                return started, await send(job.send)

        return await asyncio.gather(*(one(job) for job in jobs))

    def _record(
        self, jobs: list[Job], outcomes: list[tuple[datetime, Outcome]], now: datetime
    ) -> None:
        settings = self._settings
        with self._factory.begin() as session:
            for job, (started, outcome) in zip(jobs, outcomes, strict=True):
                repository.add(
                    session,
                    DeliveryAttempt(
                        delivery_pk=job.pk,
                        number=job.number,
                        started_at=started,
                        duration_ms=outcome.duration_ms,
                        ok=outcome.ok,
                        status_code=outcome.status_code,
                        error=outcome.error,
                    ),
                )
                values: dict[str, object]
                if outcome.ok:
                    values = {
                        "status": DeliveryStatus.delivered,
                        "delivered_at": utcnow(),
                        "lease_until": None,
                        "last_error": None,
                    }
                elif job.number >= settings.alerts_max_attempts:
                    values = {
                        "status": DeliveryStatus.failed,
                        "lease_until": None,
                        "last_error": outcome.error,
                    }
                else:
                    wait = timedelta(seconds=backoff(settings, job.number))
                    values = {
                        "status": DeliveryStatus.pending,
                        "next_attempt_at": max(now, utcnow()) + wait,
                        "lease_until": None,
                        "last_error": outcome.error,
                    }
                repository.finish(session, job.pk, job.number, values)
                # Never the payload or the config: ids, the outcome, and DLV's own words.
                log.info(
                    "alert delivery %s attempt %d: %s%s (%d ms)",
                    job.id,
                    job.number,
                    "delivered" if outcome.ok else "failed",
                    f", {outcome.error}" if outcome.error else "",
                    outcome.duration_ms,
                )
