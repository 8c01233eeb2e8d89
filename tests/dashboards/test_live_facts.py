"""GET returns each node's current catalog facts and the edges to draw; deleted nodes show as
missing and the dashboard still loads and saves."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from dlv.nodes.models import Node
from tests.conftest import Caller
from tests.dashboards.factories import URL, body, edge, get, nodes, placed, post
from tests.nodes.factories import create, dataset


def test_nodes_come_with_their_current_facts(
    client: TestClient, admin: Caller, db: Session
) -> None:
    a = create(client, admin, dataset("orders", owner="sales"))["id"]
    (b,) = nodes(client, admin, "revenue")
    created = post(client, admin, body(nodes=placed([a, b])))
    db.execute(update(Node).where(Node.name == "orders").values(status="error", status_message="x"))
    db.commit()
    facts = get(client, admin, created["id"])["node_facts"]
    assert facts[0] == {
        "node_id": a,
        "missing": False,
        "kind": "dataset",
        "namespace": "postgres://db.internal:5432",
        "name": "orders",
        "owner": "sales",
        "status": "error",
        "status_message": "x",
    }
    assert (facts[1]["node_id"], facts[1]["name"], facts[1]["status"]) == (b, "revenue", "unknown")


def test_a_node_deleted_from_the_catalog_shows_as_missing(
    client: TestClient, admin: Caller
) -> None:
    a, b = nodes(client, admin, "a", "b")
    created = post(client, admin, body(nodes=placed([a, b])))
    assert client.delete(f"/api/v1/nodes/{a}", headers=admin.headers).status_code == 204
    loaded = get(client, admin, created["id"])
    assert loaded["layout"] == created["layout"]
    assert loaded["node_facts"][0] == {
        "node_id": a,
        "missing": True,
        "kind": None,
        "namespace": None,
        "name": None,
        "owner": None,
        "status": None,
        "status_message": None,
    }
    assert loaded["node_facts"][1]["missing"] is False


def test_a_dashboard_with_a_missing_node_can_still_be_saved(
    client: TestClient, admin: Caller
) -> None:
    a, b = nodes(client, admin, "a", "b")
    created = post(client, admin, body(nodes=placed([a, b])))
    client.delete(f"/api/v1/nodes/{a}", headers=admin.headers)
    layout = {"nodes": placed([a, b], width=100.0)}
    r = client.patch(
        f"{URL}/{created['id']}", json={"layout": layout, "version": 1}, headers=admin.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["node_facts"][0]["missing"] is True


def test_a_deleted_node_cannot_be_added_anew(client: TestClient, admin: Caller) -> None:
    a, b = nodes(client, admin, "a", "b")
    created = post(client, admin, body(nodes=placed([b])))
    client.delete(f"/api/v1/nodes/{a}", headers=admin.headers)
    r = client.patch(
        f"{URL}/{created['id']}",
        json={"layout": {"nodes": placed([b, a])}, "version": 1},
        headers=admin.headers,
    )
    assert r.status_code == 422
    assert r.json()["unknown_node_ids"] == [a]


def test_edges_between_the_dashboards_nodes_are_returned(client: TestClient, admin: Caller) -> None:
    a, b, c, off = nodes(client, admin, "a", "b", "c", "off")
    ab, bc = edge(client, admin, a, b), edge(client, admin, b, c)
    edge(client, admin, c, off)  # one end not on the dashboard
    created = post(client, admin, body(nodes=placed([a, b, c])))
    edges = get(client, admin, created["id"])["edges"]
    assert {(e["id"], e["source_id"], e["target_id"]) for e in edges} == {(ab, a, b), (bc, b, c)}


def test_hidden_edges_are_left_out(client: TestClient, admin: Caller) -> None:
    a, b, c = nodes(client, admin, "a", "b", "c")
    ab, bc = edge(client, admin, a, b), edge(client, admin, b, c)
    created = post(client, admin, body(nodes=placed([a, b, c]), hidden_edge_ids=[ab]))
    assert [e["id"] for e in get(client, admin, created["id"])["edges"]] == [bc]


def test_an_edge_drawn_later_appears_without_saving(client: TestClient, admin: Caller) -> None:
    a, b = nodes(client, admin, "a", "b")
    created = post(client, admin, body(nodes=placed([a, b])))
    assert get(client, admin, created["id"])["edges"] == []
    ab = edge(client, admin, a, b)
    assert [e["id"] for e in get(client, admin, created["id"])["edges"]] == [ab]
