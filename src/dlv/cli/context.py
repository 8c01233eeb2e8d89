"""What every CLI command shares: settings, the instance it works on, a transaction on it.

Only ``dlv init``, ``dlv serve``, ``dlv db upgrade`` and ``dlv restore`` may make a new
instance. Any other command first checks that the configured one exists and has DLV's schema,
without creating anything on the way (opening a SQLite URL creates the file), and otherwise
stops with one line naming the instance it looked at: run from the wrong directory, a command
used to create an empty database there and fail with a traceback, or "succeed" (``dlv demo``)
into an instance no server reads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import typer
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from dlv.config import DATABASE_FILE, SECRET_KEY_FILE, Settings, get_settings
from dlv.db import make_engine, make_sessionmaker
from dlv.errors import DlvError
from dlv.ops.logging import scrub

ELSEWHERE = "run `dlv init` here, or set DLV_HOME / DLV_DATABASE_URL"
CONNECT_TIMEOUT_SECONDS = 10
VERSION_TABLE = "alembic_version"
ANY_REVISION = "SELECT 1 FROM alembic_version LIMIT 1"


def shown_url(url: str) -> str:
    """``url`` as a message may show it: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return scrub(url)


def _first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc  # the driver's words, not SQLAlchemy's wrapper
    lines = str(cause).strip().splitlines()
    return scrub(lines[0]) if lines else type(cause).__name__


def _sqlite_has_schema(path: Path) -> bool:
    # mode=ro: never creates the file, even if it vanished since it was looked at.
    uri = path.resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        try:
            return conn.execute(ANY_REVISION).fetchone() is not None
        except sqlite3.DatabaseError:  # no such table, or not a database at all
            return False


def _server_has_schema(url: str) -> bool:
    postgres = make_url(url).get_backend_name() == "postgresql"
    connect_args = {"connect_timeout": CONNECT_TIMEOUT_SECONDS} if postgres else {}
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table(VERSION_TABLE):
                return False
            return conn.execute(text(ANY_REVISION)).first() is not None
    finally:
        engine.dispose()


def instance_problem(settings: Settings) -> str | None:
    """Why the configured instance cannot be used (missing, or without DLV's schema), in one
    line naming it; None when it can. Creates nothing."""
    if not settings.database_url:
        home = settings.home.resolve()
        path = home / DATABASE_FILE
        if not path.is_file():
            return f"no DLV instance in {home} (DLV_HOME): {ELSEWHERE}"
        if not _sqlite_has_schema(path):
            return f"the DLV instance in {home} (DLV_HOME) has an empty database: {ELSEWHERE}"
        return None
    url, shown = settings.database_url, shown_url(settings.database_url)
    try:
        sqlite_path = make_url(url).database if url.startswith("sqlite") else None
        if url.startswith("sqlite") and sqlite_path in (None, "", ":memory:"):
            return None  # an in-memory database: nothing to find, nothing left behind
        if sqlite_path is not None and not Path(sqlite_path).is_file():
            return f"no database at {shown} (DLV_DATABASE_URL): {ELSEWHERE}"
        if sqlite_path is not None:
            has_schema = _sqlite_has_schema(Path(sqlite_path))
        else:
            has_schema = _server_has_schema(url)
    except (SQLAlchemyError, sqlite3.Error, ImportError) as exc:
        return f"cannot open the database {shown} (DLV_DATABASE_URL): {_first_line(exc)}"
    if not has_schema:
        return f"the database {shown} (DLV_DATABASE_URL) has no DLV schema: {ELSEWHERE}"
    return None


def instance_url() -> str:
    """The configured instance's database URL, once it is known to exist; else stop."""
    settings = get_settings()
    problem = instance_problem(settings)
    if problem is not None:
        raise fail(f"error: {problem}")
    return settings.resolved_database_url


def instance_secret_key() -> str:
    """The instance's secret key; stops rather than generate one (as ``init`` and ``serve``
    do): a new key here would encrypt what this command writes with a key no server has."""
    settings = get_settings()
    configured = settings.secret_key is not None and settings.secret_key.get_secret_value()
    path = settings.home.resolve() / SECRET_KEY_FILE
    if not configured and not path.is_file():
        raise fail(
            f"error: no secret key: DLV_SECRET_KEY is not set and {path} does not exist: "
            "run `dlv init` here, or set DLV_HOME to the server's data directory, "
            "or DLV_SECRET_KEY"
        )
    return settings.resolved_secret_key()


@contextmanager
def transaction() -> Iterator[Session]:
    """A session on the configured instance (which must exist), committed when the block
    ends, rolled back if it raises."""
    engine = make_engine(instance_url())
    try:
        with make_sessionmaker(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


def fail(message: str) -> typer.Exit:
    """Print ``message`` on stderr and return the exit to raise."""
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)


def refused(exc: DlvError) -> typer.Exit:
    """Print a refused request's problem and each field's on stderr; the exit to raise."""
    exit_ = fail(exc.detail)
    for problem in exc.errors:
        typer.echo(f"  {problem['field']}: {problem['message']}", err=True)
    return exit_
