"""Where a connection test may go: DLV_CHECK_ALLOW / DLV_CHECK_DENY, checked before connecting.

No test here sends anything beyond 127.0.0.1: denied destinations are refused before a socket
is opened, and ``loopback_only`` turns any attempt to reach another address into a failure
that never leaves the machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from dlv.app import create_app
from dlv.config import Settings
from dlv.health.connectors.base import Pin, http_client
from tests.conftest import SECRET_KEY, Caller
from tests.health.conftest import CountingListener, LoopbackGuard
from tests.health.fakes import FakeApi
from tests.nodes.factories import create

NOT_ATTEMPTED = "no connection was attempted"


@contextmanager
def client_with(settings: Settings, **network: str) -> Iterator[TestClient]:
    """A client of an app whose settings are the test's plus ``network`` (check_allow, ...)."""
    configured = Settings(
        home=settings.home,
        database_url=settings.database_url,
        secret_key=SECRET_KEY,
        _env_file=None,
        **network,  # type: ignore[arg-type]
    )
    with TestClient(create_app(configured)) as client:
        yield client


def config(kind: str, host: str, port: int) -> dict[str, Any]:
    """A config of ``kind`` pointing at ``host:port`` (host as a URL would write it)."""
    if kind == "postgres":
        bare = host.strip("[]")
        return {"host": bare, "port": port, "database": "x", "user": "u", "connect_timeout": 2}
    key = "base_url" if kind == "airflow" else "url"
    return {key: f"http://{host}:{port}", "timeout": 2}


def try_connection(client: TestClient, admin: Caller, kind: str, connection: Any) -> Any:
    r = client.post(
        "/api/v1/connections/test",
        json={"kind": kind, "connection": connection},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    return r.json()


KINDS = ["postgres", "airflow", "spark"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_destination_in_dlv_check_deny_is_refused_before_any_connection(
    settings: Settings, admin: Caller, counting_listener: CountingListener, kind: str
) -> None:
    with client_with(settings, check_deny="default,127.0.0.0/8") as client:
        result = try_connection(
            client, admin, kind, config(kind, "127.0.0.1", counting_listener.port)
        )
    assert result["status"] == "error"
    assert [s["name"] for s in result["steps"]] == ["resolve"]
    assert result["message"] == (
        f"Destination not allowed: 127.0.0.1 is denied by DLV_CHECK_DENY (127.0.0.0/8); "
        f"{NOT_ATTEMPTED}"
    )
    assert counting_listener.connections_before_a_probe() == 0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("host", "entry"),
    [
        ("169.254.169.254", "169.254.0.0/16"),
        ("100.100.100.200", "100.100.100.200"),
        ("168.63.129.16", "168.63.129.16"),
        ("[fd00:ec2::254]", "fd00:ec2::254"),
        ("[::ffff:169.254.169.254]", "169.254.0.0/16"),
    ],
)
def test_cloud_metadata_addresses_are_denied_by_default(
    client: TestClient,
    admin: Caller,
    loopback_only: LoopbackGuard,
    kind: str,
    host: str,
    entry: str,
) -> None:
    result = try_connection(client, admin, kind, config(kind, host, 80))
    assert result["status"] == "error"
    assert [s["name"] for s in result["steps"]] == ["resolve"]
    assert result["message"].startswith("Destination not allowed: ")
    assert result["message"].endswith(
        f"is denied by DLV_CHECK_DENY ({entry}) (link-local or cloud metadata, denied by "
        f"default); {NOT_ATTEMPTED}"
    )
    assert loopback_only.attempts == []


def test_a_stored_node_is_refused_the_same_way(
    settings: Settings, admin: Caller, counting_listener: CountingListener
) -> None:
    body = {"kind": "postgres", "namespace": "pg", "name": "local"}
    with client_with(settings, check_deny="127.0.0.1") as client:
        connection = config("postgres", "127.0.0.1", counting_listener.port)
        node_id = create(client, admin, {**body, "connection": connection})["id"]
        r = client.post(f"/api/v1/nodes/{node_id}/test-connection", headers=admin.headers)
        counts = client.post("/api/v1/health/check-all", headers=admin.headers).json()
    assert r.json()["message"].endswith(f"DLV_CHECK_DENY (127.0.0.1); {NOT_ATTEMPTED}")
    assert (counts["checked"], counts["error"]) == (1, 1)
    assert counting_listener.connections_before_a_probe() == 0


def test_a_host_name_in_dlv_check_deny_is_refused_without_resolving_it(
    settings: Settings, admin: Caller
) -> None:
    # .invalid never resolves: a DNS failure here would mean DLV looked it up first.
    with client_with(settings, check_deny="default,*.dlv-test.invalid") as client:
        result = try_connection(client, admin, "spark", config("spark", "h.dlv-test.invalid", 80))
    assert result["message"] == (
        "Destination not allowed: h.dlv-test.invalid is denied by DLV_CHECK_DENY "
        f"(*.dlv-test.invalid); {NOT_ATTEMPTED}"
    )


def test_with_dlv_check_allow_set_anything_it_does_not_list_is_refused(
    settings: Settings, admin: Caller, counting_listener: CountingListener
) -> None:
    with client_with(settings, check_allow="10.0.0.0/8,db.example.com") as client:
        connection = config("airflow", "127.0.0.1", counting_listener.port)
        result = try_connection(client, admin, "airflow", connection)
    assert result["message"] == (
        f"Destination not allowed: 127.0.0.1 is not in DLV_CHECK_ALLOW; {NOT_ATTEMPTED}"
    )
    assert counting_listener.connections_before_a_probe() == 0


@pytest.mark.parametrize("allow", ["127.0.0.0/8", "localhost"])
def test_a_destination_dlv_check_allow_lists_is_checked(
    settings: Settings, admin: Caller, fake_api: FakeApi, allow: str
) -> None:
    fake_api.spark_history()
    port = int(fake_api.url.rsplit(":", 1)[1])
    host = "127.0.0.1" if "/" in allow else allow
    with client_with(settings, check_allow=allow) as client:
        result = try_connection(client, admin, "spark", config("spark", host, port))
    assert result["status"] == "ok", result


def test_dlv_check_deny_wins_over_dlv_check_allow(
    settings: Settings, admin: Caller, counting_listener: CountingListener
) -> None:
    with client_with(settings, check_allow="127.0.0.0/8", check_deny="127.0.0.1") as client:
        connection = config("spark", "127.0.0.1", counting_listener.port)
        result = try_connection(client, admin, "spark", connection)
    assert "denied by DLV_CHECK_DENY" in result["message"]
    assert counting_listener.connections_before_a_probe() == 0


@pytest.mark.parametrize(
    ("setting", "value", "bad"),
    [
        ("check_deny", "default,10.0.0.0/33", "10.0.0.0/33"),
        ("check_allow", "db example com", "db example com"),
    ],
)
def test_an_unreadable_list_entry_stops_startup_naming_the_setting(
    settings: Settings, setting: str, value: str, bad: str
) -> None:
    with pytest.raises(ValidationError, match=f"DLV_{setting.upper()}: '{bad}'"):
        Settings(
            home=settings.home,
            database_url=settings.database_url,
            secret_key=SECRET_KEY,
            _env_file=None,
            **{setting: value},  # type: ignore[arg-type]
        )


def test_http_requests_go_to_the_checked_address_not_to_a_new_lookup(fake_api: FakeApi) -> None:
    # The host name cannot resolve (.invalid): the answer can only come from the pinned
    # address, while the Host header still names the configured host.
    fake_api.spark_history()
    port = int(fake_api.url.rsplit(":", 1)[1])
    host = "spark.dlv-test.invalid"

    async def get() -> int:
        async with http_client(2, Pin(host, port, "127.0.0.1")) as client:
            response = await client.get(f"http://{host}:{port}/api/v1/version")
            return response.status_code

    assert asyncio.run(get()) == 200
    assert fake_api.seen[-1][2]["host"] == f"{host}:{port}"
