"""Export, import and idempotence through HTTP."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dlv.audit.models import AuditRecord
from dlv.lineage.models import Edge, LineageChange
from dlv.nodes.models import Node
from tests.conftest import Caller
from tests.dashboards.factories import body as dashboard_body
from tests.dashboards.factories import edge as dashboard_edge
from tests.dashboards.factories import nodes as dashboard_nodes
from tests.dashboards.factories import placed
from tests.dashboards.factories import post as dashboard_post
from tests.graph.conftest import EXPORT, Instance
from tests.graph.docs import document, edge, edge_api, node, populate, post, ref, table_counts
from tests.nodes.factories import SECRETS, create, dataset


def test_export_import_export_is_byte_identical(
    client: TestClient, admin: Caller, other: Instance
) -> None:
    populate(client, admin)
    first = client.get(EXPORT, headers=admin.headers)
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/json")
    r = post(other.client, other.admin, first.content)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "nodes_created": 6,
        "nodes_updated": 0,
        "nodes_unchanged": 0,
        "edges_created": 3,
        "edges_existing": 0,
        "annotations_created": 1,
        "dashboards_applied": 0,
    }
    second = other.client.get(EXPORT, headers=other.admin.headers)
    assert second.content == first.content


def test_dashboards_travel_with_the_graph(
    client: TestClient, admin: Caller, other: Instance
) -> None:
    ids = dashboard_nodes(client, admin, "orders", "revenue")
    dashboard_edge(client, admin, ids[0], ids[1])
    dashboard_post(
        client,
        admin,
        dashboard_body(
            "Revenue flow", nodes=placed(ids), viewport={"x": 1.5, "y": 2.0, "zoom": 0.75}
        ),
    )
    first = client.get(EXPORT, headers=admin.headers)
    r = post(other.client, other.admin, first.content)
    assert r.status_code == 200, r.text
    assert r.json()["dashboards_applied"] == 1
    listed = other.client.get("/api/v1/dashboards", headers=other.admin.headers).json()
    assert [d["name"] for d in listed["items"]] == ["Revenue flow"]
    copy = other.client.get(
        f"/api/v1/dashboards/{listed['items'][0]['id']}", headers=other.admin.headers
    ).json()
    assert [n["x"] for n in copy["layout"]["nodes"]] == [0.0, 300.0]
    assert copy["layout"]["viewport"] == {"x": 1.5, "y": 2.0, "zoom": 0.75}
    assert other.client.get(EXPORT, headers=other.admin.headers).content == first.content


def test_export_lists_nodes_and_edges_in_key_order_with_their_fields(
    client: TestClient, admin: Caller
) -> None:
    populate(client, admin)
    doc = client.get(EXPORT, headers=admin.headers).json()
    keys = [(n["namespace"], n["name"]) for n in doc["nodes"]]
    assert keys == sorted(keys)
    ends = [
        (e["source"]["namespace"], e["source"]["name"], e["target"]["name"]) for e in doc["edges"]
    ]
    assert ends == sorted(ends)
    orders = next(n for n in doc["nodes"] if n["name"] == "shop.orders")
    assert orders["parent"] == ref("shop")
    assert orders["tags"] == ["pii"]
    assert [a["text"] for a in orders["annotations"]] == ["Late on Mondays"]
    assert {e["origin"] for e in doc["edges"]} == {"manual"}


def test_export_never_contains_secrets(client: TestClient, admin: Caller) -> None:
    populate(client, admin)
    text = client.get(EXPORT, headers=admin.headers).text
    for secret in SECRETS:
        assert secret not in text
    assert "secret_fields" not in text
    assert "password" not in text
    assert "_set" not in text
    pg = next(n for n in json.loads(text)["nodes"] if n["kind"] == "postgres")
    assert pg["connection"]["host"] == "db.internal"


def test_importing_the_same_document_twice_changes_nothing(
    client: TestClient, admin: Caller, db: Session, other: Instance
) -> None:
    populate(client, admin)
    doc = client.get(EXPORT, headers=admin.headers).content
    assert post(other.client, other.admin, doc).status_code == 200
    other_db = other.session()
    before = table_counts(other_db)
    stamps = sorted(other_db.execute(select(Node.name, Node.updated_at)).all())
    other_db.rollback()
    r = post(other.client, other.admin, doc)
    assert r.status_code == 200
    assert r.json() == {
        "nodes_created": 0,
        "nodes_updated": 0,
        "nodes_unchanged": 6,
        "edges_created": 0,
        "edges_existing": 3,
        "annotations_created": 0,
        "dashboards_applied": 0,
    }
    after = table_counts(other_db)
    assert after == {**before, "audit_records": before["audit_records"] + 1}
    assert sorted(other_db.execute(select(Node.name, Node.updated_at)).all()) == stamps
    other_db.close()


def test_import_writes_one_reset_change_and_one_audit_record(
    client: TestClient, admin: Caller, db: Session
) -> None:
    doc = document(
        [node(f"t{i}") for i in range(5)], [edge(f"t{i}", f"t{i + 1}") for i in range(4)]
    )
    before = table_counts(db)
    assert post(client, admin, doc).status_code == 200
    changes = db.execute(select(LineageChange.op, LineageChange.a)).all()
    assert len(changes) == before["lineage_changes"] + 1
    assert tuple(changes[-1]) == ("reset", 0)
    audit = db.scalars(select(AuditRecord).where(AuditRecord.action == "graph.import")).all()
    assert [a.changes["edges_created"] for a in audit] == [4]
    assert audit[0].actor == "root"
    db.rollback()


def test_update_changes_fields_keeps_stored_secrets_and_counts_it(
    client: TestClient, admin: Caller
) -> None:
    populate(client, admin)
    doc = client.get(EXPORT, headers=admin.headers).json()
    pg = next(n for n in doc["nodes"] if n["kind"] == "postgres")
    pg["connection"]["port"] = 6432
    pg["owners"] = ["dba", "platform"]
    r = post(client, admin, doc)
    assert r.json()["nodes_updated"] == 1
    assert r.json()["nodes_unchanged"] == 5
    found = client.get("/api/v1/nodes?kind=postgres", headers=admin.headers).json()["items"][0]
    assert (found["owners"], found["connection"]["port"]) == (["dba", "platform"], 6432)
    assert found["owner"] == "dba"
    assert found["connection"]["password_set"] is True


def test_parent_may_come_later_in_the_document(client: TestClient, admin: Caller) -> None:
    doc = document(
        [
            node("shop.orders", parent=ref("shop")),
            {"kind": "postgres", "namespace": "postgres://db.internal:5432", "name": "shop"},
        ],
        [],
    )
    assert post(client, admin, doc).status_code == 200
    items = client.get("/api/v1/nodes?name=shop.orders", headers=admin.headers).json()["items"]
    shop = client.get("/api/v1/nodes?name=shop", headers=admin.headers).json()["items"][0]
    assert items[0]["parent_id"] == shop["id"]


def test_existing_manual_edge_keeps_its_origin_and_description(
    client: TestClient, admin: Caller, db: Session
) -> None:
    a, b = create(client, admin, dataset("a")), create(client, admin, dataset("b"))
    edge_api(client, admin, a["id"], b["id"])
    doc = document(
        [node("a"), node("b"), node("c")],
        [edge("a", "b", origin="import", description="from a file"), edge("b", "c")],
    )
    r = post(client, admin, doc)
    assert (r.json()["edges_created"], r.json()["edges_existing"]) == (1, 1)
    rows = {
        (e.source.name, e.target.name): (e.origin, e.description) for e in db.scalars(select(Edge))
    }
    db.rollback()
    assert rows == {("a", "b"): ("manual", None), ("b", "c"): ("import", None)}


def test_duplicate_edges_in_the_document_are_stored_once(client: TestClient, admin: Caller) -> None:
    doc = document([node("a"), node("b")], [edge("a", "b"), edge("a", "b", description="again")])
    r = post(client, admin, doc)
    assert r.status_code == 200
    assert r.json()["edges_created"] == 1
    edges = client.get("/api/v1/edges", headers=admin.headers).json()["items"]
    assert len(edges) == 1
    assert edges[0]["description"] is None  # the first one wins


def test_annotations_are_added_once(client: TestClient, admin: Caller) -> None:
    note = {"text": "Checked", "author": "ann", "created_at": "2026-10-01T08:00:00Z"}
    doc = document([node("a", annotations=[note, note])], [])
    assert post(client, admin, doc).json()["annotations_created"] == 1
    assert post(client, admin, doc).json()["annotations_created"] == 0
    found = client.get("/api/v1/nodes?name=a", headers=admin.headers).json()["items"][0]
    assert [(n["author"], n["created_at"][:19]) for n in found["annotations"]] == [
        ("ann", "2026-10-01T08:00:00")
    ]


def test_gzip_body_is_imported(client: TestClient, admin: Caller) -> None:
    doc = document([node("a"), node("b")], [edge("a", "b")])
    body = gzip.compress(json.dumps(doc).encode())
    r = post(client, admin, body, **{"Content-Encoding": "gzip"})
    assert r.status_code == 200, r.text
    assert r.json()["edges_created"] == 1


def test_import_reads_a_chunked_streamed_body(client: TestClient, admin: Caller) -> None:
    nodes = [node(f"n{i:04d}") for i in range(300)]
    edges = [edge(f"n{i:04d}", f"n{i + 1:04d}") for i in range(299)]
    text = json.dumps(document(nodes, edges))

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(text), 1000):
            yield text[i : i + 1000].encode()

    r = client.post("/api/v1/graph/import", content=chunks(), headers={**admin.headers})
    assert r.status_code == 200, r.text
    assert (r.json()["nodes_created"], r.json()["edges_created"]) == (300, 299)


def test_any_json_layout_is_read(client: TestClient, admin: Caller, other: Instance) -> None:
    populate(client, admin)
    exported = client.get(EXPORT, headers=admin.headers)
    doc = exported.json()
    for layout in (json.dumps(doc), json.dumps(doc, indent=2), json.dumps(doc, indent="\t")):
        r = post(other.client, other.admin, layout)
        assert r.status_code == 200, r.text
    assert other.client.get(EXPORT, headers=other.admin.headers).content == exported.content
