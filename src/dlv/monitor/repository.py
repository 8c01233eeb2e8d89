"""All SQL of the monitoring loop: the lease row, claiming due nodes, what GET /monitor shows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dlv.collectors.models import Collection
from dlv.health.models import HealthCheck
from dlv.monitor.models import MonitorLease
from dlv.nodes.models import Node


def lock_lease(session: Session, name: str) -> MonitorLease | None:
    """The lease row, locked until commit (PostgreSQL; SQLite serializes writers anyway)."""
    stmt = select(MonitorLease).where(MonitorLease.name == name).with_for_update()
    return session.scalars(stmt).first()


def get_lease(session: Session, name: str) -> MonitorLease | None:
    return session.get(MonitorLease, name)


def due_nodes(
    session: Session, now: datetime, stale_before: datetime, limit: int
) -> Sequence[Node]:
    """Nodes due by ``now`` and not being checked (or whose check was abandoned), soonest
    first, locked; rows another transaction holds are skipped rather than waited for."""
    stmt = (
        select(Node)
        .where(
            Node.next_check_at <= now,
            (Node.check_started_at.is_(None)) | (Node.check_started_at < stale_before),
        )
        .order_by(Node.next_check_at)
        .limit(limit)
        .with_for_update(of=Node, skip_locked=True)
    )
    return session.scalars(stmt).unique().all()


def mark_started(session: Session, pk: int, started_at: datetime, next_at: datetime) -> None:
    session.execute(
        update(Node)
        .where(Node.pk == pk)
        .values(check_started_at=started_at, next_check_at=next_at, updated_at=Node.updated_at)
    )


def mark_finished(session: Session, pks: Sequence[int]) -> None:
    if pks:
        session.execute(
            update(Node)
            .where(Node.pk.in_(list(pks)))
            .values(check_started_at=None, updated_at=Node.updated_at)
        )


def due_schedule(session: Session, now: datetime) -> list[tuple[datetime, int]]:
    """``(next_check_at, interval)`` of every node due by ``now``."""
    stmt = select(Node.next_check_at, Node.check_interval_seconds).where(Node.next_check_at <= now)
    return [(at, int(every or 0)) for at, every in session.execute(stmt) if at is not None]


def count_running(session: Session, stale_before: datetime) -> int:
    stmt = select(func.count()).where(Node.check_started_at >= stale_before)
    return int(session.scalar(stmt) or 0)


def count_scheduled(session: Session) -> int:
    return int(session.scalar(select(func.count()).where(Node.next_check_at.is_not(None))) or 0)


def last_failures(session: Session, actor: str, limit: int) -> list[tuple[HealthCheck, Node]]:
    stmt = (
        select(HealthCheck, Node)
        .join(Node, Node.pk == HealthCheck.node_pk)
        .where(HealthCheck.actor == actor, HealthCheck.status == "error")
        .order_by(HealthCheck.id.desc())
        .limit(limit)
    )
    return [(c, n) for c, n in session.execute(stmt).unique()]


def unschedule(session: Session, pk: int) -> None:
    session.execute(
        update(Node)
        .where(Node.pk == pk)
        .values(next_check_at=None, check_started_at=None, updated_at=Node.updated_at)
    )


def earliest_due(session: Session, stale_before: datetime) -> datetime | None:
    """When the soonest check not running now falls due."""
    stmt = select(func.min(Node.next_check_at)).where(
        (Node.check_started_at.is_(None)) | (Node.check_started_at < stale_before)
    )
    return session.scalar(stmt)


def claim_of(session: Session, pk: int) -> tuple[datetime | None, str] | None:
    """The node's claim token (``check_started_at``) and status; None when it is gone."""
    stmt = select(Node.check_started_at, Node.status).where(Node.pk == pk)
    row = session.execute(stmt).first()
    return (row[0], row[1]) if row is not None else None


def lock_claim(session: Session, pk: int) -> datetime | None:
    """The node's claim token, its row locked until commit."""
    stmt = select(Node.check_started_at).where(Node.pk == pk).with_for_update()
    return session.scalar(stmt)


def set_claim(session: Session, pk: int, token: datetime) -> None:
    session.execute(
        update(Node).where(Node.pk == pk).values(check_started_at=token, updated_at=Node.updated_at)
    )


def finish_claim(session: Session, pk: int, tokens: Sequence[datetime]) -> None:
    session.execute(
        update(Node)
        .where(Node.pk == pk, Node.check_started_at.in_(list(tokens)))
        .values(check_started_at=None, updated_at=Node.updated_at)
    )


def last_collection_failures(
    session: Session, actor: str, limit: int
) -> list[tuple[Collection, Node]]:
    stmt = (
        select(Collection, Node)
        .join(Node, Node.pk == Collection.node_pk)
        .where(Collection.actor == actor, Collection.status == "error")
        .order_by(Collection.id.desc())
        .limit(limit)
    )
    return [(c, n) for c, n in session.execute(stmt).unique()]
