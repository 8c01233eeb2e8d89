"""export_documents / import_documents, as the graph export and import call them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dlv.auth.principal import SYSTEM
from dlv.dashboards import service
from tests.conftest import Caller
from tests.dashboards.factories import URL, audit_actions, edge, get, nodes, post
from tests.nodes.factories import create, dataset

NS = "postgres://db.internal:5432"


def key(name: str) -> dict[str, str]:
    return {"namespace": NS, "name": name}


def flow_layout(a: str, b: str, hidden: list[str]) -> dict[str, Any]:
    return {
        "nodes": [
            {"node_id": a, "x": 0.1 + 0.2, "y": -7.5, "collapsed": True},
            {"node_id": b, "x": 360.0, "y": 1e-9, "width": 240.0, "height": 64.0},
        ],
        "groups": [
            {
                "id": "g",
                "label": "Core",
                "x": -10,
                "y": -10,
                "width": 700,
                "height": 200,
                "node_ids": [a, b],
            },
        ],
        "notes": [{"id": "n", "text": "ask #data", "x": 1, "y": 2}],
        "viewport": {"x": 3.25, "y": -4.5, "zoom": 0.75},
        "hidden_edge_ids": hidden,
    }


def make_flow(client: TestClient, admin: Caller) -> dict[str, Any]:
    a, b = nodes(client, admin, "orders", "revenue")
    ab = edge(client, admin, a, b)
    payload = {"name": "Flow", "owner": "ann", "tags": ["gold"], "description": "d"}
    return post(client, admin, {**payload, "layout": flow_layout(a, b, [ab])})


def test_export_names_nodes_and_edges_by_natural_key(
    client: TestClient, admin: Caller, db: Session
) -> None:
    make_flow(client, admin)
    (doc,) = list(service.export_documents(db))
    assert (doc["name"], doc["owner"], doc["tags"], doc["description"]) == (
        "Flow",
        "ann",
        ["gold"],
        "d",
    )
    layout = doc["layout"]
    assert layout["nodes"][0] == {
        "node": key("orders"),
        "x": 0.1 + 0.2,
        "y": -7.5,
        "collapsed": True,
    }
    assert layout["groups"][0]["nodes"] == [key("orders"), key("revenue")]
    assert "node_ids" not in layout["groups"][0]
    assert layout["hidden_edges"] == [{"source": key("orders"), "target": key("revenue")}]
    assert layout["viewport"] == {"x": 3.25, "y": -4.5, "zoom": 0.75}


def test_export_leaves_out_nodes_deleted_from_the_catalog(
    client: TestClient, admin: Caller, db: Session
) -> None:
    created = make_flow(client, admin)
    client.delete(
        f"/api/v1/nodes/{created['layout']['nodes'][0]['node_id']}", headers=admin.headers
    )
    (doc,) = list(service.export_documents(db))
    assert [n["node"] for n in doc["layout"]["nodes"]] == [key("revenue")]
    assert doc["layout"]["groups"][0]["nodes"] == [key("revenue")]
    assert doc["layout"]["hidden_edges"] == []


def test_export_walks_every_dashboard_in_name_order(
    client: TestClient, admin: Caller, db: Session
) -> None:
    for i in reversed(range(service.EXPORT_BATCH + 3)):
        post(client, admin, {"name": f"d{i:03d}"})
    names = [d["name"] for d in service.export_documents(db)]
    assert names == [f"d{i:03d}" for i in range(service.EXPORT_BATCH + 3)]


def test_a_dashboard_survives_a_move_to_new_node_ids(
    client: TestClient, admin: Caller, db: Session
) -> None:
    created = make_flow(client, admin)
    docs = list(service.export_documents(db))
    db.rollback()
    # The other instance: same natural keys, new UUIDs.
    client.delete(f"{URL}/{created['id']}", headers=admin.headers)
    for n in created["layout"]["nodes"]:
        client.delete(f"/api/v1/nodes/{n['node_id']}", headers=admin.headers)
    a, b = nodes(client, admin, "orders", "revenue")
    ab = edge(client, admin, a, b)
    assert service.import_documents(db, SYSTEM, docs) == (1, [])
    db.commit()
    (item,) = client.get(URL, headers=admin.headers).json()["items"]
    moved = get(client, admin, item["id"])
    assert moved["layout"] == flow_layout(a, b, [ab])
    assert (moved["owner"], moved["tags"], moved["version"]) == ("ann", ["gold"], 1)
    assert not any(f["missing"] for f in moved["node_facts"])


def test_import_updates_a_dashboard_of_the_same_name(
    client: TestClient, admin: Caller, db: Session
) -> None:
    created = make_flow(client, admin)
    (doc,) = list(service.export_documents(db))
    doc["description"] = "from the other instance"
    doc["layout"]["nodes"][1]["x"] = 720.0
    assert service.import_documents(db, SYSTEM, [doc]) == (1, [])
    db.commit()
    loaded = get(client, admin, created["id"])
    assert (loaded["description"], loaded["version"]) == ("from the other instance", 2)
    assert loaded["layout"]["nodes"][1]["x"] == 720.0
    assert audit_actions(client, admin, created["id"])[0] == "dashboard.update"


def test_reimporting_an_unchanged_export_changes_nothing(
    client: TestClient, admin: Caller, db: Session
) -> None:
    created = make_flow(client, admin)
    docs = list(service.export_documents(db))
    assert service.import_documents(db, SYSTEM, docs) == (1, [])
    db.commit()
    assert get(client, admin, created["id"])["version"] == 1


def test_import_returns_problems_with_their_paths(
    client: TestClient, admin: Caller, db: Session
) -> None:
    create(client, admin, dataset("orders"))
    good = {"name": "ok", "layout": {"nodes": [{"node": key("orders"), "x": 0, "y": 0}]}}
    unknown = {
        "name": "ghost",
        "layout": {
            "nodes": [
                {"node": key("orders"), "x": 0, "y": 0},
                {"node": key("nope"), "x": 1, "y": 0},
            ],
            "hidden_edges": [{"source": key("orders"), "target": key("nope")}],
        },
    }
    bad_x = {"name": "bad", "layout": {"nodes": [{"node": key("orders"), "x": "1", "y": 0}]}}
    applied, problems = service.import_documents(db, SYSTEM, [good, unknown, bad_x, good])
    assert applied == 1
    assert [p["field"] for p in problems] == [
        "dashboards[1].layout.nodes[1].node",
        "dashboards[1].layout.hidden_edges[0]",
        "dashboards[2].layout.nodes[0].x",
        "dashboards[3].name",
    ]
    assert "'nope'" in problems[0]["message"]
    db.commit()
    assert [d["name"] for d in client.get(URL, headers=admin.headers).json()["items"]] == ["ok"]


def test_import_refuses_a_node_placed_twice(client: TestClient, admin: Caller, db: Session) -> None:
    create(client, admin, dataset("orders"))
    twice = [{"node": key("orders"), "x": 0, "y": 0}, {"node": key("orders"), "x": 9, "y": 9}]
    applied, problems = service.import_documents(
        db, SYSTEM, [{"name": "x", "layout": {"nodes": twice}}]
    )
    assert applied == 0
    assert problems == [
        {
            "field": "dashboards[0].layout.nodes[1].node",
            "message": "node already on the canvas (nodes[0])",
        }
    ]


def test_import_refuses_nul_in_a_natural_key(db: Session) -> None:
    node = {"node": {"namespace": "a\x00", "name": "b"}, "x": 0, "y": 0}
    doc = {"name": "x", "layout": {"nodes": [node]}}
    applied, problems = service.import_documents(db, SYSTEM, [doc])
    assert applied == 0
    assert [p["field"] for p in problems] == ["dashboards[0].layout.nodes[0].node.namespace"]
