"""Stored but unmapped events: mapped later by the drain, one by one when a batch fails, and
given up (with the error kept) after repeated failures. Mapping failures are real: a database
trigger refuses one job's runs."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dlv.ingestion.models import OpenLineageEvent
from dlv.ingestion.service import MAX_ATTEMPTS
from tests.conftest import Caller
from tests.ingestion.conftest import Poster, runtime
from tests.ingestion.factories import PG_NS, airflow_task, orders_task, run_id


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


def test_the_summary_counts_each_failed_attempt_to_map_an_event(
    poisoned: None, client: TestClient, poster: Poster
) -> None:
    good, bad = run_id(), run_id()
    poster.post(orders_task("COMPLETE", run=good, dag_run=run_id()))
    poster.post(airflow_task("COMPLETE", task="poison", run=bad, dag_run=run_id()))
    for _ in range(MAX_ATTEMPTS + 1):
        runtime(client).drain_all(wait=True)
    summary = runtime(client).summary
    assert summary is not None
    window = summary.take()
    assert (window.accepted, window.refused, window.mapping_failures) == (2, 0, MAX_ATTEMPTS)
