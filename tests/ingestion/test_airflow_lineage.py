"""End to end with a real Airflow 3: its OpenLineage provider, configured as a user configures
it, sends the events of real task runs (SQL on a real PostgreSQL) to a running DLV server.

The module's fixture runs everything once (shop_etl once, changing_sql twice: table A, then
table B) and keeps DLV running with what it mapped; each test reads from it, so a new test
costs a few requests. What DLV received is compared with (or, with
DLV_RECORD_AIRFLOW_FIXTURES=1, written to) the recordings in tests/ingestion/fixtures/airflow/
that fast tests replay (tests/ingestion/airflow_fixtures.py).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from integration import realservers
from sqlalchemy import Engine, make_url, select
from sqlalchemy.orm import Session

from dlv.auth.models import Role, TokenScope
from dlv.db import make_engine, make_sessionmaker
from dlv.ingestion.models import OpenLineageEvent
from tests.conftest import PG_ADMIN_URL, make_token, make_user, migrated_url, scratch_postgres
from tests.ingestion import airflow_dags, airflow_fixtures
from tests.ingestion.airflow_fixtures import Event
from tests.ingestion.servers import CatalogReads, ingest_server
from tests.servers import require_real

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

NAMESPACE = "airflow-integration"
TERMINAL = {"COMPLETE", "FAIL", "ABORT"}
MAPPED_TIMEOUT = 120.0
RECORD = bool(os.environ.get("DLV_RECORD_AIRFLOW_FIXTURES"))

# name -> (DAG, conf, what Airflow must end with: the run's state and each task's)
RUNS: dict[str, tuple[str, dict[str, Any] | None, str, dict[str, str]]] = {
    "shop_etl": (
        "shop_etl",
        None,
        "failed",
        {"load_orders": "success", "build_revenue": "success", "build_report": "failed"},
    ),
    "changing_sql_run1": (
        "changing_sql",
        {"source": "raw.table_a"},
        "success",
        {"refresh": "success"},
    ),
    "changing_sql_run2": (
        "changing_sql",
        {"source": "raw.table_b"},
        "success",
        {"refresh": "success"},
    ),
}


@contextmanager
def shop_database() -> Iterator[str]:
    """A fresh PostgreSQL database with the tables the DAGs read; Airflow's URI for it."""
    with scratch_postgres("dlv_shop", airflow_dags.SETUP_SQL) as name:
        url = make_url(PG_ADMIN_URL).set(database=name, drivername="postgresql")
        yield url.render_as_string(hide_password=False)


@dataclass
class Lineage(CatalogReads):
    """DLV after the Airflow runs: its API, and the events it received per DAG run."""

    api: httpx.Client
    runs: dict[str, realservers.DagRun]
    received: dict[str, list[Event]]  # RUNS' names -> events, in the order received
    database: str  # the PostgreSQL database the tasks ran on
    postgres_namespace: str

    def table(self, name: str) -> dict[str, Any]:
        """The dataset node of ``schema.table``."""
        return self.node(self.postgres_namespace, f"{self.database}.{name}")


def wait_until_mapped(api: httpx.Client, dag_id: str, count: int) -> None:
    """Until DLV holds ``count`` finished runs of the DAG, each with its tasks' finished runs,
    and nothing waits to be mapped (the DAG's last event may come after Airflow's answer)."""
    tasks = airflow_dags.TASKS[dag_id]
    deadline = time.monotonic() + MAPPED_TIMEOUT
    while True:
        runs = api.get("/api/v1/runs", params={"limit": 500}).json()["items"]
        done = [r for r in runs if r["job_namespace"] == NAMESPACE and r["state"] in TERMINAL]
        dag_runs = [r for r in done if r["job_name"] == dag_id]
        children = {(r["parent_run_id"], r["job_name"]) for r in done}
        complete = len(dag_runs) >= count and all(
            (d["id"], f"{dag_id}.{t}") in children for d in dag_runs for t in tasks
        )
        if complete and api.get("/api/v1/ingestion/status").json()["pending"] == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"DLV did not map {count} runs of {dag_id}: {runs}")
        time.sleep(0.5)


def events_after(engine: Engine, last_id: int) -> tuple[list[Event], int]:
    """What DLV stored after event ``last_id`` (the bodies as received), and the last id."""
    with Session(engine) as session:
        rows = session.execute(
            select(OpenLineageEvent.id, OpenLineageEvent.payload)
            .where(OpenLineageEvent.id > last_id)
            .order_by(OpenLineageEvent.id)
        ).all()
    return [json.loads(payload) for _, payload in rows], max((i for i, _ in rows), default=last_id)


def run_all(
    airflow: realservers.AirflowLineage, api: httpx.Client, engine: Engine
) -> tuple[dict[str, realservers.DagRun], dict[str, list[Event]]]:
    """Each of RUNS in turn, the next once DLV has mapped the last; what each sent."""
    runs: dict[str, realservers.DagRun] = {}
    received: dict[str, list[Event]] = {}
    last_id = 0
    for name, (dag_id, conf, state, tasks) in RUNS.items():
        run = airflow.run(dag_id, conf)
        assert (run.state, run.tasks) == (state, tasks), f"{run}\n{airflow.log_tail()}"
        runs[name] = run
        wait_until_mapped(api, dag_id, sum(1 for r in runs.values() if r.dag_id == dag_id))
        received[name], last_id = events_after(engine, last_id)
    return runs, received


@pytest.fixture(scope="module")
def lineage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lineage]:
    require_real("airflow")
    with shop_database() as shop_uri, migrated_url(tmp_path_factory, "dlv_airflow") as database_url:
        engine = make_engine(database_url)
        with make_sessionmaker(engine)() as db:
            bearer = make_token(db, "airflow", TokenScope.ingest)["Authorization"]
            admin = make_user(db, "root", Role.admin)
        home = tmp_path_factory.mktemp("dlv-airflow")
        shop = make_url(shop_uri)
        postgres_namespace = f"postgres://{shop.host}:{shop.port or 5432}"
        with (
            ingest_server(database_url, home) as server,
            httpx.Client(base_url=server.url, headers=admin.headers, timeout=30) as api,
        ):
            with realservers.airflow_with_lineage(
                server.url,
                bearer.removeprefix("Bearer "),
                airflow_dags.SOURCES,
                {airflow_dags.CONNECTION: shop_uri},
                namespace=NAMESPACE,
            ) as airflow:
                runs, received = run_all(airflow, api, engine)
            if RECORD:
                airflow_fixtures.write(
                    received,
                    {
                        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
                        "requirements": realservers.REQUIREMENTS["airflow"],
                        "namespace": NAMESPACE,
                        "postgres_namespace": postgres_namespace,
                        "database": shop.database,
                        "dag_runs": {n: r.run_id for n, r in runs.items()},
                        "dags": airflow_dags.SOURCES,
                        "setup_sql": airflow_dags.SETUP_SQL,
                    },
                )
            yield Lineage(api, runs, received, str(shop.database), postgres_namespace)
        engine.dispose()


def skeleton(events: list[Event], database: str) -> list[tuple[Any, ...]]:
    """What a change of versions could change: types, jobs, facet names, datasets."""

    def names(datasets: list[Event]) -> tuple[str, ...]:
        return tuple(d["name"].removeprefix(f"{database}.") for d in datasets)

    return sorted(
        (
            e["eventType"],
            e["job"]["name"],
            tuple(sorted(e["job"].get("facets", {}))),
            tuple(sorted(e["run"].get("facets", {}))),
            names(e.get("inputs", [])),
            names(e.get("outputs", [])),
        )
        for e in events
    )


@pytest.mark.parametrize("name", airflow_fixtures.RECORDINGS)
def test_the_recorded_fixtures_match_what_airflow_sends(lineage: Lineage, name: str) -> None:
    recorded = airflow_fixtures.load(name)
    assert skeleton(lineage.received[name], lineage.database) == skeleton(
        recorded.events, recorded.database
    ), f"re-record {name}: see tests/ingestion/airflow_fixtures.py"


def test_each_task_run_sends_its_start_and_its_outcome(lineage: Lineage) -> None:
    sent = sorted((e["job"]["name"], e["eventType"]) for e in lineage.received["shop_etl"])
    assert sent == [
        ("shop_etl", "FAIL"),
        ("shop_etl", "START"),
        ("shop_etl.build_report", "FAIL"),
        ("shop_etl.build_report", "START"),
        ("shop_etl.build_revenue", "COMPLETE"),
        ("shop_etl.build_revenue", "START"),
        ("shop_etl.load_orders", "COMPLETE"),
        ("shop_etl.load_orders", "START"),
    ]


def test_dlv_keeps_the_dag_run_and_each_task_run_with_its_outcome(lineage: Lineage) -> None:
    runs = lineage.get("/api/v1/runs", limit=500)["items"]
    shop = {r["job_name"]: r["state"] for r in runs if r["job_name"].startswith("shop_etl")}
    assert shop == {
        "shop_etl": "FAIL",
        "shop_etl.load_orders": "COMPLETE",
        "shop_etl.build_revenue": "COMPLETE",
        "shop_etl.build_report": "FAIL",
    }


def test_the_failed_task_is_in_error_naming_the_missing_table(lineage: Lineage) -> None:
    task = lineage.node(NAMESPACE, "shop_etl.build_report")
    assert task["status"] == "error"
    assert 'relation "staging.missing_table" does not exist' in task["status_message"]


def test_revenue_comes_from_staging_orders_through_build_revenue(lineage: Lineage) -> None:
    build_revenue = lineage.node(NAMESPACE, "shop_etl.build_revenue")
    assert lineage.sources(lineage.table("mart.revenue")) == {"shop_etl.build_revenue"}
    assert lineage.sources(build_revenue) == {"staging.orders"}


def test_the_second_runs_source_table_feeds_table_c(lineage: Lineage) -> None:
    refresh = lineage.node(NAMESPACE, "changing_sql.refresh")
    assert lineage.sources(lineage.table("mart.table_c")) == {"changing_sql.refresh"}
    assert "raw.table_b" in lineage.sources(refresh)


# -- the on-call questions, on what a real Airflow sent (issue 23) -------------------------


def test_the_failing_task_not_its_dag_is_the_likely_root_cause(lineage: Lineage) -> None:
    task = lineage.node(NAMESPACE, "shop_etl.build_report")
    report = lineage.get(f"/api/v1/nodes/{task['id']}/impact", direction="upstream")
    assert [n["name"] for n in report["likely_root_causes"]] == ["shop_etl.build_report"]
    assert [p["name"] for p in report["parents"]] == ["shop_etl"]
    revenue = lineage.table("mart.revenue")
    healthy = lineage.get(f"/api/v1/nodes/{revenue['id']}/impact", direction="upstream")
    assert healthy["likely_root_causes"] == []


def test_the_missing_table_is_derived_from_what_the_task_named(lineage: Lineage) -> None:
    task = lineage.node(NAMESPACE, "shop_etl.build_report")
    assert lineage.sources(task) == {"staging.missing_table"}
    missing = lineage.table("staging.missing_table")
    facts = lineage.get(f"/api/v1/nodes/{missing['id']}/openlineage")
    assert facts["derived"]["job"] == f"{NAMESPACE}/shop_etl.build_report"
    [edge] = lineage.get("/api/v1/edges", node_id=missing["id"])["items"]
    assert edge["origin"] == "derived"


def test_what_the_failed_task_writes_is_at_risk(lineage: Lineage) -> None:
    report = lineage.table("mart.report")
    assert report["status"] == "at_risk"
    assert report["status_message"].startswith("producer shop_etl.build_report failed at ")
    assert lineage.table("mart.revenue")["status"] == "ok"


def test_the_input_the_first_run_read_is_stale_after_the_second(lineage: Lineage) -> None:
    refresh = lineage.node(NAMESPACE, "changing_sql.refresh")
    assert lineage.sources(refresh) == {"raw.table_b"}
    graph = lineage.get(
        f"/api/v1/nodes/{refresh['id']}/lineage", direction="upstream", include_stale=True
    )
    stale = {e["source_id"] for e in graph["edges"] if e["relation"] == "flow" and e["stale"]}
    assert stale == {lineage.table("raw.table_a")["id"]}


def test_every_owner_and_the_dag_tags_are_kept(lineage: Lineage) -> None:
    dag = lineage.node(NAMESPACE, "shop_etl")
    assert dag["owners"] == ["alice", "bob", "carol"]
    assert dag["tags"] == ["finance", "team:data"]
    assert lineage.node(NAMESPACE, "shop_etl.build_report")["owners"] == ["carol"]
