"""Reading a node's data quality (ingestion writes it: ``dlv.ingestion.quality``)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from dlv.nodes.models import NodeStatus
from dlv.nodes.service import NodeNotFound
from dlv.pagination import Page, page_of
from dlv.quality import repository
from dlv.quality.schemas import AssertionsRead, MetricsRead, QualityRead


def get(session: Session, node_id: uuid.UUID, limit: int, cursor: str | None) -> QualityRead:
    """A node's latest assertions and a page of its metrics history (newest first)."""
    pk = repository.node_pk(session, node_id)
    if pk is None:
        raise NodeNotFound(f"No node with id {node_id}")
    latest = repository.latest_assertions(session, pk)
    state = repository.state(session, pk)
    rows, next_cursor = page_of(
        repository.metrics_page(session, pk, limit, cursor),
        limit,
        lambda m: (m.observed_at, m.id),
    )
    held = False
    if state is not None and state.message is not None:
        status = repository.node_status(session, pk)
        held = status == (NodeStatus.error.value, state.message)
    return QualityRead(
        node_id=node_id,
        failing=bool(state is not None and state.failed),
        status_held=held,
        assertions=AssertionsRead.model_validate(latest, from_attributes=True) if latest else None,
        metrics=Page(
            items=[MetricsRead.model_validate(m, from_attributes=True) for m in rows],
            next_cursor=next_cursor,
        ),
    )


def failing(session: Session, node_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    """The failed assertions of those nodes whose latest assertions fail."""
    return dict(repository.failing(session, node_ids))
