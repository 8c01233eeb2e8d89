"""The monitoring loop's database side: the scheduler's lease, claiming due checks, storing
their results, and the state GET /monitor shows. Synchronous, the caller's session, no commits.

Exactly once: a check is claimed in the same transaction that proves the lease is still held
(its row locked), and claiming moves the node's ``next_check_at`` on. A process that lost the
lease cannot claim; one that dies after claiming leaves ``check_started_at`` set, which the next
leader treats as abandoned once it is older than any check and collection may take.

The claim's ``check_started_at`` is also its token: whoever runs the claimed work (the loop, or
a Celery worker, maybe a second one after the first died) stores its results only while the
node still carries that token, and only once per claim (see ``store``), so a task delivered
twice records one check.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from dlv.auth.models import Role
from dlv.auth.principal import Principal
from dlv.config import Settings
from dlv.crypto import SecretBox
from dlv.health import service as health
from dlv.health.schemas import CheckResult
from dlv.monitor import lease, repository
from dlv.monitor.schedule import next_due
from dlv.monitor.schemas import CollectionFailure, LeaseRead, MonitorFailure, MonitorState
from dlv.nodes.models import NodeKind

log = logging.getLogger("dlv.monitor")

LEASE = "scheduler"
FAILURES_SHOWN = 20
# The audit trail and the check history name the loop as the one who checked.
MONITOR = Principal(kind="user", id=uuid.UUID(int=0), name="monitor", grant=Role.admin)


@dataclass(frozen=True)
class Claim:
    """A due check handed to the loop: the node, when it was due, the claim's token (when it
    was claimed) and whether a collection follows an ok check."""

    target: health.Target
    due_at: datetime
    token: datetime
    collect: bool


@dataclass(frozen=True)
class Batch:
    """What a leader claimed, and when the next unclaimed check falls due (None: none is)."""

    claims: list[Claim]
    next_due_at: datetime | None


def unit_seconds(settings: Settings) -> float:
    """The longest one claimed unit of work runs: its check, then its collection."""
    return settings.monitor_check_timeout_seconds + settings.monitor_collect_timeout_seconds


def visibility_timeout(settings: Settings) -> float:
    """Celery: how long a delivered task stays with its worker, unacknowledged, before Redis
    gives it to another (the first one died). Longer than any unit runs, or a slow one would
    run twice at once."""
    return 2 * unit_seconds(settings) + settings.monitor_lease_seconds


def stale_after(settings: Settings) -> timedelta:
    """How old a claim may be before it is taken for abandoned: no live unit is older.

    Celery: a task may wait in the queue, run, lose its worker, wait out the visibility timeout
    and run again; two visibility timeouts cover that. A task that waited longer still (every
    worker stopped) finds a newer claim on its node when it is delivered, and is dropped."""
    if settings.monitor == "celery":
        return timedelta(seconds=2 * visibility_timeout(settings))
    return timedelta(seconds=2 * unit_seconds(settings) + settings.monitor_lease_seconds)


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
    outstanding: int | None = None,
) -> Batch | None:
    """Up to ``limit`` due checks, each moved to its next slot; None when not the leader.

    ``outstanding``: claim no more than that many unfinished claims in all (Celery mode, where
    claimed work waits in a queue rather than in this process)."""
    if not lease.hold(session, LEASE, holder, now, ttl):
        return None
    claims: list[Claim] = []
    if outstanding is not None:
        limit = min(limit, outstanding - repository.count_running(session, now - stale_after))
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
            target = health.target_of(box, node)
            claims.append(Claim(target, due_at, now, node.collect_on_schedule))
        except (health.NoConnection, health.ConnectionUnreadable) as exc:
            # Its next slot is set: the loop tries again then, without spinning on it now.
            log.warning("monitor: node %s cannot be checked: %s", node.id, exc.detail)
            repository.mark_finished(session, [node.pk])
    return Batch(claims, repository.earliest_due(session, now - stale_after))


# The claim's second state: "this claim's check is stored". Kept in ``check_started_at`` itself
# (one microsecond on) so that it needs no clock but the scheduler's and no other column: a
# task run again after its worker died sees it and stores no second check.
CHECKED = timedelta(microseconds=1)


class Progress(StrEnum):
    """Where a claimed unit of work stands, as the node says."""

    gone = "gone"  # the claim ended or was taken over, or the node was deleted: drop the task
    due = "due"  # claimed, its check not stored yet
    checked_ok = "checked_ok"  # its check is stored and was ok: the collection may follow
    checked = "checked"  # its check is stored and failed: nothing follows


def progress(session: Session, pk: int, token: datetime) -> Progress:
    """How far the claim ``token`` on node ``pk`` got (read-only)."""
    row = repository.claim_of(session, pk)
    if row is None or row[0] not in (token, token + CHECKED):
        return Progress.gone
    if row[0] == token:
        return Progress.due
    return Progress.checked_ok if row[1] == "ok" else Progress.checked


def claimed(
    session: Session, box: SecretBox, pk: int, node_id: uuid.UUID, token: datetime
) -> tuple[Progress, health.Target | None]:
    """``progress`` and, when the check is still to run, the node's config (None when it has
    none any more, or one that cannot be read): one read for a task from the queue."""
    where = progress(session, pk, token)
    if where is not Progress.due:
        return where, None
    try:
        return where, health.load_target(session, box, node_id)
    except health.NodeNotFound:
        return Progress.gone, None
    except (health.NoConnection, health.ConnectionUnreadable):
        return where, None


def store(
    session: Session, target: health.Target, result: CheckResult, token: datetime, *, last: bool
) -> bool:
    """Store a scheduled check exactly as a manual test stores one; False when it was dropped:
    the node is gone, its claim is no longer this one, or this claim's check is stored already
    (a task run again after its worker died). ``last``: nothing follows, the claim ends here
    (one transaction); else it is marked as checked for the collection that follows."""
    if repository.lock_claim(session, target.pk) != token:
        return False
    try:
        health.record(session, MONITOR, target, result)
    except health.NodeNotFound:
        return False  # deleted while it was being checked
    if last:
        repository.finish_claim(session, target.pk, [token])
    else:
        repository.set_claim(session, target.pk, token + CHECKED)
    return True


def finish(session: Session, pk: int, token: datetime) -> None:
    """End the claim, if it is still this one."""
    repository.finish_claim(session, pk, [token, token + CHECKED])


def abandon(session: Session, pks: list[int]) -> None:
    """End claims whose checks will not finish (the process is stopping)."""
    repository.mark_finished(session, pks)


def state(session: Session, now: datetime, stale_after: timedelta) -> MonitorState:
    """Who leads, what is due, running and late, and the loop's last failures."""
    held = repository.get_lease(session, LEASE)
    due = repository.due_schedule(session, now)
    late = sum(1 for at, every in due if at < now - timedelta(seconds=every))
    return MonitorState(
        leader=(
            LeaseRead(holder=held.holder, since=held.since, expires_at=held.expires_at)
            if held is not None and held.expires_at > now
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
        last_collection_failures=[
            CollectionFailure(
                node_id=node.id,
                kind=NodeKind(node.kind),
                name=node.name,
                message=run.message,
                started_at=run.started_at,
            )
            for run, node in repository.last_collection_failures(
                session, MONITOR.label, FAILURES_SHOWN
            )
        ],
    )
