"""All SQL of the collectors: their history, the objects they found, their edges.

Nodes are found and inserted with the ingestion's statements (``catalog_repository``), so a
table collected here and one reported by an OpenLineage event meet on the same unique key.
Bulk writes are ``executemany`` in key order, as everywhere that may race with ingestion.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from dlv.collectors.models import CollectedObject, Collection
from dlv.db import chunks, dialect, with_list
from dlv.ingestion.models import OpenLineageNode
from dlv.ingestion.sql import conn, in_key_order, insert, update_many
from dlv.lineage.models import Edge, EdgeOrigin
from dlv.nodes.models import Node
from dlv.pagination import keyset

ORIGIN = EdgeOrigin.collector.value


@dataclass
class Held:
    """A collected object as stored, with its node's name and the facts it may overwrite."""

    node_pk: int
    name: str
    digest: str
    comment: str | None
    row_estimate: int | None
    gone: bool
    parent_pk: int | None
    description: str | None


def add_collection(session: Session, row: Collection) -> None:
    session.add(row)
    session.flush()


def history(
    session: Session, node_pk: int, *, cursor: str | None, limit: int
) -> Sequence[Collection]:
    stmt = select(Collection).where(Collection.node_pk == node_pk)
    stmt = keyset(stmt, [Collection.id], descending=True, cursor=cursor, limit=limit)
    return session.scalars(stmt).all()


def held(session: Session, source_pk: int) -> dict[str, Held]:
    """What the source's collector found before, by node name."""
    stmt = (
        select(
            CollectedObject.node_pk,
            Node.name,
            CollectedObject.digest,
            CollectedObject.comment,
            CollectedObject.row_estimate,
            CollectedObject.gone_at.is_not(None),
            Node.parent_pk,
            Node.description,
        )
        .join(Node, Node.pk == CollectedObject.node_pk)
        .where(CollectedObject.source_pk == source_pk)
    )
    found: dict[str, Held] = {}
    for pk, name, digest, comment, estimate, gone, parent_pk, description in conn(session).execute(
        stmt
    ):
        found[name] = Held(pk, name, digest, comment, estimate, gone, parent_pk, description)
    return found


def insert_objects(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn(session).execute(
            insert(session, CollectedObject).on_conflict_do_nothing(index_elements=["node_pk"]),
            in_key_order(rows, "node_pk"),
        )


def update_objects(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    update_many(session, CollectedObject, "node_pk", rows)


def delete_objects(session: Session, node_pks: Sequence[int]) -> None:
    for chunk in chunks(sorted(node_pks)):
        conn(session).execute(delete(CollectedObject).where(CollectedObject.node_pk.in_(chunk)))


_FACTS = with_list(
    OpenLineageNode.node_pk,
    "pks",
    lambda among: select(OpenLineageNode.node_pk).where(among),
)


def save_columns(session: Session, columns: dict[int, list[dict[str, Any]]], now: datetime) -> None:
    """Each node's columns where OpenLineage schema facets go (the node page shows them)."""
    if not columns:
        return
    have: set[int] = set()
    for chunk in chunks(sorted(columns)):
        have.update(conn(session).scalars(_FACTS[dialect(session)], {"pks": chunk}))
    new = [
        {"node_pk": pk, "field_times": {}, "columns": cols, "updated_at": now}
        for pk, cols in columns.items()
        if pk not in have
    ]
    if new:
        conn(session).execute(insert(session, OpenLineageNode), in_key_order(new, "node_pk"))
    changed = [
        {"node_pk": pk, "columns": cols, "updated_at": now}
        for pk, cols in columns.items()
        if pk in have
    ]
    update_many(session, OpenLineageNode, "node_pk", changed)


def collector_edges(session: Session, source_pk: int) -> set[tuple[int, int]]:
    """(source, target) of the collector's edges into the objects the source holds."""
    stmt = (
        select(Edge.source_pk, Edge.target_pk)
        .join(CollectedObject, CollectedObject.node_pk == Edge.target_pk)
        .where(CollectedObject.source_pk == source_pk, Edge.origin == ORIGIN)
    )
    return {(int(s), int(t)) for s, t in conn(session).execute(stmt)}


def insert_edges(session: Session, rows: Sequence[dict[str, Any]]) -> list[tuple[int, int]]:
    """Insert edges where none joins the two nodes yet (whatever its origin); those inserted."""
    if not rows:
        return []
    stmt = (
        insert(session, Edge)
        .on_conflict_do_nothing(index_elements=["source_pk", "target_pk"])
        .returning(Edge.source_pk, Edge.target_pk)
    )
    ordered = in_key_order(rows, "source_pk", "target_pk")
    return [(int(s), int(t)) for s, t in conn(session).execute(stmt, ordered)]


_DELETE_EDGE = delete(Edge).where(
    Edge.source_pk == bindparam("s"), Edge.target_pk == bindparam("t"), Edge.origin == ORIGIN
)


def delete_edges(session: Session, pairs: Sequence[tuple[int, int]]) -> None:
    """Delete the collector's edges between these pairs (never an edge of another origin)."""
    if pairs:
        conn(session).execute(_DELETE_EDGE, [{"s": s, "t": t} for s, t in sorted(pairs)])


def update_nodes(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    update_many(session, Node, "pk", rows)


def mark_gone(session: Session, node_pks: Sequence[int], at: datetime) -> None:
    for chunk in chunks(sorted(node_pks)):
        conn(session).execute(
            update(CollectedObject).where(CollectedObject.node_pk.in_(chunk)).values(gone_at=at)
        )


def prunable(session: Session, node_pks: Sequence[int]) -> list[int]:
    """The nodes among these that are no one's parent (a person may have placed one there)."""
    children: set[int] = set()
    for chunk in chunks(sorted(node_pks)):
        stmt = select(Node.parent_pk).where(Node.parent_pk.in_(chunk)).distinct()
        children.update(int(pk) for pk in conn(session).scalars(stmt) if pk is not None)
    return [pk for pk in node_pks if pk not in children]


def delete_nodes(session: Session, node_pks: Sequence[int]) -> None:
    for chunk in chunks(sorted(node_pks)):
        conn(session).execute(delete(Node).where(Node.pk.in_(chunk)))


def collected(session: Session, node_pk: int) -> tuple[CollectedObject, uuid.UUID] | None:
    """The collected facts of a node and its source's id."""
    stmt = (
        select(CollectedObject, Node.id)
        .join(Node, Node.pk == CollectedObject.source_pk)
        .where(CollectedObject.node_pk == node_pk)
    )
    row = session.execute(stmt).first()
    return (row[0], row[1]) if row is not None else None
