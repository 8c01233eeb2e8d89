"""Routing on the path as sent: Marquez names hold slashes, sent percent-encoded.

Marquez's clients quote every name with ``safe=''`` (``postgres://db:5432`` becomes
``postgres%3A%2F%2Fdb%3A5432``). The ASGI ``path`` is already decoded, so a routed
``{namespace}`` would stop at the first ``/`` of the name. These routes match the raw path
instead, one encoded segment per parameter, and decode each parameter once matched: a name
with ``/datasets/`` inside cannot be mistaken for the next segment of the route.
"""

from __future__ import annotations

from urllib.parse import unquote

from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope


class RawPathRoute(APIRoute):
    """An APIRoute whose ``{param}`` segments are matched encoded, then decoded."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        raw = scope.get("raw_path")
        if scope["type"] != "http" or not raw:
            return super().matches(scope)
        path = raw.decode("latin-1").partition("?")[0]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        match, child = super().matches({**scope, "path": path, "root_path": ""})
        if match is not Match.NONE:
            params = child.get("path_params", {})
            child["path_params"] = {
                k: unquote(v) if isinstance(v, str) else v for k, v in params.items()
            }
        return match, child
