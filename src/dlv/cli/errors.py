"""An unexpected error in a ``dlv`` command: one line on stderr, exit code 1, no traceback.

A traceback told a new user nothing they could act on (94 lines for a missing database) and
carried what the failing statement was given: SQLAlchemy prints its parameters, among them
a new API token's hash. The line is scrubbed like a log line, with the configured secrets.
``dlv --debug`` (or ``DLV_DEBUG=1``) also prints the traceback, with statement parameters
hidden and scrubbed the same way.
"""

from __future__ import annotations

import traceback
from typing import Any

import typer
from pydantic import ValidationError
from sqlalchemy.exc import StatementError
from typer.core import TyperGroup

from dlv.config import get_settings
from dlv.errors import DlvError
from dlv.ops.logging import scrub, settings_secrets

MAX_LINE = 500
# What Typer prints and exits with itself: usage errors (its ClickException is a
# TyperException), typer.Exit, typer.Abort.
_TYPER_EXITS = (typer.TyperException, typer.Exit, typer.Abort)


def _known_secrets() -> list[str]:
    try:
        return settings_secrets(get_settings())
    except ValidationError:  # the settings themselves are what failed
        return []


def _hide_parameters(exc: BaseException | None, seen: set[int] | None = None) -> None:
    """Make SQLAlchemy leave the statement's parameters out of every message in the chain."""
    seen = set() if seen is None else seen
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, StatementError):
            exc.hide_parameters = True
        if exc.__cause__ is not None:
            _hide_parameters(exc.__cause__, seen)
        exc = exc.__context__


def _settings_error(exc: ValidationError) -> str:
    # Not scrubbed: "DLV_ACCESS_TOKEN_MINUTES: Input..." looks like a secret to the scrubber,
    # and pydantic's messages never repeat the value they refused.
    problems = [
        f"DLV_{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" if e["loc"] else e["msg"]
        for e in exc.errors()
    ]
    return "invalid settings: " + "; ".join(problems)


def _text(exc: BaseException) -> str:
    if isinstance(exc, DlvError):
        return exc.detail
    if isinstance(exc, StatementError):
        return f"database error: {exc}"  # "(driver.Error) message", then the SQL: line 1 only
    message = str(exc).strip()
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def one_line(exc: BaseException) -> str:
    """``exc`` as one line a user can read: no traceback, no statement, no secret."""
    if isinstance(exc, ValidationError) and exc.title == "Settings":
        return _settings_error(exc)[:MAX_LINE]
    _hide_parameters(exc)
    lines = _text(exc).splitlines() or [type(exc).__name__]
    return scrub(lines[0][:MAX_LINE], _known_secrets())


def debug_traceback(exc: BaseException) -> str:
    """The traceback, with statement parameters hidden and secrets scrubbed."""
    _hide_parameters(exc)
    return scrub("".join(traceback.format_exception(exc)), _known_secrets())


class DlvGroup(TyperGroup):
    """The ``dlv`` group: turns an unexpected exception of any command into one line."""

    # Any: Typer's Context class lives in its private copy of click.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _TYPER_EXITS:
            raise
        except Exception as exc:
            if ctx.params.get("debug"):
                typer.echo(debug_traceback(exc), err=True, nl=False)
            typer.secho(f"error: {one_line(exc)}", err=True, fg=typer.colors.RED)
            raise typer.Exit(code=1) from None
