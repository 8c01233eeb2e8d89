"""The Spark collector against a local server answering as Spark's REST API or a standalone
master does (a real Spark 4.3.0's answers and that shape: tests/collectors/fixtures/spark4.json)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dlv.collectors.spark import job_name
from tests.collectors.fake_systems import FakeSpark
from tests.collectors.jobs_helpers import NOTHING, collect, collected, counts, jobs, system_node
from tests.conftest import Caller

NAMESPACE = "spark-prod"


@pytest.fixture
def history() -> Iterator[FakeSpark]:
    with FakeSpark().serve() as server:
        assert isinstance(server, FakeSpark)
        yield server


@pytest.fixture
def master() -> Iterator[FakeSpark]:
    with FakeSpark(master=True).serve() as server:
        assert isinstance(server, FakeSpark)
        yield server


def spark_node(client: TestClient, admin: Caller, fake: FakeSpark, **extra: Any) -> dict[str, Any]:
    return system_node(client, admin, "spark", NAMESPACE, {"url": fake.url, **extra})


@pytest.mark.parametrize(
    ("app_name", "job"),
    [
        ("dlv-integration", "dlv_integration"),
        ("NightlyLoad", "nightly_load"),
        ("Orders Report", "orders_report"),
        ("etl.daily", "etl_daily"),
    ],
)
def test_an_application_is_named_as_openlineage_names_its_job(app_name: str, job: str) -> None:
    assert job_name(app_name) == job


def test_applications_become_jobs_under_the_spark_node(
    client: TestClient, admin: Caller, history: FakeSpark
) -> None:
    node = spark_node(client, admin, history)
    result = collect(client, admin, node)
    assert result["status"] == "ok", result
    assert counts(result) == {**NOTHING, "created": 3}
    found = jobs(client, admin, NAMESPACE)
    assert sorted(found) == ["dlv_integration", "nightly_load", "orders_report"]
    assert all(j["parent_id"] == node["id"] for j in found.values())


def test_a_completed_application_is_ok_with_its_duration(
    client: TestClient, admin: Caller, history: FakeSpark
) -> None:
    collect(client, admin, spark_node(client, admin, history))
    nightly = jobs(client, admin, NAMESPACE)["nightly_load"]
    assert nightly["status"] == "ok"
    # The newest run of the name wins: today's, not yesterday's.
    assert nightly["status_message"] == "Application app-20261207040000-0000 completed in 61.0 s"
    facts = collected(client, admin, nightly)
    assert facts["object_kind"] == "spark_application"
    assert facts["comment"] == "application app-20261207040000-0000; 1 attempt; 61.0 s"


def test_an_application_with_a_failed_spark_job_is_an_error(
    client: TestClient, admin: Caller, history: FakeSpark
) -> None:
    collect(client, admin, spark_node(client, admin, history))
    report = jobs(client, admin, NAMESPACE)["orders_report"]
    assert report["status"] == "error"
    assert report["status_message"] == "Application app-20261207040500-0001: Spark job 1 failed"
    assert "2 attempts" in collected(client, admin, report)["comment"]
    assert "GET /api/v1/applications/app-20261207040500-0001/2/jobs?status=failed" in history.seen


def test_a_running_application_keeps_its_status(
    client: TestClient, admin: Caller, history: FakeSpark
) -> None:
    node = spark_node(client, admin, history)
    collect(client, admin, node)
    running = jobs(client, admin, NAMESPACE)["dlv_integration"]
    assert running["status"] == "unknown"
    assert "running since 2026-12-07T04:17:09+00:00" in collected(client, admin, running)["comment"]
    assert counts(collect(client, admin, node)) == NOTHING


def test_a_master_reports_finished_and_failed_applications(
    client: TestClient, admin: Caller, master: FakeSpark
) -> None:
    result = collect(client, admin, spark_node(client, admin, master))
    assert result["status"] == "ok", result
    found = jobs(client, admin, NAMESPACE)
    assert found["nightly_load"]["status"] == "ok"
    assert found["orders_report"]["status"] == "error"
    assert found["orders_report"]["status_message"] == (
        "Application app-20261207040500-0001 ended FAILED after 5.0 s"
    )
    assert found["streaming_ingest"]["status"] == "unknown"


def test_an_application_no_longer_listed_is_gone(
    client: TestClient, admin: Caller, master: FakeSpark
) -> None:
    node = spark_node(client, admin, master)
    collect(client, admin, node)
    master.model["master"]["activeapps"] = []
    assert counts(collect(client, admin, node)) == {**NOTHING, "gone": 1}


def test_a_token_is_never_shown(client: TestClient, admin: Caller) -> None:
    node = system_node(
        client, admin, "spark", NAMESPACE, {"url": "http://127.0.0.1:9", "token": "spk-secret"}
    )
    result = collect(client, admin, node)
    assert result["status"] == "error"
    assert result["message"].startswith("Connection refused by 127.0.0.1:9")
    assert "spk-secret" not in result["message"]
