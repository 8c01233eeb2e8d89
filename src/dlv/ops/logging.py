"""Structured logs: one JSON object per line (or a human line for ``make run``), no secrets.

Every record passes ``SecretFilter`` on its way to the handler, which rewrites anything that
looks like a credential (bearer tokens, JWTs, ``dlv_`` API tokens, passwords in URLs,
``password=``/``token=``/``secret=`` pairs, and the configured secrets themselves) to ``***``,
by the policy audit records and stored OpenLineage events follow too (``dlv.ops.secrets``).
It works on the final text, so a careless ``log.info("%s", config)`` anywhere is covered too.

``RequestLogMiddleware`` writes one line per HTTP request and gives each request an id: the
caller's ``X-Request-ID`` when it is sane, a fresh one otherwise, echoed in the response and
attached to every record logged while the request runs.
"""

from __future__ import annotations

import json
import logging
import random
import re
import sys
import time
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from pydantic import SecretStr
from pydantic_settings import BaseSettings
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dlv.errors import problem
from dlv.ops.secrets import MASK, MIN_KNOWN_SECRET, is_secret_name, mask, scrub

# MASK and scrub are dlv.ops.secrets' (one policy for logs, audit and events), kept here too.
__all__ = [
    "MASK",
    "QUIET_PATHS",
    "REQUEST_ID_HEADER",
    "REQUEST_LOGGER",
    "DlvHandler",
    "HumanFormatter",
    "JsonFormatter",
    "RequestLogMiddleware",
    "SecretFilter",
    "configure_logging",
    "current_request_id",
    "extra_fields",
    "route_template",
    "scrub",
    "settings_secrets",
]

REQUEST_LOGGER = "dlv.request"
REQUEST_ID_HEADER = "X-Request-ID"
# Logged at DEBUG when they succeed. Probes and scrapes arrive every few seconds, and
# OpenLineage events hundreds of times a second (a line each was a sixth of an event's CPU):
# at INFO they would drown the real traffic. /metrics counts them; failures stay at INFO.
QUIET_PATHS = frozenset(
    {"/healthz", "/readyz", "/metrics", "/api/v1/lineage", "/api/v1/lineage/batch"}
)

_request_id: ContextVar[str | None] = ContextVar("dlv_request_id", default=None)
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _scrub_value(value: Any, known: Iterable[str]) -> Any:
    return mask(value, lambda text: scrub(text, known))


_STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "request_id",
    "color_message",  # uvicorn's copy of the message with terminal colour codes
}


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """What the caller passed as ``extra=``."""
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS}


class SecretFilter(logging.Filter):
    """Rewrites each record so that no secret reaches any output; never drops a record."""

    def __init__(self, known: Iterable[str] = ()) -> None:
        super().__init__()
        self.known = tuple(v for v in known if len(v) >= MIN_KNOWN_SECRET)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!s} {record.args!r}"
        record.msg, record.args = scrub(message, self.known), None
        for key, value in extra_fields(record).items():
            clean = MASK if is_secret_name(key) else _scrub_value(value, self.known)
            setattr(record, key, clean)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            # Tracebacks print argument values and exception messages (often a DB URL).
            record.exc_text = scrub(record.exc_text, self.known)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info, self.known)
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


def _timestamp(record: logging.LogRecord) -> str:
    at = datetime.fromtimestamp(record.created, UTC)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request_id, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or _request_id.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in extra_fields(record).items():
            entry.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, default=str, ensure_ascii=False)


class HumanFormatter(logging.Formatter):
    """``12:00:01 INFO dlv.request GET /api/v1/nodes 200 3.1ms`` plus ``key=value`` extras."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(message)s", "%H:%M:%S")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        line = super().formatMessage(record)
        extras = extra_fields(record)
        request_id = getattr(record, "request_id", None) or _request_id.get()
        if request_id:
            extras["request_id"] = request_id
        if record.name == REQUEST_LOGGER:
            # Already in the message itself.
            for key in ("method", "path", "status", "duration_ms"):
                extras.pop(key, None)
        return line + "".join(f" {k}={v}" for k, v in extras.items() if v is not None)


class DlvHandler(logging.StreamHandler[TextIO]):
    """The handler ``configure_logging`` installs (recognised, so calling it again replaces it).

    It writes to whatever ``sys.stderr`` is when a record arrives, not the one it was created
    with: test runners and daemons swap stderr, and a stale one may already be closed.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self._follow_stderr = True

    def setStream(self, stream: TextIO) -> TextIO | None:  # noqa: N802 - logging's name
        self._follow_stderr = False
        return super().setStream(stream)

    def emit(self, record: logging.LogRecord) -> None:
        if self._follow_stderr:
            self.stream = sys.stderr
        super().emit(record)


def settings_secrets(settings: BaseSettings) -> list[str]:
    """Every secret value in ``settings``: ``SecretStr`` fields and the database password."""
    values = [
        value.get_secret_value()
        for name in type(settings).model_fields
        if isinstance(value := getattr(settings, name), SecretStr)
    ]
    url = getattr(settings, "database_url", None)
    if isinstance(url, str):
        try:
            password = make_url(url).password
        except ArgumentError:
            password = None
        if password:
            values.append(str(password))
    return [v for v in values if v]


def configure_logging(settings: BaseSettings) -> None:
    """Send every log record, scrubbed, to stderr in ``log_format`` at ``log_level``."""
    fmt = getattr(settings, "log_format", "human")
    level = str(getattr(settings, "log_level", "INFO")).upper()
    handler = DlvHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else HumanFormatter())
    handler.addFilter(SecretFilter(settings_secrets(settings)))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, DlvHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Uvicorn's own handlers would skip the scrubbing and the format: route its records
    # through ours. Its access log repeats (with the query string, which may carry a
    # token) what RequestLogMiddleware writes, so it is switched off.
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every request's full URL at INFO; an alert channel's URL can be its
    # credential (a Slack incoming webhook), so only its warnings get through.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return _request_id.get()


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            # Anything else could forge log lines or smuggle text into them.
            return candidate if _SANE_REQUEST_ID.match(candidate) else None
    return None


def route_template(scope: Scope) -> str | None:
    """The matched route's path template (``/api/v1/nodes/{node_id}``), None when none matched."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) else None


class RequestLogMiddleware:
    """One log line per HTTP request; an ``X-Request-ID`` on every answer."""

    def __init__(self, app: ASGIApp, logger_name: str = REQUEST_LOGGER) -> None:
        self.app = app
        self.log = logging.getLogger(logger_name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Not a secret, only unique: 128 random bits without uuid4's syscall per request.
        request_id = _incoming_request_id(scope) or f"{random.getrandbits(128):032x}"
        scope.setdefault("state", {})["request_id"] = request_id
        token = _request_id.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = int(message["status"]), True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if not response_started:
                # Starlette's outermost error middleware would answer without our header;
                # answering here first lets the client quote the id. The exception still
                # propagates, so the error handler logs it and tests still see it.
                await problem(
                    500, "internal", "Internal server error", "An unexpected error occurred"
                )(scope, receive, send_with_id)
            status = 500
            raise
        finally:
            self._log(scope, status, time.perf_counter() - started)
            _request_id.reset(token)

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        path = scope.get("path", "")
        level = logging.DEBUG if path in QUIET_PATHS and status < 400 else logging.INFO
        if status >= 500:
            level = logging.ERROR
        if not self.log.isEnabledFor(level):
            return
        principal = scope.get("state", {}).get("principal")
        client = scope.get("client")
        duration_ms = round(seconds * 1000, 2)
        self.log.log(
            level,
            "%s %s %d %.1fms",
            scope.get("method", ""),
            path,
            status,
            duration_ms,
            extra={
                "method": scope.get("method", ""),
                "route": route_template(scope),
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
                "user_id": str(principal.id) if principal is not None else None,
                "auth": getattr(principal, "kind", None),
                "client": client[0] if client else None,
            },
        )
