"""HTTP routes of edges."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Response, status
from sqlalchemy.orm import Session, sessionmaker

from dlv.auth.dependencies import Admin, Reader
from dlv.db import SessionDep, every
from dlv.lineage import changes, service
from dlv.lineage.schemas import EdgeCreate, EdgeRead
from dlv.pagination import CursorQuery, LimitQuery, Page, page_of

log = logging.getLogger("dlv.lineage")
PRUNE_INTERVAL_SECONDS = 3600


def _prune_changes(factory: sessionmaker[Session]) -> None:
    # Every process prunes; the deletes are idempotent and cheap when nothing is due.
    try:
        pruned = changes.prune(factory)
    except Exception:  # try again next time
        log.exception("pruning the lineage change log failed")
        return
    if pruned:
        log.info("pruned %d lineage changes", pruned)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    prune = partial(_prune_changes, app.state.sessionmaker)
    async with every(PRUNE_INTERVAL_SECONDS, prune, "dlv-changes-prune"):
        yield


router = APIRouter(prefix="/api/v1", tags=["edges"], lifespan=lifespan)


@router.get("/edges", response_model=Page[EdgeRead], operation_id="listEdges")
def list_edges(
    session: SessionDep,
    _: Reader,
    node_id: uuid.UUID | None = None,
    source_id: uuid.UUID | None = None,
    target_id: uuid.UUID | None = None,
    include_stale: Annotated[
        bool, Query(description="Also list edges the job's latest runs no longer report")
    ] = False,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[EdgeRead]:
    """List edges touching a node, or from a source, or to a target."""
    rows = service.search(
        session,
        node_id=node_id,
        source_id=source_id,
        target_id=target_id,
        include_stale=include_stale,
        cursor=cursor,
        limit=limit,
    )
    items, next_cursor = page_of(rows, limit, lambda e: [e.created_at, e.id])
    return Page(items=[EdgeRead.model_validate(e) for e in items], next_cursor=next_cursor)


@router.post(
    "/edges",
    response_model=EdgeRead,
    status_code=status.HTTP_201_CREATED,
    operation_id="createEdge",
)
def create_edge(session: SessionDep, actor: Admin, body: EdgeCreate) -> EdgeRead:
    """Draw an edge: data flows from source to target."""
    return EdgeRead.model_validate(service.create(session, actor, body))


@router.get("/edges/{edge_id}", response_model=EdgeRead, operation_id="getEdge")
def get_edge(session: SessionDep, _: Reader, edge_id: uuid.UUID) -> EdgeRead:
    """One edge."""
    return EdgeRead.model_validate(service.get(session, edge_id))


@router.delete(
    "/edges/{edge_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="deleteEdge"
)
def delete_edge(session: SessionDep, actor: Admin, edge_id: uuid.UUID) -> Response:
    """Remove an edge."""
    service.delete(session, actor, edge_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
