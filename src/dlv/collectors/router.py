"""HTTP routes of the collectors: collect a node now, its collection history."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from dlv.auth.dependencies import Admin, Reader
from dlv.collectors import service
from dlv.collectors.schemas import CollectedRead, CollectionRead, CollectionResult
from dlv.db import SessionDep
from dlv.health.router import Box, Db, Policy, end_auth_transaction
from dlv.pagination import CursorQuery, LimitQuery, Page, page_of

router = APIRouter(prefix="/api/v1", tags=["collectors"])


@router.post(
    "/nodes/{node_id}/collect", response_model=CollectionResult, operation_id="collectNode"
)
async def collect_node(
    session: SessionDep,
    actor: Admin,
    db: Db,
    box: Box,
    policy: Policy,
    node_id: uuid.UUID,
    prune: Annotated[
        bool, Query(description="Delete the nodes no longer found instead of marking them gone")
    ] = False,
) -> CollectionResult:
    """Collect a node's system now: its tables and views as datasets, view lineage as edges.

    A system that cannot be read is a stored collection with ``status`` error, not an HTTP
    error; 404 for an unknown node, 409 for a node with no connection or no collector.
    """
    await end_auth_transaction(session)
    return await run_in_threadpool(service.collect, db, box, policy, actor, node_id, prune=prune)


@router.get(
    "/nodes/{node_id}/collections",
    response_model=Page[CollectionRead],
    operation_id="listNodeCollections",
)
def list_node_collections(
    session: SessionDep,
    _: Reader,
    node_id: uuid.UUID,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[CollectionRead]:
    """A node's collections, newest first."""
    rows = service.history(session, node_id, cursor=cursor, limit=limit)
    items, next_cursor = page_of(rows, limit, lambda c: [c.id])
    return Page(items=[service.to_read(c, node_id) for c in items], next_cursor=next_cursor)


@router.get(
    "/nodes/{node_id}/collected", response_model=CollectedRead, operation_id="getNodeCollected"
)
def get_node_collected(session: SessionDep, _: Reader, node_id: uuid.UUID) -> CollectedRead:
    """What a collector found about a dataset: its kind, row estimate, and whether it is gone."""
    return service.collected(session, node_id)
