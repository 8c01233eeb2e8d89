"""HTTP routes of health: connection tests, check history, the summary, check-all."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from dlv.auth.dependencies import Admin, Reader
from dlv.crypto import SecretBox
from dlv.db import SessionDep
from dlv.health import connectors, runner, service
from dlv.health.network import NetworkPolicy
from dlv.health.runner import Database
from dlv.health.schemas import (
    CheckAllResult,
    CheckRead,
    CheckResult,
    ConnectionTest,
    HealthSummary,
    SystemKind,
)
from dlv.pagination import CursorQuery, LimitQuery, Page, page_of

router = APIRouter(prefix="/api/v1", tags=["health"])

MAX_CONCURRENCY = 32


def database(request: Request) -> Database:
    state = request.app.state
    return Database(state.sessionmaker, state.engine, state.read_engine)


def secret_box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.secret_box
    return box


def network_policy(request: Request) -> NetworkPolicy:
    policy: NetworkPolicy = request.app.state.network_policy
    return policy


Db = Annotated[Database, Depends(database)]
Box = Annotated[SecretBox, Depends(secret_box)]
Policy = Annotated[NetworkPolicy, Depends(network_policy)]


async def end_auth_transaction(session: SessionDep) -> None:
    # Authorization read the caller in the request's transaction, which stays open until the
    # response. A check must not wait on the network inside it (on SQLite it is the write
    # lock), so it ends here; the check's own phases use short sessions (see runner.py).
    await run_in_threadpool(session.commit)


@router.post(
    "/nodes/{node_id}/test-connection",
    response_model=CheckResult,
    operation_id="testNodeConnection",
)
async def run_node_check(
    session: SessionDep, actor: Admin, db: Db, box: Box, policy: Policy, node_id: uuid.UUID
) -> CheckResult:
    """Test a node's connection now; the check is stored and sets the node's status."""
    await end_auth_transaction(session)
    return await runner.check_node(db, box, policy, actor, node_id)


@router.post("/connections/test", response_model=CheckResult, operation_id="testConnection")
async def run_connection_test(
    session: SessionDep, _: Admin, policy: Policy, body: ConnectionTest
) -> CheckResult:
    """Test an unsaved connection config (nothing is stored)."""
    await end_auth_transaction(session)
    return await connectors.run(body.connection, policy)


@router.get(
    "/nodes/{node_id}/checks", response_model=Page[CheckRead], operation_id="listNodeChecks"
)
def list_node_checks(
    session: SessionDep,
    _: Reader,
    node_id: uuid.UUID,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[CheckRead]:
    """A node's connection checks, newest first."""
    rows = service.history(session, node_id, cursor=cursor, limit=limit)
    items, next_cursor = page_of(rows, limit, lambda c: [c.id])
    return Page(items=[service.to_read(c, node_id) for c in items], next_cursor=next_cursor)


@router.get("/health/summary", response_model=HealthSummary, operation_id="getHealthSummary")
def health_summary(session: SessionDep, _: Reader) -> HealthSummary:
    """Nodes by status and kind, and the nodes in error."""
    return service.summary(session)


@router.post("/health/check-all", response_model=CheckAllResult, operation_id="checkAll")
async def run_check_all(
    session: SessionDep,
    actor: Admin,
    db: Db,
    box: Box,
    policy: Policy,
    kind: Annotated[SystemKind | None, Query(description="Only systems of this kind")] = None,
    concurrency: Annotated[
        int, Query(ge=1, le=MAX_CONCURRENCY, description="Checks running at once")
    ] = 8,
) -> CheckAllResult:
    """Test every system node with a connection, a bounded number at a time."""
    await end_auth_transaction(session)
    return await runner.check_all(db, box, policy, actor, kind, concurrency)
