"""HTTP routes of the monitoring loop, and the lifespan that runs it inside ``dlv serve``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request

from dlv.auth.dependencies import Reader
from dlv.config import Settings
from dlv.db import SessionDep, utcnow
from dlv.health.runner import Database
from dlv.monitor import service
from dlv.monitor.loop import MonitorLoop
from dlv.monitor.schemas import MonitorState


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    if settings.monitor != "embedded":
        app.state.monitor = None
        yield
        return
    state = app.state
    loop = MonitorLoop(
        Database(state.sessionmaker, state.engine, state.read_engine),
        state.secret_box,
        state.network_policy,
        settings,
    )
    app.state.monitor = loop
    loop.start()
    try:
        yield
    finally:
        await loop.stop()


router = APIRouter(prefix="/api/v1", tags=["monitor"], lifespan=lifespan)


@router.get("/monitor", response_model=MonitorState, operation_id="getMonitor")
def get_monitor(session: SessionDep, _: Reader, request: Request) -> MonitorState:
    """Who schedules checks, how many are due, running and late, and the last failures."""
    settings: Settings = request.app.state.settings
    # The same bound the scheduler uses to tell a running check from an abandoned one.
    stale = service.stale_after(
        settings.monitor_check_timeout_seconds, settings.monitor_lease_seconds
    )
    result = service.state(session, utcnow(), stale)
    result.mode = settings.monitor
    return result
