"""Ops fixtures: an app with `/metrics` open; databases of both kinds for backup and restore."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, inspect, text

from dlv import migrate
from dlv.app import create_app
from dlv.config import Settings
from dlv.models import metadata
from tests.conftest import BACKEND, PG_ADMIN_URL, SECRET_KEY

if TYPE_CHECKING:
    from tests.ops.backups import Source


def ops_settings(database_url: str, home: Path, **overrides: Any) -> Settings:
    return Settings(
        home=home,
        database_url=database_url,
        secret_key=SECRET_KEY,
        _env_file=None,
        **overrides,
    )


def ops_app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state; put it back for the other tests."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    uvicorn = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    saved_uvicorn = [(lg, list(lg.handlers), lg.propagate, lg.disabled) for lg in uvicorn]
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for lg, handlers, propagate, disabled in saved_uvicorn:
        lg.handlers[:] = handlers
        lg.propagate, lg.disabled = propagate, disabled


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return ops_settings(database_url, tmp_path / "home", metrics="open")


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return ops_app(settings)


# ------------------------------------------------------------------------- databases


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ops-template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """An empty, migrated SQLite database, whatever backend the run is on."""
    path = tmp_path / f"ops-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


class PgDatabases:
    """Creates PostgreSQL databases for one test session and drops them at its end."""

    def __init__(self) -> None:
        self.admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.names: list[str] = []

    def create(self, *, migrated: bool) -> str:
        name = f"dlv_ops_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        if migrated:
            migrate.upgrade(url)
        return url

    def close(self) -> None:
        with self.admin.connect() as conn:
            for name in self.names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases]:
    try:
        databases = PgDatabases()
        with databases.admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        if os.environ.get("CI"):  # in CI an unreachable PostgreSQL fails, never skips
            raise
        pytest.skip(f"PostgreSQL unreachable: {type(exc).__name__}")
    yield databases
    databases.close()


@pytest.fixture(scope="session")
def _pg_migrated(pg_databases: PgDatabases) -> str:
    return pg_databases.create(migrated=True)


@pytest.fixture
def pg_url(_pg_migrated: str) -> Iterator[str]:
    """An empty, migrated PostgreSQL database, whatever backend the run is on."""
    yield _pg_migrated
    engine = create_engine(_pg_migrated)
    existing = set(inspect(engine).get_table_names())
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables if t.name in existing)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


# ------------------------------------------------------------------------- populated sources


@pytest.fixture
def other_url(sqlite_url: str, request: pytest.FixtureRequest) -> str:
    """A second empty, migrated database of the run's backend."""
    if BACKEND == "sqlite":
        return sqlite_url
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(scope="session")
def sqlite_source(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Source:
    """A populated SQLite instance, its backup and its rows, shared by the session."""
    from tests.ops.backups import make_source  # noqa: PLC0415 - it imports this module

    directory = tmp_path_factory.mktemp("sqlite-source")
    shutil.copyfile(sqlite_template, directory / "source.db")
    return make_source(f"sqlite:///{directory / 'source.db'}", directory / "home")


@pytest.fixture(scope="session")
def pg_source(pg_databases: PgDatabases, tmp_path_factory: pytest.TempPathFactory) -> Source:
    """A populated PostgreSQL instance, its backup and its rows, shared by the session."""
    from tests.ops.backups import make_source  # noqa: PLC0415 - it imports this module

    home = tmp_path_factory.mktemp("pg-source")
    return make_source(pg_databases.create(migrated=True), home)
