"""HTTP route of a node's data quality."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from dlv.auth.dependencies import Reader
from dlv.db import SessionDep
from dlv.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from dlv.quality import service
from dlv.quality.schemas import QualityRead

router = APIRouter(prefix="/api/v1", tags=["quality"])


@router.get("/nodes/{node_id}/quality", response_model=QualityRead, operation_id="getNodeQuality")
def get_quality(
    session: SessionDep,
    _: Reader,
    node_id: uuid.UUID,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> QualityRead:
    """A node's latest data quality assertions and its metrics history (newest first)."""
    return service.get(session, node_id, limit, cursor)
