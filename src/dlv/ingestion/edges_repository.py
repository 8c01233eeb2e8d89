"""The SQL of what flows: edges (found, drawn, seen again, gone stale), the jobs writing a
dataset, and column lineage. Plain Core, a fixed handful of statements per batch (see
``catalog_repository``); keys are looked up as pairs joined from one parameter."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_core import to_json
from sqlalchemy import Integer, and_, bindparam, func, literal_column, or_, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from dlv.db import DIALECTS, chunks, dialect, member_of, with_list
from dlv.ingestion.models import ColumnLineage
from dlv.ingestion.sql import conn, in_key_order, insert, postgres, update_many
from dlv.lineage.models import OBSERVED_ORIGINS, Edge
from dlv.nodes.models import Node, NodeKind


def _pairs_table(session: Session) -> Any:
    """The (source, target) pairs of one parameter, as a table to join: every pair is one
    index probe. (IN lists on both columns would probe their cross product.)"""
    if postgres(session):
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
        if postgres(session):
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
    if postgres(session):
        params = {"sources": [s for s, _ in items], "targets": [t for _, t in items]}
    else:
        params = {"pairs": to_json(items).decode()}
    rows = conn(session).execute(_edges_between_stmt(session), params)
    return {(row[0], row[1]): EdgeRow(*row[2:]) for row in rows}


def update_edges(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Rows of ``id`` and the columns to set."""
    update_many(session, Edge, "id", rows)


@dataclass(frozen=True)
class LiveEdge:
    """An observed edge that is not stale, as aging reads it."""

    id: uuid.UUID
    source_pk: int
    target_pk: int
    last_seen_at: datetime | None
    last_run_id: uuid.UUID | None


def _live_observed(dialect_name: str) -> Any:
    # One statement for both directions (SQLite ORs the two indexes): half the round trips
    # of a job's completion, which a single-event delivery pays in full.
    touching = or_(
        member_of(Edge.source_pk, "pks", dialect_name),
        member_of(Edge.target_pk, "pks", dialect_name),
    )
    return select(
        Edge.id, Edge.source_pk, Edge.target_pk, Edge.last_seen_at, Edge.last_run_id
    ).where(touching, Edge.origin.in_(sorted(OBSERVED_ORIGINS)), Edge.stale_since.is_(None))


_LIVE = {name: _live_observed(name) for name in DIALECTS}


def live_observed_edges(session: Session, job_pks: Iterable[int]) -> list[LiveEdge]:
    """The observed edges in and out of these jobs that are not stale."""
    found: dict[uuid.UUID, LiveEdge] = {}
    for chunk in chunks(sorted(set(job_pks))):
        for row in conn(session).execute(_LIVE[dialect(session)], {"pks": chunk}):
            found[row.id] = LiveEdge(*row)
    return list(found.values())


def make_stale(session: Session, edge_id: uuid.UUID, unseen_since: datetime, at: datetime) -> bool:
    """Mark an edge stale (``stale_since`` = ``at``) unless an event reported it since
    ``unseen_since`` meanwhile (checked again on the row, under its lock); whether it was."""
    stmt = (
        update(Edge)
        .where(Edge.id == edge_id, Edge.stale_since.is_(None), Edge.last_seen_at < unseen_since)
        .values(stale_since=at)
        .returning(Edge.id)
    )
    return conn(session).execute(stmt).first() is not None


def insert_edges(
    session: Session, rows: Sequence[dict[str, Any]]
) -> list[tuple[uuid.UUID, int, int]]:
    """Insert edges no one else has inserted meanwhile; (id, source, target) of those."""
    if not rows:
        return []
    stmt = (
        insert(session, Edge)
        .on_conflict_do_nothing(index_elements=["source_pk", "target_pk"])
        .returning(Edge.id, Edge.source_pk, Edge.target_pk)
    )
    ordered = in_key_order(rows, "source_pk", "target_pk")
    return [(edge_id, s, t) for edge_id, s, t in conn(session).execute(stmt, ordered)]


def _flows(known: Any, other: Any, kind: NodeKind) -> dict[str, Any]:
    """(source, target, the other end's status) of the live edges whose ``known`` end is
    among "pks" and whose ``other`` end is a node of ``kind``."""
    node = Node.__table__.alias(f"{other.key}_node")
    return with_list(
        known,
        "pks",
        lambda among: (
            select(Edge.source_pk, Edge.target_pk, node.c.status)
            .join(node, node.c.pk == other)
            .where(among, Edge.stale_since.is_(None), node.c.kind == kind.value)
        ),
    )


_OUTPUTS = _flows(Edge.source_pk, Edge.target_pk, NodeKind.dataset)
_PRODUCERS = _flows(Edge.target_pk, Edge.source_pk, NodeKind.job)


def _flows_of(
    session: Session, statements: dict[str, Any], pks: Iterable[int]
) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    for chunk in chunks(sorted(set(pks))):
        rows = conn(session).execute(statements[dialect(session)], {"pks": chunk})
        found.extend((a, b, status) for a, b, status in rows)
    return found


def outputs_of(session: Session, job_pks: Iterable[int]) -> list[tuple[int, int, str]]:
    """(job, dataset, the dataset's status) of the datasets the jobs write (edges that are
    not stale)."""
    return _flows_of(session, _OUTPUTS, job_pks)


def producers_of(session: Session, dataset_pks: Iterable[int]) -> list[tuple[int, int]]:
    """(job, dataset) of the jobs that write the datasets (edges that are not stale)."""
    return [(job, dataset) for job, dataset, _ in _flows_of(session, _PRODUCERS, dataset_pks)]


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
        for edge_id, time, digest in conn(session).execute(stmt, {"ids": chunk}):
            found[edge_id] = (time, digest)
    return found


def save_column_lineages(
    session: Session, new: Sequence[dict[str, Any]], changed: Sequence[dict[str, Any]]
) -> None:
    if new:
        conn(session).execute(insert(session, ColumnLineage), in_key_order(new, "edge_id"))
    update_many(session, ColumnLineage, "edge_id", changed)
