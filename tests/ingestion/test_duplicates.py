"""A delivery a client retries is the same event twice: the second changes nothing (issue
23, point 6)."""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dlv.ingestion.models import OpenLineageEvent
from tests.conftest import Caller
from tests.ingestion.conftest import Poster, runtime
from tests.ingestion.factories import orders_task, run_id


def stored(db: Session) -> int:
    count = db.scalar(select(func.count()).select_from(OpenLineageEvent))
    db.rollback()
    return int(count or 0)


def test_the_same_event_posted_twice_is_counted_once(poster: Poster, db: Session) -> None:
    run = run_id()
    event = orders_task("COMPLETE", run=run, dag_run=run_id())
    poster.post(event)
    before = poster.get(f"/api/v1/runs/{run}")
    poster.post(event)
    after = poster.get(f"/api/v1/runs/{run}")
    assert after["event_count"] == 1
    assert after["updated_at"] == before["updated_at"]
    assert len(after["events"]) == 1
    assert stored(db) == 1


def _reserialized(event: dict[str, Any]) -> bytes:
    """The same JSON as a client retrying might send it again: keys reversed, indented."""

    def reverse(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: reverse(value[k]) for k in reversed(list(value))}
        return [reverse(v) for v in value] if isinstance(value, list) else value

    return json.dumps(reverse(event), indent=2).encode()


def test_the_same_event_serialized_again_is_counted_once(poster: Poster, db: Session) -> None:
    run = run_id()
    event = orders_task("COMPLETE", run=run, dag_run=run_id())
    poster.post(event)
    r = poster.client.post(
        "/api/v1/lineage",
        content=_reserialized(event),
        headers={**poster.ingest, "Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    assert poster.get(f"/api/v1/runs/{run}")["event_count"] == 1
    assert stored(db) == 1


def test_copies_in_one_batch_are_counted_once(
    client: TestClient, poster: Poster, db: Session
) -> None:
    run = run_id()
    event = orders_task("START", run=run, dag_run=run_id())
    r = client.post("/api/v1/lineage/batch", json=[event, event, event], headers=poster.ingest)
    assert [item["status"] for item in r.json()["results"]] == [201, 201, 201]
    assert poster.get(f"/api/v1/runs/{run}")["event_count"] == 1
    assert stored(db) == 1


def test_events_of_one_moment_with_different_text_both_count(poster: Poster) -> None:
    run, dag_run = run_id(), run_id()
    event = orders_task("RUNNING", run=run, dag_run=dag_run)
    other = copy.deepcopy(event)
    other["job"]["facets"]["documentation"]["description"] = "Another text"
    poster.post(event, other)
    assert poster.get(f"/api/v1/runs/{run}")["event_count"] == 2


def test_a_copy_mapped_in_the_background_is_dropped_too(
    background_client: TestClient, ingest_headers: dict[str, str], admin: Caller, db: Session
) -> None:
    poster = Poster(background_client, ingest_headers, admin)
    run = run_id()
    event = orders_task("COMPLETE", run=run, dag_run=run_id())
    poster.post(event)
    runtime(background_client).drain_all(wait=True)
    poster.post(event)
    runtime(background_client).drain_all(wait=True)
    assert poster.get(f"/api/v1/runs/{run}")["event_count"] == 1
    assert poster.get("/api/v1/ingestion/status")["pending"] == 0
    assert stored(db) == 1
