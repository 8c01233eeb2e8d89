"""The monitoring loop's database side: the scheduler's lease, claiming due checks, storing
their results, and the state GET /monitor shows. Synchronous, the caller's session, no commits.

Exactly once: a check is claimed in the same transaction that proves the lease is still held
(its row locked), and claiming moves the node's ``next_check_at`` on. A process that lost the
lease cannot claim; one that dies after claiming leaves ``check_started_at`` set, which the next
leader treats as abandoned once it is older than any check may take.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from dlv.auth.models import Role
from dlv.auth.principal import Principal
from dlv.crypto import SecretBox
from dlv.health import service as health
from dlv.health.schemas import CheckResult
from dlv.monitor import repository
from dlv.monitor.models import MonitorLease
from dlv.monitor.schedule import next_due
from dlv.monitor.schemas import LeaseRead, MonitorFailure, MonitorState
from dlv.nodes.models import NodeKind

log = logging.getLogger("dlv.monitor")

LEASE = "scheduler"
FAILURES_SHOWN = 20
# The audit trail and the check history name the loop as the one who checked.
MONITOR = Principal(kind="user", id=uuid.UUID(int=0), name="monitor", grant=Role.admin)


@dataclass(frozen=True)
class Claim:
    """A due check handed to the loop: the node and when it was due."""

    target: health.Target
    due_at: datetime


@dataclass(frozen=True)
class Batch:
    """What a leader claimed, and when the next unclaimed check falls due (None: none is)."""

    claims: list[Claim]
    next_due_at: datetime | None


def stale_after(check_timeout: float, lease_seconds: float) -> timedelta:
    """How old a claim may be before it is taken for abandoned: no live check is older."""
    return timedelta(seconds=check_timeout * 2 + lease_seconds)


def hold_lease(session: Session, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the scheduler's lease; False while another live process holds it."""
    lease = repository.lock_lease(session, LEASE)
    if lease is None:
        fresh = MonitorLease(name=LEASE, holder=holder, since=now, expires_at=now + ttl)
        return repository.insert_lease(session, fresh)
    if lease.holder != holder:
        if lease.expires_at > now:
            return False
        log.info("monitor: %s takes the scheduler lease from %s", holder, lease.holder)
        lease.holder, lease.since = holder, now
    lease.expires_at = now + ttl
    session.flush()
    return True


def release_lease(session: Session, holder: str, now: datetime) -> None:
    """Let another process lead at once (a clean shutdown)."""
    lease = repository.lock_lease(session, LEASE)
    if lease is not None and lease.holder == holder:
        lease.expires_at = now
        session.flush()


def claim_due(
    session: Session,
    box: SecretBox,
    holder: str,
    *,
    now: datetime,
    ttl: timedelta,
    stale_after: timedelta,
    limit: int,
    jitter: float,
) -> Batch | None:
    """Up to ``limit`` due checks, each moved to its next slot; None when not the leader."""
    if not hold_lease(session, holder, now, ttl):
        return None
    claims: list[Claim] = []
    if limit <= 0:
        return Batch(claims, None)
    for node in repository.due_nodes(session, now, now - stale_after, limit):
        due_at = node.next_check_at or now
        interval = node.check_interval_seconds
        if interval is None or node.connection is None:  # changed since it was scheduled
            repository.unschedule(session, node.pk)
            continue
        repository.mark_started(session, node.pk, now, next_due(now, interval, jitter))
        try:
            claims.append(Claim(health.target_of(box, node), due_at))
        except (health.NoConnection, health.ConnectionUnreadable) as exc:
            # Its next slot is set: the loop tries again then, without spinning on it now.
            log.warning("monitor: node %s cannot be checked: %s", node.id, exc.detail)
            repository.mark_finished(session, [node.pk])
    return Batch(claims, repository.earliest_due(session, now - stale_after))


def store(session: Session, target: health.Target, result: CheckResult) -> None:
    """Store a scheduled check exactly as a manual test stores one, and end its claim."""
    try:
        health.record(session, MONITOR, target, result)
    except health.NodeNotFound:
        return  # deleted while it was being checked
    repository.mark_finished(session, [target.pk])


def abandon(session: Session, pks: list[int]) -> None:
    """End claims whose checks will not finish (the process is stopping)."""
    repository.mark_finished(session, pks)


def state(session: Session, now: datetime, stale_after: timedelta) -> MonitorState:
    """Who leads, what is due, running and late, and the loop's last failures."""
    lease = repository.get_lease(session, LEASE)
    due = repository.due_schedule(session, now)
    late = sum(1 for at, every in due if at < now - timedelta(seconds=every))
    return MonitorState(
        leader=(
            LeaseRead(holder=lease.holder, since=lease.since, expires_at=lease.expires_at)
            if lease is not None and lease.expires_at > now
            else None
        ),
        scheduled=repository.count_scheduled(session),
        due=len(due),
        running=repository.count_running(session, now - stale_after),
        late=late,
        last_failures=[
            MonitorFailure(
                node_id=node.id,
                kind=NodeKind(node.kind),
                name=node.name,
                message=check.message,
                checked_at=check.checked_at,
            )
            for check, node in repository.last_failures(session, MONITOR.label, FAILURES_SHOWN)
        ],
    )
