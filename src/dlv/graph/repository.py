"""SQL of graph import (a batch of nodes at a time) and of export.

Bulk paths bypass the ORM: one statement per batch (PostgreSQL: ``unnest`` of array
parameters; SQLite: the driver's ``executemany``). The staging tables and the set-based
statements that run once the document has ended are in ``dlv.graph.staging``. SQL text is
assembled only from this module's constants (hence the ``noqa: S608``); every value is a
bound parameter.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from dlv.db import UTCDateTime, dialect
from dlv.lineage.models import Edge
from dlv.nodes.models import Annotation, Node, NodeTag

nodes_t = cast(Table, Node.__table__)
tags_t = cast(Table, NodeTag.__table__)
annotations_t = cast(Table, Annotation.__table__)
edges_t = cast(Table, Edge.__table__)


def bind_now(value: datetime) -> Any:
    return bindparam("now", value, type_=UTCDateTime())


def raw_connection(session: Session) -> Any:
    """The DBAPI connection under the session's transaction (for COPY and executemany)."""
    return session.connection().connection.dbapi_connection


# -- import: set up and tear down ------------------------------------------------------------


# -- import: nodes, batch by batch -----------------------------------------------------------


def _by_keys(session: Session, columns: Sequence[Any], keys: Sequence[tuple[str, str]]) -> Any:
    c = nodes_t.c
    stmt = select(*columns)
    if dialect(session) == "postgresql":
        # Two array parameters instead of thousands of row values (which overflow the
        # planner's stack).
        wanted = (
            select(
                func.unnest(bindparam("ns", type_=ARRAY(Text))).label("namespace"),
                func.unnest(bindparam("names", type_=ARRAY(Text))).label("name"),
            )
        ).subquery()
        stmt = stmt.join(wanted, (c.namespace == wanted.c.namespace) & (c.name == wanted.c.name))
        params = {"ns": [k[0] for k in keys], "names": [k[1] for k in keys]}
        return session.execute(stmt, params).all()
    # One JSON parameter: the statement text stays the same whatever the batch size, so
    # the driver's statement cache does not fill with huge one-off prepared statements.
    stmt = stmt.where(
        text(
            "(nodes.namespace, nodes.name) IN "
            "(SELECT value ->> 0, value ->> 1 FROM json_each(:keys))"
        )
    )
    return session.execute(stmt, {"keys": json.dumps(keys)}).all()


def existing_nodes(session: Session, keys: Sequence[tuple[str, str]]) -> Sequence[Any]:
    """The stored nodes among ``keys``."""
    c = nodes_t.c
    columns = (
        c.pk,
        c.namespace,
        c.name,
        c.kind,
        c.parent_pk,
        c.description,
        c.owners,
        c.connection,
        c.connection_secrets,
        c.secret_fields,
    )
    return _by_keys(session, columns, keys) if keys else []


def node_refs(session: Session, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """{key: (pk, kind)} of the stored nodes among ``keys``."""
    if not keys:
        return {}
    c = nodes_t.c
    rows = _by_keys(session, (c.namespace, c.name, c.pk, c.kind), keys)
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def tags_of(session: Session, pks: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if pks:
        stmt = select(tags_t.c.node_pk, tags_t.c.tag).where(tags_t.c.node_pk.in_(pks))
        for pk, tag in session.execute(stmt.order_by(tags_t.c.node_pk, tags_t.c.tag)):
            found.setdefault(pk, []).append(tag)
    return found


def annotations_of(
    session: Session, pks: Sequence[int]
) -> dict[int, set[tuple[str, str, datetime]]]:
    found: dict[int, set[tuple[str, str, datetime]]] = {}
    if pks:
        a = annotations_t.c
        stmt = select(a.node_pk, a.text, a.author, a.created_at).where(a.node_pk.in_(pks))
        for pk, body, author, at in session.execute(stmt):
            found.setdefault(pk, set()).add((body, author, at))
    return found


_NODE_COLUMNS = (
    ("id", "uuid"),
    ("kind", "text"),
    ("namespace", "text"),
    ("name", "text"),
    ("parent_pk", "integer"),
    ("description", "text"),
    ("owner", "text"),
    ("owners", "json"),
    ("connection", "json"),
    ("connection_secrets", "text"),
    ("secret_fields", "json"),
    ("status", "text"),
    ("check_interval_seconds", "integer"),
    ("next_check_at", "timestamptz"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
)


def insert_nodes(session: Session, rows: list[dict[str, Any]]) -> dict[uuid.UUID, int]:
    """Insert nodes; their pks by id."""
    if not rows:
        return {}
    if dialect(session) == "postgresql":
        # One statement per batch: each column is one array parameter (JSON as text).
        arrays: dict[str, list[Any]] = {}
        for name, kind in _NODE_COLUMNS:
            column = [r[name] for r in rows]
            arrays[name] = [json.dumps(v) for v in column] if kind == "json" else column
        casts = ", ".join(
            f"CAST(:{name} AS {'text' if kind == 'json' else kind}[])"
            for name, kind in _NODE_COLUMNS
        )
        names = ", ".join(name for name, _ in _NODE_COLUMNS)
        picks = ", ".join(
            f"{name}::json" if kind == "json" else name for name, kind in _NODE_COLUMNS
        )
        sql = (
            f"INSERT INTO nodes ({names}) SELECT {picks} FROM unnest({casts}) "  # noqa: S608
            f"AS r({names}) RETURNING id, pk"
        )
        return {row[0]: row[1] for row in session.execute(text(sql), arrays)}
    # SQLite: the driver's executemany with one fixed statement, values converted by the
    # columns' own types. Rows above the largest pk are ours: the write lock is held.
    bind = session.get_bind().dialect
    columns = [name for name, _ in _NODE_COLUMNS]
    convert = [nodes_t.c[name].type.dialect_impl(bind).bind_processor(bind) for name in columns]
    values = [
        tuple(f(r[n]) if f else r[n] for n, f in zip(columns, convert, strict=True)) for r in rows
    ]
    before = session.execute(text("SELECT coalesce(max(pk), 0) FROM nodes")).scalar_one()
    raw = raw_connection(session).cursor()
    try:
        marks = ", ".join("?" for _ in columns)
        raw.executemany(f"INSERT INTO nodes ({', '.join(columns)}) VALUES ({marks})", values)  # noqa: S608
    finally:
        raw.close()
    new = select(nodes_t.c.id, nodes_t.c.pk).where(nodes_t.c.pk > before)
    return {row[0]: row[1] for row in session.execute(new)}


def update_nodes(session: Session, rows: list[dict[str, Any]]) -> None:
    """Rewrite the mutable fields of nodes; row keys are the column names prefixed ``b_``."""
    if not rows:
        return
    c = nodes_t.c
    stmt = (
        update(nodes_t)
        .where(c.pk == bindparam("b_pk"))
        .values(
            description=bindparam("b_description"),
            owner=bindparam("b_owner"),
            owners=bindparam("b_owners", type_=c.owners.type),
            parent_pk=bindparam("b_parent_pk"),
            connection=bindparam("b_connection", type_=c.connection.type),
            connection_secrets=bindparam("b_connection_secrets"),
            secret_fields=bindparam("b_secret_fields", type_=c.secret_fields.type),
            updated_at=bindparam("b_updated_at", type_=UTCDateTime()),
        )
    )
    session.connection().execute(stmt, rows)


def replace_tags(session: Session, pks: Sequence[int], rows: list[dict[str, Any]]) -> None:
    if pks:
        session.execute(delete(tags_t).where(tags_t.c.node_pk.in_(pks)))
    if rows:
        session.execute(insert(tags_t), rows)


def insert_annotations(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(annotations_t), rows)


# -- export ------------------------------------------------------------------------------------


def _sorted(session: Session, column: Any) -> Any:
    # Byte order on both databases, so an export is the same whatever the server's locale.
    return column.collate("C") if dialect(session) == "postgresql" else column


def export_nodes(session: Session, batch: int) -> Iterator[Sequence[Any]]:
    """Nodes with their parent's key, by (namespace, name), ``batch`` rows at a time."""
    n, p = nodes_t.alias("n"), nodes_t.alias("p")
    stmt = (
        select(
            n.c.pk,
            n.c.kind,
            n.c.namespace,
            n.c.name,
            p.c.namespace,
            p.c.name,
            n.c.description,
            n.c.owners,
            n.c.connection,
        )
        .select_from(n.outerjoin(p, p.c.pk == n.c.parent_pk))
        .order_by(_sorted(session, n.c.namespace), _sorted(session, n.c.name))
    )
    result = session.execute(stmt, execution_options={"yield_per": batch})
    yield from result.partitions()


def export_edges(session: Session, batch: int) -> Iterator[Sequence[Any]]:
    """Edges with both ends' keys, by source key then target key."""
    s, t, e = nodes_t.alias("s"), nodes_t.alias("t"), edges_t
    stmt = (
        select(s.c.namespace, s.c.name, t.c.namespace, t.c.name, e.c.description, e.c.origin)
        .select_from(e.join(s, s.c.pk == e.c.source_pk).join(t, t.c.pk == e.c.target_pk))
        .order_by(
            _sorted(session, s.c.namespace),
            _sorted(session, s.c.name),
            _sorted(session, t.c.namespace),
            _sorted(session, t.c.name),
        )
    )
    result = session.execute(stmt, execution_options={"yield_per": batch})
    yield from result.partitions()


def export_annotations(session: Session, pks: Sequence[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    if pks:
        a = annotations_t.c
        stmt = (
            select(a.node_pk, a.text, a.author, a.created_at)
            .where(a.node_pk.in_(pks))
            .order_by(a.node_pk, a.created_at, _sorted(session, a.author), _sorted(session, a.text))
        )
        for row in session.execute(stmt):
            found.setdefault(row[0], []).append(row)
    return found
