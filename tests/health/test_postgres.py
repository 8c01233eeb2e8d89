"""The PostgreSQL connector against a real, private cluster with password authentication."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.health.conftest import PG_PASSWORD, PrivatePostgres
from tests.servers import free_port


def check(client: TestClient, admin: Caller, connection: dict[str, Any]) -> dict[str, Any]:
    r = client.post(
        "/api/v1/connections/test",
        json={"kind": "postgres", "connection": connection},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    assert PG_PASSWORD not in r.text
    return dict(r.json())


def test_good_credentials_pass_every_step(
    client: TestClient, admin: Caller, private_pg: PrivatePostgres
) -> None:
    result = check(client, admin, private_pg.connection())
    assert result["status"] == "ok", result
    assert [s["name"] for s in result["steps"]] == [
        "resolve",
        "connect",
        "login",
        "query",
        "catalog",
    ]
    assert all(s["ok"] for s in result["steps"])


def test_ok_reports_the_server_version_and_visible_tables(
    client: TestClient, admin: Caller, private_pg: PrivatePostgres
) -> None:
    result = check(client, admin, private_pg.connection())
    assert result["message"].startswith("PostgreSQL ")
    assert "1 tables visible" in result["message"]


def test_wrong_password_is_a_credentials_error(
    client: TestClient, admin: Caller, private_pg: PrivatePostgres
) -> None:
    result = check(client, admin, private_pg.connection(password="not-the-password"))
    assert result["status"] == "error"
    assert result["message"].startswith("Wrong credentials: password authentication failed")
    assert result["steps"][-1]["name"] == "login"
    assert "not-the-password" not in str(result)


def test_unknown_database_says_so(
    client: TestClient, admin: Caller, private_pg: PrivatePostgres
) -> None:
    result = check(client, admin, private_pg.connection(database="no_such_db"))
    assert result["status"] == "error"
    assert result["message"].startswith("Unknown database: 'no_such_db' does not exist")


def test_closed_port_is_connection_refused(client: TestClient, admin: Caller) -> None:
    connection = {"host": "127.0.0.1", "port": free_port(), "database": "x", "user": "u"}
    result = check(client, admin, connection)
    assert result["status"] == "error"
    assert result["message"].startswith("Connection refused by 127.0.0.1:")
    assert result["steps"][-1]["name"] == "connect"


def test_unresolvable_host_is_a_dns_failure(client: TestClient, admin: Caller) -> None:
    # .invalid never resolves (RFC 6761), so no query leaves the machine's resolver.
    connection = {"host": "db.dlv-test.invalid", "database": "x", "user": "u"}
    result = check(client, admin, connection)
    assert result["status"] == "error"
    assert result["message"].startswith("DNS lookup failed for host 'db.dlv-test.invalid'")
    assert [s["name"] for s in result["steps"]] == ["resolve"]


def test_tls_required_by_config_but_not_offered_is_a_tls_problem(
    client: TestClient, admin: Caller, private_pg: PrivatePostgres
) -> None:
    result = check(client, admin, private_pg.connection(sslmode="require"))
    assert result["status"] == "error"
    assert result["message"].startswith("TLS problem with 127.0.0.1:")


def test_a_server_that_never_answers_times_out(
    client: TestClient, admin: Caller, silent_port: int
) -> None:
    connection = {
        "host": "127.0.0.1",
        "port": silent_port,
        "database": "x",
        "user": "u",
        "password": PG_PASSWORD,
        "connect_timeout": 1,
    }
    result = check(client, admin, connection)
    assert result["status"] == "error"
    assert result["steps"][-1]["name"] == "login"
    assert "1 s timeout" in result["message"]
    assert result["message"].startswith("Timed out")


@pytest.mark.parametrize(
    "overrides",
    [{"password": "wrong-pw-1"}, {"database": "nope"}, {"sslmode": "require"}],
)
def test_failures_never_echo_the_configured_password(
    client: TestClient, admin: Caller, private_pg: PrivatePostgres, overrides: dict[str, Any]
) -> None:
    # The password the config carries is the right one here (or wrong-pw-1): neither may
    # appear anywhere in the answer, whichever step fails.
    result = check(client, admin, private_pg.connection(**overrides))
    assert result["status"] == "error"
    assert "wrong-pw-1" not in str(result)
    assert PG_PASSWORD not in str(result)
