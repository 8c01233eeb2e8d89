"""Runs and job health: a job's status follows its latest run whatever order events come in."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.ingestion.conftest import Poster
from tests.ingestion.factories import (
    AIRFLOW_NS,
    PG_NS,
    SPARK_NS,
    airflow_task,
    orders_task,
    pg_table,
    run_id,
    spark_action,
)

SPARK_JOB = "sessionize.execute_insert_into_hadoop_fs_relation_command.warehouse_sessions"
ERROR = "org.apache.spark.SparkException: Job aborted due to stage failure: disk full"


def spark_job(poster: Poster) -> dict[str, Any]:
    return poster.node(SPARK_NS, SPARK_JOB)


def test_a_failing_spark_run_turns_its_job_red_with_the_message(poster: Poster) -> None:
    run, app = run_id(), run_id()
    poster.post(
        spark_action("START", run=run, app_run=app, minutes=0),
        spark_action("FAIL", run=run, app_run=app, minutes=3, error=ERROR),
    )
    job = spark_job(poster)
    assert (job["status"], job["status_message"]) == ("error", ERROR)
    assert poster.node(SPARK_NS, "sessionize")["id"] == job["parent_id"]
    detail = poster.get(f"/api/v1/runs/{run}")
    assert (detail["state"], detail["error_message"]) == ("FAIL", ERROR)
    assert detail["duration_seconds"] == 180.0
    assert detail["parent_run_id"] == app


def test_the_status_change_is_audited(poster: Poster) -> None:
    run, app = run_id(), run_id()
    poster.post(spark_action("FAIL", run=run, app_run=app, error=ERROR))
    job = spark_job(poster)
    [record] = poster.get("/api/v1/audit", action="node.status", target_id=job["id"])["items"]
    assert record["changes"]["status"] == {"from": "unknown", "to": "error"}


def test_a_later_successful_run_turns_the_job_green(poster: Poster) -> None:
    app = run_id()
    poster.post(spark_action("FAIL", run=run_id(), app_run=app, minutes=1, error=ERROR))
    poster.post(spark_action("COMPLETE", run=run_id(), app_run=app, minutes=10))
    job = spark_job(poster)
    assert (job["status"], job["status_message"]) == ("ok", None)


def test_a_run_still_running_keeps_the_last_outcome(poster: Poster) -> None:
    app = run_id()
    poster.post(spark_action("FAIL", run=run_id(), app_run=app, minutes=1, error=ERROR))
    poster.post(spark_action("RUNNING", run=run_id(), app_run=app, minutes=10))
    assert spark_job(poster)["status"] == "error"


def test_a_failure_without_a_message_still_says_what_failed(poster: Poster) -> None:
    run = run_id()
    poster.post(spark_action("ABORT", run=run, app_run=run_id()))
    assert spark_job(poster)["status_message"] == f"Run {run} ended ABORT"


def test_an_upstream_failure_is_the_likely_root_cause_downstream(poster: Poster) -> None:
    dag_run = run_id()
    extract = airflow_task(
        "FAIL",
        task="extract",
        run=run_id(),
        dag_run=dag_run,
        outputs=[pg_table("shop.staging.orders", "id")],
        run_facets={
            "errorMessage": {"message": "connection refused", "programmingLanguage": "PYTHON"}
        },
    )
    load = airflow_task(
        "COMPLETE",
        task="load",
        run=run_id(),
        dag_run=dag_run,
        inputs=[pg_table("shop.staging.orders", "id")],
        outputs=[pg_table("shop.mart.orders", "id")],
    )
    poster.post(extract, load)
    mart = poster.node(PG_NS, "shop.mart.orders")
    report = poster.get(f"/api/v1/nodes/{mart['id']}/impact", direction="upstream")
    causes = [(n["name"], n["status_message"]) for n in report["likely_root_causes"]]
    assert causes == [("etl_orders.extract", "connection refused")]


def final_state(poster: Poster, task: str, runs: list[str]) -> tuple[Any, ...]:
    job = poster.node(AIRFLOW_NS, f"etl_orders.{task}")
    states = []
    for run in runs:
        r = poster.get(f"/api/v1/runs/{run}")
        states.append((r["state"], r["started_at"], r["ended_at"], r["error_message"]))
    return job["status"], job["status_message"], tuple(states)


def history(task: str, first: str, second: str, dag_run: str) -> list[dict[str, Any]]:
    """Two runs: the first fails at minute 5, the second starts at 10 and completes at 15."""
    failed = {"errorMessage": {"message": "boom", "programmingLanguage": "PYTHON"}}
    return [
        airflow_task("START", task=task, run=first, dag_run=dag_run, minutes=0),
        airflow_task("FAIL", task=task, run=first, dag_run=dag_run, minutes=5, run_facets=failed),
        airflow_task("START", task=task, run=second, dag_run=dag_run, minutes=10),
        airflow_task("RUNNING", task=task, run=second, dag_run=dag_run, minutes=12),
        airflow_task("COMPLETE", task=task, run=second, dag_run=dag_run, minutes=15),
    ]


def test_out_of_order_and_duplicate_events_give_the_same_final_state(poster: Poster) -> None:
    outcomes = set()
    orders = list(itertools.permutations(range(5)))[::7]  # 18 orderings, first and last included
    for n, order in enumerate([*orders, (4, 3, 2, 1, 0)]):
        task, first, second, dag_run = f"t{n}", run_id(), run_id(), run_id()
        events = history(task, first, second, dag_run)
        sent = [events[i] for i in order]
        poster.post(*sent, *sent[:2])  # and the first two again, late
        outcomes.add(final_state(poster, task, [first, second]))
    assert len(outcomes) == 1
    [(status, message, runs)] = outcomes
    assert (status, message) == ("ok", None)
    assert [r[0] for r in runs] == ["FAIL", "COMPLETE"]


def test_a_late_failure_of_an_older_run_does_not_turn_the_job_red(poster: Poster) -> None:
    old, new, dag_run = run_id(), run_id(), run_id()
    poster.post(airflow_task("COMPLETE", run=new, dag_run=dag_run, minutes=30))
    poster.post(airflow_task("FAIL", run=old, dag_run=dag_run, minutes=5))
    assert poster.node(AIRFLOW_NS, "etl_orders.build_daily")["status"] == "ok"


def test_runs_list_filters_by_job_state_and_time(poster: Poster) -> None:
    app = run_id()
    failed, done = run_id(), run_id()
    poster.post(spark_action("FAIL", run=failed, app_run=app, minutes=1, error=ERROR))
    poster.post(spark_action("COMPLETE", run=done, app_run=app, minutes=90))
    poster.post(orders_task("START", run=run_id(), dag_run=run_id(), minutes=2))
    job = spark_job(poster)
    listed = poster.get("/api/v1/runs", node_id=job["id"])["items"]
    assert [r["id"] for r in listed] == [done, failed]
    assert all(r["job_id"] == job["id"] for r in listed)
    assert [r["id"] for r in poster.get("/api/v1/runs", state="FAIL")["items"]] == [failed]
    recent = poster.get("/api/v1/runs", node_id=job["id"], since="2026-11-26T09:00:00Z")
    assert [r["id"] for r in recent["items"]] == [done]


def test_runs_are_paginated(poster: Poster) -> None:
    runs = [run_id() for _ in range(5)]
    for run in runs:
        poster.post(orders_task("START", run=run, dag_run=run_id()))
    first = poster.get("/api/v1/runs", limit=3)
    second = poster.get("/api/v1/runs", limit=3, cursor=first["next_cursor"])
    seen = [r["id"] for r in first["items"] + second["items"]]
    assert sorted(seen) == sorted(runs)
    assert second["next_cursor"] is None


def test_a_run_shows_its_events_oldest_first(poster: Poster) -> None:
    run, app = run_id(), run_id()
    poster.post(
        spark_action("COMPLETE", run=run, app_run=app, minutes=5),
        spark_action("START", run=run, app_run=app, minutes=0),
    )
    detail = poster.get(f"/api/v1/runs/{run}")
    assert [e["event_type"] for e in detail["events"]] == ["START", "COMPLETE"]
    assert all(e["mapped"] for e in detail["events"])


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/runs/00000000-0000-4000-8000-000000000009", 404),
        ("/api/v1/runs/not-a-uuid", 422),
        ("/api/v1/runs?state=DONE", 422),
        ("/api/v1/runs?since=yesterday", 422),
        ("/api/v1/runs?since=0001-01-01T00:00:00%2B01:00", 422),  # no UTC time
        ("/api/v1/runs?since=9999-12-31T23:59:59-01:00", 422),
        ("/api/v1/nodes/00000000-0000-4000-8000-000000000009/openlineage", 404),
        ("/api/v1/edges/00000000-0000-4000-8000-000000000009/columns", 404),
    ],
)
def test_unknown_or_invalid_run_queries_are_4xx(
    client: TestClient, poster: Poster, path: str, status: int
) -> None:
    assert client.get(path, headers=poster.admin.headers).status_code == status


def test_secret_values_in_events_are_masked_when_read(poster: Poster) -> None:
    # Named like no secret (a key word in a dotted name), or a password inside a text.
    run, props = (
        run_id(),
        {
            "spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net": "AZ-hunter2",
            "spark.jdbc.url": "jdbc:postgresql://db:5432/shop?user=etl&password=hunter2",
        },
    )
    event = spark_action("FAIL", run=run, app_run=run_id(), error="postgres://etl:hunter2@db")
    event["run"]["facets"]["spark_properties"]["properties"].update(props)
    poster.post(event)
    detail = poster.get(f"/api/v1/runs/{run}")
    assert "hunter2" not in str(detail)
    assert detail["error_message"] == "postgres://etl:***@db"
    [job] = [n for n in poster.get("/api/v1/nodes", kind="job")["items"] if n["status"] == "error"]
    assert "hunter2" not in str(job)


def test_secret_looking_keys_in_events_are_masked_when_read(poster: Poster) -> None:
    run = run_id()
    event = spark_action("START", run=run, app_run=run_id())
    event["run"]["facets"]["spark_properties"]["properties"]["spark.hadoop.fs.s3a.secret.key"] = (
        "AKIA-xyz-secret"
    )
    poster.post(event)
    detail = poster.get(f"/api/v1/runs/{run}")
    assert "AKIA-xyz-secret" not in str(detail)
