"""All SQL of alerts: channels, rules, incidents, and the delivery outbox with its claims."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from dlv.alerts.models import (
    AlertChannel,
    AlertDelivery,
    AlertRule,
    DeliveryAttempt,
    DeliveryStatus,
    Incident,
    IncidentStatus,
)
from dlv.db import dialect
from dlv.nodes.models import Node, NodeTag
from dlv.pagination import keyset


def channels(session: Session) -> Sequence[AlertChannel]:
    return session.scalars(select(AlertChannel).order_by(AlertChannel.name)).all()


def channel(session: Session, channel_id: uuid.UUID) -> AlertChannel | None:
    return session.get(AlertChannel, channel_id)


def channels_by_id(session: Session, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, AlertChannel]:
    if not ids:
        return {}
    stmt = select(AlertChannel).where(AlertChannel.id.in_(list(ids)))
    return {c.id: c for c in session.scalars(stmt)}


def channel_name_taken(session: Session, name: str, other_than: uuid.UUID | None) -> bool:
    stmt = select(AlertChannel.id).where(AlertChannel.name == name)
    return any(found != other_than for found in session.scalars(stmt))


def rules(session: Session, *, enabled_only: bool = False) -> Sequence[AlertRule]:
    stmt = select(AlertRule).order_by(AlertRule.name)
    if enabled_only:
        stmt = stmt.where(AlertRule.enabled.is_(True))
    return session.scalars(stmt).all()


def rule(session: Session, rule_id: uuid.UUID) -> AlertRule | None:
    return session.get(AlertRule, rule_id)


def rule_name_taken(session: Session, name: str, other_than: uuid.UUID | None) -> bool:
    stmt = select(AlertRule.id).where(AlertRule.name == name)
    return any(found != other_than for found in session.scalars(stmt))


def node_ids_with_tag(session: Session, tag: str) -> set[str]:
    stmt = select(Node.id).join(NodeTag, NodeTag.node_pk == Node.pk).where(NodeTag.tag == tag)
    return {str(i) for i in session.scalars(stmt)}


def node_exists(session: Session, node_id: uuid.UUID) -> bool:
    return session.scalar(select(Node.pk).where(Node.id == node_id)) is not None


def open_incident(session: Session, root_node_id: uuid.UUID) -> Incident | None:
    stmt = select(Incident).where(
        Incident.root_node_id == root_node_id, Incident.status == IncidentStatus.open
    )
    if dialect(session) == "postgresql":
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def open_incidents_among(session: Session, root_ids: Collection[uuid.UUID]) -> list[Incident]:
    if not root_ids:
        return []
    stmt = select(Incident).where(
        Incident.root_node_id.in_(list(root_ids)), Incident.status == IncidentStatus.open
    )
    return list(session.scalars(stmt))


def incident(session: Session, incident_id: uuid.UUID) -> Incident | None:
    return session.get(Incident, incident_id)


def search_incidents(
    session: Session, status: str | None, cursor: str | None, limit: int
) -> Sequence[Incident]:
    stmt = select(Incident)
    if status:
        stmt = stmt.where(Incident.status == status)
    stmt = keyset(
        stmt, [Incident.opened_at, Incident.id], descending=True, cursor=cursor, limit=limit
    )
    return session.scalars(stmt).all()


def add(session: Session, *rows: object) -> None:
    session.add_all(rows)
    session.flush()


@dataclass(frozen=True)
class DeliveryFilter:
    status: str | None = None
    channel_id: uuid.UUID | None = None
    incident_id: uuid.UUID | None = None
    kind: str | None = None


def search_deliveries(
    session: Session, where: DeliveryFilter, cursor: str | None, limit: int
) -> Sequence[AlertDelivery]:
    stmt = select(AlertDelivery)
    if where.status:
        stmt = stmt.where(AlertDelivery.status == where.status)
    if where.channel_id:
        stmt = stmt.where(AlertDelivery.channel_id == where.channel_id)
    if where.incident_id:
        stmt = stmt.where(AlertDelivery.incident_id == where.incident_id)
    if where.kind:
        stmt = stmt.where(AlertDelivery.kind == where.kind)
    stmt = keyset(stmt, [AlertDelivery.pk], descending=True, cursor=cursor, limit=limit)
    return session.scalars(stmt).all()


def attempts_of(session: Session, pks: Collection[int]) -> dict[int, list[DeliveryAttempt]]:
    found: dict[int, list[DeliveryAttempt]] = {pk: [] for pk in pks}
    if not pks:
        return found
    stmt = (
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_pk.in_(list(pks)))
        .order_by(DeliveryAttempt.delivery_pk, DeliveryAttempt.number)
    )
    for attempt in session.scalars(stmt):
        found[attempt.delivery_pk].append(attempt)
    return found


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        (AlertDelivery.status == DeliveryStatus.pending) & (AlertDelivery.next_attempt_at <= now),
        (AlertDelivery.status == DeliveryStatus.sending) & (AlertDelivery.lease_until < now),
    )


def any_due(session: Session, now: datetime) -> bool:
    """Whether a delivery is due (a read: the idle poll takes no write lock)."""
    stmt = (
        select(AlertDelivery.pk)
        .join(AlertChannel, AlertChannel.id == AlertDelivery.channel_id)
        .where(AlertChannel.enabled.is_(True), _due(now))
        .limit(1)
    )
    return session.scalar(stmt) is not None


def claim(
    session: Session, now: datetime, lease_until: datetime, limit: int
) -> list[AlertDelivery]:
    """Take up to ``limit`` due deliveries of enabled channels: pending ones whose time came,
    and ``sending`` ones whose sender died (lease over). Each is marked ``sending`` and its
    attempt counted before the caller commits. On PostgreSQL, ``SKIP LOCKED`` lets several
    workers claim at once without waiting and without ever taking the same row; SQLite's
    write transaction (BEGIN IMMEDIATE) serializes them instead."""
    stmt = (
        select(AlertDelivery)
        .join(AlertChannel, AlertChannel.id == AlertDelivery.channel_id)
        .where(
            AlertChannel.enabled.is_(True),
            _due(now),
        )
        .order_by(AlertDelivery.next_attempt_at, AlertDelivery.pk)
        .limit(limit)
    )
    if dialect(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=AlertDelivery)
    claimed = list(session.scalars(stmt))
    for delivery in claimed:
        delivery.status = DeliveryStatus.sending
        delivery.lease_until = lease_until
        delivery.attempts += 1
    session.flush()
    return claimed


def finish(
    session: Session,
    pk: int,
    number: int,
    values: dict[str, object],
) -> bool:
    """Record the outcome of attempt ``number``, unless another worker took the delivery
    over meanwhile (its lease ran out): False then."""
    result = session.execute(
        update(AlertDelivery)
        .where(
            AlertDelivery.pk == pk,
            AlertDelivery.status == DeliveryStatus.sending,
            AlertDelivery.attempts == number,
        )
        .values(values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def rules_using_channel(session: Session, channel_id: uuid.UUID) -> list[AlertRule]:
    return [r for r in rules(session) if str(channel_id) in r.channel_ids]
