"""Request body size limits, enforced while the body streams in (Content-Length or not)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dlv.errors import problem


def _too_large(limit: int) -> str:
    return f"The request body is larger than the limit of {limit} bytes"


class BodyLimitMiddleware:
    """413 for bodies over the limit; some paths (streaming import) have a larger one."""

    def __init__(
        self,
        app: ASGIApp,
        default_limit: int | Callable[[], int],
        path_limits: Mapping[str, int | Callable[[], int]] | None = None,
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.path_limits = dict(path_limits or {})

    def _limit_for(self, path: str) -> int:
        limit = self.path_limits.get(path, self.default_limit)
        return limit() if callable(limit) else limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope["path"])
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    response = problem(
                        413, "payload-too-large", "Payload too large", _too_large(limit)
                    )
                    await response(scope, receive, send)
                    return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException passes through FastAPI's body parsing unchanged and
                    # is rendered as problem+json by the error handlers.
                    raise HTTPException(413, _too_large(limit))
            return message

        await self.app(scope, limited_receive, send)
