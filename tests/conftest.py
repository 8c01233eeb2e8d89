"""Fixtures shared by every test: a migrated database per test, an app, clients per role.

The backend is chosen by DLV_TEST_DB (``sqlite``, the default, or ``postgresql``); ``make test``
runs the whole suite once on each. PostgreSQL gets a fresh database per test run, and each
test starts from empty tables.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, inspect, make_url, text
from sqlalchemy.orm import Session

from dlv import migrate
from dlv.app import create_app
from dlv.auth import security
from dlv.auth import service as auth_service
from dlv.auth.models import Role, TokenScope
from dlv.auth.principal import SYSTEM
from dlv.auth.schemas import TokenCreate, UserCreate
from dlv.auth.security import issue_access_token
from dlv.config import Settings
from dlv.db import make_engine, make_sessionmaker
from dlv.models import metadata

# Still Argon2id, with test-sized cost: hundreds of users are created per run.
security.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

# The monitoring loop would check the nodes other tests create (their status, their history):
# only the tests of the loop switch it on, by passing their own settings or environment.
os.environ.setdefault("DLV_MONITOR", "off")
# Likewise the SLA evaluator: its tests run rounds themselves, with their own clock.
os.environ.setdefault("DLV_SLA", "off")
# Likewise the alert delivery worker: its tests run it round by round.
os.environ.setdefault("DLV_ALERTS", "off")

BACKEND = os.environ.get("DLV_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get(
    "DLV_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SECRET_KEY = "test-secret-key-0123456789-abcdefghijklmnop"
PASSWORD = "correct horse battery"


def _pg_admin_engine() -> Engine:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@contextmanager
def migrated_database(factory: pytest.TempPathFactory, prefix: str) -> Iterator[str]:
    """A migrated database for a run: a SQLite file to copy, or a new PostgreSQL database."""
    if BACKEND == "sqlite":
        path = factory.mktemp(prefix) / f"{prefix}.db"
        migrate.upgrade(f"sqlite:///{path}")
        yield str(path)
        return
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # A test database is thrown away: a commit need not wait for the disk.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
    except Exception as exc:
        # In CI an unreachable PostgreSQL is a failure, never a skip.
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL unreachable: {type(exc).__name__}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    migrate.upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def migrated_url(factory: pytest.TempPathFactory, prefix: str) -> Iterator[str]:
    """As ``migrated_database``, as a URL (a test module's own DLV database)."""
    with migrated_database(factory, prefix) as location:
        yield f"sqlite:///{location}" if BACKEND == "sqlite" else location


@contextmanager
def scratch_postgres(prefix: str, setup_sql: Iterable[str]) -> Iterator[str]:
    """A new PostgreSQL database (not DLV's: the one a real Airflow or dbt works in), set up
    with ``setup_sql``, dropped afterwards whatever happened; its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = _pg_admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        # In CI an unreachable PostgreSQL is a failure, never a skip.
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL unreachable: {type(exc).__name__}")
    try:
        engine = create_engine(make_url(PG_ADMIN_URL).set(database=name))
        with engine.begin() as conn:
            for statement in setup_sql:
                conn.execute(text(statement))
        engine.dispose()
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _empty_tables(url: str) -> None:
    """Delete every row and restart the sequences, as a new database would have them.

    DELETE, not TRUNCATE: TRUNCATE gives each table new files and flushes them, 40-370 ms a
    test on the shared CI disk against 3 ms for the few rows a test leaves.
    """
    engine = create_engine(url)
    with engine.begin() as conn:
        existing = set(inspect(conn).get_table_names())
        sequences = conn.execute(
            text("SELECT sequence_schema || '.' || sequence_name FROM information_schema.sequences")
        ).scalars()
        tables = [t.name for t in reversed(metadata.sorted_tables) if t.name in existing]
        statements = [
            *(f'DELETE FROM "{t}"' for t in tables),
            *(f"SELECT setval('{s}', 1, false)" for s in sequences),
        ]
        conn.execute(text("; ".join(statements)))
    engine.dispose()


def empty_database(template: str, directory: Path, filename: str) -> Iterator[str]:
    """An empty, migrated database for one test, made from ``template`` (emptied after)."""
    if BACKEND == "sqlite":
        path = directory / filename
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    yield template
    _empty_tables(template)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The run's migrated database (see ``migrated_database``)."""
    with migrated_database(tmp_path_factory, "dlv_test") as url:
        yield url


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database for one test."""
    yield from empty_database(database_template, tmp_path, "dlv.db")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        home=tmp_path / "home",
        database_url=database_url,
        secret_key=SECRET_KEY,
        _env_file=None,
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    """A session on the test database, for arranging data and reading raw rows."""
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


@dataclass
class Caller:
    """A user and the headers that authenticate as them."""

    id: uuid.UUID
    username: str
    headers: dict[str, str]


def make_user(db: Session, username: str, role: Role) -> Caller:
    """Create a user directly and return a valid login token for them."""
    user = auth_service.create_user(
        db,
        SYSTEM,
        UserCreate.model_validate({"username": username, "password": PASSWORD, "role": role}),
    )
    db.commit()
    token, _ = issue_access_token(SECRET_KEY, user.id, user.token_version, 60)
    return Caller(user.id, username, {"Authorization": f"Bearer {token}"})


def make_token(db: Session, name: str, scope: TokenScope) -> dict[str, str]:
    """Headers with a fresh API token of ``scope``."""
    _, secret = auth_service.create_token(db, SYSTEM, TokenCreate(name=name, scope=scope))
    db.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def admin(db: Session) -> Caller:
    return make_user(db, "root", Role.admin)


@pytest.fixture
def viewer(db: Session) -> Caller:
    return make_user(db, "vera", Role.viewer)
