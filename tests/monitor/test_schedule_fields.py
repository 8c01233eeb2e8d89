"""Schedule fields on nodes: defaults, validation naming the field, rescheduling."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dlv import demo
from dlv.crypto import SecretBox
from dlv.nodes.models import Node
from tests.conftest import SECRET_KEY, Caller
from tests.monitor.conftest import pg_node, refused

FIELD = "body.check_interval_seconds"


def create(client: TestClient, admin: Caller, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/nodes", json=body, headers=admin.headers)


def field_errors(response: Any) -> list[str]:
    return [e["field"] for e in response.json().get("errors", [])]


def test_a_node_with_a_connection_is_checked_every_300_seconds_by_default(
    client: TestClient, admin: Caller
) -> None:
    r = create(client, admin, pg_node("db", refused()))
    assert r.status_code == 201, r.text
    assert r.json()["check_interval_seconds"] == 300
    assert r.json()["next_check_at"] is not None


def test_a_node_without_a_connection_has_no_schedule(client: TestClient, admin: Caller) -> None:
    body = {"kind": "postgres", "namespace": "postgres://x", "name": "bare"}
    r = create(client, admin, body)
    assert r.status_code == 201, r.text
    assert r.json()["check_interval_seconds"] is None
    assert r.json()["next_check_at"] is None


def test_null_means_manual_checks_only(client: TestClient, admin: Caller) -> None:
    r = create(client, admin, pg_node("manual", refused(), check_interval_seconds=None))
    assert r.status_code == 201, r.text
    assert r.json()["check_interval_seconds"] is None
    assert r.json()["next_check_at"] is None


def test_an_interval_below_the_minimum_is_refused_naming_the_field(
    client: TestClient, admin: Caller
) -> None:
    r = create(client, admin, pg_node("fast", refused(), check_interval_seconds=29))
    assert r.status_code == 422, r.text
    assert FIELD in field_errors(r)
    assert "30" in r.text


def test_a_zero_interval_is_refused_by_the_schema(client: TestClient, admin: Caller) -> None:
    r = create(client, admin, pg_node("zero", refused(), check_interval_seconds=0))
    assert r.status_code == 422, r.text
    assert FIELD in field_errors(r)


def test_a_dataset_cannot_have_an_interval(client: TestClient, admin: Caller) -> None:
    body = {"kind": "dataset", "namespace": "x", "name": "t", "check_interval_seconds": 60}
    r = create(client, admin, body)
    assert r.status_code == 422, r.text
    assert FIELD in field_errors(r)


def test_an_interval_can_be_changed_and_cleared(client: TestClient, admin: Caller) -> None:
    node = create(client, admin, pg_node("db", refused())).json()
    url = f"/api/v1/nodes/{node['id']}"
    r = client.patch(url, json={"check_interval_seconds": 60}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["check_interval_seconds"] == 60
    assert r.json()["next_check_at"] is not None
    r = client.patch(url, json={"check_interval_seconds": None}, headers=admin.headers)
    assert r.json()["check_interval_seconds"] is None
    assert r.json()["next_check_at"] is None
    r = client.patch(url, json={"check_interval_seconds": 5}, headers=admin.headers)
    assert r.status_code == 422
    assert FIELD in field_errors(r)


def test_adding_a_connection_schedules_the_node(client: TestClient, admin: Caller) -> None:
    body = {"kind": "postgres", "namespace": "postgres://x", "name": "later"}
    node = create(client, admin, body).json()
    connection = pg_node("later", refused())["connection"]
    r = client.patch(
        f"/api/v1/nodes/{node['id']}", json={"connection": connection}, headers=admin.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["check_interval_seconds"] == 300
    assert r.json()["next_check_at"] is not None
    r = client.patch(
        f"/api/v1/nodes/{node['id']}", json={"connection": None}, headers=admin.headers
    )
    assert r.json()["next_check_at"] is None


def test_the_demo_systems_are_not_scheduled(db: Session) -> None:
    # Their hosts are invented: scheduled checks would only turn them red.
    demo.load(db, SecretBox(SECRET_KEY))
    db.commit()
    systems = db.scalars(select(Node).where(Node.connection.is_not(None))).all()
    assert systems
    assert {(n.check_interval_seconds, n.next_check_at) for n in systems} == {(None, None)}


def test_an_imported_system_is_scheduled_like_one_created_through_the_api(
    client: TestClient, admin: Caller
) -> None:
    node = create(client, admin, pg_node("db", refused())).json()
    document = client.get("/api/v1/graph/export", headers=admin.headers).json()
    client.delete(f"/api/v1/nodes/{node['id']}", headers=admin.headers)
    r = client.post("/api/v1/graph/import", json=document, headers=admin.headers)
    assert r.status_code == 200, r.text
    (found,) = client.get("/api/v1/nodes?kind=postgres", headers=admin.headers).json()["items"]
    assert found["check_interval_seconds"] == 300
    assert found["next_check_at"] is not None


def test_collections_run_on_schedule_unless_turned_off(client: TestClient, admin: Caller) -> None:
    r = create(client, admin, pg_node("collected", refused()))
    assert r.status_code == 201, r.text
    assert r.json()["collect_on_schedule"] is True
    off = create(client, admin, pg_node("checked", refused(), collect_on_schedule=False))
    assert off.status_code == 201, off.text
    assert off.json()["collect_on_schedule"] is False
    node_id = off.json()["id"]
    on = client.patch(
        f"/api/v1/nodes/{node_id}", json={"collect_on_schedule": True}, headers=admin.headers
    )
    assert on.status_code == 200, on.text
    assert on.json()["collect_on_schedule"] is True
    audit = client.get("/api/v1/audit", params={"target_id": node_id}, headers=admin.headers)
    changes = [e["changes"] for e in audit.json()["items"] if e["action"] == "node.update"]
    assert changes, audit.text
    assert "collect_on_schedule" in changes[0], audit.text


def test_collect_on_schedule_cannot_be_null(client: TestClient, admin: Caller) -> None:
    node_id = create(client, admin, pg_node("nullable", refused())).json()["id"]
    r = client.patch(
        f"/api/v1/nodes/{node_id}", json={"collect_on_schedule": None}, headers=admin.headers
    )
    assert r.status_code == 422, r.text
    assert "collect_on_schedule cannot be null" in r.text
