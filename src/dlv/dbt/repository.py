"""All SQL of the dbt import."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, tuple_, update
from sqlalchemy.orm import Session

from dlv.nodes.models import Node

nodes_t = cast(Table, Node.__table__)
KEYS_PER_QUERY = 500  # (namespace, name) pairs: two parameters each


@dataclass(frozen=True)
class Held:
    """A node's current status."""

    pk: int
    id: uuid.UUID
    status: str
    message: str | None


def statuses(session: Session, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Held]:
    c = nodes_t.c
    found: dict[tuple[str, str], Held] = {}
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        stmt = select(c.namespace, c.name, c.pk, c.id, c.status, c.status_message).where(
            tuple_(c.namespace, c.name).in_(chunk)
        )
        for namespace, name, pk, id_, status, message in session.execute(stmt):
            found[(namespace, name)] = Held(pk, id_, status, message)
    return found


def set_statuses(
    session: Session, changes: Sequence[tuple[int, str, str | None]], at: datetime
) -> None:
    """(pk, status, message) of each node; one statement, no ORM bookkeeping per row (a
    synchronized ORM update walks every loaded object: quadratic on a big project)."""
    if not changes:
        return
    c = nodes_t.c
    # A run's outcome is not an edit of the catalog entry: updated_at keeps its value.
    stmt = (
        update(nodes_t)
        .where(c.pk == bindparam("b_pk"))
        .values(
            status=bindparam("b_status"),
            status_message=bindparam("b_message"),
            status_changed_at=at,
        )
    )
    rows = [{"b_pk": pk, "b_status": s, "b_message": m} for pk, s, m in changes]
    session.connection().execute(stmt, rows)
