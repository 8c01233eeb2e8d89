"""The DlvError hierarchy and the one handler that renders every error as problem+json.

Services raise domain errors; this module maps them (and framework errors) to RFC 9457
answers. Nothing here echoes request bodies, SQL or exception text a client did not write,
so no secret or internal detail can leak through an error.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("dlv.errors")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://dlv.dev/problems/"


class FieldError(dict[str, str]):
    """One field-level problem: ``{"field": "body.name", "message": "..."}``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field=field, message=message)


class DlvError(Exception):
    """Base of every error a client can cause; ``status`` picks the HTTP code."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.extra = extra or {}
        self.headers = headers or {}


class InvalidInput(DlvError):
    status = 422
    slug = "invalid-input"
    title = "Invalid input"


class NotAuthenticated(DlvError):
    status = 401
    slug = "not-authenticated"
    title = "Not authenticated"

    def __init__(self, detail: str = "Missing or invalid credentials") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(DlvError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class NotFound(DlvError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(DlvError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class TooManyRequests(DlvError):
    status = 429
    slug = "too-many-requests"
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing, invalid, expired or revoked credentials",
    403: "The caller's role or scope may not do this",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Request body too large",
    422: "Invalid input; `errors` names each field",
    429: "Too many requests",
    503: "The database is unavailable or busy; retry after `Retry-After` seconds",
}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting problem+json answers for ``codes``."""
    return {
        code: {
            "description": _DESCRIPTIONS[code],
            "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
        }
        for code in codes
    }


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    errors: Sequence[dict[str, str]] = (),
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build one problem+json response."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = list(errors)
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _location(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def validation_errors(exc: RequestValidationError) -> list[FieldError]:
    """Field errors from pydantic, without the rejected input (it may hold a secret)."""
    return [FieldError(_location(err["loc"]), str(err["msg"])) for err in exc.errors()]


async def _dlv_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DlvError)
    return problem(
        exc.status,
        exc.slug,
        exc.title,
        exc.detail,
        errors=exc.errors,
        extra=exc.extra,
        headers=exc.headers,
    )


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    fields = ", ".join(e["field"] for e in errors[:5])
    return problem(
        422, "invalid-input", "Invalid input", f"Invalid value for: {fields}", errors=errors
    )


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = HTTPStatus(exc.status_code).phrase
    slug = title.lower().replace(" ", "-")
    headers = dict(exc.headers) if exc.headers else None
    return problem(exc.status_code, slug, title, str(exc.detail), headers=headers)


async def _integrity_error(_: Request, exc: Exception) -> JSONResponse:
    # A constraint a service did not check first (usually a race between two writers).
    # The database message names tables and values, so it stays in the log only.
    log.info("integrity error: %s", type(exc).__name__)
    return problem(
        409, "conflict", "Conflict", "The change conflicts with existing data; reload and retry"
    )


async def _data_error(_: Request, exc: Exception) -> JSONResponse:
    # A value the database cannot store (out of range, bad encoding) that validation let
    # through: the client's input, so a 422, without the database's message.
    log.info("data error: %s", type(exc).__name__)
    return problem(
        422,
        "invalid-input",
        "Invalid input",
        "A value cannot be stored: out of range or invalid characters",
    )


DATABASE_RETRY_AFTER = 5  # seconds; a client retrying sooner would mostly meet the same outage

# SQLite's primary result codes that mean "cannot use the database now", not a bug: busy or
# locked (another writer, such as a long import, past the busy timeout), read-only, I/O
# error, corrupt, full, cannot open, not a database.
_SQLITE_UNAVAILABLE = frozenset({5, 6, 8, 10, 11, 13, 14, 26})
_SQLITE_BUSY = frozenset({5, 6})
# PostgreSQL's undefined_table: the schema is gone (the database was created again, empty).
_PG_NO_SCHEMA = "42P01"


def database_unavailable(exc: SQLAlchemyError) -> str | None:
    """Why ``exc`` means the database cannot be used now ("busy" or "unavailable"), or None
    when it is a bug (a syntax error is an OperationalError on SQLite too)."""
    if isinstance(exc, PoolTimeout):  # every pooled connection in use for 30 s
        return "busy"
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        if code & 0xFF in _SQLITE_BUSY:
            return "busy"
        unavailable = code & 0xFF in _SQLITE_UNAVAILABLE or str(orig).startswith("no such table")
        return "unavailable" if unavailable else None
    # PostgreSQL (psycopg): connection failures, shutdown, too many connections, lock and
    # statement timeouts, serialization failures are all OperationalErrors.
    if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
        return "unavailable"
    return "unavailable" if getattr(orig, "sqlstate", None) == _PG_NO_SCHEMA else None


async def _database_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SQLAlchemyError)
    cause = database_unavailable(exc)
    if cause is None:
        raise exc  # a bug: on to the 500 handler, like any other
    # The driver's message names hosts, databases and tables: the log has it, the client not.
    log.warning("database %s: %s: %s", cause, type(exc).__name__, getattr(exc, "orig", exc))
    detail = (
        "The database is busy with another write (such as a long import)"
        if cause == "busy"
        else "The database is unavailable"
    )
    return problem(
        503,
        "database-unavailable",
        "Database unavailable",
        f"{detail}; retry in {DATABASE_RETRY_AFTER} seconds",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "internal", "Internal server error", "An unexpected error occurred")


def install_error_handlers(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""
    app.add_exception_handler(DlvError, _dlv_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
