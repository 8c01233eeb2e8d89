"""Stored but unmapped events: mapped later by the drain, one by one when a batch fails, and
given up (with the error kept) after repeated failures. Mapping failures are real: a database
trigger refuses one job's runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from dlv.app import create_app
from dlv.db import make_engine
from dlv.ingestion.models import OpenLineageEvent
from dlv.ingestion.runtime import IngestRuntime
from dlv.ingestion.service import MAX_ATTEMPTS
from tests.conftest import Caller
from tests.ingestion.conftest import Poster, ingest_settings
from tests.ingestion.factories import PG_NS, airflow_task, orders_task, run_id

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


def test_a_batch_with_an_unmappable_event_still_maps_the_others(
    poisoned: None, client: TestClient, poster: Poster, db: Session
) -> None:
    good, bad = run_id(), run_id()
    r = client.post(
        "/api/v1/lineage/batch",
        json=[
            orders_task("COMPLETE", run=good, dag_run=run_id()),
            airflow_task("COMPLETE", task="poison", run=bad, dag_run=run_id()),
        ],
        headers=poster.ingest,
    )
    assert [item["status"] for item in r.json()["results"]] == [201, 201]  # both stored
    for _ in range(MAX_ATTEMPTS + 1):
        runtime(client).drain_all(wait=True)
    assert poster.get(f"/api/v1/runs/{good}")["state"] == "COMPLETE"
    status = poster.get("/api/v1/ingestion/status")
    assert (status["pending"], status["failed"]) == (0, 1)
    failed = db.scalars(select(OpenLineageEvent).where(OpenLineageEvent.error.is_not(None))).one()
    assert "poisoned run" in (failed.error or "")
    assert failed.attempts == MAX_ATTEMPTS


@pytest.fixture
def background_client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = ingest_settings(database_url, tmp_path / "home", ingest_mapping="background")
    with TestClient(create_app(settings)) as client:
        yield client


def test_in_background_mode_events_are_mapped_by_the_drain(
    background_client: TestClient, ingest_headers: dict[str, str], admin: Caller
) -> None:
    poster = Poster(background_client, ingest_headers, admin)
    run = run_id()
    poster.post(orders_task("COMPLETE", run=run, dag_run=run_id()))
    runtime(background_client).drain_all(wait=True)
    assert poster.get("/api/v1/ingestion/status")["pending"] == 0
    assert poster.get(f"/api/v1/runs/{run}")["state"] == "COMPLETE"
    assert poster.node(PG_NS, "shop.analytics.daily_orders")["kind"] == "dataset"
