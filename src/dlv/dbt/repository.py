"""All SQL of the dbt import."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dlv.nodes.models import Node


def nodes_by_key(session: Session, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Node]:
    found: dict[tuple[str, str], Node] = {}
    # Chunked: a big project's jobs would pass the parameter limit of one statement.
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        names = {name for _, name in chunk}
        stmt = select(Node).where(Node.name.in_(names))
        for node in session.scalars(stmt).unique():
            if (node.namespace, node.name) in chunk:
                found[(node.namespace, node.name)] = node
    return found


def set_status(session: Session, pk: int, status: str, message: str | None, at: datetime) -> None:
    values = {
        "status": status,
        "status_message": message,
        "status_changed_at": at,
        # A run's outcome is not an edit of the catalog entry: updated_at keeps its value.
        "updated_at": Node.updated_at,
    }
    session.execute(update(Node).where(Node.pk == pk).values(values))
