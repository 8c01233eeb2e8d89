"""SQL of the impact domain: the node facts a traversal result needs.

Read with the driver's cursor, not the ORM: an answer can hold 100,000 nodes, and building
ORM rows and UUID objects for each costs more than the traversal itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dlv.nodes.models import Node

CHUNK = 900  # well under SQLite's bound-parameter limit on every build


def pk_of(session: Session, node_id: uuid.UUID) -> int | None:
    return session.scalar(select(Node.pk).where(Node.id == node_id))


FIELDS = ("id", "kind", "namespace", "name", "owner", "status", "status_message", "parent_id")
# UUIDs are formatted by the database: SQLite keeps them as 32 hex characters.
_SQLITE_UUID = (
    "substr({c},1,8)||'-'||substr({c},9,4)||'-'||substr({c},13,4)||'-'||substr({c},17,4)"
    "||'-'||substr({c},21)"
)
_SQL = (
    "SELECT n.pk, {nid}, n.kind, n.namespace, n.name, n.owner, n.status, n.status_message,"
    " {pid} FROM nodes n LEFT JOIN nodes p ON p.pk = n.parent_pk WHERE n.pk IN ({marks})"
)


def facts(session: Session, pks: Iterable[int]) -> dict[int, dict[str, Any]]:
    """``{pk: {id, kind, namespace, name, owner, status, status_message, parent_id}}`` for the
    nodes with these pks, as JSON-ready values (deleted nodes are simply absent)."""
    items = list(pks)
    found: dict[int, dict[str, Any]] = {}
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        nid, pid, marker = _SQLITE_UUID.format(c="n.id"), _SQLITE_UUID.format(c="p.id"), "?"
    else:
        nid, pid, marker = "n.id::text", "p.id::text", "%s"
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for i in range(0, len(items), CHUNK):
            chunk = items[i : i + CHUNK]
            marks = ",".join([marker] * len(chunk))
            cursor.execute(_SQL.format(nid=nid, pid=pid, marks=marks), chunk)
            for row in cursor.fetchall():
                found[row[0]] = dict(zip(FIELDS, row[1:], strict=True))
    finally:
        cursor.close()
    return found
