"""The web UI: the single-page app built into ``ui/dist``, served at ``/``, and security headers.

Routing. The API keeps ``/api/...``, ``/docs``, ``/redoc``, ``/openapi.json``, ``/healthz``,
``/readyz`` and ``/metrics``; every other GET is the UI's. Vite puts content-hashed files in
``assets/`` (cached for a year, immutable); ``index.html`` names the current ones, so it is
never cached. A path the UI's router knows (``/nodes/<id>/lineage``) is ``index.html`` too:
the browser's router draws it. That fallback is the answer to a GET no route matched (a 404
handler, not a catch-all route: routes added later, as tests do, still match), and never
for ``/api/...``: an unknown API path stays a problem+json 404, a wrong method a 405.

Headers. Every answer gets ``X-Content-Type-Options``, ``Referrer-Policy`` and a
Content-Security-Policy: the UI's allows scripts from DLV only (no inline script, no eval);
styles may be inline (React Flow positions nodes with style attributes). ``/docs`` and the
OAuth2 redirect page carry one inline script each (FastAPI's), allowed by its hash, computed
from the page sent. API answers get ``default-src 'none'``: a JSON body is never a document.

Without a build (a fresh clone before ``make run``), ``/`` says how to build the UI.
"""

from __future__ import annotations

import base64
import hashlib
import html
import inspect
import json
import mimetypes
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import dlv

ASSETS_URL = "/assets"
# Scripts and styles of the UI's build, all from this server; images the UI exports are made
# in the page (blob:, data:). No other host is ever contacted.
UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI and ReDoc (dlv.apidocs): their bundles from here, inline styles, SVG icons as
# data: URLs, and ReDoc's search runs in a worker it makes from a blob.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
COMMON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
IMMUTABLE = "public, max-age=31536000, immutable"
NOT_CACHED = "no-store"
_INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.DOTALL)

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DLV: the web UI is not built</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.5">
<h1>The web UI is not built</h1>
<p>This DLV server found no web UI in <code>{ui_dir}</code>.</p>
<p>Build it from the source checkout with <code>make ui</code> (or
<code>cd ui &amp;&amp; npm ci &amp;&amp; npm run build</code>; <code>make run</code> does it for
you), or point <code>DLV_UI_DIR</code> at a built UI, then reload this page.</p>
<p>The API works meanwhile: <a href="{root}/docs">API documentation</a>.</p>
</body></html>
"""


class _UiPage:
    """Stands for the matched route of a UI page, so logs and metrics name it."""

    path_format = "/{ui page}"


UI_PAGE = _UiPage()


def default_ui_dir() -> Path:
    """``ui/dist`` of the source checkout DLV runs from (an editable install, ``make run``)."""
    return Path(dlv.__file__).resolve().parents[2] / "ui" / "dist"


class ImmutableAssets(StaticFiles):
    """Vite's content-hashed files: a new build has new names, so a copy never goes stale.

    The build writes a gzipped twin (``x.js.gz``) of each compressible file; a client that
    accepts gzip gets it (a third of the bytes), without compressing on every request.
    """

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = IMMUTABLE
        response.headers["Vary"] = "Accept-Encoding"
        return response

    async def get_response(self, path: str, scope: Scope) -> Response:
        if not path.endswith(".gz") and _accepts_gzip(scope):
            try:
                response = await super().get_response(f"{path}.gz", scope)
            except StarletteHTTPException:
                response = None
            if response is not None and response.status_code in (200, 304):
                media_type, _ = mimetypes.guess_type(path)
                response.headers["Content-Type"] = media_type or "application/octet-stream"
                response.headers["Content-Encoding"] = "gzip"
                return response
        return await super().get_response(path, scope)


def _accepts_gzip(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"accept-encoding":
            return b"gzip" in value.lower()
    return False


def _root(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def _index(ui_dir: Path, root: str) -> str | None:
    """``index.html`` with its asset URLs under ``root`` (the build uses relative ``./``)."""
    try:
        text = (ui_dir / "index.html").read_text(encoding="utf-8")
    except OSError:
        return None
    meta = f'<meta name="dlv-root-path" content="{html.escape(root)}">'
    return text.replace('="./', f'="{root}/').replace("<head>", f"<head>\n    {meta}", 1)


def _relative(scope: Scope) -> str:
    """The request's path below the proxy prefix (``root_path``) DLV is served under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "").rstrip("/")
    return path[len(root) :] if root and path.startswith(root) else path


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def install_ui(app: FastAPI, ui_dir: Path | None) -> None:
    """Serve the UI built in ``ui_dir`` (or ``ui/dist`` of the checkout) at ``/``.

    Call after dlv.errors' handlers are installed: other 404s keep their problem+json answer.
    Adds the security headers too (only adding headers, it may sit outside the request log).
    """
    app.add_middleware(SecurityHeadersMiddleware)
    directory = (ui_dir or default_ui_dir()).resolve()
    # check_dir=False: a build made after the server started is served without a restart.
    app.mount(
        ASSETS_URL,
        ImmutableAssets(directory=directory / "assets", check_dir=False),
        name="ui-assets",
    )
    problem_404 = app.exception_handlers.get(StarletteHTTPException)

    async def not_found(request: Request, exc: Exception) -> Response:
        scope = request.scope
        path = _relative(scope)
        unmatched = "route" not in scope and "endpoint" not in scope
        if unmatched and request.method in ("GET", "HEAD") and not _is_api(path):
            scope["route"] = UI_PAGE
            return _page(directory, path, _root(request))
        if problem_404 is None:  # pragma: no cover - dlv.errors always installs one
            raise exc
        answer = problem_404(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(404, not_found)


def _page(directory: Path, path: str, root: str) -> Response:
    # A file at the top of the build (favicon.svg): served as is, revalidated.
    name = path.lstrip("/")
    if name and "/" not in name and name != "index.html":
        candidate = directory / name
        if candidate.is_file() and candidate.resolve().parent == directory:
            return FileResponse(candidate, headers={"Cache-Control": NOT_CACHED})
    page = _index(directory, root)
    if page is None:
        body = NOT_BUILT_PAGE.format(ui_dir=html.escape(str(directory)), root=root)
        return HTMLResponse(body, headers={"Cache-Control": NOT_CACHED})
    return HTMLResponse(page, headers={"Cache-Control": NOT_CACHED})


def docs_csp(body: bytes) -> str:
    """The docs pages' policy, allowing exactly the inline scripts of ``body`` by hash."""
    hashes = ""
    for match in _INLINE_SCRIPT.finditer(body.decode("utf-8", "replace")):
        if "src=" in match["attrs"]:
            continue
        digest = hashlib.sha256(match["body"].encode("utf-8")).digest()
        hashes += f" 'sha256-{base64.b64encode(digest).decode()}'"
    return DOCS_CSP.format(hashes=hashes)


class SecurityHeadersMiddleware:
    """Security headers on every answer; the CSP chosen by what the answer is (see above)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = _relative(scope)
        if path in DOCS_PATHS:
            await self._docs(scope, receive, send)
            return
        api = path.startswith(("/api/", "/openapi.json", "/healthz", "/readyz", "/metrics"))
        csp = (API_CSP if api or path.startswith("/static/") else UI_CSP).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    *COMMON_HEADERS,
                    (b"content-security-policy", csp),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The pages are small and made per request: hold the body to hash its scripts.
        start: Message | None = None
        chunks: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            start["headers"] = [
                *start.get("headers", []),
                *COMMON_HEADERS,
                (b"content-security-policy", docs_csp(body).encode()),
            ]
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, hold)


def openapi_json() -> str:
    """The API's OpenAPI document as ``ui/openapi.json`` holds it (``make ui-client``)."""
    from dlv.app import create_app  # noqa: PLC0415 - dlv.app imports this module
    from dlv.config import Settings  # noqa: PLC0415

    document = create_app(Settings(_env_file=None)).openapi()
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
