"""All SQL of the in-memory index: load the graph and the node facts, re-read what changed.

Read with the driver's cursor, not the ORM: a load reads millions of rows, and building ORM
rows (or even SQLAlchemy rows and UUID objects) for each costs more than the index itself.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, and_, or_, select, text
from sqlalchemy.orm import Session

from dlv.db import sqlite_utc_text
from dlv.lineage.models import Edge
from dlv.nodes.models import Node

FETCH_CHUNK = 200_000
CHUNK = 900  # bound parameters per statement: well under SQLite's limit on every build

# UUIDs are formatted by the database: SQLite keeps them as 32 hex characters.
_SQLITE_UUID = (
    "substr(id,1,8)||'-'||substr(id,9,4)||'-'||substr(id,13,4)||'-'||substr(id,17,4)"
    "||'-'||substr(id,21)"
)
# The columns of facts.FIELDS, after the pk.
_FACTS = "SELECT pk, {id}, kind, namespace, name, {owners}, status, status_message FROM nodes"


def _cursor(conn: Connection) -> Any:
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def _int_rows(conn: Connection, sql: str, params: Sequence[Any] = (), width: int = 2) -> np.ndarray:
    # The driver's cursor straight into numpy, in chunks: integer columns of millions of
    # rows would otherwise become millions of Python objects.
    cursor = _cursor(conn)
    parts = []
    try:
        if params:
            cursor.execute(sql, params)
        else:
            cursor.execute(sql)
        while rows := cursor.fetchmany(FETCH_CHUNK):
            flat = itertools.chain.from_iterable(rows)
            parts.append(np.fromiter(flat, dtype=np.int64, count=width * len(rows)))
    finally:
        cursor.close()
    if not parts:
        return np.empty((0, width), dtype=np.int64)
    return np.concatenate(parts).reshape(-1, width)


def last_seq(conn: Connection) -> int:
    return int(conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM lineage_changes")).scalar_one())


def max_pk(conn: Connection) -> int:
    return int(conn.execute(text("SELECT COALESCE(MAX(pk), 0) FROM nodes")).scalar_one())


def edge_pairs(conn: Connection) -> np.ndarray:
    """Every flow edge that is not stale as an (n, 2) array of (source pk, target pk)."""
    return _int_rows(conn, "SELECT source_pk, target_pk FROM edges WHERE stale_since IS NULL")


def edge_pairs_at(conn: Connection, as_of: datetime | None) -> tuple[np.ndarray, np.ndarray]:
    """The flow edges of the graph as it was at ``as_of`` (None: now, stale ones included),
    as (n, 2) pairs, and the pairs among them that are stale now (to show them as such)."""
    sql = "SELECT source_pk, target_pk, CASE WHEN stale_since IS NULL THEN 0 ELSE 1 END FROM edges"
    params: list[Any] = []
    if as_of is not None:
        # An edge was there from when it was first seen until it went stale (if it did).
        mark = "?" if conn.dialect.name == "sqlite" else "%s"
        at = sqlite_utc_text(as_of) if conn.dialect.name == "sqlite" else as_of
        sql += (
            f" WHERE COALESCE(first_seen_at, created_at) <= {mark}"
            f" AND (stale_since IS NULL OR stale_since > {mark})"
        )
        params = [at, at]
    rows = _int_rows(conn, sql, params, 3)
    return rows[:, :2], rows[rows[:, 2] == 1, :2]


def parent_pairs(conn: Connection) -> np.ndarray:
    """Every containment as an (n, 2) array of (parent pk, child pk)."""
    return _int_rows(conn, "SELECT parent_pk, pk FROM nodes WHERE parent_pk IS NOT NULL")


def _facts_sql(conn: Connection, where: str = "") -> str:
    if conn.dialect.name == "sqlite":
        return _FACTS.format(id=_SQLITE_UUID, owners="owners") + where
    return _FACTS.format(id="id::text", owners="owners::text") + where


def all_facts(conn: Connection) -> Iterator[tuple[Any, ...]]:
    """``(pk, *facts.FIELDS)`` of every node, streamed."""
    cursor = _cursor(conn)
    try:
        cursor.execute(_facts_sql(conn))
        while rows := cursor.fetchmany(FETCH_CHUNK // 4):
            yield from rows
    finally:
        cursor.close()


def facts(conn: Connection, pks: Iterable[int]) -> list[tuple[Any, ...]]:
    """``(pk, *facts.FIELDS)`` of the nodes with these pks that exist."""
    items = list(pks)
    marker = "?" if conn.dialect.name == "sqlite" else "%s"
    found: list[tuple[Any, ...]] = []
    cursor = _cursor(conn)
    try:
        for i in range(0, len(items), CHUNK):
            chunk = items[i : i + CHUNK]
            cursor.execute(
                _facts_sql(conn, f" WHERE pk IN ({','.join([marker] * len(chunk))})"), chunk
            )
            found.extend(cursor.fetchall())
    finally:
        cursor.close()
    return found


def existing_edges(session: Session, pairs: Sequence[tuple[int, int]]) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    for i in range(0, len(pairs), 500):
        chunk = pairs[i : i + 500]
        stmt = select(Edge.source_pk, Edge.target_pk).where(
            or_(*(and_(Edge.source_pk == a, Edge.target_pk == b) for a, b in chunk)),
            Edge.stale_since.is_(None),
        )
        found.update((a, b) for a, b in session.execute(stmt))
    return found


def parents(session: Session, pks: Sequence[int]) -> dict[int, int]:
    """``{pk: parent pk or -1}`` for the nodes that still exist."""
    result: dict[int, int] = {}
    for i in range(0, len(pks), 5000):
        stmt = select(Node.pk, Node.parent_pk).where(Node.pk.in_(pks[i : i + 5000]))
        result.update(
            (pk, parent if parent is not None else -1) for pk, parent in session.execute(stmt)
        )
    return result
