"""All SQL of data quality: reports (assertions, metrics) and the status bookkeeping.

Ingestion's writes go in node order (as every ingestion write does, ADR 7): the batch's
facts rows are already locked, so two processes never write one node's reports at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from dlv.db import chunks
from dlv.nodes.models import Node
from dlv.pagination import keyset
from dlv.quality.models import KEEP_PER_NODE, QualityAssertions, QualityMetrics, QualityState

Report = type[QualityAssertions] | type[QualityMetrics]


def held_reports(
    session: Session, model: Report, keys: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], tuple[int, datetime]]:
    """(node, report key) -> (id, observed_at) of the reports already stored."""
    found: dict[tuple[int, str], tuple[int, datetime]] = {}
    for part in chunks(sorted(set(keys))):
        nodes, reports = {k[0] for k in part}, {k[1] for k in part}
        rows = session.execute(
            select(model.node_pk, model.report_key, model.id, model.observed_at).where(
                model.node_pk.in_(nodes), model.report_key.in_(reports)
            )
        )
        for node_pk, key, row_id, observed in rows:
            found[(node_pk, key)] = (row_id, observed)
    return found


def save_reports(
    session: Session, model: Report, new: list[dict[str, Any]], changed: list[dict[str, Any]]
) -> None:
    connection = session.connection()
    if new:
        rows = sorted(new, key=lambda r: (r["node_pk"], r["report_key"]))
        connection.execute(insert(model), rows)
    for row in sorted(changed, key=lambda r: r["id"]):
        values = {k: v for k, v in row.items() if k != "id"}
        connection.execute(update(model).where(model.id == row["id"]).values(values))


def prune(session: Session, model: Report, node_pks: Sequence[int]) -> None:
    """Keep the newest ``KEEP_PER_NODE`` reports of each node."""
    for part in chunks(sorted(set(node_pks))):
        ranked = (
            select(
                model.id,
                func.row_number()
                .over(
                    partition_by=model.node_pk,
                    order_by=(model.observed_at.desc(), model.id.desc()),
                )
                .label("rank"),
            )
            .where(model.node_pk.in_(part))
            .subquery()
        )
        old = select(ranked.c.id).where(ranked.c.rank > KEEP_PER_NODE)
        session.execute(delete(model).where(model.id.in_(old)))


def states_of(session: Session, node_pks: Sequence[int]) -> dict[int, QualityState]:
    found: dict[int, QualityState] = {}
    for part in chunks(sorted(set(node_pks))):
        stmt = select(QualityState).where(QualityState.node_pk.in_(part))
        found.update((s.node_pk, s) for s in session.scalars(stmt))
    return found


def add_state(session: Session, state: QualityState) -> None:
    session.add(state)


# -- reads -------------------------------------------------------------------------------


def node_pk(session: Session, node_id: uuid.UUID) -> int | None:
    return session.scalar(select(Node.pk).where(Node.id == node_id))


def state(session: Session, pk: int) -> QualityState | None:
    return session.get(QualityState, pk)


def latest_assertions(session: Session, pk: int) -> QualityAssertions | None:
    stmt = (
        select(QualityAssertions)
        .where(QualityAssertions.node_pk == pk)
        .order_by(QualityAssertions.observed_at.desc(), QualityAssertions.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def metrics_page(session: Session, pk: int, limit: int, cursor: str | None) -> list[QualityMetrics]:
    """Newest first, ``limit`` + 1 rows (``pagination.page_of`` cuts the extra one)."""
    stmt = select(QualityMetrics).where(QualityMetrics.node_pk == pk)
    keys = (QualityMetrics.observed_at, QualityMetrics.id)
    return list(session.scalars(keyset(stmt, keys, descending=True, cursor=cursor, limit=limit)))


def failing(session: Session, node_ids: Sequence[uuid.UUID]) -> list[tuple[uuid.UUID, Any]]:
    """(node id, failed assertions) of those nodes whose latest assertions fail."""
    found: list[tuple[uuid.UUID, Any]] = []
    for part in chunks(list(node_ids)):
        stmt = (
            select(Node.id, QualityState.failed)
            .join(QualityState, QualityState.node_pk == Node.pk)
            .where(Node.id.in_(part))
        )
        found.extend((i, f) for i, f in session.execute(stmt) if f)
    return found


def node_status(session: Session, pk: int) -> tuple[str, str | None] | None:
    row = session.execute(select(Node.status, Node.status_message).where(Node.pk == pk)).first()
    return (row[0], row[1]) if row else None
