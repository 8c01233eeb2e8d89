"""The Airflow and Spark collectors against real servers (integration/realservers.py).

A real Airflow 3 (api-server, scheduler with the LocalExecutor, dag-processor) runs a DAG
whose second task fails and holds a paused DAG that never ran; a real pyspark application
serves its UI's REST API, and a real standalone master its ``/json/``. The OpenLineage
transport of this Airflow points at a closed port: these tests are about what the collector
reads, not what events say (tests/collectors/test_airflow.py checks that both meet).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from integration import realservers

from tests.collectors.jobs_helpers import NOTHING, collect, collected, counts, jobs, system_node
from tests.conftest import Caller
from tests.servers import require_real

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

NAMESPACE = "airflow-collected"
FLAKY = """
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG(dag_id="flaky", schedule=None, start_date=datetime(2026, 1, 1), catchup=False,
         default_args={"retries": 0}):
    extract = BashOperator(task_id="extract", bash_command="echo extracted")
    load = BashOperator(task_id="load", bash_command="echo failing; exit 3")
    extract >> load
"""
IDLE = """
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG(dag_id="idle", schedule=None, start_date=datetime(2026, 1, 1), catchup=False,
         is_paused_upon_creation=True):
    BashOperator(task_id="noop", bash_command="true")
"""


@pytest.fixture(scope="module")
def airflow() -> Iterator[tuple[realservers.AirflowLineage, realservers.DagRun]]:
    """A real Airflow 3 that has run ``flaky`` (``load`` fails) and parsed the paused ``idle``."""
    require_real("airflow")
    closed = f"http://127.0.0.1:{realservers.free_port()}"
    dags = {"flaky.py": FLAKY, "idle.py": IDLE}
    with realservers.airflow_with_lineage(closed, "unused", dags, namespace=NAMESPACE) as server:
        run = server.run("flaky")
        assert run.tasks == {"extract": "success", "load": "failed"}, server.log_tail()
        server.wait_for_dag("idle")
        yield server, run


@pytest.fixture
def af_node(
    client: TestClient,
    admin: Caller,
    airflow: tuple[realservers.AirflowLineage, realservers.DagRun],
) -> dict[str, Any]:
    server, _ = airflow
    auth = {"type": "basic", "username": server.username, "password": server.password}
    config = {"base_url": server.url, "api_version": 3, "auth": auth, "timeout": 10}
    return system_node(client, admin, "airflow", NAMESPACE, config)


def test_real_airflow_dags_and_tasks_become_jobs(
    client: TestClient, admin: Caller, af_node: dict[str, Any]
) -> None:
    result = collect(client, admin, af_node)
    assert result["status"] == "ok", result
    found = jobs(client, admin, NAMESPACE)
    assert sorted(found) == ["flaky", "flaky.extract", "flaky.load", "idle", "idle.noop"]
    assert found["flaky"]["parent_id"] == af_node["id"]
    assert found["flaky.load"]["parent_id"] == found["flaky"]["id"]


def test_real_airflow_failed_task_is_an_error_with_its_log_link(
    client: TestClient,
    admin: Caller,
    af_node: dict[str, Any],
    airflow: tuple[realservers.AirflowLineage, realservers.DagRun],
) -> None:
    server, run = airflow
    collect(client, admin, af_node)
    found = jobs(client, admin, NAMESPACE)
    load = found["flaky.load"]
    assert load["status"] == "error"
    message = load["status_message"]
    assert message.startswith(f"Task load failed in DAG run {run.run_id} at 20")
    assert f"; log: {server.url}/dags/flaky/runs/" in message
    assert message.endswith("/tasks/load?try_number=1")
    assert found["flaky"]["status"] == "error"
    assert found["flaky"]["status_message"].endswith(": load failed")
    assert found["flaky.extract"]["status"] == "ok"


def test_real_airflow_paused_dag_is_tagged(
    client: TestClient, admin: Caller, af_node: dict[str, Any]
) -> None:
    collect(client, admin, af_node)
    idle = jobs(client, admin, NAMESPACE)["idle"]
    assert "airflow:paused" in idle["tags"]
    assert idle["status"] == "unknown"
    assert collected(client, admin, idle)["comment"] == "1 tasks; paused; never run"


def test_real_airflow_second_collection_writes_nothing(
    client: TestClient, admin: Caller, af_node: dict[str, Any]
) -> None:
    first = collect(client, admin, af_node)
    assert counts(first) == {**NOTHING, "created": 5}
    again = collect(client, admin, af_node)
    assert again["status"] == "ok"
    assert counts(again) == NOTHING


@pytest.fixture(scope="module")
def spark_app() -> Iterator[realservers.Spark]:
    require_real("spark")
    with realservers.spark_app() as server:
        yield server


@pytest.fixture(scope="module")
def spark_master() -> Iterator[realservers.Spark]:
    require_real("spark")
    with realservers.spark_master() as server:
        yield server


def test_real_spark_application_becomes_a_job(
    client: TestClient, admin: Caller, spark_app: realservers.Spark
) -> None:
    node = system_node(client, admin, "spark", "spark-collected", {"url": spark_app.url})
    result = collect(client, admin, node)
    assert result["status"] == "ok", result
    app = jobs(client, admin, "spark-collected")["dlv_integration"]
    assert app["parent_id"] == node["id"]
    assert app["status"] == "unknown"  # still running: no outcome yet
    facts = collected(client, admin, app)
    assert facts["object_kind"] == "spark_application"
    assert facts["comment"].startswith("application local-")
    assert "; 1 attempt; running since 20" in facts["comment"]
    assert counts(collect(client, admin, node)) == NOTHING


def test_real_spark_master_is_collected(
    client: TestClient, admin: Caller, spark_master: realservers.Spark
) -> None:
    node = system_node(client, admin, "spark", "spark-master", {"url": spark_master.url})
    result = collect(client, admin, node)
    assert result["status"] == "ok", result
    assert result["discovered"] == 0


@pytest.fixture(scope="module")
def spark_history() -> Iterator[realservers.Spark]:
    require_real("spark")
    with realservers.spark_history() as server:
        yield server


def test_real_spark_history_completed_and_failed_applications(
    client: TestClient, admin: Caller, spark_history: realservers.Spark
) -> None:
    node = system_node(client, admin, "spark", "spark-history", {"url": spark_history.url})
    result = collect(client, admin, node)
    assert result["status"] == "ok", result
    found = jobs(client, admin, "spark-history")
    assert sorted(found) == ["nightly_load", "orders_report"]
    assert found["nightly_load"]["status"] == "ok"
    assert found["nightly_load"]["status_message"].startswith("Application local-")
    assert " completed in " in found["nightly_load"]["status_message"]
    report = found["orders_report"]
    assert report["status"] == "error"
    # Which job fails is Spark's numbering (the aggregate before it may take one or two).
    assert re.fullmatch(r"Application local-\d+: Spark job \d+ failed", report["status_message"])
    assert "; 1 attempt; " in collected(client, admin, report)["comment"]
