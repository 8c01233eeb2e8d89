"""All SQL of the event log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select
from sqlalchemy.orm import Session

from dlv.events.models import Event, EventCursor

EventRow = Row[int, str, uuid.UUID | None, dict[str, Any], datetime]

_COLUMNS = (Event.id, Event.kind, Event.node_id, Event.payload, Event.created_at)


def add_many(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert events (``kind``, ``node_id``, ``payload``, ``created_at``) in one statement."""
    if rows:
        session.execute(insert(Event), list(rows))


def after(session: Session, event_id: int, limit: int, upto: int | None = None) -> list[EventRow]:
    """Events with an id above ``event_id`` (and at most ``upto``), oldest first."""
    stmt = select(*_COLUMNS).where(Event.id > event_id).order_by(Event.id).limit(limit)
    if upto is not None:
        stmt = stmt.where(Event.id <= upto)
    return list(session.execute(stmt))


def bounds(session: Session) -> tuple[int, int]:
    """The oldest and the newest id still kept ((0, 0) when there is none)."""
    oldest, newest = session.execute(select(func.min(Event.id), func.max(Event.id))).one()
    return oldest or 0, newest or 0


def older_than(session: Session, cutoff: datetime, below: int, limit: int) -> list[int]:
    """Ids of up to ``limit`` events created before ``cutoff`` with an id below ``below``."""
    stmt = (
        select(Event.id)
        .where(Event.created_at < cutoff, Event.id < below)
        .order_by(Event.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def delete_ids(session: Session, ids: Sequence[int]) -> None:
    session.execute(delete(Event).where(Event.id.in_(ids)))


def cursor_at(session: Session, name: str) -> int | None:
    """Where the consumer ``name`` is, without a lock (None: it has not started)."""
    return session.scalar(select(EventCursor.last_id).where(EventCursor.name == name))


def lock_cursor(session: Session, name: str) -> EventCursor | None:
    """The consumer's cursor, locked until commit (SQLite serializes writers anyway)."""
    stmt = select(EventCursor).where(EventCursor.name == name).with_for_update()
    return session.scalars(stmt).first()
