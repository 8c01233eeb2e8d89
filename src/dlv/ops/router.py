"""``GET /readyz`` for load balancers; ``GET /metrics`` for Prometheus, guarded by
``DLV_METRICS``: off, open or token."""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from dlv import migrate
from dlv.errors import NotAuthenticated, NotFound, problem
from dlv.ops import metrics

log = logging.getLogger("dlv.ops")
router = APIRouter(tags=["ops"])
_reported: set[tuple[str, ...]] = set()  # schema states logged already (not once per poll)


@router.get(
    "/readyz",
    operation_id="readyz",
    responses={503: {"description": "The database is not reachable, or not at this code's schema"}},
)
def readyz(request: Request) -> JSONResponse:
    """The database is reachable and at the schema revision this code expects."""
    # Polled: a pooled connection and two small reads (is there a version table; its rows).
    # A reader's connection: on SQLite it does not queue behind a long import.
    try:
        with request.app.state.read_engine.connect() as conn:
            revisions = migrate.database_heads(conn)
    except Exception:  # any driver error means "not ready"; the details stay in the log
        return problem(503, "not-ready", "Not ready", "The database is not reachable")
    expected = migrate.code_heads()
    if revisions != expected:
        if revisions not in _reported:
            _reported.add(revisions)
            log.warning(
                "not ready: the database is at revision %s, this code's is %s",
                ", ".join(revisions) or "(none: no DLV schema)",
                ", ".join(expected),
            )
        return problem(
            503,
            "not-ready",
            "Not ready",
            "The database schema is not this server's (empty, older or newer): run "
            "`dlv db upgrade`, or restore a backup",
        )
    return JSONResponse({"status": "ok"})


def _authorized(request: Request, expected: str) -> bool:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented:
        return False
    # Constant time: the answer must not tell how much of a guessed token was right.
    return hmac.compare_digest(presented.strip().encode(), expected.encode())


# Not in the OpenAPI schema: its text format is for Prometheus, not for API clients.
@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(request: Request) -> Response:
    """Metrics in the Prometheus text format."""
    settings = request.app.state.settings
    mode = settings.metrics
    if mode == "off":
        raise NotFound("Metrics are off; set DLV_METRICS to open or token")
    if mode == "token":
        token = settings.metrics_token
        if token is None or not _authorized(request, token.get_secret_value()):
            raise NotAuthenticated("Send the metrics token as: Authorization: Bearer <token>")
    return Response(metrics.render(request.app.state), media_type=metrics.CONTENT_TYPE)
