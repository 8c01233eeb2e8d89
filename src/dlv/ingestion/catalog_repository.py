"""The SQL of mapping a batch: catalog nodes and edges, node facts, runs, column lineage.

Everything is plain Core on the session's connection, a fixed handful of statements per batch
(``executemany`` for the rows that change): this runs for every event, and the ORM's per-object
bookkeeping costs more than the database does here.

Inserts that may race with another process (nodes, edges) use ON CONFLICT DO NOTHING; rows a
batch folds into (runs, facts, column lineage) are locked in key order on PostgreSQL, so two
writers never lose each other's update. Every write here goes in key order too
(``_in_key_order``): two processes inserting the same new nodes or edges in different orders
each waited for a row the other held, and PostgreSQL killed one as a deadlock. Keys are looked up
as ``a IN (...) AND b IN (...)`` (then filtered): SQLite scans a whole index for a row-value
IN list, but searches it for this.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from pydantic_core import to_json
from sqlalchemy import (
    Connection,
    Integer,
    and_,
    bindparam,
    delete,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dlv.db import chunks, dialect, with_list
from dlv.ingestion.models import ColumnLineage, OpenLineageNode, Run
from dlv.lineage.models import OBSERVED_ORIGINS, Edge
from dlv.nodes.models import Node, NodeKind, NodeTag

Key = tuple[str, str]


def _conn(session: Session) -> Connection:
    return session.connection()


def _postgres(session: Session) -> bool:
    return dialect(session) == "postgresql"


def _insert(session: Session, table: Any) -> Any:
    # ON CONFLICT is dialect syntax; both supported databases spell it the same way.
    return postgresql.insert(table) if _postgres(session) else sqlite.insert(table)


def _in_key_order(rows: Iterable[dict[str, Any]], *key: str) -> list[dict[str, Any]]:
    """The rows sorted by their unique key: the order every write takes its row locks in."""
    return sorted(rows, key=itemgetter(*key))


# Statements are built once: building one costs more than running it (every IN value
# would be an object of its own; an expanding parameter takes the list at execution).
_UPDATES: dict[tuple[Any, str, tuple[str, ...]], Any] = {}


def _update_many(session: Session, table: Any, key: str, rows: Sequence[dict[str, Any]]) -> None:
    """One executemany UPDATE per set of changed columns (``rows`` carry ``key`` too)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in _in_key_order(rows, key):
        groups.setdefault(tuple(sorted(c for c in row if c != key)), []).append(row)
    for columns, group in groups.items():
        stmt = _UPDATES.get((table, key, columns))
        if stmt is None:
            stmt = _UPDATES[(table, key, columns)] = (
                update(table)
                .where(getattr(table, key) == bindparam(f"b_{key}"))
                .values({c: bindparam(f"b_{c}") for c in columns})
            )
        _conn(session).execute(stmt, [{"b_" + c: v for c, v in r.items()} for r in group])


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
            for row in _conn(session).execute(_NODES_BY_KEY[dialect(session)], params):
                found[(row.namespace, row.name)] = NodeRow(*tuple(row))
    return found


def insert_nodes(session: Session, rows: Sequence[dict[str, Any]]) -> list[NodeRow]:
    """Insert the nodes no one else has inserted meanwhile; the ones inserted."""
    if not rows:
        return []
    stmt = (
        _insert(session, Node)
        .on_conflict_do_nothing(index_elements=["namespace", "name"])
        .returning(*_NODE_COLUMNS)
    )
    ordered = _in_key_order(rows, "namespace", "name")
    return [NodeRow(*tuple(row)) for row in _conn(session).execute(stmt, ordered)]


def update_node(session: Session, pk: int, values: dict[str, Any]) -> None:
    _conn(session).execute(update(Node).where(Node.pk == pk).values(**values))


def update_nodes(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Rows of ``pk`` and the columns to set."""
    _update_many(session, Node, "pk", rows)


def node_ids(session: Session, pks: Iterable[int]) -> dict[int, uuid.UUID]:
    found: dict[int, uuid.UUID] = {}
    for chunk in chunks(sorted(pks)):
        for pk, node_id in _conn(session).execute(_NODE_IDS[dialect(session)], {"pks": chunk}):
            found[pk] = node_id
    return found


def node_kind(session: Session, pk: int) -> str | None:
    return _conn(session).execute(_NODE_KIND, {"pk": pk}).scalar()


def postgres_systems(session: Session) -> list[tuple[int, dict[str, Any] | None]]:
    return [(pk, connection) for pk, connection in _conn(session).execute(_POSTGRES_SYSTEMS)]


_TAGS = with_list(
    NodeTag.node_pk, "pks", lambda among: select(NodeTag.node_pk, NodeTag.tag).where(among)
)


def tags_of(session: Session, pks: Sequence[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for chunk in chunks(sorted(pks)):
        for pk, tag in _conn(session).execute(_TAGS[dialect(session)], {"pks": chunk}):
            found.setdefault(pk, set()).add(tag)
    return found


def change_tags(
    session: Session, added: Sequence[tuple[int, str]], removed: Sequence[tuple[int, str]]
) -> None:
    if added:
        rows = [{"node_pk": pk, "tag": tag} for pk, tag in sorted(added)]
        stmt = _insert(session, NodeTag).on_conflict_do_nothing()
        _conn(session).execute(stmt, rows)
    if removed:
        stmt = delete(NodeTag).where(
            NodeTag.node_pk == bindparam("pk"), NodeTag.tag == bindparam("t")
        )
        _conn(session).execute(stmt, [{"pk": pk, "t": tag} for pk, tag in sorted(removed)])


def _pairs_table(session: Session) -> Any:
    """The (source, target) pairs of one parameter, as a table to join: every pair is one
    index probe. (IN lists on both columns would probe their cross product.)"""
    if _postgres(session):
        return (
            func.unnest(
                bindparam("sources", type_=postgresql.ARRAY(Integer)),
                bindparam("targets", type_=postgresql.ARRAY(Integer)),
            )
            .table_valued("s", "t")
            .render_derived()
        )
    return func.json_each(bindparam("pairs")).table_valued("value")


def _edges_between_stmt(session: Session) -> Any:
    database = dialect(session)
    stmt = _EDGE_STATEMENTS.get(database)
    if stmt is None:
        pairs = _pairs_table(session)
        if _postgres(session):
            source, target = pairs.c.s, pairs.c.t
        else:
            source = func.json_extract(pairs.c.value, literal_column("'$[0]'"))
            target = func.json_extract(pairs.c.value, literal_column("'$[1]'"))
        stmt = _EDGE_STATEMENTS[database] = (
            select(Edge.source_pk, Edge.target_pk, *_EDGE_COLUMNS)
            .select_from(pairs)
            .join(Edge, and_(Edge.source_pk == source, Edge.target_pk == target))
        )
    return stmt


_EDGE_STATEMENTS: dict[str, Any] = {}


@dataclass
class EdgeRow:
    """The columns of an edge the mapping reads and writes."""

    id: uuid.UUID
    origin: str
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    last_run_id: uuid.UUID | None
    stale_since: datetime | None


_EDGE_COLUMNS = (
    Edge.id,
    Edge.origin,
    Edge.first_seen_at,
    Edge.last_seen_at,
    Edge.last_run_id,
    Edge.stale_since,
)


def edges_between(
    session: Session, pairs: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], EdgeRow]:
    """``{(source, target): the edge}`` for the pairs that have an edge."""
    if not pairs:
        return {}
    items = sorted(set(pairs))
    params: dict[str, Any]
    if _postgres(session):
        params = {"sources": [s for s, _ in items], "targets": [t for _, t in items]}
    else:
        params = {"pairs": to_json(items).decode()}
    rows = _conn(session).execute(_edges_between_stmt(session), params)
    return {(row[0], row[1]): EdgeRow(*row[2:]) for row in rows}


def update_edges(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Rows of ``id`` and the columns to set."""
    _update_many(session, Edge, "id", rows)


def run_reported_edges(session: Session, job_pk: int, run_id: uuid.UUID) -> bool:
    """Whether any edge in or out of the job was last reported by this run."""
    stmt = (
        select(Edge.id)
        .where(or_(Edge.source_pk == job_pk, Edge.target_pk == job_pk), Edge.last_run_id == run_id)
        .limit(1)
    )
    return _conn(session).execute(stmt).first() is not None


def stale_edges_of(
    session: Session, job_pk: int, since: datetime
) -> list[tuple[uuid.UUID, int, int]]:
    """Mark stale (``stale_since``) the observed edges in and out of a job that no event
    reported since ``since``; (id, source, target) of those."""
    stmt = (
        update(Edge)
        .where(
            or_(Edge.source_pk == job_pk, Edge.target_pk == job_pk),
            Edge.origin.in_(sorted(OBSERVED_ORIGINS)),
            Edge.stale_since.is_(None),
            Edge.last_seen_at < since,
        )
        .values(stale_since=since)
        .returning(Edge.id, Edge.source_pk, Edge.target_pk)
    )
    return sorted((edge_id, s, t) for edge_id, s, t in _conn(session).execute(stmt))


def insert_edges(
    session: Session, rows: Sequence[dict[str, Any]]
) -> list[tuple[uuid.UUID, int, int]]:
    """Insert edges no one else has inserted meanwhile; (id, source, target) of those."""
    if not rows:
        return []
    stmt = (
        _insert(session, Edge)
        .on_conflict_do_nothing(index_elements=["source_pk", "target_pk"])
        .returning(Edge.id, Edge.source_pk, Edge.target_pk)
    )
    ordered = _in_key_order(rows, "source_pk", "target_pk")
    return [(edge_id, s, t) for edge_id, s, t in _conn(session).execute(stmt, ordered)]


_target = Node.__table__.alias("target_node")
_source = Node.__table__.alias("source_node")
_OUTPUTS = with_list(
    Edge.source_pk,
    "pks",
    lambda among: (
        select(Edge.source_pk, Edge.target_pk)
        .join(_target, _target.c.pk == Edge.target_pk)
        .where(among, Edge.stale_since.is_(None), _target.c.kind == NodeKind.dataset.value)
    ),
)
_PRODUCERS = with_list(
    Edge.target_pk,
    "pks",
    lambda among: (
        select(Edge.source_pk, Edge.target_pk)
        .join(_source, _source.c.pk == Edge.source_pk)
        .where(among, Edge.stale_since.is_(None), _source.c.kind == NodeKind.job.value)
    ),
)


def _pairs(
    session: Session, statements: dict[str, Any], pks: Iterable[int]
) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for chunk in chunks(sorted(set(pks))):
        found.extend(
            (a, b) for a, b in _conn(session).execute(statements[dialect(session)], {"pks": chunk})
        )
    return found


def outputs_of(session: Session, job_pks: Iterable[int]) -> list[tuple[int, int]]:
    """(job, dataset) of the datasets the jobs write (edges that are not stale)."""
    return _pairs(session, _OUTPUTS, job_pks)


def producers_of(session: Session, dataset_pks: Iterable[int]) -> list[tuple[int, int]]:
    """(job, dataset) of the jobs that write the datasets (edges that are not stale)."""
    return _pairs(session, _PRODUCERS, dataset_pks)


_NODES_BY_PK = with_list(Node.pk, "pks", lambda among: select(*_NODE_COLUMNS).where(among))


def nodes_by_pk(session: Session, pks: Iterable[int]) -> dict[int, NodeRow]:
    found: dict[int, NodeRow] = {}
    for chunk in chunks(sorted(set(pks))):
        for row in _conn(session).execute(_NODES_BY_PK[dialect(session)], {"pks": chunk}):
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
        for row in _conn(session).execute(stmt, {"pks": chunk}):
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
        for pk, *health in _conn(session).execute(_HEALTH[dialect(session)], {"pks": chunk}):
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
        _conn(session).execute(_insert(session, OpenLineageNode), _in_key_order(full, "node_pk"))
    _update_many(session, OpenLineageNode, "node_pk", changed)


# -- runs --------------------------------------------------------------------------------

RUN_COLUMNS = tuple(c.name for c in Run.__table__.columns)


_RUNS = with_list(
    Run.id, "ids", lambda among: select(Run.__table__).where(among).order_by(Run.id), lock=True
)


def runs_for_update(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    stmt = _RUNS[dialect(session)]
    found: dict[uuid.UUID, dict[str, Any]] = {}
    for chunk in chunks(sorted(ids)):
        for row in _conn(session).execute(stmt, {"ids": chunk}):
            found[row.id] = row._asdict()
    return found


def save_runs(
    session: Session, new: Sequence[dict[str, Any]], changed: Sequence[dict[str, Any]]
) -> None:
    if new:
        _conn(session).execute(_insert(session, Run), _in_key_order(new, "id"))
    _update_many(session, Run, "id", changed)


# -- column lineage ----------------------------------------------------------------------


_DIGESTS = with_list(
    ColumnLineage.edge_id,
    "ids",
    lambda among: (
        select(ColumnLineage.edge_id, ColumnLineage.event_time, ColumnLineage.digest)
        .where(among)
        .order_by(ColumnLineage.edge_id)
    ),
    lock=True,
)


def column_digests_for_update(
    session: Session, edge_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[datetime, str]]:
    stmt = _DIGESTS[dialect(session)]
    found: dict[uuid.UUID, tuple[datetime, str]] = {}
    for chunk in chunks(sorted(edge_ids)):
        for edge_id, time, digest in _conn(session).execute(stmt, {"ids": chunk}):
            found[edge_id] = (time, digest)
    return found


def save_column_lineages(
    session: Session, new: Sequence[dict[str, Any]], changed: Sequence[dict[str, Any]]
) -> None:
    if new:
        _conn(session).execute(_insert(session, ColumnLineage), _in_key_order(new, "edge_id"))
    _update_many(session, ColumnLineage, "edge_id", changed)
