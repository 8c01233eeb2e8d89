"""The SQL of mapping a batch: catalog nodes, their tags, node facts, runs (edges and column
lineage: ``edges_repository``).

Everything is plain Core on the session's connection, a fixed handful of statements per batch
(``executemany`` for the rows that change): this runs for every event, and the ORM's per-object
bookkeeping costs more than the database does here.

Inserts that may race with another process (nodes, edges) use ON CONFLICT DO NOTHING; rows a
batch folds into (runs, facts, column lineage) are locked in key order on PostgreSQL, so two
writers never lose each other's update. Every write here goes in key order too
(``sql.in_key_order``). Keys are looked up
as ``a IN (...) AND b IN (...)`` (then filtered): SQLite scans a whole index for a row-value
IN list, but searches it for this.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Session

from dlv.db import chunks, dialect, with_list
from dlv.ingestion.models import OpenLineageNode, Run
from dlv.ingestion.sql import conn, in_key_order, insert, update_many
from dlv.nodes.models import Node, NodeKind, NodeTag

Key = tuple[str, str]


# -- nodes and edges ---------------------------------------------------------------------


@dataclass
class NodeRow:
    """The columns of a node the mapping reads and writes."""

    pk: int
    id: uuid.UUID
    kind: str
    namespace: str
    name: str
    parent_pk: int | None
    owners: list[str]
    description: str | None
    status: str
    status_message: str | None


_NODE_COLUMNS = (
    Node.pk,
    Node.id,
    Node.kind,
    Node.namespace,
    Node.name,
    Node.parent_pk,
    Node.owners,
    Node.description,
    Node.status,
    Node.status_message,
)


_NODES_BY_KEY = with_list(
    Node.name,
    "names",
    lambda among: select(*_NODE_COLUMNS).where(Node.namespace == bindparam("namespace"), among),
)
_NODE_IDS = with_list(Node.pk, "pks", lambda among: select(Node.pk, Node.id).where(among))
_NODE_KIND = select(Node.kind).where(Node.pk == bindparam("pk"))
_POSTGRES_SYSTEMS = select(Node.pk, Node.connection).where(Node.kind == NodeKind.postgres.value)


def nodes_by_key(session: Session, keys: Sequence[Key]) -> dict[Key, NodeRow]:
    by_namespace: dict[str, set[str]] = {}
    for namespace, name in keys:
        by_namespace.setdefault(namespace, set()).add(name)
    found: dict[Key, NodeRow] = {}
    for namespace, names in by_namespace.items():
        for chunk in chunks(sorted(names)):
            params = {"namespace": namespace, "names": chunk}
            for row in conn(session).execute(_NODES_BY_KEY[dialect(session)], params):
                found[(row.namespace, row.name)] = NodeRow(*tuple(row))
    return found


def insert_nodes(session: Session, rows: Sequence[dict[str, Any]]) -> list[NodeRow]:
    """Insert the nodes no one else has inserted meanwhile; the ones inserted."""
    if not rows:
        return []
    stmt = (
        insert(session, Node)
        .on_conflict_do_nothing(index_elements=["namespace", "name"])
        .returning(*_NODE_COLUMNS)
    )
    ordered = in_key_order(rows, "namespace", "name")
    return [NodeRow(*tuple(row)) for row in conn(session).execute(stmt, ordered)]


def update_node(session: Session, pk: int, values: dict[str, Any]) -> None:
    conn(session).execute(update(Node).where(Node.pk == pk).values(**values))


def update_nodes(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Rows of ``pk`` and the columns to set."""
    update_many(session, Node, "pk", rows)


def node_ids(session: Session, pks: Iterable[int]) -> dict[int, uuid.UUID]:
    found: dict[int, uuid.UUID] = {}
    for chunk in chunks(sorted(pks)):
        for pk, node_id in conn(session).execute(_NODE_IDS[dialect(session)], {"pks": chunk}):
            found[pk] = node_id
    return found


def node_kind(session: Session, pk: int) -> str | None:
    return conn(session).execute(_NODE_KIND, {"pk": pk}).scalar()


def postgres_systems(session: Session) -> list[tuple[int, dict[str, Any] | None]]:
    return [(pk, connection) for pk, connection in conn(session).execute(_POSTGRES_SYSTEMS)]


_TAGS = with_list(
    NodeTag.node_pk, "pks", lambda among: select(NodeTag.node_pk, NodeTag.tag).where(among)
)


def tags_of(session: Session, pks: Sequence[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for chunk in chunks(sorted(pks)):
        for pk, tag in conn(session).execute(_TAGS[dialect(session)], {"pks": chunk}):
            found.setdefault(pk, set()).add(tag)
    return found


def change_tags(
    session: Session, added: Sequence[tuple[int, str]], removed: Sequence[tuple[int, str]]
) -> None:
    if added:
        rows = [{"node_pk": pk, "tag": tag} for pk, tag in sorted(added)]
        stmt = insert(session, NodeTag).on_conflict_do_nothing()
        conn(session).execute(stmt, rows)
    if removed:
        stmt = delete(NodeTag).where(
            NodeTag.node_pk == bindparam("pk"), NodeTag.tag == bindparam("t")
        )
        conn(session).execute(stmt, [{"pk": pk, "t": tag} for pk, tag in sorted(removed)])


_NODES_BY_PK = with_list(Node.pk, "pks", lambda among: select(*_NODE_COLUMNS).where(among))


def nodes_by_pk(session: Session, pks: Iterable[int]) -> dict[int, NodeRow]:
    found: dict[int, NodeRow] = {}
    for chunk in chunks(sorted(set(pks))):
        for row in conn(session).execute(_NODES_BY_PK[dialect(session)], {"pks": chunk}):
            found[row.pk] = NodeRow(*tuple(row))
    return found


# -- node facts --------------------------------------------------------------------------


@dataclass
class FactsRow:
    """What events said about a node: the small columns (big values are only written)."""

    node_pk: int
    owners: list[str] | None = None
    description: str | None = None
    parent_pk: int | None = None
    tags: list[str] | None = None
    derived: dict[str, Any] | None = None
    field_times: dict[str, list[str]] = field(default_factory=dict)
    health_run_id: uuid.UUID | None = None
    health_time: datetime | None = None
    health_state: str | None = None
    health_message: str | None = None
    new: bool = False
    changed: dict[str, Any] = field(default_factory=dict)

    def set(self, column: str, value: Any) -> None:
        if hasattr(self, column):
            setattr(self, column, value)
        self.changed[column] = value


_FACT_COLUMNS = (
    OpenLineageNode.node_pk,
    OpenLineageNode.owners,
    OpenLineageNode.description,
    OpenLineageNode.parent_pk,
    OpenLineageNode.tags,
    OpenLineageNode.derived,
    OpenLineageNode.field_times,
    OpenLineageNode.health_run_id,
    OpenLineageNode.health_time,
    OpenLineageNode.health_state,
    OpenLineageNode.health_message,
)


# Locked in key order on PostgreSQL. SQLite has no row locks and needs none: the writer
# holds the whole database from BEGIN IMMEDIATE.
_FACTS = with_list(
    OpenLineageNode.node_pk,
    "pks",
    lambda among: select(*_FACT_COLUMNS).where(among).order_by(OpenLineageNode.node_pk),
    lock=True,
)


def facts_for_update(session: Session, pks: Sequence[int]) -> dict[int, FactsRow]:
    stmt = _FACTS[dialect(session)]
    found: dict[int, FactsRow] = {}
    for chunk in chunks(sorted(pks)):
        for row in conn(session).execute(stmt, {"pks": chunk}):
            found[row.node_pk] = FactsRow(**row._mapping)
    return found


_HEALTH = with_list(
    OpenLineageNode.node_pk,
    "pks",
    lambda among: select(
        OpenLineageNode.node_pk,
        OpenLineageNode.health_time,
        OpenLineageNode.health_state,
        OpenLineageNode.health_run_id,
        OpenLineageNode.health_message,
    ).where(among, OpenLineageNode.health_time.is_not(None)),
)


def health_of(session: Session, pks: Iterable[int]) -> dict[int, tuple[Any, ...]]:
    """``{pk: (time, state, run id, message)}`` of the latest run outcome events gave."""
    found: dict[int, tuple[Any, ...]] = {}
    for chunk in chunks(sorted(set(pks))):
        for pk, *health in conn(session).execute(_HEALTH[dialect(session)], {"pks": chunk}):
            found[pk] = tuple(health)
    return found


def save_facts(session: Session, rows: Iterable[FactsRow], now: datetime) -> None:
    new, changed = [], []
    for row in rows:
        if row.new:
            new.append(
                {"node_pk": row.node_pk, "field_times": {}, **row.changed, "updated_at": now}
            )
        elif row.changed:
            changed.append({"node_pk": row.node_pk, **row.changed, "updated_at": now})
    columns = [c.name for c in OpenLineageNode.__table__.columns]
    if new:
        # Every row names every column: one statement for all, whatever each one set.
        full = [
            {**{c: r.get(c) for c in columns}, "field_times": r.get("field_times") or {}}
            for r in new
        ]
        conn(session).execute(insert(session, OpenLineageNode), in_key_order(full, "node_pk"))
    update_many(session, OpenLineageNode, "node_pk", changed)


# -- runs --------------------------------------------------------------------------------

RUN_COLUMNS = tuple(c.name for c in Run.__table__.columns)


_RUNS = with_list(
    Run.id, "ids", lambda among: select(Run.__table__).where(among).order_by(Run.id), lock=True
)


def runs_for_update(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    stmt = _RUNS[dialect(session)]
    found: dict[uuid.UUID, dict[str, Any]] = {}
    for chunk in chunks(sorted(ids)):
        for row in conn(session).execute(stmt, {"ids": chunk}):
            found[row.id] = row._asdict()
    return found


def save_runs(
    session: Session, new: Sequence[dict[str, Any]], changed: Sequence[dict[str, Any]]
) -> None:
    if new:
        conn(session).execute(insert(session, Run), in_key_order(new, "id"))
    update_many(session, Run, "id", changed)
