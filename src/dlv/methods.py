"""405 Method Not Allowed that agrees with the OpenAPI schema.

Starlette answers a wrong method with the ``Allow`` of the first route whose path matched,
but FastAPI makes one route per method: ``PATCH /dashboards/{id}`` listed ``GET`` only. And it
matches routes in order with no notion of a literal segment beating a parameter, so
``PUT /dashboards/from-lineage`` reached ``PUT /dashboards/{id}`` and failed there as a bad
UUID (422). Here both come from one table of the routes (the paths and methods the OpenAPI
schema documents): for a path, the most specific template that matches it (literal segments
win) and every method it has.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fastapi import FastAPI, Request, routing
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from dlv.errors import problem

_PARAM = re.compile(r"\{[^}]+\}")
# The keys of an OpenAPI path item that are operations (the others are summary, parameters...).
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


@dataclass(frozen=True)
class _Template:
    regex: re.Pattern[str]
    # One flag per segment, True for a parameter: the smallest tuple is the most specific.
    specificity: tuple[bool, ...]
    methods: frozenset[str]


class MethodTable:
    """The methods each path of the API supports."""

    def __init__(self, paths: Mapping[str, Iterable[str]]) -> None:
        self._templates = [
            _Template(
                re.compile(
                    "".join(
                        "[^/]+" if _PARAM.fullmatch(part) else re.escape(part)
                        for part in re.split(r"(\{[^}]+\})", template)
                        if part
                    )
                ),
                tuple(bool(_PARAM.fullmatch(seg)) for seg in template.split("/")),
                frozenset(m.upper() for m in methods if m.lower() in _METHODS),
            )
            for template, methods in paths.items()
        ]
        # Literal paths that a parameter template also matches: the only ones routing gets
        # wrong, and few (a dict lookup per request, not a scan of every template).
        self.shadowed: dict[str, frozenset[str]] = {}
        for template, methods in paths.items():
            if _PARAM.search(template) is None and self._shadows(template):
                self.shadowed[template] = self.allowed(template) or frozenset(methods)

    def _shadows(self, path: str) -> bool:
        return sum(1 for t in self._templates if t.regex.fullmatch(path)) > 1

    def allowed(self, path: str) -> frozenset[str] | None:
        """The methods of the most specific template matching ``path``; None when none does."""
        matching = [t for t in self._templates if t.regex.fullmatch(path)]
        if not matching:
            return None
        best = min(t.specificity for t in matching)
        return frozenset().union(*(t.methods for t in matching if t.specificity == best))

    @classmethod
    def of(cls, app: FastAPI) -> MethodTable:
        """The table of ``app``'s routes, built on first use.

        From the routes, not ``app.openapi()``: the same paths and methods (the schema is made
        from them), without building a whole schema in every app a test makes.
        """
        table: MethodTable | None = getattr(app.state, "method_table", None)
        if table is None:
            shape = _shape(app)
            table = _TABLES.get(shape)
            if table is None:
                paths: dict[str, set[str]] = {}
                for route in routing.iter_route_contexts(app.routes):
                    if route.path_format is not None and route.methods:
                        paths.setdefault(route.path_format, set()).update(route.methods)
                table = _TABLES[shape] = cls(paths)
            app.state.method_table = table
        return table


# Walking the routes builds FastAPI's context of each included route, ~60 ms an app, and every
# app create_app makes has the same routes (a test run makes over a thousand apps): apps of
# the same shape share one table.
_TABLES: dict[tuple[object, ...], MethodTable] = {}


def _shape(app: FastAPI) -> tuple[object, ...]:
    """What decides ``app``'s table: each included router with its prefix, each other route."""
    shape: list[object] = []
    for route in app.routes:
        router = getattr(route, "original_router", None)
        prefix = getattr(getattr(route, "include_context", None), "prefix", None)
        if router is not None and prefix is not None:
            shape.append((id(router), prefix))
        else:  # a route of the app's own (or a FastAPI without lazy inclusion)
            methods = sorted(getattr(route, "methods", None) or ())
            shape.append((type(route).__name__, getattr(route, "path", None), *methods))
    return tuple(shape)


def method_not_allowed(method: str, allowed: Iterable[str]) -> JSONResponse:
    """The problem+json 405 with an ``Allow`` header listing ``allowed``."""
    allow = ", ".join(sorted(allowed))
    return problem(
        405,
        "method-not-allowed",
        "Method Not Allowed",
        f"{method} is not supported here; this path allows {allow}",
        headers={"Allow": allow},
    )


class LiteralPathMiddleware:
    """405 for a method a literal path lacks, before a parameter route can claim the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            allowed = MethodTable.of(scope["app"]).shadowed.get(scope["path"])
            if allowed is not None and scope["method"] not in allowed:
                await method_not_allowed(scope["method"], allowed)(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    allowed = MethodTable.of(request.app).allowed(request.scope["path"])
    if allowed is None:  # a route outside the schema (the docs pages): Starlette's own list
        listed = (exc.headers or {}).get("Allow", "").replace(" ", "").split(",")
        allowed = frozenset(m for m in listed if m)
    return method_not_allowed(request.method, allowed)


def install_method_checks(app: FastAPI) -> None:
    """Register the 405 handler and the literal-path middleware on ``app``."""
    app.add_exception_handler(405, _method_not_allowed)
    app.add_middleware(LiteralPathMiddleware)
