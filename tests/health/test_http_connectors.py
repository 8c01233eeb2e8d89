"""The Airflow and Spark connectors against a local server answering as their APIs document."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.health.fakes import AIRFLOW_TOKEN, FakeApi, as_json
from tests.servers import free_port

AF_USER, AF_PASSWORD = "dlv", "af-s3cret-Value-43"
SPARK_TOKEN = "spark-s3cret-Token-44"


def check(client: TestClient, admin: Caller, kind: str, connection: dict[str, Any]) -> Any:
    r = client.post(
        "/api/v1/connections/test",
        json={"kind": kind, "connection": connection},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    for secret in (AF_PASSWORD, SPARK_TOKEN, AIRFLOW_TOKEN):
        assert secret not in r.text
    return r.json()


def airflow(url: str, api_version: int, password: str = AF_PASSWORD, **extra: Any) -> Any:
    auth = {"type": "basic", "username": AF_USER, "password": password}
    return {"base_url": url, "api_version": api_version, "auth": auth, **extra}


def steps(result: Any) -> list[str]:
    return [s["name"] for s in result["steps"]]


def test_airflow3_basic_auth_is_traded_for_a_token(
    client: TestClient, admin: Caller, fake_api: FakeApi
) -> None:
    fake_api.airflow3(AF_USER, AF_PASSWORD)
    result = check(client, admin, "airflow", airflow(fake_api.url, 3))
    assert result["status"] == "ok", result
    assert steps(result) == ["resolve", "connect", "health", "version", "token", "auth"]
    assert fake_api.seen[-1][2]["authorization"] == f"Bearer {AIRFLOW_TOKEN}"


def test_airflow_reports_version_metadatabase_and_scheduler(
    client: TestClient, admin: Caller, fake_api: FakeApi
) -> None:
    fake_api.airflow3(AF_USER, AF_PASSWORD)
    message = check(client, admin, "airflow", airflow(fake_api.url, 3))["message"]
    assert message.startswith("Airflow 3.1.3: metadatabase healthy; scheduler healthy")
    assert message.endswith("credentials accepted")


def test_airflow3_wrong_password_is_rejected_at_the_token_endpoint(
    client: TestClient, admin: Caller, fake_api: FakeApi
) -> None:
    fake_api.airflow3(AF_USER, AF_PASSWORD)
    result = check(client, admin, "airflow", airflow(fake_api.url, 3, password="nope-nope"))
    assert result["status"] == "error"
    assert result["message"].startswith("Credentials rejected (HTTP 401 at /auth/token)")
    assert "nope-nope" not in str(result)


def test_airflow3_invalid_bearer_token_is_a_403(
    client: TestClient, admin: Caller, fake_api: FakeApi
) -> None:
    fake_api.airflow3(AF_USER, AF_PASSWORD)
    connection = {
        "base_url": fake_api.url,
        "api_version": 3,
        "auth": {"type": "bearer", "token": SPARK_TOKEN},
    }
    result = check(client, admin, "airflow", connection)
    assert result["status"] == "error"
    assert result["message"].startswith("Credentials rejected (HTTP 403 at /api/v2/dags)")


def test_airflow2_basic_auth_is_sent_to_the_v1_api(
    client: TestClient, admin: Caller, fake_api: FakeApi
) -> None:
    fake_api.airflow2(AF_USER, AF_PASSWORD)
    result = check(client, admin, "airflow", airflow(fake_api.url, 2))
    assert result["status"] == "ok", result
    assert steps(result) == ["resolve", "connect", "health", "version", "auth"]
    assert result["message"].startswith("Airflow 2.10.5: ")


def test_airflow2_wrong_password_is_a_401(
    client: TestClient, admin: Caller, fake_api: FakeApi
) -> None:
    fake_api.airflow2(AF_USER, AF_PASSWORD)
    result = check(client, admin, "airflow", airflow(fake_api.url, 2, password="nope-nope"))
    assert result["message"].startswith("Credentials rejected (HTTP 401 at /api/v1/dags)")


def test_an_unhealthy_scheduler_makes_the_check_fail(
    client: TestClient, admin: Caller, fake_api: FakeApi
) -> None:
    fake_api.airflow3(AF_USER, AF_PASSWORD, scheduler="unhealthy")
    result = check(client, admin, "airflow", airflow(fake_api.url, 3))
    assert result["status"] == "error"
    assert result["message"].startswith("Airflow is unhealthy: metadatabase healthy; scheduler")
    assert "scheduler unhealthy" in result["message"]


def test_the_wrong_api_version_is_a_404_that_says_what_to_check(
    client: TestClient, admin: Caller, fake_api: FakeApi
) -> None:
    fake_api.airflow2(AF_USER, AF_PASSWORD)
    result = check(client, admin, "airflow", airflow(fake_api.url, 3))
    assert result["message"] == (
        "Not found (HTTP 404 at /api/v2/monitor/health): check the URL and the API version"
    )


def test_airflow_that_never_answers_times_out(
    client: TestClient, admin: Caller, silent_port: int
) -> None:
    connection = airflow(f"http://127.0.0.1:{silent_port}", 3, timeout=1)
    result = check(client, admin, "airflow", connection)
    assert result["status"] == "error"
    assert result["steps"][-1]["name"] == "health"
    assert result["message"].startswith("Timed out: no answer from 127.0.0.1:")
    assert "1 s timeout" in result["message"]


def test_https_to_a_plain_http_server_is_a_tls_problem(
    client: TestClient, admin: Caller, fake_api: FakeApi
) -> None:
    fake_api.airflow3(AF_USER, AF_PASSWORD)
    connection = airflow(fake_api.url.replace("http://", "https://"), 3)
    result = check(client, admin, "airflow", connection)
    assert result["status"] == "error"
    assert result["message"].startswith("TLS problem with 127.0.0.1:")


def test_airflow_on_a_closed_port_is_connection_refused(client: TestClient, admin: Caller) -> None:
    result = check(client, admin, "airflow", airflow(f"http://127.0.0.1:{free_port()}", 3))
    assert result["message"].startswith("Connection refused by 127.0.0.1:")


def test_spark_history_server_reports_version_and_applications(
    client: TestClient, admin: Caller, fake_api: FakeApi
) -> None:
    fake_api.spark_history()
    result = check(client, admin, "spark", {"url": fake_api.url, "token": SPARK_TOKEN})
    assert result["status"] == "ok", result
    assert result["message"] == "Spark 3.5.1: 2 applications (1 running)"
    assert steps(result) == ["resolve", "connect", "version", "applications"]


def test_spark_token_is_sent_as_a_bearer_header(
    client: TestClient, admin: Caller, fake_api: FakeApi
) -> None:
    fake_api.spark_history()
    check(client, admin, "spark", {"url": fake_api.url, "token": SPARK_TOKEN})
    assert {h.get("authorization") for _, _, h in fake_api.seen} == {f"Bearer {SPARK_TOKEN}"}


def test_spark_url_may_include_the_api_prefix(
    client: TestClient, admin: Caller, fake_api: FakeApi
) -> None:
    fake_api.spark_history()
    result = check(client, admin, "spark", {"url": fake_api.url + "/api/v1/"})
    assert result["status"] == "ok", result


def test_spark_standalone_master_is_read_from_its_json(
    client: TestClient, admin: Caller, fake_api: FakeApi
) -> None:
    fake_api.spark_master()
    result = check(client, admin, "spark", {"url": fake_api.url})
    assert result["status"] == "ok", result
    assert result["message"] == (
        "Spark standalone master ALIVE, 2 alive workers, 3 applications (1 running)"
    )


def test_a_standby_spark_master_is_an_error(
    client: TestClient, admin: Caller, fake_api: FakeApi
) -> None:
    fake_api.spark_master(status="STANDBY")
    result = check(client, admin, "spark", {"url": fake_api.url})
    assert result["status"] == "error"
    assert result["message"].startswith("The Spark master is not serving: master STANDBY")


def test_spark_answering_html_is_reported_as_not_json_without_quoting_it(
    client: TestClient, admin: Caller, fake_api: FakeApi
) -> None:
    # What a Spark UI answers on every path while its driver starts.
    starting = (200, "text/html;charset=utf-8", b"Spark is starting up. Please wait a while.")
    fake_api.get("/api/v1/version", lambda h, b: starting)
    result = check(client, admin, "spark", {"url": fake_api.url})
    assert result["status"] == "error"
    assert result["message"] == "/api/v1/version did not answer JSON (it answered an HTML page)"
    assert "starting up" not in str(result)


def test_a_server_error_is_reported_with_its_status(
    client: TestClient, admin: Caller, fake_api: FakeApi
) -> None:
    fake_api.get("/api/v1/version", lambda h, b: as_json(503, {"detail": "overloaded"}))
    result = check(client, admin, "spark", {"url": fake_api.url})
    assert result["message"].startswith("HTTP 503 at /api/v1/version")
