"""Data quality from OpenLineage facets (issue 28): dbt tests and Great Expectations
validations become a dataset's assertions, metrics history and status."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dlv.nodes.models import Node
from dlv.quality.models import KEEP_PER_NODE, QualityMetrics
from tests.conftest import Caller
from tests.ingestion.conftest import Poster
from tests.ingestion.factories import PG_NS, airflow_task, pg_table, run_id
from tests.quality.events import MODEL, TEST_JOB, dbt_test_run, ge_validation, not_null

FAILED = f"assertion not_null_orders_id on column id failed (dbt test {TEST_JOB})"


def orders(poster: Poster) -> dict[str, Any]:
    return poster.node(PG_NS, MODEL)


def quality(poster: Poster, **params: Any) -> dict[str, Any]:
    node = orders(poster)
    result: dict[str, Any] = poster.get(f"/api/v1/nodes/{node['id']}/quality", **params)
    return result


def test_a_failing_dbt_not_null_test_puts_the_dataset_in_error_naming_it(poster: Poster) -> None:
    poster.post(*dbt_test_run(not_null("id", False), not_null("customer_id", True)))
    node = orders(poster)
    assert (node["status"], node["status_message"]) == ("error", FAILED)
    found = quality(poster)
    assert found["failing"]
    assert found["status_held"]
    assert found["assertions"]["integration"] == "DBT"
    assert found["assertions"]["failed"] == 1
    assert [
        (a["assertion"], a["column"], a["success"]) for a in found["assertions"]["assertions"]
    ] == [
        ("not_null_orders_id", "id", False),
        ("not_null_orders_customer_id", "customer_id", True),
    ]


def test_passing_again_makes_it_ok(poster: Poster) -> None:
    poster.post(*dbt_test_run(not_null("id", False), minutes=0))
    poster.post(*dbt_test_run(not_null("id", True), minutes=60))
    node = orders(poster)
    assert (node["status"], node["status_message"]) == ("ok", None)
    found = quality(poster)
    assert not found["failing"]
    assert not found["status_held"]


def test_an_older_report_delivered_late_changes_nothing(poster: Poster) -> None:
    poster.post(*dbt_test_run(not_null("id", True), minutes=60))
    poster.post(*dbt_test_run(not_null("id", False), minutes=0))
    assert orders(poster)["status"] == "ok"
    assert quality(poster)["assertions"]["observed_at"].startswith("2026-11-26T09:00:30")


def test_a_warn_severity_failure_does_not_fail_the_data(poster: Poster) -> None:
    poster.post(*dbt_test_run(not_null("id", False, severity="warn")))
    assert orders(poster)["status"] == "ok"
    assert quality(poster)["assertions"]["failed"] == 0


def test_an_error_from_a_check_is_not_cleared_by_passing_assertions(
    poster: Poster, db: Session
) -> None:
    poster.post(*dbt_test_run(not_null("id", True), minutes=0))
    db.execute(
        update(Node)
        .where(Node.name == MODEL)
        .values(status="error", status_message="connection refused")
    )
    db.commit()
    poster.post(*dbt_test_run(not_null("id", False), minutes=30))
    poster.post(*dbt_test_run(not_null("id", True), minutes=60))
    node = orders(poster)
    assert (node["status"], node["status_message"]) == ("error", "connection refused")


def test_an_at_risk_dataset_gets_at_risk_back_when_assertions_pass(poster: Poster) -> None:
    run, dag_run = run_id(), run_id()
    for state, minutes in (("START", 0), ("FAIL", 1)):
        poster.post(
            airflow_task(
                state,
                task="build",
                run=run,
                dag_run=dag_run,
                minutes=minutes,
                outputs=[pg_table(MODEL, "id")],
            )
        )
    at_risk = orders(poster)
    assert at_risk["status"] == "at_risk"
    poster.post(*dbt_test_run(not_null("id", False), minutes=10))
    assert orders(poster)["status_message"] == FAILED
    poster.post(*dbt_test_run(not_null("id", True), minutes=20))
    node = orders(poster)
    assert (node["status"], node["status_message"]) == ("at_risk", at_risk["status_message"])


def test_a_great_expectations_validation_adds_to_the_metrics_history(poster: Poster) -> None:
    poster.post(ge_validation(100, 0, minutes=0))
    poster.post(ge_validation(120, 2, minutes=60, passed=False))
    found = quality(poster)
    first, second = found["metrics"]["items"]
    assert (first["row_count"], second["row_count"]) == (120, 100)
    assert first["job"] == "great_expectations/orders_suite"
    assert first["columns"]["id"] == {"nullCount": 2, "distinctCount": 118}
    assert first["columns"]["amount"]["quantiles"] == {"0.25": 3.0, "0.5": 10.0, "0.75": 40.0}
    # GE's own assertions facet: the failed expectation is the dataset's error.
    assert orders(poster)["status_message"] == (
        "assertion expect_column_values_to_not_be_null on column id failed (job orders_suite)"
    )


def test_metrics_history_pages_with_a_cursor(poster: Poster) -> None:
    poster.post(*(ge_validation(n, 0, minutes=n) for n in range(1, 6)))
    page = quality(poster, limit=2)
    counts = [m["row_count"] for m in page["metrics"]["items"]]
    while page["metrics"]["next_cursor"]:
        page = quality(poster, limit=2, cursor=page["metrics"]["next_cursor"])
        counts += [m["row_count"] for m in page["metrics"]["items"]]
    assert counts == [5, 4, 3, 2, 1]


def test_history_is_pruned_to_its_bound(poster: Poster, db: Session) -> None:
    batch = [ge_validation(n, 0, minutes=n) for n in range(KEEP_PER_NODE + 5)]
    r = poster.client.post("/api/v1/lineage/batch", json=batch, headers=poster.ingest)
    assert r.status_code in (200, 201), r.text
    poster.post(ge_validation(9999, 0, minutes=10_000))
    kept = db.scalars(select(QualityMetrics.row_count)).all()
    assert len(kept) == KEEP_PER_NODE
    assert min(c or 0 for c in kept) == 6


def test_malformed_facets_are_ignored_and_the_event_is_kept(poster: Poster) -> None:
    _, end = dbt_test_run(not_null("id", False))
    bad: list[Any] = [
        "not a facet",
        {"assertions": "nope"},
        {"assertions": [{"assertion": 3, "success": False}, {"assertion": "x"}]},
    ]
    for n, facet in enumerate(bad):
        event = {**end, "run": {"runId": f"00000000-0000-4000-8000-00000000000{n}"}}
        event["inputs"] = [
            {
                **end["inputs"][0],
                "inputFacets": {
                    "dataQualityAssertions": facet,
                    "dataQualityMetrics": {"rowCount": -1},
                },
            }
        ]
        poster.post(event)
    node = orders(poster)
    assert node["status"] != "error"
    found = quality(poster)
    assert found["assertions"] is None
    assert found["metrics"]["items"] == []
    job = poster.node("dbt", TEST_JOB)
    runs = poster.get("/api/v1/runs", node_id=job["id"])["items"]
    assert len(runs) == len(bad)


@pytest.mark.parametrize("order", ["as sent", "newest first"])
def test_an_unreadable_later_report_of_a_run_keeps_the_readable_one(
    poster: Poster, order: str
) -> None:
    # One batch: mapping folds a run's START and COMPLETE; the COMPLETE's assertions are
    # malformed, and must not take the START's place.
    start, end = dbt_test_run(not_null("id", False))
    end["inputs"] = [
        {**end["inputs"][0], "inputFacets": {"dataQualityAssertions": {"assertions": "nope"}}}
    ]
    events = [start, end] if order == "as sent" else [end, start]
    r = poster.client.post("/api/v1/lineage/batch", json=events, headers=poster.ingest)
    assert r.status_code == 200, r.text
    node = orders(poster)
    assert (node["status"], node["status_message"]) == ("error", FAILED)
    assert quality(poster)["assertions"]["failed"] == 1


def test_impact_reports_show_the_quality_failure(poster: Poster) -> None:
    report_task = airflow_task(
        "COMPLETE",
        task="report",
        run=run_id(),
        dag_run=run_id(),
        inputs=[pg_table(MODEL, "id")],
    )
    poster.post(report_task)
    poster.post(*dbt_test_run(not_null("id", False), minutes=5))
    node = orders(poster)
    report = poster.get(f"/api/v1/nodes/{node['id']}/impact")
    assert [
        (f["node"]["name"], f["assertions"][0]["assertion"]) for f in report["quality_failures"]
    ] == [(MODEL, "not_null_orders_id")]


def test_a_viewer_reads_quality_and_an_unknown_node_is_404(
    client: TestClient, poster: Poster, viewer: Caller
) -> None:
    poster.post(ge_validation(10, 0))
    node = orders(poster)
    r = client.get(f"/api/v1/nodes/{node['id']}/quality", headers=viewer.headers)
    assert r.status_code == 200
    r = client.get(
        "/api/v1/nodes/00000000-0000-4000-8000-000000000000/quality", headers=viewer.headers
    )
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_late_dataset_turns_error_and_back_to_ok_for_the_sla_to_judge(
    poster: Poster, db: Session
) -> None:
    poster.post(*dbt_test_run(not_null("id", True), minutes=0))
    late = "no successful run for 3 h, SLA 2 h"
    db.execute(update(Node).where(Node.name == MODEL).values(status="late", status_message=late))
    db.commit()
    poster.post(*dbt_test_run(not_null("id", False), minutes=30))
    assert orders(poster)["status"] == "error"  # error > late (ADR 16)
    poster.post(*dbt_test_run(not_null("id", True), minutes=60))
    # Not late again from here: the SLA evaluator re-asserts late if still breached.
    assert orders(poster)["status"] == "ok"
