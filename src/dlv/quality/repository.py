"""All SQL of data quality: reports (assertions, metrics) and the status bookkeeping.

Ingestion's writes go in node order (as every ingestion write does, ADR 7): the batch's
facts rows are already locked, so two processes never write one node's reports at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy import insert as core_insert
from sqlalchemy.orm import Session

from dlv.db import chunks
from dlv.ingestion.sql import in_key_order, insert, update_many
from dlv.nodes.models import Node
from dlv.pagination import keyset
from dlv.quality.models import KEEP_PER_NODE, QualityAssertions, QualityMetrics, QualityState

Report = type[QualityAssertions] | type[QualityMetrics]


def upsert_reports(session: Session, model: Report, rows: list[dict[str, Any]]) -> None:
    """Insert reports; one already stored for the same node and run (its START, then its
    COMPLETE) is replaced by a newer event's, never by an older one's. One statement, in
    key order; no read first."""
    if not rows:
        return
    stmt = insert(session, model)
    columns = [c for c in rows[0] if c not in ("node_pk", "report_key")]
    stmt = stmt.on_conflict_do_update(
        index_elements=[model.node_pk, model.report_key],
        set_={c: getattr(stmt.excluded, c) for c in columns},
        where=stmt.excluded.observed_at >= model.observed_at,
    )
    ordered = sorted(rows, key=lambda r: (r["node_pk"], r["report_key"]))
    session.connection().execute(stmt, ordered)


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


STATE_COLUMNS = ("checked_at", "failed", "message", "restore_status", "restore_message")


def states_of(session: Session, node_pks: Sequence[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    columns = [QualityState.node_pk, *(getattr(QualityState, c) for c in STATE_COLUMNS)]
    for part in chunks(sorted(set(node_pks))):
        rows = session.execute(select(*columns).where(QualityState.node_pk.in_(part)))
        found.update((r.node_pk, dict(r._mapping)) for r in rows)
    return found


def save_states(session: Session, new: list[dict[str, Any]], changed: list[dict[str, Any]]) -> None:
    """Insert and update status bookkeeping, one executemany each, in node order."""

    def full(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"node_pk": r["node_pk"], **{c: r.get(c) for c in STATE_COLUMNS}} for r in rows]

    if new:
        session.connection().execute(core_insert(QualityState), in_key_order(full(new), "node_pk"))
    update_many(session, QualityState, "node_pk", full(changed))


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
