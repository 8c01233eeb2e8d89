"""Edges age: those a job's latest successful run no longer reports go stale (kept, shown when
asked, out of lineage answers), and lineage can be asked as it was at a time (issue 23,
point 4)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.ingestion.conftest import Poster
from tests.ingestion.factories import AIRFLOW_NS, PG_NS, airflow_task, at, pg_table, run_id
from tests.nodes.factories import create, dataset

TASK = "etl_orders.refresh"


def run(poster: Poster, minutes: float, inputs: list[str], *, state: str = "COMPLETE") -> str:
    """One run of the task: START then its end, both naming the inputs (as Airflow does)."""
    run, dag_run = run_id(), run_id()
    tables = [pg_table(name, "id") for name in inputs]
    output = [pg_table("shop.mart.totals", "id")]
    for offset, event_type in ((0.0, "START"), (1.0, state)):
        poster.post(
            airflow_task(
                event_type,
                task="refresh",
                run=run,
                dag_run=dag_run,
                minutes=minutes + offset,
                inputs=tables,
                outputs=output,
            )
        )
    return run


def upstream(poster: Poster, **params: Any) -> dict[str, Any]:
    task = poster.node(AIRFLOW_NS, TASK)
    return dict(poster.get(f"/api/v1/nodes/{task['id']}/lineage", direction="upstream", **params))


def names(graph: dict[str, Any]) -> set[str]:
    return {n["name"] for n in graph["nodes"]}


def test_an_input_the_latest_run_no_longer_reads_goes_stale(poster: Poster) -> None:
    run(poster, 0, ["shop.raw.a", "shop.raw.b"])
    assert names(upstream(poster)) == {TASK, "shop.raw.a", "shop.raw.b"}
    second = run(poster, 60, ["shop.raw.a", "shop.raw.c"])
    assert names(upstream(poster)) == {TASK, "shop.raw.a", "shop.raw.c"}
    b = poster.node(PG_NS, "shop.raw.b")
    assert poster.get("/api/v1/edges", node_id=b["id"])["items"] == []  # hidden by default
    [edge] = poster.get("/api/v1/edges", node_id=b["id"], include_stale=True)["items"]
    assert edge["stale_since"] is not None
    assert edge["last_seen_at"] < edge["stale_since"]
    a = poster.node(PG_NS, "shop.raw.a")
    [kept] = poster.get("/api/v1/edges", node_id=a["id"])["items"]
    assert kept["last_run_id"] == second
    assert kept["first_seen_at"] < kept["last_seen_at"]


def test_stale_edges_are_shown_as_such_when_asked(poster: Poster) -> None:
    run(poster, 0, ["shop.raw.a", "shop.raw.b"])
    run(poster, 60, ["shop.raw.a"])
    graph = upstream(poster, include_stale=True)
    assert names(graph) == {TASK, "shop.raw.a", "shop.raw.b"}
    b = poster.node(PG_NS, "shop.raw.b")["id"]
    stale = {e["source_id"]: e["stale"] for e in graph["edges"] if e["relation"] == "flow"}
    assert stale[b] is True
    assert stale[poster.node(PG_NS, "shop.raw.a")["id"]] is False


def test_as_of_shows_the_graph_as_it_was(poster: Poster) -> None:
    run(poster, 0, ["shop.raw.a", "shop.raw.b"])
    run(poster, 60, ["shop.raw.a", "shop.raw.c"])
    before = upstream(poster, as_of=at(30))
    assert names(before) == {TASK, "shop.raw.a", "shop.raw.b"}
    assert before["as_of"].startswith("2026-11-26T08:30:00")
    assert names(upstream(poster, as_of=at(90))) == {TASK, "shop.raw.a", "shop.raw.c"}
    assert names(upstream(poster, as_of=at(-30))) == {TASK}  # before the first run
    report = poster.get(
        f"/api/v1/nodes/{poster.node(AIRFLOW_NS, TASK)['id']}/impact",
        direction="upstream",
        as_of=at(30),
    )
    assert {n["name"] for n in report["affected"]} == {"shop.raw.a", "shop.raw.b"}


def test_a_failed_run_ages_nothing(poster: Poster) -> None:
    run(poster, 0, ["shop.raw.a", "shop.raw.b"])
    run(poster, 60, ["shop.raw.a"], state="FAIL")
    assert names(upstream(poster)) == {TASK, "shop.raw.a", "shop.raw.b"}


def test_a_run_that_reports_no_lineage_ages_nothing(poster: Poster) -> None:
    run(poster, 0, ["shop.raw.a"])
    poster.post(
        airflow_task("COMPLETE", task="refresh", run=run_id(), dag_run=run_id(), minutes=60)
    )
    assert names(upstream(poster)) == {TASK, "shop.raw.a"}


def test_a_stale_edge_comes_back_when_a_later_run_reads_it_again(poster: Poster) -> None:
    run(poster, 0, ["shop.raw.a", "shop.raw.b"])
    run(poster, 60, ["shop.raw.a"])
    run(poster, 120, ["shop.raw.a", "shop.raw.b"])
    assert names(upstream(poster)) == {TASK, "shop.raw.a", "shop.raw.b"}


def test_a_late_start_event_of_the_latest_run_keeps_its_inputs(poster: Poster) -> None:
    # The run's COMPLETE arrives before its START (which alone names shop.raw.c).
    run(poster, 0, ["shop.raw.a", "shop.raw.c"])
    second, dag_run = run_id(), run_id()
    for event_type, minutes, inputs in (
        ("COMPLETE", 61, ["shop.raw.a"]),
        ("START", 60, ["shop.raw.a", "shop.raw.c"]),
    ):
        poster.post(
            airflow_task(
                event_type,
                task="refresh",
                run=second,
                dag_run=dag_run,
                minutes=minutes,
                inputs=[pg_table(name, "id") for name in inputs],
            )
        )
    assert names(upstream(poster)) == {TASK, "shop.raw.a", "shop.raw.c"}


def test_a_persons_edge_never_goes_stale(client: TestClient, admin: Caller, poster: Poster) -> None:
    run(poster, 0, ["shop.raw.a"])
    manual = create(client, admin, dataset("finance.rates"))
    task = poster.node(AIRFLOW_NS, TASK)
    r = client.post(
        "/api/v1/edges",
        json={"source_id": manual["id"], "target_id": task["id"]},
        headers=admin.headers,
    )
    assert r.status_code == 201
    run(poster, 60, ["shop.raw.a"])
    assert names(upstream(poster)) == {TASK, "shop.raw.a", "finance.rates"}


def test_events_of_an_older_run_arriving_late_do_not_revive_its_edges(poster: Poster) -> None:
    old, dag_run = run_id(), run_id()
    late = airflow_task(
        "RUNNING",
        task="refresh",
        run=old,
        dag_run=dag_run,
        minutes=0.5,
        inputs=[pg_table("shop.raw.b", "id")],
    )
    run(poster, 0, ["shop.raw.a", "shop.raw.b"])
    run(poster, 60, ["shop.raw.a"])
    poster.post(late)  # a retried delivery from before the latest run
    assert names(upstream(poster)) == {TASK, "shop.raw.a"}
