"""All SQL of SLAs: the SLA rows, the nodes' last successes, the evaluator's lease, the
status history rows an SLA writes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dlv.health.models import HealthCheck
from dlv.monitor.models import MonitorLease
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


# -- the evaluator's lease (a row of the monitoring loop's lease table, its own name) ---------


def lock_lease(session: Session, name: str) -> MonitorLease | None:
    stmt = select(MonitorLease).where(MonitorLease.name == name).with_for_update()
    return session.scalars(stmt).first()


def insert_lease(session: Session, lease: MonitorLease) -> bool:
    """Insert the first lease row; False when another process inserted it first."""
    try:
        with session.begin_nested():
            session.add(lease)
            session.flush()
    except IntegrityError:
        return False
    return True


def get_lease(session: Session, name: str) -> MonitorLease | None:
    return session.get(MonitorLease, name)
