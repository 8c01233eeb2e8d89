"""Writing events (in the caller's transaction) and pruning the ones nobody may ask for.

An event is a row of the caller's transaction: it exists exactly when its change committed,
and every server process sees it by polling (``dlv.events.hub``). A node's status changes are
logged by a database trigger (migration 0015), whatever wrote them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from dlv.db import insert_first, utcnow
from dlv.events import repository
from dlv.events.models import EventCursor
from dlv.events.repository import EventRow


class EventKind(StrEnum):
    node_status = "node.status"  # written by the trigger: old, new, message
    check_finished = "check.finished"
    collection_finished = "collection.finished"
    run_state = "run.state"
    node_created = "node.created"
    node_updated = "node.updated"
    node_deleted = "node.deleted"
    edge_created = "edge.created"
    edge_updated = "edge.updated"
    edge_deleted = "edge.deleted"
    graph_imported = "graph.imported"
    dashboard_saved = "dashboard.saved"
    dashboard_deleted = "dashboard.deleted"
    sla_late = "sla.late"  # dlv.sla: a node missed its SLA (its status may stay error)
    sla_met = "sla.met"


def emit(
    session: Session, kind: str, payload: dict[str, Any], node_id: uuid.UUID | None = None
) -> None:
    """Log one event in the caller's transaction (no secrets in ``payload``)."""
    repository.add_many(
        session, [{"kind": kind, "node_id": node_id, "payload": payload, "created_at": utcnow()}]
    )


def emit_many(
    session: Session, kind: str, items: Iterable[tuple[uuid.UUID | None, dict[str, Any]]]
) -> None:
    """Log events of one kind, ``(node_id, payload)`` each, in one statement."""
    now = utcnow()
    rows = [
        {"kind": kind, "node_id": node_id, "payload": payload, "created_at": now}
        for node_id, payload in items
    ]
    repository.add_many(session, rows)


def edge_payload(
    edge_id: uuid.UUID, source: uuid.UUID | None, target: uuid.UUID | None, **extra: Any
) -> tuple[None, dict[str, Any]]:
    """An edge event's ``(node_id, payload)``: both ends, for the stream's node filters."""
    ends = {
        "source_id": str(source) if source else None,
        "target_id": str(target) if target else None,
    }
    return None, {"edge_id": str(edge_id), **ends, **extra}


CONSUME_BATCH = 500


def unread(session: Session, name: str) -> bool:
    """Whether the consumer ``name`` has events to read (a cheap read, no lock)."""
    at = repository.cursor_at(session, name)
    return at is None or repository.bounds(session)[1] > at


def consume(
    session: Session,
    name: str,
    now: datetime,
    *,
    grace: timedelta,
    limit: int = CONSUME_BATCH,
) -> list[EventRow]:
    """The events after the consumer's cursor, oldest first, with the cursor moved past them
    in the caller's transaction: what it does with them commits with the move, exactly once.

    A new consumer starts at the newest event: history is not replayed. On PostgreSQL ids can
    become visible out of order (see ``dlv.events.hub``): reading stops before a missing id
    while the event after it is younger than ``grace`` (the missing one may still commit);
    after that it counts as rolled back.
    """
    cursor = repository.lock_cursor(session, name)
    if cursor is None:
        _, newest = repository.bounds(session)
        insert_first(session, EventCursor(name=name, last_id=newest, updated_at=now))
        return []
    taken: list[EventRow] = []
    expected = cursor.last_id + 1
    for row in repository.after(session, cursor.last_id, limit):
        if row.id != expected and row.created_at > now - grace:
            break
        taken.append(row)
        expected = row.id + 1
    if taken:
        cursor.last_id, cursor.updated_at = taken[-1].id, now
    return taken


PRUNE_BATCH = 10_000


def prune(factory: sessionmaker[Session], keep: timedelta, *, now: datetime | None = None) -> int:
    """Delete events older than ``keep``, a batch per transaction; how many.

    The newest event is always kept: SQLite would otherwise hand its id out again, and a
    client resuming from it would miss the event that reused it.
    """
    cutoff = (now or utcnow()) - keep
    total = 0
    while True:
        with factory() as session, session.begin():
            _, newest = repository.bounds(session)
            ids = repository.older_than(session, cutoff, newest, PRUNE_BATCH)
            if ids:
                repository.delete_ids(session, ids)
        total += len(ids)
        if len(ids) < PRUNE_BATCH:
            return total
