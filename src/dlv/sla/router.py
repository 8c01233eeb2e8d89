"""HTTP routes of node SLAs, and the lifespan that runs the evaluator inside ``dlv serve``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Response, status

from dlv.auth.dependencies import Admin, Reader
from dlv.config import Settings
from dlv.db import SessionDep, every, in_thread, utcnow
from dlv.sla import service
from dlv.sla.loop import SlaEvaluator
from dlv.sla.schemas import SlaRead, SlaWrite


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    if settings.sla == "off":
        yield
        return
    evaluator = SlaEvaluator(app.state.sessionmaker, settings.sla_interval_seconds)
    async with every(settings.sla_interval_seconds, evaluator.tick, "dlv-sla"):
        yield
    await in_thread(evaluator.release)


router = APIRouter(prefix="/api/v1", tags=["sla"], lifespan=lifespan)


@router.get("/nodes/{node_id}/sla", response_model=SlaRead, operation_id="getNodeSla")
def get_sla(session: SessionDep, _: Reader, node_id: uuid.UUID) -> SlaRead:
    """A node's SLA and whether it is met; 404 when it has none."""
    return service.get(session, node_id, utcnow())


@router.put("/nodes/{node_id}/sla", response_model=SlaRead, operation_id="putNodeSla")
def put_sla(session: SessionDep, actor: Admin, node_id: uuid.UUID, body: SlaWrite) -> SlaRead:
    """Set a node's freshness and/or deadline SLA (replaces the one it has)."""
    return service.put(session, actor, node_id, body, utcnow())


@router.delete(
    "/nodes/{node_id}/sla", status_code=status.HTTP_204_NO_CONTENT, operation_id="deleteNodeSla"
)
def delete_sla(session: SessionDep, actor: Admin, node_id: uuid.UUID) -> Response:
    """Remove a node's SLA; a node it made late gets its status back."""
    service.delete(session, actor, node_id, utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
