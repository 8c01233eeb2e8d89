"""DLV's connectors against a real Airflow API server and real Spark REST APIs.

Each server runs from its own virtualenv (integration/realservers.py), as a user's deployment
would; ``make test-integration`` builds the venvs once and caches them. In CI a missing venv is
built here rather than skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from integration import realservers

from tests.conftest import Caller
from tests.servers import require_real

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def airflow() -> Iterator[realservers.Airflow]:
    require_real("airflow")
    with realservers.airflow_server() as server:
        yield server


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


def check(client: TestClient, admin: Caller, kind: str, connection: dict[str, Any]) -> Any:
    r = client.post(
        "/api/v1/connections/test",
        json={"kind": kind, "connection": connection},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    return r.json()


def airflow_config(server: realservers.Airflow, password: str) -> dict[str, Any]:
    return {
        "base_url": server.url,
        "api_version": 3,
        "auth": {"type": "basic", "username": server.username, "password": password},
    }


def test_real_airflow_is_healthy_and_accepts_the_credentials(
    client: TestClient, admin: Caller, airflow: realservers.Airflow
) -> None:
    result = check(client, admin, "airflow", airflow_config(airflow, airflow.password))
    assert result["status"] == "ok", result
    assert result["message"].startswith(
        f"Airflow {airflow.version}: metadatabase healthy; scheduler healthy"
    )
    assert [s["name"] for s in result["steps"]][-2:] == ["token", "auth"]


def test_real_airflow_rejects_a_wrong_password(
    client: TestClient, admin: Caller, airflow: realservers.Airflow
) -> None:
    result = check(client, admin, "airflow", airflow_config(airflow, "wrong-Password-7"))
    assert result["status"] == "error"
    assert result["message"].startswith("Credentials rejected (HTTP 401 at /auth/token)")
    assert "wrong-Password-7" not in str(result)


def test_real_airflow_rejects_an_invalid_token(
    client: TestClient, admin: Caller, airflow: realservers.Airflow
) -> None:
    connection = {
        "base_url": airflow.url,
        "api_version": 3,
        "auth": {"type": "bearer", "token": "not-a-jwt-Token-8"},
    }
    result = check(client, admin, "airflow", connection)
    assert result["status"] == "error"
    assert result["message"].startswith("Credentials rejected (HTTP 403 at /api/v2/dags)")
    assert "not-a-jwt-Token-8" not in str(result)


def test_real_spark_application_ui_reports_version_and_its_application(
    client: TestClient, admin: Caller, spark_app: realservers.Spark
) -> None:
    result = check(client, admin, "spark", {"url": spark_app.url})
    assert result["status"] == "ok", result
    assert result["message"] == f"Spark {spark_app.version}: 1 applications (1 running)"


def test_real_spark_standalone_master_is_read_from_its_json(
    client: TestClient, admin: Caller, spark_master: realservers.Spark
) -> None:
    result = check(client, admin, "spark", {"url": spark_master.url})
    assert result["status"] == "ok", result
    assert result["message"].startswith("Spark standalone master ALIVE, 0 alive workers")
