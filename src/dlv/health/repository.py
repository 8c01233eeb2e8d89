"""All SQL of the health domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dlv.health.models import HealthCheck
from dlv.nodes.models import SYSTEM_KINDS, Node, NodeStatus
from dlv.pagination import keyset


def get_node(session: Session, node_id: uuid.UUID) -> Node | None:
    return session.scalars(select(Node).where(Node.id == node_id)).first()


def lock_node(session: Session, pk: int) -> Node | None:
    """The node, locked until commit: two checks finishing at once see each other's status."""
    # FOR UPDATE on PostgreSQL; SQLite has no row locks but writers are serialized anyway.
    stmt = select(Node).where(Node.pk == pk).with_for_update(of=Node)
    return session.scalars(stmt).first()


def systems_with_connection(session: Session, kind: str | None) -> Sequence[Node]:
    stmt = select(Node).where(Node.kind.in_(list(SYSTEM_KINDS)), Node.connection.is_not(None))
    if kind is not None:
        stmt = stmt.where(Node.kind == kind)
    return session.scalars(stmt.order_by(Node.pk)).unique().all()


def add_check(session: Session, check: HealthCheck) -> None:
    session.add(check)
    session.flush()


def set_status(
    session: Session, pk: int, status: str, message: str, changed_at: datetime | None
) -> None:
    """Set a node's status; ``changed_at`` only when the status changed."""
    values: dict[str, object] = {
        "status": status,
        "status_message": message,
        # A check is not an edit of the catalog entry: updated_at keeps its value.
        "updated_at": Node.updated_at,
    }
    if changed_at is not None:
        values["status_changed_at"] = changed_at
    session.execute(update(Node).where(Node.pk == pk).values(values))


def history(
    session: Session, node_pk: int, *, cursor: str | None, limit: int
) -> Sequence[HealthCheck]:
    stmt = select(HealthCheck).where(HealthCheck.node_pk == node_pk)
    stmt = keyset(stmt, [HealthCheck.id], descending=True, cursor=cursor, limit=limit)
    return session.scalars(stmt).all()


def counts_by_kind_and_status(session: Session) -> list[tuple[str, str, int]]:
    stmt = select(Node.kind, Node.status, func.count()).group_by(Node.kind, Node.status)
    return [(str(k), str(s), int(n)) for k, s, n in session.execute(stmt)]


def in_error(session: Session, limit: int) -> Sequence[Node]:
    stmt = (
        select(Node)
        .where(Node.status == NodeStatus.error)
        .order_by(Node.status_changed_at.desc(), Node.pk)
        .limit(limit)
    )
    return session.scalars(stmt).unique().all()


def last_checked(session: Session, node_pks: Sequence[int]) -> dict[int, datetime]:
    if not node_pks:
        return {}
    stmt = (
        select(HealthCheck.node_pk, func.max(HealthCheck.checked_at))
        .where(HealthCheck.node_pk.in_(node_pks))
        .group_by(HealthCheck.node_pk)
    )
    return {int(pk): at for pk, at in session.execute(stmt)}
