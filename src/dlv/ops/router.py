"""``GET /metrics`` for Prometheus, guarded by ``DLV_METRICS``: off, open or token."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response

from dlv.errors import NotAuthenticated, NotFound
from dlv.ops import metrics

router = APIRouter(tags=["ops"])


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
