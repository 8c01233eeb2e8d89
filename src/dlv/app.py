"""create_app(): the FastAPI application with its routers, error handlers and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from dlv import __doc__ as description
from dlv.alerts.router import router as alerts_router
from dlv.apidocs import install_docs
from dlv.audit.router import router as audit_router
from dlv.auth import service as auth_service
from dlv.auth.router import router as auth_router
from dlv.auth.usage import TokenUsage
from dlv.collectors.router import router as collectors_router
from dlv.config import Settings, get_settings
from dlv.crypto import SecretBox
from dlv.dashboards.router import router as dashboards_router
from dlv.db import make_engine, make_sessionmaker, read_only
from dlv.errors import install_error_handlers, problem_responses
from dlv.events.router import router as events_router
from dlv.graph.router import router as graph_router
from dlv.health.network import NetworkPolicy
from dlv.health.router import router as health_router
from dlv.impact.router import router as impact_router
from dlv.ingestion.router import router as ingestion_router
from dlv.keepalive import KeepAliveRecycleMiddleware
from dlv.limits import BodyLimitMiddleware, NulGuardMiddleware
from dlv.lineage.live import LiveIndex
from dlv.lineage.router import router as edges_router
from dlv.marquez.router import router as marquez_router
from dlv.methods import install_method_checks
from dlv.monitor.router import router as monitor_router
from dlv.nodes.router import router as nodes_router
from dlv.ops.logging import RequestLogMiddleware, configure_logging
from dlv.ops.metrics import MetricsMiddleware
from dlv.ops.router import router as ops_router
from dlv.quality.router import router as quality_router
from dlv.sla.router import router as sla_router
from dlv.ui import install_ui

IMPORT_PATH = "/api/v1/graph/import"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The DLV API for ``settings`` (the environment's when None)."""
    settings = settings or get_settings()
    configure_logging(settings)

    def start(app: FastAPI, engine: Engine) -> None:
        app.state.engine = engine
        app.state.read_engine = read_only(engine)
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.secret_key = settings.resolved_secret_key()
        app.state.secret_box = SecretBox(app.state.secret_key)
        bootstrap = settings.bootstrap_admin_password
        with app.state.sessionmaker.begin() as session:
            auth_service.ensure_bootstrap_admin(
                session, bootstrap.get_secret_value() if bootstrap else None
            )
        app.state.lineage_index = LiveIndex()
        with app.state.sessionmaker(bind=app.state.read_engine) as session:
            app.state.lineage_index.rebuild(session)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.resolved_database_url)
        try:  # a start that fails (no database) leaves no connection to the GC either
            start(app, engine)
            async with app.state.token_usage.recording(app.state.sessionmaker):
                yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="DLV",
        summary="Self-hosted data lineage: catalog, impact analysis, health",
        description=description or "",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load their scripts from a CDN: see apidocs
        redoc_url=None,
        # Every route may answer these; documenting them app-wide keeps the schema honest
        # (and replaces FastAPI's default 422 body, which is not what DLV sends).
        responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 429, 503),
    )
    app.state.settings = settings
    app.state.token_usage = TokenUsage()
    app.state.network_policy = NetworkPolicy.parse(settings.check_allow, settings.check_deny)
    install_error_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        default_limit=settings.max_body_bytes,
        path_limits={IMPORT_PATH: settings.import_max_bytes},
    )
    app.add_middleware(NulGuardMiddleware)
    install_method_checks(app)
    app.add_middleware(KeepAliveRecycleMiddleware, requests=settings.keepalive_requests)
    # Added last, so outermost: they see every answer, 413s and 500s included.
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestLogMiddleware)
    # Ingestion first: routes are matched in order, and OpenLineage events are most of the requests
    # (matching past every other router cost a tenth of a single event's HTTP handling).
    for router in (
        ingestion_router,
        auth_router,
        audit_router,
        nodes_router,
        edges_router,
        impact_router,
        health_router,
        collectors_router,
        monitor_router,
        sla_router,
        quality_router,
        dashboards_router,
        events_router,
        alerts_router,
        graph_router,
        ops_router,
        marquez_router,  # Marquez's paths, beside DLV's own (none is shared)
    ):
        app.include_router(router)
    install_docs(app)

    @app.get("/healthz", tags=["ops"], operation_id="healthz")
    def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    install_ui(app, settings.ui_dir)  # after the error handlers: it answers unmatched GETs
    return app
