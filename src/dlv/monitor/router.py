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
from dlv.monitor.queue import Queue
from dlv.monitor.schemas import MonitorState


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    if settings.monitor == "off":
        app.state.monitor = None
        yield
        return
    state = app.state
    # Celery mode: this process only schedules (if it holds the lease); workers run the work.
    queue = Queue(settings) if settings.monitor == "celery" else None
    loop = MonitorLoop(
        Database(state.sessionmaker, state.engine, state.read_engine),
        state.secret_box,
        state.network_policy,
        settings,
        queue,
    )
    app.state.monitor = loop
    loop.start()
    try:
        yield
    finally:
        await loop.stop()
        if queue is not None:
            queue.close()


router = APIRouter(prefix="/api/v1", tags=["monitor"], lifespan=lifespan)


@router.get("/monitor", response_model=MonitorState, operation_id="getMonitor")
def get_monitor(session: SessionDep, _: Reader, request: Request) -> MonitorState:
    """Who schedules checks, how many are due, running and late, and the last failures."""
    settings: Settings = request.app.state.settings
    # The same bound the scheduler uses to tell a running check from an abandoned one.
    result = service.state(session, utcnow(), service.stale_after(settings))
    result.mode = settings.monitor
    return result
