"""Ingestion fixtures: settings, ingest-scoped tokens, a poster that checks every answer, a
background-mapping client and its runtime, and a job whose runs cannot be mapped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from dlv.app import create_app
from dlv.auth.models import TokenScope
from dlv.config import Settings
from dlv.db import make_engine
from dlv.ingestion.runtime import IngestRuntime
from tests.conftest import SECRET_KEY, Caller, make_token


def ingest_settings(database_url: str, home: Path, **overrides: Any) -> Settings:
    return Settings(
        home=home,
        database_url=database_url,
        secret_key=SECRET_KEY,
        _env_file=None,
        **overrides,
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return ingest_settings(database_url, tmp_path / "home")


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def ingest_headers(db: Session) -> dict[str, str]:
    return make_token(db, "airflow-prod", TokenScope.ingest)


class Poster:
    """Posts events as an ingest token and reads back as an admin."""

    def __init__(self, client: TestClient, ingest: dict[str, str], admin: Caller) -> None:
        self.client, self.ingest, self.admin = client, ingest, admin

    def post(self, *events: dict[str, Any]) -> list[int]:
        ids = []
        for event in events:
            r = self.client.post("/api/v1/lineage", json=event, headers=self.ingest)
            assert r.status_code == 201, r.text
            ids.append(int(r.json()["id"]))
        return ids

    def get(self, path: str, **params: Any) -> Any:
        r = self.client.get(path, params=params, headers=self.admin.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def node(self, namespace: str, name: str) -> dict[str, Any]:
        items = self.get("/api/v1/nodes", namespace=namespace, name=name)["items"]
        assert len(items) == 1, (namespace, name, items)
        return dict(items[0])


@pytest.fixture
def poster(client: TestClient, ingest_headers: dict[str, str], admin: Caller) -> Poster:
    return Poster(client, ingest_headers, admin)


# Mapping failures are real: a database trigger refuses one job's runs.
SQLITE_TRIGGER = """
CREATE TRIGGER poison BEFORE INSERT ON runs WHEN NEW.job_name = 'etl_orders.poison'
BEGIN SELECT RAISE(ABORT, 'poisoned run'); END
"""
PG_TRIGGER = [
    """CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN
       IF NEW.job_name = 'etl_orders.poison' THEN RAISE EXCEPTION 'poisoned run'; END IF;
       RETURN NEW; END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER poison BEFORE INSERT ON runs FOR EACH ROW EXECUTE FUNCTION poison()",
]


@pytest.fixture
def poisoned(database_url: str) -> Iterator[None]:
    engine: Engine = make_engine(database_url)
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        for statement in PG_TRIGGER if postgres else [SQLITE_TRIGGER]:
            conn.execute(text(statement))
    yield
    with engine.begin() as conn:  # the PostgreSQL database is shared by the whole run
        conn.execute(text("DROP TRIGGER poison ON runs" if postgres else "DROP TRIGGER poison"))
        if postgres:
            conn.execute(text("DROP FUNCTION poison()"))
    engine.dispose()


def runtime(client: TestClient) -> IngestRuntime:
    value: IngestRuntime = client.app.state.ingestion  # type: ignore[attr-defined]
    return value


@pytest.fixture
def background_client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = ingest_settings(database_url, tmp_path / "home", ingest_mapping="background")
    with TestClient(create_app(settings)) as client:
        yield client
