"""The PostgreSQL collector against the machine's real PostgreSQL."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dlv.audit.models import AuditRecord
from dlv.auth.principal import SYSTEM
from dlv.collectors import service
from dlv.crypto import SecretBox
from dlv.db import make_engine, make_sessionmaker, read_only
from dlv.health.network import default_policy
from dlv.health.runner import Database
from dlv.lineage.models import LineageChange
from tests.collectors.conftest import NAMESPACE, Scratch
from tests.conftest import SECRET_KEY, Caller

RELATIONS = (
    "sales.customers",
    "sales.orders",
    "sales.v_orders",
    "sales.v_big_orders",
    "sales.mv_totals",
)
VIEW_LINEAGE = {
    ("sales.orders", "sales.v_orders"),
    ("sales.customers", "sales.v_orders"),
    ("sales.v_orders", "sales.v_big_orders"),
    ("sales.orders", "sales.mv_totals"),
}
NOTHING = {
    "created": 0,
    "updated": 0,
    "gone": 0,
    "pruned": 0,
    "edges_added": 0,
    "edges_removed": 0,
}


def collect(
    client: TestClient, admin: Caller, node: dict[str, Any], **params: str
) -> dict[str, Any]:
    r = client.post(f"/api/v1/nodes/{node['id']}/collect", params=params, headers=admin.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def counts(result: dict[str, Any]) -> dict[str, int]:
    return {k: result[k] for k in NOTHING}


def datasets(client: TestClient, admin: Caller) -> dict[str, dict[str, Any]]:
    r = client.get(
        "/api/v1/nodes",
        params={"kind": "dataset", "namespace": NAMESPACE, "limit": 500},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    return {n["name"]: n for n in r.json()["items"]}


def edges(client: TestClient, admin: Caller, node_id: str) -> list[dict[str, Any]]:
    r = client.get("/api/v1/edges", params={"node_id": node_id}, headers=admin.headers)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def lineage(client: TestClient, admin: Caller, scratch: Scratch) -> set[tuple[str, str, str]]:
    """(source, target, origin) of every edge touching a collected node, names unprefixed."""
    found = datasets(client, admin)
    by_id = {n["id"]: name.removeprefix(scratch.database + ".") for name, n in found.items()}
    return {
        (by_id.get(e["source_id"], "?"), by_id.get(e["target_id"], "?"), e["origin"])
        for node in found.values()
        for e in edges(client, admin, node["id"])
    }


def test_collect_names_datasets_as_openlineage_does(
    client: TestClient, admin: Caller, scratch: Scratch, pg_node: dict[str, Any]
) -> None:
    result = collect(client, admin, pg_node)
    assert result["status"] == "ok", result
    assert result["discovered"] == 5
    assert result["created"] == 5
    assert result["edges_added"] == 4
    found = datasets(client, admin)
    assert set(found) == {scratch.name(r) for r in RELATIONS}
    assert all(n["parent_id"] == pg_node["id"] for n in found.values())


def test_view_dependencies_become_collector_edges(
    client: TestClient, admin: Caller, scratch: Scratch, pg_node: dict[str, Any]
) -> None:
    collect(client, admin, pg_node)
    assert lineage(client, admin, scratch) == {(s, t, "collector") for s, t in VIEW_LINEAGE}


def test_columns_types_and_comments_are_the_nodes_schema(
    client: TestClient, admin: Caller, scratch: Scratch, pg_node: dict[str, Any]
) -> None:
    collect(client, admin, pg_node)
    customers = datasets(client, admin)[scratch.name("sales.customers")]
    assert customers["description"] == "People who buy"
    r = client.get(f"/api/v1/nodes/{customers['id']}/openlineage", headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["columns"] == [
        {"name": "id", "type": "integer", "description": None, "fields": []},
        {"name": "name", "type": "text", "description": "Full name", "fields": []},
    ]


def collected(client: TestClient, caller: Caller, node_id: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/nodes/{node_id}/collected", headers=caller.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_row_estimates_and_kinds_are_kept(
    client: TestClient,
    admin: Caller,
    viewer: Caller,
    scratch: Scratch,
    pg_node: dict[str, Any],
) -> None:
    scratch.sql(
        "INSERT INTO sales.orders SELECT g, g % 3, g FROM generate_series(1, 40) g",
        "ANALYZE sales.orders",
    )
    collect(client, admin, pg_node)
    found = datasets(client, admin)
    facts = {
        name.removeprefix(scratch.database + "."): collected(client, viewer, n["id"])
        for name, n in found.items()
    }
    assert (facts["sales.orders"]["object_kind"], facts["sales.orders"]["row_estimate"]) == (
        "table",
        40,
    )
    assert (facts["sales.v_orders"]["object_kind"], facts["sales.v_orders"]["row_estimate"]) == (
        "view",
        None,
    )
    assert facts["sales.mv_totals"]["object_kind"] == "materialized_view"
    assert facts["sales.customers"]["comment"] == "People who buy"
    assert {f["source_id"] for f in facts.values()} == {pg_node["id"]}
    assert all(f["gone_at"] is None for f in facts.values())


def test_a_node_no_collector_found_has_no_collected_facts(
    client: TestClient, admin: Caller
) -> None:
    r = client.post(
        "/api/v1/nodes",
        json={"kind": "dataset", "namespace": NAMESPACE, "name": "x.y.z"},
        headers=admin.headers,
    )
    r = client.get(f"/api/v1/nodes/{r.json()['id']}/collected", headers=admin.headers)
    assert r.status_code == 404
    assert "No collector has found" in r.json()["detail"]


def test_a_changed_row_estimate_is_written_alone(
    client: TestClient, admin: Caller, scratch: Scratch, pg_node: dict[str, Any]
) -> None:
    collect(client, admin, pg_node)
    scratch.sql(
        "INSERT INTO sales.customers SELECT g, 'c' || g FROM generate_series(1, 25) g",
        "ANALYZE sales.customers",
    )
    again = collect(client, admin, pg_node)
    assert counts(again) == {**NOTHING, "updated": 1}
    customers = datasets(client, admin)[scratch.name("sales.customers")]
    assert collected(client, admin, customers["id"])["row_estimate"] == 25


def test_a_reported_table_is_the_same_node(
    client: TestClient, admin: Caller, scratch: Scratch, pg_node: dict[str, Any]
) -> None:
    r = client.post(
        "/api/v1/nodes",
        json={"kind": "dataset", "namespace": NAMESPACE, "name": scratch.name("sales.orders")},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    result = collect(client, admin, pg_node)
    assert (result["created"], result["updated"]) == (4, 1)
    orders = datasets(client, admin)[scratch.name("sales.orders")]
    assert orders["id"] == r.json()["id"]
    assert orders["parent_id"] == pg_node["id"]


def test_a_second_collect_with_no_change_writes_nothing(
    client: TestClient, admin: Caller, scratch: Scratch, pg_node: dict[str, Any], db: Session
) -> None:
    collect(client, admin, pg_node)
    changes = db.scalar(select(func.max(LineageChange.seq)))
    audits = db.scalar(select(func.count()).select_from(AuditRecord))
    db.rollback()
    again = collect(client, admin, pg_node)
    assert again["status"] == "ok"
    assert again["discovered"] == 5
    assert counts(again) == NOTHING
    assert db.scalar(select(func.max(LineageChange.seq))) == changes
    assert db.scalar(select(func.count()).select_from(AuditRecord)) == audits


def test_a_changed_table_is_the_only_one_written(
    client: TestClient, admin: Caller, scratch: Scratch, pg_node: dict[str, Any]
) -> None:
    collect(client, admin, pg_node)
    scratch.sql("ALTER TABLE sales.customers ADD COLUMN email text")
    again = collect(client, admin, pg_node)
    assert counts(again) == {**NOTHING, "updated": 1}
    customers = datasets(client, admin)[scratch.name("sales.customers")]
    r = client.get(f"/api/v1/nodes/{customers['id']}/openlineage", headers=admin.headers)
    assert [c["name"] for c in r.json()["columns"]] == ["id", "name", "email"]


def test_manual_edges_are_never_touched(
    client: TestClient, admin: Caller, scratch: Scratch, pg_node: dict[str, Any]
) -> None:
    collect(client, admin, pg_node)
    found = datasets(client, admin)
    ids = {name.removeprefix(scratch.database + "."): n["id"] for name, n in found.items()}
    r = client.post(
        "/api/v1/edges",
        json={"source_id": ids["sales.customers"], "target_id": ids["sales.v_big_orders"]},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    scratch.sql("DROP VIEW sales.v_big_orders")
    again = collect(client, admin, pg_node)
    assert (again["gone"], again["edges_removed"]) == (1, 1)
    assert ("sales.customers", "sales.v_big_orders", "manual") in lineage(client, admin, scratch)


def test_a_manual_edge_on_a_collected_pair_stays_manual(
    client: TestClient, admin: Caller, scratch: Scratch, pg_node: dict[str, Any]
) -> None:
    for relation in ("sales.orders", "sales.v_orders"):
        r = client.post(
            "/api/v1/nodes",
            json={"kind": "dataset", "namespace": NAMESPACE, "name": scratch.name(relation)},
            headers=admin.headers,
        )
        assert r.status_code == 201, r.text
    found = datasets(client, admin)
    r = client.post(
        "/api/v1/edges",
        json={
            "source_id": found[scratch.name("sales.orders")]["id"],
            "target_id": found[scratch.name("sales.v_orders")]["id"],
        },
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    result = collect(client, admin, pg_node)
    assert result["edges_added"] == 3
    edges_now = lineage(client, admin, scratch)
    assert ("sales.orders", "sales.v_orders", "manual") in edges_now
    assert ("sales.orders", "sales.v_orders", "collector") not in edges_now
    scratch.sql("DROP VIEW sales.v_big_orders", "DROP VIEW sales.v_orders")
    collect(client, admin, pg_node)
    assert ("sales.orders", "sales.v_orders", "manual") in lineage(client, admin, scratch)


def test_a_dropped_view_is_marked_gone_and_keeps_its_annotations(
    client: TestClient, admin: Caller, scratch: Scratch, pg_node: dict[str, Any], db: Session
) -> None:
    collect(client, admin, pg_node)
    big = datasets(client, admin)[scratch.name("sales.v_big_orders")]
    r = client.post(
        f"/api/v1/nodes/{big['id']}/annotations",
        json={"text": "finance reads this every morning"},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    scratch.sql("DROP VIEW sales.v_big_orders")
    again = collect(client, admin, pg_node)
    assert counts(again) == {**NOTHING, "gone": 1, "edges_removed": 1}
    r = client.get(f"/api/v1/nodes/{big['id']}", headers=admin.headers)
    assert r.status_code == 200
    assert [a["text"] for a in r.json()["annotations"]] == ["finance reads this every morning"]
    assert edges(client, admin, big["id"]) == []
    assert collected(client, admin, big["id"])["gone_at"] is not None
    third = collect(client, admin, pg_node)
    assert counts(third) == NOTHING  # gone once, not again


def test_a_view_that_comes_back_is_no_longer_gone(
    client: TestClient, admin: Caller, scratch: Scratch, pg_node: dict[str, Any]
) -> None:
    collect(client, admin, pg_node)
    scratch.sql("DROP VIEW sales.v_big_orders")
    collect(client, admin, pg_node)
    scratch.sql("CREATE VIEW sales.v_big_orders AS SELECT * FROM sales.v_orders")
    back = collect(client, admin, pg_node)
    assert counts(back) == {**NOTHING, "updated": 1, "edges_added": 1}


def test_prune_deletes_what_is_gone(
    client: TestClient, admin: Caller, scratch: Scratch, pg_node: dict[str, Any]
) -> None:
    collect(client, admin, pg_node)
    big = datasets(client, admin)[scratch.name("sales.v_big_orders")]
    scratch.sql("DROP VIEW sales.v_big_orders")
    collect(client, admin, pg_node)
    pruned = collect(client, admin, pg_node, prune="true")
    assert counts(pruned) == {**NOTHING, "pruned": 1}
    assert client.get(f"/api/v1/nodes/{big['id']}", headers=admin.headers).status_code == 404
    assert len(datasets(client, admin)) == 4


def test_collect_runs_outside_a_request_and_twice_at_once(
    client: TestClient, admin: Caller, scratch: Scratch, pg_node: dict[str, Any], database_url: str
) -> None:
    # What the monitoring loop does: call the service from threads of its own, no request.
    engine = make_engine(database_url)
    db = Database(make_sessionmaker(engine), engine, read_only(engine))
    box = SecretBox(SECRET_KEY)
    node_id = uuid.UUID(pg_node["id"])
    with ThreadPoolExecutor(2) as pool:
        runs = [
            pool.submit(service.collect, db, box, default_policy(), SYSTEM, node_id)
            for _ in range(2)
        ]
        results = [r.result() for r in runs]
    engine.dispose()
    assert [r.status.value for r in results] == ["ok", "ok"]
    assert sorted(r.created for r in results) == [0, 5]
    assert sorted(r.edges_added for r in results) == [0, 4]
    assert len(datasets(client, admin)) == 5
    r = client.get(f"/api/v1/nodes/{node_id}/collections", headers=admin.headers)
    assert [c["actor"] for c in r.json()["items"]] == ["system", "system"]
