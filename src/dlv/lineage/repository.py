"""All SQL of edges."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dlv.lineage.models import Edge
from dlv.pagination import keyset


def get(session: Session, edge_id: uuid.UUID) -> Edge | None:
    return session.get(Edge, edge_id)


def get_by_ends(session: Session, source_pk: int, target_pk: int) -> Edge | None:
    stmt = select(Edge).where(Edge.source_pk == source_pk, Edge.target_pk == target_pk)
    return session.scalars(stmt).first()


def search(
    session: Session,
    *,
    node_pk: int | None,
    source_pk: int | None,
    target_pk: int | None,
    include_stale: bool,
    cursor: str | None,
    limit: int,
) -> Sequence[Edge]:
    stmt = select(Edge)
    if not include_stale:
        stmt = stmt.where(Edge.stale_since.is_(None))
    if node_pk is not None:
        stmt = stmt.where(or_(Edge.source_pk == node_pk, Edge.target_pk == node_pk))
    if source_pk is not None:
        stmt = stmt.where(Edge.source_pk == source_pk)
    if target_pk is not None:
        stmt = stmt.where(Edge.target_pk == target_pk)
    stmt = keyset(stmt, [Edge.created_at, Edge.id], descending=False, cursor=cursor, limit=limit)
    return session.scalars(stmt).unique().all()


def add(session: Session, edge: Edge) -> None:
    session.add(edge)
    session.flush()


def delete(session: Session, edge: Edge) -> None:
    session.delete(edge)
    session.flush()
