"""All SQL of SLAs: the SLA rows, the nodes' last successes, the status history rows an SLA
writes (its lease is the monitoring loop's, dlv.monitor.lease)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from dlv.health.models import HealthCheck
from dlv.nodes.models import Node
from dlv.sla.models import NodeSla


def node_by_id(session: Session, node_id: uuid.UUID) -> Node | None:
    return session.scalars(select(Node).where(Node.id == node_id)).first()


def get(session: Session, node_pk: int) -> NodeSla | None:
    return session.get(NodeSla, node_pk)


def add(session: Session, sla: NodeSla) -> None:
    session.add(sla)
    session.flush()


def delete(session: Session, sla: NodeSla) -> None:
    session.delete(sla)
    session.flush()


def all_with_nodes(session: Session) -> list[tuple[NodeSla, str, datetime | None]]:
    """Every SLA with its node's status and last success, in node order (the lock order)."""
    stmt = (
        select(NodeSla, Node.status, Node.last_success_at)
        .join(Node, Node.pk == NodeSla.node_pk)
        .order_by(NodeSla.node_pk)
    )
    return [(sla, str(status), last) for sla, status, last in session.execute(stmt)]


def lock(session: Session, node_pk: int) -> tuple[Node, NodeSla] | None:
    """The node and its SLA, read afresh and locked until commit (FOR UPDATE on PostgreSQL;
    SQLite serializes writers anyway): ingestion may have changed the node since."""
    node = session.scalars(
        select(Node)
        .where(Node.pk == node_pk)
        .with_for_update(of=Node)
        .execution_options(populate_existing=True)
    ).first()
    sla = session.scalars(
        select(NodeSla)
        .where(NodeSla.node_pk == node_pk)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    return (node, sla) if node is not None and sla is not None else None


def set_status(session: Session, pk: int, status: str, message: str | None, at: datetime) -> None:
    # An SLA's verdict is not an edit of the catalog entry: updated_at keeps its value.
    session.execute(
        update(Node)
        .where(Node.pk == pk)
        .values(
            status=status,
            status_message=message,
            status_changed_at=at,
            updated_at=Node.updated_at,
        )
    )


def add_history(session: Session, check: HealthCheck) -> None:
    session.add(check)
    session.flush()


_SUCCESS = (
    update(Node)
    .where(
        Node.pk == bindparam("b_pk"),
        or_(Node.last_success_at.is_(None), Node.last_success_at < bindparam("b_at")),
    )
    .values(last_success_at=bindparam("b_at"), updated_at=Node.updated_at)
)


def record_successes(session: Session, successes: Mapping[int, datetime]) -> None:
    """Move each node's ``last_success_at`` forward to its time (never back)."""
    if successes:
        rows = [{"b_pk": pk, "b_at": at} for pk, at in sorted(successes.items())]
        session.connection().execute(_SUCCESS, rows)
