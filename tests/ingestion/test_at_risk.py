"""What a failed job writes is flagged (status at_risk) until a producer succeeds again
(issue 23, point 2)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from dlv.nodes.models import Node
from tests.conftest import Caller
from tests.ingestion.conftest import Poster
from tests.ingestion.factories import AIRFLOW_NS, PG_NS, airflow_task, facet, pg_table, run_id

OUTPUT = "shop.mart.revenue"


def run(poster: Poster, task: str, minutes: float, state: str, error: str | None = None) -> None:
    run, dag_run = run_id(), run_id()
    run_facets: dict[str, Any] = {}
    if error is not None:
        run_facets["errorMessage"] = facet(
            "ErrorMessageRunFacet", message=error, programmingLanguage="PYTHON"
        )
    for offset, event_type in ((0.0, "START"), (1.0, state)):
        poster.post(
            airflow_task(
                event_type,
                task=task,
                run=run,
                dag_run=dag_run,
                minutes=minutes + offset,
                inputs=[pg_table("shop.staging.orders", "id")],
                outputs=[pg_table(OUTPUT, "id")],
                run_facets=run_facets if event_type == state else None,
            )
        )


def output(poster: Poster) -> dict[str, Any]:
    return poster.node(PG_NS, OUTPUT)


def test_a_dataset_whose_producer_failed_is_at_risk(poster: Poster) -> None:
    run(poster, "build", 0, "COMPLETE")
    assert output(poster)["status"] == "ok"
    run(poster, "build", 60, "FAIL", error='relation "staging.missing_table" does not exist')
    found = output(poster)
    assert found["status"] == "at_risk"
    assert found["status_message"] == (
        "producer etl_orders.build failed at 2026-11-26 09:01:00 UTC: "
        'relation "staging.missing_table" does not exist'
    )


def test_a_producer_succeeding_again_clears_it(poster: Poster) -> None:
    run(poster, "build", 0, "FAIL", error="boom")
    assert output(poster)["status"] == "at_risk"
    run(poster, "build", 60, "COMPLETE")
    found = output(poster)
    assert (found["status"], found["status_message"]) == ("ok", None)


def test_the_producer_whose_run_ended_last_decides(poster: Poster) -> None:
    run(poster, "backfill", 0, "FAIL", error="boom")
    run(poster, "build", 30, "COMPLETE")
    assert output(poster)["status"] == "ok"
    run(poster, "build", 60, "FAIL", error="again")
    assert output(poster)["status_message"].startswith("producer etl_orders.build failed")


def test_a_dataset_in_error_is_left_as_it_is(poster: Poster, db: Session) -> None:
    run(poster, "build", 0, "COMPLETE")
    db.execute(update(Node).where(Node.name == OUTPUT).values(status="error"))
    db.commit()
    run(poster, "build", 60, "FAIL", error="boom")
    assert output(poster)["status"] == "error"


def test_impact_shows_which_affected_nodes_hold_stale_data(
    client: TestClient, admin: Caller, poster: Poster
) -> None:
    run(poster, "build", 0, "FAIL", error="boom")
    task = poster.node(AIRFLOW_NS, "etl_orders.build")
    report = poster.get(f"/api/v1/nodes/{task['id']}/impact")
    assert [n["name"] for n in report["at_risk"]] == [OUTPUT]
    assert report["root"]["status"] == "error"
    summary = client.get("/api/v1/health/summary", headers=admin.headers).json()
    assert summary["by_status"]["at_risk"] == 1
    listed = poster.get("/api/v1/nodes", status="at_risk")["items"]
    assert [n["name"] for n in listed] == [OUTPUT]
