"""Request body size limits, enforced while the body streams in (Content-Length or not)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dlv.errors import problem

# JSON nested deeper than this is refused, the top-level value being level 0 (as
# pydantic-core's parser counts, which stops there itself). Deeper values could not be served
# back (pydantic serializes about 255 levels), and the C parsers exhaust their stack near 1,000
# levels with a RecursionError.
MAX_JSON_DEPTH = 200
TOO_DEEP = f"nested more than {MAX_JSON_DEPTH} levels deep"


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


class NulGuardMiddleware:
    """422 for a NUL character in the path or query string (``%00``).

    PostgreSQL text cannot hold NUL and no DLV name does; refusing it here names the problem
    instead of failing in the database. Bodies are checked by ``dlv.types.RequestBody``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query: bytes = scope.get("query_string", b"")
            where = None
            if b"%00" in query.lower() or b"\x00" in query:
                where = "query"
            elif "\x00" in scope.get("path", ""):
                where = "path"
            if where is not None:
                response = problem(
                    422,
                    "invalid-input",
                    "Invalid input",
                    f"Invalid value in the {where}",
                    errors=[{"field": where, "message": "must not contain NUL characters"}],
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
