"""Collections over HTTP: failures are stored runs (never a 500), the history, who may."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.collectors.conftest import HOST, Scratch, make_node
from tests.conftest import Caller
from tests.health.conftest import PG_PASSWORD, PrivatePostgres
from tests.servers import free_port


def post_collect(client: TestClient, caller: Caller, node_id: str) -> Any:
    return client.post(f"/api/v1/nodes/{node_id}/collect", headers=caller.headers)


def history(client: TestClient, caller: Caller, node_id: str, **params: Any) -> dict[str, Any]:
    r = client.get(f"/api/v1/nodes/{node_id}/collections", params=params, headers=caller.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_wrong_password_is_a_stored_error_without_the_password(
    client: TestClient, admin: Caller, private_pg: PrivatePostgres
) -> None:
    node = make_node(client, admin, private_pg.connection(password="not-the-Password-9"))
    r = post_collect(client, admin, node["id"])
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["status"] == "error"
    assert result["message"].startswith("Wrong credentials: password authentication failed")
    assert result["created"] == 0
    stored = history(client, admin, node["id"])["items"]
    assert [c["message"] for c in stored] == [result["message"]]
    assert "not-the-Password-9" not in r.text + str(stored)


def test_the_right_password_collects_from_a_password_protected_server(
    client: TestClient, admin: Caller, private_pg: PrivatePostgres
) -> None:
    node = make_node(client, admin, private_pg.connection())
    r = post_collect(client, admin, node["id"])
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["created"]) == ("ok", 1)  # the fixture's one table
    assert PG_PASSWORD not in r.text


def test_a_stopped_server_is_a_stored_error(client: TestClient, admin: Caller) -> None:
    node = make_node(
        client,
        admin,
        {"kind": "postgres", "host": HOST, "port": free_port(), "database": "x", "user": "u"},
    )
    r = post_collect(client, admin, node["id"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "error"
    assert r.json()["message"].startswith("Connection refused by 127.0.0.1:")


def test_a_denied_destination_is_refused_before_connecting(
    client: TestClient, admin: Caller
) -> None:
    node = make_node(
        client,
        admin,
        {"kind": "postgres", "host": "169.254.169.254", "database": "x", "user": "u"},
    )
    r = post_collect(client, admin, node["id"])
    assert r.status_code == 200, r.text
    assert r.json()["message"].startswith("Destination not allowed: 169.254.169.254")


def test_history_is_newest_first_and_paginated(
    client: TestClient, admin: Caller, viewer: Caller, scratch: Scratch, pg_node: dict[str, Any]
) -> None:
    first = post_collect(client, admin, pg_node["id"]).json()
    second = post_collect(client, admin, pg_node["id"]).json()
    page = history(client, viewer, pg_node["id"], limit=1)
    assert [c["created"] for c in page["items"]] == [second["created"]] == [0]
    assert page["items"][0]["actor"] == admin.username
    rest = history(client, viewer, pg_node["id"], limit=1, cursor=page["next_cursor"])
    assert [c["created"] for c in rest["items"]] == [first["created"]] == [5]
    assert rest["next_cursor"] is None


def test_a_viewer_may_not_collect(
    client: TestClient, viewer: Caller, scratch: Scratch, pg_node: dict[str, Any]
) -> None:
    assert post_collect(client, viewer, pg_node["id"]).status_code == 403


def test_an_unknown_node_is_404(client: TestClient, admin: Caller) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    assert post_collect(client, admin, missing).status_code == 404
    r = client.get(f"/api/v1/nodes/{missing}/collections", headers=admin.headers)
    assert r.status_code == 404


def test_a_node_without_a_collector_is_409(client: TestClient, admin: Caller) -> None:
    r = client.post(
        "/api/v1/nodes",
        json={"kind": "dataset", "namespace": "s3://bucket", "name": "x"},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    r = post_collect(client, admin, r.json()["id"])
    assert r.status_code == 409
    assert "No collector for dataset nodes" in r.json()["detail"]


def test_a_node_without_a_connection_is_409(client: TestClient, admin: Caller) -> None:
    r = client.post(
        "/api/v1/nodes",
        json={"kind": "postgres", "namespace": "postgres://h:5432", "name": "db"},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    assert post_collect(client, admin, r.json()["id"]).status_code == 409
