"""Keep-alive connections recycled now and then, so that several workers share the load.

Several server workers accept from one listening socket, and the first to wake takes every
connection waiting. A few clients that open their keep-alive connections together (a
scheduler, a proxy, a benchmark) can land all on one worker and stay there: that worker's core
decodes every event while the other's idles. Closing a connection after some requests (as
nginx's ``keepalive_requests`` does) makes its client reconnect; the new connection goes to
whichever worker accepts first, and a busy worker, its event loop decoding, is less likely to.

The app cannot see connections (ASGI gives each request, not its connection, and a proxy's
``X-Forwarded-For`` makes different connections look alike), so each response closes its
connection with probability ``1 / requests``: a connection serves ``requests`` requests on
average, with no state kept.
"""

from __future__ import annotations

import random

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_CLOSE = (b"connection", b"close")


class KeepAliveRecycleMiddleware:
    """Adds ``Connection: close`` to one response in ``requests`` on average (0: never)."""

    def __init__(self, app: ASGIApp, requests: int) -> None:
        self.app = app
        self.chance = 1 / requests if requests > 0 else 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or random.random() >= self.chance:  # noqa: S311 - not security
            await self.app(scope, receive, send)
            return

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), _CLOSE]
            await send(message)

        await self.app(scope, receive, send_closing)
