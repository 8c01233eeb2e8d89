"""The embedded loop collects nodes after their scheduled check, with no request from anyone,
and a PostgreSQL server that stops and starts again shows on its node within an interval."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dlv.collectors.models import Collection
from dlv.health.models import HealthCheck
from dlv.nodes.models import Node
from dlv.ops.metrics import REGISTRY
from tests.collectors.conftest import NAMESPACE, Scratch
from tests.conftest import Caller
from tests.health.conftest import PG_PASSWORD, PG_USER
from tests.health.pgcluster import admin_sql, private_cluster
from tests.monitor.conftest import get_json, wait_for

INTERVAL = 2


def scratch_node(database: Scratch, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "postgres",
        "namespace": NAMESPACE,
        "name": database.database,
        "connection": {
            "kind": "postgres",
            "host": "127.0.0.1",
            "port": 5432,
            "database": database.database,
            "user": "postgres",
            "sslmode": "disable",
        },
        "check_interval_seconds": INTERVAL,
        **extra,
    }


def rows(db: Session, model: type[Any], node_id: str) -> list[Any]:
    db.expire_all()
    node = db.scalars(select(Node).where(Node.id == uuid.UUID(node_id))).one()
    found = list(db.scalars(select(model).where(model.node_pk == node.pk)))
    db.rollback()  # end the read: SQLite would keep its snapshot otherwise
    return found


def test_a_node_with_collect_on_schedule_is_collected_by_the_loop(
    looping: TestClient, admin: Caller, db: Session, scratch: Scratch
) -> None:
    before = REGISTRY.get_sample_value("dlv_monitor_collections_total", {"result": "ok"}) or 0
    r = looping.post("/api/v1/nodes", json=scratch_node(scratch), headers=admin.headers)
    assert r.status_code == 201, r.text
    node = r.json()
    wait_for("a scheduled collection", lambda: bool(rows(db, Collection, node["id"])))

    runs = rows(db, Collection, node["id"])
    assert {(c.actor, c.status) for c in runs} == {("monitor", "ok")}
    listed = get_json(
        looping, f"/api/v1/nodes?kind=dataset&namespace={NAMESPACE}&limit=100", admin.headers
    )
    names = {n["name"] for n in listed["items"]}
    assert scratch.name("sales.orders") in names
    assert scratch.name("sales.v_orders") in names
    after = REGISTRY.get_sample_value("dlv_monitor_collections_total", {"result": "ok"}) or 0
    assert after > before


def test_with_collect_on_schedule_off_a_node_is_only_checked(
    looping: TestClient, admin: Caller, db: Session, scratch: Scratch
) -> None:
    body = scratch_node(scratch, collect_on_schedule=False)
    node = looping.post("/api/v1/nodes", json=body, headers=admin.headers).json()
    wait_for("two scheduled checks", lambda: len(rows(db, HealthCheck, node["id"])) >= 2)
    assert rows(db, Collection, node["id"]) == []
    listed = get_json(looping, f"/api/v1/nodes?kind=dataset&namespace={NAMESPACE}", admin.headers)
    assert listed["items"] == []


@pytest.mark.own_postgres
def test_a_postgres_node_whose_server_stops_turns_error_and_recovers(
    looping: TestClient, admin: Caller
) -> None:
    with private_cluster() as cluster:
        admin_sql(cluster, f"CREATE ROLE {PG_USER} LOGIN PASSWORD '{PG_PASSWORD}'")
        body = {
            "kind": "postgres",
            "namespace": f"postgres://127.0.0.1:{cluster.port}",
            "name": "own",
            "connection": {
                "kind": "postgres",
                "host": cluster.host,
                "port": cluster.port,
                "database": "postgres",
                "user": PG_USER,
                "password": PG_PASSWORD,
                "sslmode": "disable",
                "connect_timeout": 2,
            },
            "check_interval_seconds": INTERVAL,
            "collect_on_schedule": False,
        }
        node = looping.post("/api/v1/nodes", json=body, headers=admin.headers).json()
        url = f"/api/v1/nodes/{node['id']}"

        def status() -> str:
            return str(get_json(looping, url, admin.headers)["status"])

        wait_for("the node to be ok", lambda: status() == "ok")
        cluster.stop()
        wait_for("the node to turn error", lambda: status() == "error")
        cluster.start()
        wait_for("the node to recover", lambda: status() == "ok")
    history = get_json(looping, f"{url}/checks", admin.headers)["items"]
    assert {c["actor"] for c in history} == {"monitor"}  # no request from anyone
