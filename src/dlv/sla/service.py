"""SLAs: writing and reading them, recording successes, and the evaluation that turns a node
``late`` and back. Synchronous, the caller's session, no commits.

Precedence (docs/adr/0016-slas.md): error > late > at_risk > ok > unknown. A breach makes an
ok, unknown or at_risk node late and remembers what it was; meeting the SLA again gives that
back. An error stays an error (the SLA still counts as breached, and says so on GET).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from dlv.audit import service as audit
from dlv.auth.models import Role
from dlv.auth.principal import Principal
from dlv.errors import NotFound
from dlv.events import service as events
from dlv.events.service import EventKind
from dlv.health.models import HealthCheck
from dlv.monitor import lease
from dlv.nodes.models import Node, NodeStatus
from dlv.sla import repository
from dlv.sla.models import NodeSla
from dlv.sla.rules import Rule, breach
from dlv.sla.schemas import DeadlineSpec, Freshness, SlaRead, SlaWrite

log = logging.getLogger("dlv.sla")

LEASE = "sla"
# The audit trail and the status history name the evaluator as the one who decided.
EVALUATOR = Principal(kind="user", id=uuid.UUID(int=0x51A), name="sla", grant=Role.admin)
# What a breach may overwrite; an error is worse than late and stays.
LATE_OVER = frozenset({NodeStatus.ok, NodeStatus.unknown, NodeStatus.at_risk})


class NodeNotFound(NotFound):
    pass


class SlaNotFound(NotFound):
    pass


def _node(session: Session, node_id: uuid.UUID) -> Node:
    node = repository.node_by_id(session, node_id)
    if node is None:
        raise NodeNotFound(f"No node with id {node_id}")
    return node


def _rule(sla: NodeSla) -> Rule:
    return Rule.of(
        sla.max_age_seconds, sla.deadline_time, sla.deadline_zone, sla.deadline_days, sla.updated_at
    )


def _settings(sla: NodeSla) -> dict[str, object]:
    return {
        "max_age_seconds": sla.max_age_seconds,
        "deadline_time": sla.deadline_time,
        "deadline_zone": sla.deadline_zone,
        "deadline_days": sla.deadline_days,
    }


def to_read(node: Node, sla: NodeSla, now: datetime) -> SlaRead:
    rule = _rule(sla)
    return SlaRead(
        node_id=node.id,
        freshness=(
            Freshness(max_age_seconds=sla.max_age_seconds)
            if sla.max_age_seconds is not None
            else None
        ),
        deadline=(
            DeadlineSpec.model_validate(
                {"time": sla.deadline_time, "zone": sla.deadline_zone, "days": sla.deadline_days}
            )
            if rule.deadline is not None
            else None
        ),
        state="late" if sla.late_since is not None else "met",
        late_since=sla.late_since,
        reason=sla.late_reason,
        last_success_at=node.last_success_at,
        next_deadline_at=rule.deadline.next(now) if rule.deadline is not None else None,
        updated_at=sla.updated_at,
        updated_by=sla.updated_by,
    )


def get(session: Session, node_id: uuid.UUID, now: datetime) -> SlaRead:
    """A node's SLA and where it stands; 404 when the node has none."""
    node = _node(session, node_id)
    sla = repository.get(session, node.pk)
    if sla is None:
        raise SlaNotFound(f"The node {node.name!r} has no SLA; set one with PUT")
    return to_read(node, sla, now)


def put(
    session: Session, actor: Principal, node_id: uuid.UUID, body: SlaWrite, now: datetime
) -> SlaRead:
    """Set (or replace) a node's SLA; the evaluator judges it from its next round."""
    node = _node(session, node_id)
    sla = repository.get(session, node.pk)
    before = _settings(sla) if sla is not None else {}
    new = sla is None
    if sla is None:
        sla = NodeSla(node_pk=node.pk, created_at=now)
    sla.max_age_seconds = body.freshness.max_age_seconds if body.freshness else None
    deadline = body.deadline
    sla.deadline_time = deadline.time if deadline else None
    sla.deadline_zone = deadline.zone if deadline else None
    sla.deadline_days = [d.value for d in deadline.days] if deadline else None
    sla.updated_at, sla.updated_by = now, actor.label
    if new:
        repository.add(session, sla)
    session.flush()
    audit.record(session, actor, "sla.set", "node", node.id, audit.diff(before, _settings(sla)))
    return to_read(node, sla, now)


def delete(session: Session, actor: Principal, node_id: uuid.UUID, now: datetime) -> None:
    """Remove a node's SLA; a node it made late gets its status back at once."""
    node = _node(session, node_id)
    locked = repository.lock(session, node.pk)
    if locked is None:
        raise SlaNotFound(f"The node {node.name!r} has no SLA")
    node, sla = locked
    if sla.late_since is not None:
        _transition(session, node, sla, None, now, actor)
    audit.record(session, actor, "sla.delete", "node", node.id, {"sla": _settings(sla)})
    repository.delete(session, sla)


def record_success(session: Session, node_pks: Iterable[int], at: datetime) -> None:
    """Nodes that ran or were updated successfully at ``at`` (ingestion, collectors): what
    their SLAs measure. Never moves a node's last success back."""
    repository.record_successes(session, dict.fromkeys(node_pks, at))


def record_successes(session: Session, successes: Mapping[int, datetime]) -> None:
    """``record_success`` for many nodes, each at its own time (one statement)."""
    repository.record_successes(session, successes)


# -- evaluation -------------------------------------------------------------------------------


def _needs_change(sla: NodeSla, status: str, reason: str | None) -> bool:
    if reason is None:
        return sla.late_since is not None
    # Newly breached, or still breached and something set the node back (a producer's
    # failure made it at_risk, a connection check passed): late again.
    return sla.late_since is None or status in LATE_OVER


def evaluate(session: Session, holder: str, now: datetime, ttl: timedelta) -> int | None:
    """One round: every SLA judged at ``now``; how many changed, None when not the leader."""
    if not lease.hold(session, LEASE, holder, now, ttl):
        return None
    changed = 0
    for seen, status, last in repository.all_with_nodes(session):
        if not _needs_change(seen, status, breach(_rule(seen), last, now)):
            continue
        locked = repository.lock(session, seen.node_pk)
        if locked is None:
            continue  # deleted meanwhile
        node, sla = locked
        reason = breach(_rule(sla), node.last_success_at, now)
        if _needs_change(sla, node.status, reason):
            _transition(session, node, sla, reason, now, EVALUATOR)
            changed += 1
    return changed


def _transition(
    session: Session,
    node: Node,
    sla: NodeSla,
    reason: str | None,
    now: datetime,
    actor: Principal,
) -> None:
    """The one place an SLA turns late (``reason``) or met (None): the node's status, its
    status history, the audit trail and the stream's ``sla.late`` / ``sla.met`` event, in the
    caller's transaction (the ``node.status`` event comes from the trigger on nodes)."""
    late = reason is not None
    old_status, old_message = node.status, node.status_message
    status, message = old_status, old_message
    if late:
        if old_status in LATE_OVER:
            sla.restore_status, sla.restore_message = old_status, old_message
            status, message = NodeStatus.late.value, reason
        sla.late_since = sla.late_since or now
        sla.late_reason = reason
    else:
        if old_status == NodeStatus.late:
            status = sla.restore_status or NodeStatus.ok.value
            message = sla.restore_message
        sla.late_since = sla.late_reason = None
        sla.restore_status = sla.restore_message = None
    if (status, message) != (old_status, old_message):
        repository.set_status(session, node.pk, status, message, now)
        node.status, node.status_message = status, message
    text = reason if late else "SLA met again"
    repository.add_history(
        session,
        HealthCheck(
            node_pk=node.pk,
            status=NodeStatus.late.value if late else NodeStatus.ok.value,
            latency_ms=0,
            message=text,
            steps=[],
            actor=actor.label,
            checked_at=now,
        ),
    )
    kind = "sla.late" if late else "sla.met"
    payload = {
        "status": {"from": old_status, "to": status},
        "reason": reason,
        "last_success_at": node.last_success_at.isoformat() if node.last_success_at else None,
    }
    audit.record(session, actor, kind, "node", node.id, payload)
    events.emit(
        session,
        EventKind.sla_late if late else EventKind.sla_met,
        {**payload, "namespace": node.namespace, "name": node.name, "kind": node.kind},
        node.id,
    )
    log.info("sla: node %s %s: %s", node.id, kind, text)
