"""The embedded loop checks nodes on their schedule, with no request from anyone."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dlv.app import create_app
from dlv.audit.models import AuditRecord
from dlv.config import Settings
from dlv.db import utcnow
from dlv.health.models import HealthCheck
from dlv.monitor.models import MonitorLease
from dlv.nodes.models import Node
from dlv.ops import metrics
from tests.conftest import Caller
from tests.monitor.conftest import REAL_PG, get_json, pg_node, refused, wait_for

INTERVAL = 2


def status_of(client: TestClient, admin: Caller, node_id: str) -> str:
    return str(get_json(client, f"/api/v1/nodes/{node_id}", admin.headers)["status"])


def test_a_node_whose_port_is_closed_turns_error_then_recovers(
    looping: TestClient, admin: Caller, db: Session
) -> None:
    body = pg_node("orders", refused(), check_interval_seconds=INTERVAL)
    node: dict[str, Any] = looping.post("/api/v1/nodes", json=body, headers=admin.headers).json()
    wait_for("the node to turn error", lambda: status_of(looping, admin, node["id"]) == "error")

    connection = pg_node("orders", REAL_PG)["connection"]
    r = looping.patch(
        f"/api/v1/nodes/{node['id']}", json={"connection": connection}, headers=admin.headers
    )
    assert r.status_code == 200, r.text
    wait_for("the node to recover", lambda: status_of(looping, admin, node["id"]) == "ok")

    db.expire_all()
    actors = set(db.scalars(select(HealthCheck.actor)))
    assert actors == {"monitor"}  # nobody pressed "test connection"
    changes = db.scalars(
        select(AuditRecord.changes).where(AuditRecord.action == "node.status")
    ).all()
    assert [c["status"]["to"] for c in changes] == ["error", "ok"]


def test_a_manual_only_node_is_never_checked(
    looping: TestClient, admin: Caller, db: Session
) -> None:
    manual = pg_node("manual", refused(), check_interval_seconds=None)
    looping.post("/api/v1/nodes", json=manual, headers=admin.headers)
    watched = pg_node("watched", refused(), check_interval_seconds=INTERVAL)
    node = looping.post("/api/v1/nodes", json=watched, headers=admin.headers).json()
    wait_for("the scheduled node's check", lambda: status_of(looping, admin, node["id"]) == "error")
    db.expire_all()
    assert len(db.scalars(select(HealthCheck)).all()) >= 1
    checked = set(db.scalars(select(HealthCheck.node_pk)))
    assert len(checked) == 1


def test_the_monitor_shows_the_leader_and_the_last_failures(
    looping: TestClient, admin: Caller, viewer: Caller
) -> None:
    body = pg_node("down", refused(), check_interval_seconds=INTERVAL)
    node = looping.post("/api/v1/nodes", json=body, headers=admin.headers).json()

    def failed() -> bool:
        state = get_json(looping, "/api/v1/monitor", viewer.headers)
        return any(f["node_id"] == node["id"] for f in state["last_failures"])

    wait_for("the failure to be listed", failed)
    state = get_json(looping, "/api/v1/monitor", viewer.headers)
    assert state["mode"] == "embedded"
    assert state["leader"]["holder"]
    assert state["scheduled"] == 1
    assert state["late"] == 0
    assert metrics.monitor_checks.labels(result="error")._value.get() >= 1


def test_the_monitor_is_not_for_anonymous_callers(looping: TestClient) -> None:
    assert looping.get("/api/v1/monitor").status_code == 401


def test_with_the_loop_off_nothing_is_checked_and_no_one_leads(
    client: TestClient, admin: Caller, db: Session
) -> None:
    body = pg_node("idle", refused(), check_interval_seconds=30)
    client.post("/api/v1/nodes", json=body, headers=admin.headers)
    state = get_json(client, "/api/v1/monitor", admin.headers)
    assert state["mode"] == "off"
    assert state["leader"] is None
    assert state["due"] == 1
    assert db.scalars(select(HealthCheck)).first() is None


def test_a_stopped_server_hands_over_the_lease_and_leaves_no_check_running(
    settings: Settings, admin: Caller, db: Session
) -> None:
    slow = settings.model_copy(update={"monitor": "embedded", "monitor_min_interval_seconds": 1})
    with TestClient(create_app(slow)) as client:
        body = pg_node("db", refused(), check_interval_seconds=INTERVAL)
        client.post("/api/v1/nodes", json=body, headers=admin.headers)
        wait_for("a leader", lambda: get_json(client, "/api/v1/monitor", admin.headers)["leader"])
    db.expire_all()
    lease = db.scalars(select(MonitorLease)).one()
    assert lease.expires_at <= utcnow()
    assert db.scalars(select(Node.check_started_at)).all() == [None]
