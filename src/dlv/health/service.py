"""Health: which config to test, storing a check, the node's status, its history, the summary.

These functions are synchronous and take the caller's session; they never commit. The network
part of a check happens elsewhere (``dlv.health.runner``), outside any transaction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.orm import Session

from dlv.audit import service as audit
from dlv.auth.principal import Principal
from dlv.crypto import SecretBox, SecretsUnreadable
from dlv.errors import Conflict, NotFound
from dlv.events import service as events
from dlv.events.service import EventKind
from dlv.health import repository
from dlv.health.connectors import AnyConnection
from dlv.health.models import HealthCheck
from dlv.health.schemas import (
    CheckRead,
    CheckResult,
    HealthSummary,
    KindCount,
    NodeInError,
)
from dlv.nodes import connections
from dlv.nodes.models import SYSTEM_KINDS, Node, NodeKind, NodeStatus
from dlv.ops import metrics

IN_ERROR_LIMIT = 500


class NodeNotFound(NotFound):
    pass


class NoConnection(Conflict):
    pass


class ConnectionUnreadable(Conflict):
    pass


@dataclass(frozen=True)
class Target:
    """A node's full connection config, read in one short transaction before the check."""

    pk: int
    id: uuid.UUID
    kind: str
    config: AnyConnection


def _get(session: Session, node_id: uuid.UUID) -> Node:
    node = repository.get_node(session, node_id)
    if node is None:
        raise NodeNotFound(f"No node with id {node_id}")
    return node


def _config(box: SecretBox, node: Node) -> AnyConnection:
    """The stored public part and the sealed secrets, merged and validated again."""
    if node.connection is None:
        raise NoConnection(
            f"The {node.kind} node {node.name!r} has no connection to test"
            + ("; set one with PATCH /api/v1/nodes/{id}" if node.kind in SYSTEM_KINDS else "")
        )
    try:
        full = connections.merge_secrets(node.connection, box.open(node.connection_secrets))
        return connections.parse(full)
    except SecretsUnreadable:
        raise ConnectionUnreadable(
            "The node's stored secrets cannot be decrypted with this server's DLV_SECRET_KEY; "
            "enter them again"
        ) from None
    except ValidationError:
        # The error would quote the stored values, secrets included: say what to do instead.
        raise ConnectionUnreadable(
            "The node's stored connection is no longer valid; save it again"
        ) from None


def load_target(session: Session, box: SecretBox, node_id: uuid.UUID) -> Target:
    """The node to test with its full config; 404, or 409 when there is nothing to test."""
    return target_of(box, _get(session, node_id))


def target_of(box: SecretBox, node: Node) -> Target:
    """``node`` with its full config; NoConnection or ConnectionUnreadable when it has none."""
    return Target(node.pk, node.id, node.kind, _config(box, node))


def load_targets(session: Session, box: SecretBox, kind: str | None) -> tuple[list[Target], int]:
    """Every system node with a connection (of ``kind``), and how many could not be read."""
    targets, skipped = [], 0
    for node in repository.systems_with_connection(session, kind):
        try:
            targets.append(Target(node.pk, node.id, node.kind, _config(box, node)))
        except (NoConnection, ConnectionUnreadable):
            skipped += 1
    return targets, skipped


def record(session: Session, actor: Principal, target: Target, result: CheckResult) -> bool:
    """Store a check and set the node's status from it; True when the status changed.

    A change of status is an audit record (``node.status``) in the same transaction.
    """
    metrics.record_check(target.kind, result.status.value, result.latency_ms / 1000)
    node = repository.lock_node(session, target.pk)
    if node is None:
        raise NodeNotFound(f"No node with id {target.id} (deleted during the check)")
    repository.add_check(
        session,
        HealthCheck(
            node_pk=node.pk,
            status=result.status.value,
            latency_ms=result.latency_ms,
            message=result.message,
            steps=[s.model_dump() for s in result.steps],
            actor=actor.label,
            checked_at=result.checked_at,
        ),
    )
    old, new = node.status, result.status.value
    changed = old != new
    # The status change itself is logged by the trigger on nodes (node.status).
    check = {"status": new, "message": result.message, "latency_ms": result.latency_ms}
    events.emit(session, EventKind.check_finished, check, node.id)
    repository.set_status(
        session, node.pk, new, result.message, result.checked_at if changed else None
    )
    if changed:
        audit.record(
            session,
            actor,
            "node.status",
            "node",
            node.id,
            {"status": {"from": old, "to": new}, "message": result.message},
        )
    return changed


def history(
    session: Session, node_id: uuid.UUID, *, cursor: str | None, limit: int
) -> Sequence[HealthCheck]:
    """A node's checks, newest first; one more than ``limit`` when a page follows."""
    node = _get(session, node_id)
    return repository.history(session, node.pk, cursor=cursor, limit=limit)


def to_read(check: HealthCheck, node_id: uuid.UUID) -> CheckRead:
    return CheckRead.model_validate(
        {
            "id": check.id,
            "node_id": node_id,
            "status": check.status,
            "latency_ms": check.latency_ms,
            "message": check.message,
            "steps": check.steps,
            "checked_at": check.checked_at,
            "actor": check.actor,
        }
    )


def summary(session: Session) -> HealthSummary:
    """Counts by status and kind, and the nodes in error (most recent first)."""
    by_kind: dict[str, KindCount] = {}
    by_status: dict[NodeStatus, int] = defaultdict(int, dict.fromkeys(NodeStatus, 0))
    total = 0
    for kind, status, count in repository.counts_by_kind_and_status(session):
        row = by_kind.setdefault(kind, KindCount(kind=NodeKind(kind)))
        state = NodeStatus(status) if status in NodeStatus.__members__ else NodeStatus.unknown
        setattr(row, state.value, getattr(row, state.value) + count)
        row.total += count
        by_status[state] += count
        total += count
    failing = repository.in_error(session, IN_ERROR_LIMIT + 1)
    last = repository.last_checked(session, [n.pk for n in failing[:IN_ERROR_LIMIT]])
    return HealthSummary(
        total=total,
        by_status=dict(by_status),
        by_kind=sorted(by_kind.values(), key=lambda k: k.kind.value),
        in_error=[
            NodeInError(
                id=n.id,
                kind=NodeKind(n.kind),
                namespace=n.namespace,
                name=n.name,
                owner=n.owner,
                status_message=n.status_message,
                status_changed_at=n.status_changed_at,
                last_checked_at=last.get(n.pk),
            )
            for n in failing[:IN_ERROR_LIMIT]
        ],
        in_error_truncated=len(failing) > IN_ERROR_LIMIT,
    )
