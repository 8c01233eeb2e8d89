"""SQL of the import's staging tables and of its whole-document, set-based statements.

Every node key and every edge of the document is staged in a temporary table (PostgreSQL:
``COPY``; SQLite: the driver's ``executemany``); duplicates, parents and edge ends are then
resolved against the catalog by a few statements, so millions of edges never pass through
Python objects twice. SQL text is assembled only from this module's constants (hence the
``noqa: S608``); every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from dlv.db import dialect
from dlv.graph.repository import bind_now, raw_connection
from dlv.nodes.models import SYSTEM_KINDS, NodeKind

STAGED_NODES = "import_nodes"
STAGED_EDGES = "import_edges"
PAIRS = "import_pairs"
PARENT_KINDS = ", ".join(f"'{k.value}'" for k in (*sorted(SYSTEM_KINDS), NodeKind.job))
SQLITE_CACHE_KIB = 262_144  # the import's page cache: index inserts stay in memory

# A version-4 UUID in SQLite's storage form for Uuid (32 lowercase hex digits).
_SQLITE_UUID = (
    "lower(hex(randomblob(4)) || hex(randomblob(2)) || '4' || substr(hex(randomblob(2)), 2)"
    " || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2)"
    " || hex(randomblob(6)))"
)


def prepare_import(session: Session) -> int | None:
    """Staging tables for this transaction, and settings for a bulk load.

    Returns what :func:`finish_import` needs to restore (SQLite's page cache size).
    """
    restore = None
    if dialect(session) == "postgresql":
        # Temporary tables live only in this transaction; a larger work_mem keeps the hash
        # joins of millions of keys in memory (still bounded: one join at a time).
        session.execute(text("SET LOCAL work_mem = '256MB'"))
        temp = "CREATE TEMPORARY TABLE {} ({}) ON COMMIT DROP"
    else:
        restore = int(session.execute(text("PRAGMA cache_size")).scalar_one())
        session.execute(text(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}"))
        for table in (STAGED_NODES, STAGED_EDGES, PAIRS):
            session.execute(text(f"DROP TABLE IF EXISTS temp.{table}"))
        temp = "CREATE TEMPORARY TABLE {} ({})"
    session.execute(
        text(
            temp.format(
                STAGED_NODES,
                "seq INTEGER NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, "
                "parent_namespace TEXT, parent_name TEXT",
            )
        )
    )
    session.execute(
        text(
            temp.format(
                STAGED_EDGES,
                "seq INTEGER NOT NULL, source_namespace TEXT NOT NULL, source_name TEXT NOT NULL,"
                " target_namespace TEXT NOT NULL, target_name TEXT NOT NULL, description TEXT,"
                " origin TEXT NOT NULL",
            )
        )
    )
    return restore


def finish_import(session: Session, restore: int | None) -> None:
    """Drop SQLite's staging tables and restore its cache (PostgreSQL drops them at commit)."""
    if dialect(session) == "sqlite":
        for table in (STAGED_NODES, STAGED_EDGES, PAIRS):
            session.execute(text(f"DROP TABLE IF EXISTS temp.{table}"))
        session.execute(text(f"PRAGMA cache_size = {int(restore or -2000)}"))


def _stage(
    session: Session, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    if not rows:
        return
    raw = raw_connection(session)
    cols = ", ".join(columns)
    if dialect(session) == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    cur = raw.cursor()
    try:
        cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608
    finally:
        cur.close()


def stage_nodes(session: Session, rows: list[tuple[int, str, str, str | None, str | None]]) -> None:
    """(seq, namespace, name, parent namespace, parent name) of document nodes."""
    _stage(
        session, STAGED_NODES, ("seq", "namespace", "name", "parent_namespace", "parent_name"), rows
    )


def stage_edges(
    session: Session, rows: list[tuple[int, str, str, str, str, str | None, str]]
) -> None:
    """(seq, source ns, source name, target ns, target name, description, origin)."""
    columns = (
        "seq",
        "source_namespace",
        "source_name",
        "target_namespace",
        "target_name",
        "description",
        "origin",
    )
    _stage(session, STAGED_EDGES, columns, rows)


# -- import: whole-document checks and set-based writes ------------------------------------------


def duplicate_nodes(session: Session, limit: int) -> list[tuple[str, str, int, int]]:
    """Keys staged more than once: (namespace, name, first seq, last seq)."""
    sql = (
        f"SELECT namespace, name, min(seq), max(seq) FROM {STAGED_NODES} "  # noqa: S608
        "GROUP BY namespace, name HAVING count(*) > 1 ORDER BY min(seq) LIMIT :limit"
    )
    return [tuple(r) for r in session.execute(text(sql), {"limit": limit})]


def parent_problems(session: Session, limit: int) -> list[tuple[int, str | None, bool]]:
    """Staged parents that are unknown, of a kind that cannot contain, or the node itself.

    Rows are (seq, parent kind or None when unknown, parent is the node itself).
    """
    sql = f"""
        SELECT s.seq, p.kind, p.pk = c.pk
        FROM {STAGED_NODES} s
        JOIN nodes c ON c.namespace = s.namespace AND c.name = s.name
        LEFT JOIN nodes p ON p.namespace = s.parent_namespace AND p.name = s.parent_name
        WHERE s.parent_name IS NOT NULL
          AND (p.pk IS NULL OR p.kind NOT IN ({PARENT_KINDS}) OR p.pk = c.pk)
        ORDER BY s.seq LIMIT :limit
    """  # noqa: S608
    return [(r[0], r[1], bool(r[2])) for r in session.execute(text(sql), {"limit": limit})]


def apply_parents(session: Session, now: datetime) -> int:
    """Point staged children at their parents where that changes something; rows changed."""
    distinct = "IS DISTINCT FROM" if dialect(session) == "postgresql" else "IS NOT"
    sql = f"""
        UPDATE nodes SET parent_pk = r.parent_pk, updated_at = :now
        FROM (
            SELECT c.pk AS child_pk, p.pk AS parent_pk
            FROM {STAGED_NODES} s
            JOIN nodes c ON c.namespace = s.namespace AND c.name = s.name
            JOIN nodes p ON p.namespace = s.parent_namespace AND p.name = s.parent_name
            WHERE s.parent_name IS NOT NULL
        ) AS r
        WHERE nodes.pk = r.child_pk AND nodes.parent_pk {distinct} r.parent_pk
    """  # noqa: S608
    result = session.execute(text(sql).bindparams(bind_now(now)))
    return int(result.rowcount)  # type: ignore[attr-defined]


def job_parent_links(session: Session) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(child pk, parent pk) of every node inside a job: the only links that can loop."""
    sql = (
        "SELECT c.pk, c.parent_pk FROM nodes c JOIN nodes p ON p.pk = c.parent_pk "
        "WHERE p.kind = 'job'"
    )
    rows = session.execute(text(sql)).all()
    pairs = np.array(rows, dtype=np.int64).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def seq_of_pks(session: Session, pks: Sequence[int]) -> list[int]:
    """The document positions of the given nodes."""
    sql = f"""
        SELECT s.seq FROM {STAGED_NODES} s
        JOIN nodes c ON c.namespace = s.namespace AND c.name = s.name
        WHERE c.pk IN :pks ORDER BY s.seq
    """  # noqa: S608
    stmt = text(sql).bindparams(bindparam("pks", expanding=True))
    return [r[0] for r in session.execute(stmt, {"pks": list(pks)})]


def count_updated(session: Session, now: datetime) -> int:
    """Nodes this import changed but did not create (both stamped with ``now``)."""
    sql = "SELECT count(*) FROM nodes WHERE updated_at = :now AND created_at <> :now"
    return int(session.execute(text(sql).bindparams(bind_now(now))).scalar_one())


def resolve_edges(session: Session) -> None:
    """Turn staged natural keys into node pks (NULL where no node has the key)."""
    if dialect(session) == "postgresql":
        session.execute(text(f"ANALYZE {STAGED_EDGES}"))
        session.execute(text("ANALYZE nodes"))
        head = f"CREATE TEMPORARY TABLE {PAIRS} ON COMMIT DROP AS"
    else:
        head = f"CREATE TEMPORARY TABLE {PAIRS} AS"
    session.execute(
        text(f"""
        {head}
        SELECT e.seq, s.pk AS source_pk, t.pk AS target_pk, e.description, e.origin
        FROM {STAGED_EDGES} e
        LEFT JOIN nodes s ON s.namespace = e.source_namespace AND s.name = e.source_name
        LEFT JOIN nodes t ON t.namespace = e.target_namespace AND t.name = e.target_name
        """)  # noqa: S608
    )


def unresolved_edges(session: Session, limit: int) -> list[tuple[int, bool, bool]]:
    """(seq, source unknown, target unknown) of edges with an end that is no node."""
    sql = f"""
        SELECT seq, source_pk IS NULL, target_pk IS NULL FROM {PAIRS}
        WHERE source_pk IS NULL OR target_pk IS NULL ORDER BY seq LIMIT :limit
    """  # noqa: S608
    return [(r[0], bool(r[1]), bool(r[2])) for r in session.execute(text(sql), {"limit": limit})]


def insert_edges(session: Session, now: datetime) -> int:
    """Insert the resolved edges that do not exist yet (the first of duplicates wins)."""
    columns = "INSERT INTO edges (id, source_pk, target_pk, description, origin, created_at)"
    if dialect(session) == "postgresql":
        # Not ON CONFLICT: its speculative insertion made this twice as slow. The rows come
        # sorted by (source, target), so the unique index grows at its end.
        sql = f"""
            {columns}
            SELECT gen_random_uuid(), source_pk, target_pk, description, origin, :now
            FROM (
                SELECT DISTINCT ON (source_pk, target_pk) *
                FROM {PAIRS} WHERE source_pk IS NOT NULL AND target_pk IS NOT NULL
                ORDER BY source_pk, target_pk, seq
            ) AS d
            WHERE NOT EXISTS (
                SELECT 1 FROM edges e
                WHERE e.source_pk = d.source_pk AND e.target_pk = d.target_pk
            )
        """  # noqa: S608
    else:
        sql = f"""
            {columns}
            SELECT {_SQLITE_UUID}, source_pk, target_pk, description, origin, :now
            FROM {PAIRS} WHERE source_pk IS NOT NULL AND target_pk IS NOT NULL
            ORDER BY source_pk, target_pk, seq
            ON CONFLICT (source_pk, target_pk) DO NOTHING
        """  # noqa: S608
    result = session.execute(text(sql).bindparams(bind_now(now)))
    return int(result.rowcount)  # type: ignore[attr-defined]
