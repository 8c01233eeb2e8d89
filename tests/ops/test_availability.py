"""The database away, busy or at another schema: 503 with Retry-After, and not ready.

Outages are real: a PostgreSQL database dropped WITH (FORCE) under a running server (its
connections are cut and reconnecting fails), SQLite's write lock held by another connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dlv.auth.models import Role, TokenScope
from dlv.db import make_engine
from dlv.errors import DATABASE_RETRY_AFTER, database_unavailable
from tests.conftest import BACKEND, PG_ADMIN_URL, Caller, make_token, make_user
from tests.ingestion.factories import orders_task, run_id
from tests.nodes.factories import dataset
from tests.ops.backups import client_on, session_on
from tests.ops.conftest import PgDatabases

NODES = "/api/v1/nodes"
pg_only = pytest.mark.skipif(BACKEND != "postgresql", reason="drops a PostgreSQL database")
sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's database-wide lock")


def unavailable(r: Any) -> str:
    """The detail of a 503 for an unavailable database; asserts the answer's shape."""
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"] == str(DATABASE_RETRY_AFTER)
    body = r.json()
    assert body["type"].endswith("/database-unavailable")
    return str(body["detail"])


def not_ready(client: TestClient) -> str:
    r = client.get("/readyz")
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    return str(r.json()["detail"])


# ------------------------------------------------------------------ PostgreSQL goes away


def _sql(*statements: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        admin.dispose()


@contextmanager
def serving(pg_databases: PgDatabases, home: Path) -> Iterator[tuple[TestClient, Caller, str]]:
    """A server on a new database, an admin, and the database's name (to drop it)."""
    url = pg_databases.create(migrated=True)
    with session_on(url) as db:
        admin = make_user(db, "root", Role.admin)
    with client_on(url, home) as client:
        assert client.get(NODES, headers=admin.headers).status_code == 200  # pool is warm
        yield client, admin, str(make_url(url).database)


@pg_only
def test_api_calls_during_a_database_outage_are_503_with_retry_after(
    pg_databases: PgDatabases, tmp_path: Path
) -> None:
    with serving(pg_databases, tmp_path) as (client, admin, name):
        _sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        answers = [
            client.get(NODES, headers=admin.headers),
            client.post(NODES, json=dataset("orders"), headers=admin.headers),
        ]
    for r in answers:
        assert "The database is unavailable" in unavailable(r)
        # Nothing of the driver's message: database name, host, port, driver.
        for leak in (name, "127.0.0.1", "5432", "psycopg", "FATAL", "does not exist"):
            assert leak not in r.text


@pg_only
def test_readyz_is_503_during_a_database_outage(pg_databases: PgDatabases, tmp_path: Path) -> None:
    with serving(pg_databases, tmp_path) as (client, _, name):
        _sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        assert not_ready(client) == "The database is not reachable"


@pg_only
def test_a_database_created_again_empty_is_not_ready_and_calls_are_503(
    pg_databases: PgDatabases, tmp_path: Path
) -> None:
    with serving(pg_databases, tmp_path) as (client, admin, name):
        _sql(f'DROP DATABASE "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
        assert "schema" in not_ready(client)
        unavailable(client.get(NODES, headers=admin.headers))


# ------------------------------------------------------------------ the schema revision


def _set_revision(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    finally:
        engine.dispose()


@pytest.fixture
def scratch_url(request: pytest.FixtureRequest) -> str:
    """A migrated database of the run's backend that no other test uses after this one (the
    version table outlives the per-test emptying of the shared PostgreSQL database)."""
    if BACKEND == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    databases: PgDatabases = request.getfixturevalue("pg_databases")
    return databases.create(migrated=True)


@pytest.mark.parametrize("revision", ["0006", "9999_from_a_newer_dlv"])
def test_readyz_is_503_when_the_database_is_at_another_revision(
    scratch_url: str, tmp_path: Path, revision: str
) -> None:
    with client_on(scratch_url, tmp_path) as client:
        assert client.get("/readyz").json() == {"status": "ok"}
        _set_revision(scratch_url, revision)
        assert "dlv db upgrade" in not_ready(client)


def test_readyz_is_503_when_the_database_has_no_dlv_schema(
    scratch_url: str, tmp_path: Path
) -> None:
    with client_on(scratch_url, tmp_path) as client:
        engine = make_engine(scratch_url)
        try:
            with engine.begin() as conn:
                conn.execute(text("DROP TABLE alembic_version"))
        finally:
            engine.dispose()
        assert "schema" in not_ready(client)


# ------------------------------------------------------------------ SQLite's write lock


@contextmanager
def write_lock(database_url: str) -> Iterator[None]:
    """Another connection holding SQLite's write lock (as a long import does)."""
    conn = sqlite3.connect(str(make_url(database_url).database), isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
    finally:
        conn.rollback()
        conn.close()


@sqlite_only
def test_a_write_blocked_by_a_long_write_is_503_with_retry_after(
    client: TestClient, admin: Caller, database_url: str
) -> None:
    with write_lock(database_url):  # the write waits SQLite's busy timeout (10 s), then 503
        r = client.post(NODES, json=dataset("orders"), headers=admin.headers)
    assert "busy" in unavailable(r)
    assert "locked" not in r.text


@sqlite_only
def test_an_event_blocked_by_a_long_write_is_503_with_retry_after(
    client: TestClient, db: Session, database_url: str
) -> None:
    headers = make_token(db, "airflow", TokenScope.ingest)
    event = orders_task("START", run=run_id(), dag_run=run_id())
    with write_lock(database_url):
        r = client.post("/api/v1/lineage", json=event, headers=headers)
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == str(DATABASE_RETRY_AFTER)


@sqlite_only
def test_readyz_and_reads_go_on_while_a_long_write_holds_the_lock(
    client: TestClient, admin: Caller, database_url: str
) -> None:
    with write_lock(database_url):
        assert client.get("/readyz").json() == {"status": "ok"}
        assert client.get(NODES, headers=admin.headers).status_code == 200


# ------------------------------------------------------------------ what is not an outage


def test_a_bug_in_sql_is_not_taken_for_an_unavailable_database(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError) as raised:
            conn.execute(text("SELEC 1"))
    finally:
        engine.dispose()
    assert database_unavailable(raised.value) is None  # stays a 500, logged as a bug
