"""``/docs`` (Swagger UI) and ``/redoc``, with their scripts and styles served by DLV itself.

FastAPI's own pages load Swagger UI and ReDoc from a CDN and stay blank on a network without
internet, where a self-hosted DLV often runs. The ``fastapi-offline`` package ships the same
bundles (Swagger UI 5, ReDoc 2 standalone, a favicon), updated with its releases: they are
served from ``/static/docs`` instead, and no page here refers to another host.

Their Content-Security-Policy (dlv.ui): ``script-src 'self'`` plus FastAPI's one inline script
on ``/docs`` (the ``SwaggerUIBundle({...})`` call; the OAuth2 redirect page has one too), by
hash, and ReDoc adds an inline ``<style>`` and styles of its own (``style-src
'unsafe-inline'``). No fonts, images or scripts come from elsewhere.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS_URL = "/static/docs"
# The package keeps its bundles in fastapi_offline/static (tests check they are there).
ASSETS_PACKAGE = ("fastapi_offline", "static")


def _root(request: Request) -> str:
    """The prefix a proxy serves DLV under (``--root-path``), as FastAPI's own pages use it."""
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs``, ``/redoc`` and their assets (``/`` is the web UI's: see dlv.ui).

    The app must be created with ``docs_url=None, redoc_url=None`` (FastAPI's CDN pages).
    """
    app.mount(ASSETS_URL, StaticFiles(packages=[ASSETS_PACKAGE]), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
