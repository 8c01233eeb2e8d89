from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from dlv.nodes.models import Node
from tests.conftest import Caller
from tests.dashboards.factories import URL, get, nodes, placed, post


def names(client: TestClient, caller: Caller, query: str = "") -> list[str]:
    r = client.get(f"{URL}{query}", headers=caller.headers)
    assert r.status_code == 200, r.text
    return [d["name"] for d in r.json()["items"]]


def seed(client: TestClient, admin: Caller) -> None:
    for name, owner, tags, description in [
        ("Revenue", "analytics", ["finance", "tier-1"], "orders to the board deck"),
        ("Churn", "analytics", ["tier-1"], None),
        ("Ingestion", "platform", [], "raw landing zone"),
    ]:
        post(
            client,
            admin,
            {"name": name, "owner": owner, "tags": tags, "description": description},
        )


def test_list_is_sorted_by_name_by_default(client: TestClient, admin: Caller) -> None:
    seed(client, admin)
    assert names(client, admin) == ["Churn", "Ingestion", "Revenue"]
    assert names(client, admin, "?order=desc") == ["Revenue", "Ingestion", "Churn"]


def test_filters_combine(client: TestClient, admin: Caller) -> None:
    seed(client, admin)
    assert names(client, admin, "?owner=analytics") == ["Churn", "Revenue"]
    assert names(client, admin, "?tag=Tier-1&tag=finance") == ["Revenue"]
    assert names(client, admin, "?owner=platform&tag=tier-1") == []


def test_search_looks_in_name_description_owner_and_tags(client: TestClient, admin: Caller) -> None:
    seed(client, admin)
    assert names(client, admin, "?q=BOARD") == ["Revenue"]
    assert names(client, admin, "?q=platf") == ["Ingestion"]
    assert names(client, admin, "?q=tier") == ["Churn", "Revenue"]
    assert names(client, admin, "?q=chu") == ["Churn"]


def test_search_treats_wildcards_literally(client: TestClient, admin: Caller) -> None:
    seed(client, admin)
    assert names(client, admin, "?q=%25") == []


def test_pages_follow_the_cursor(client: TestClient, admin: Caller) -> None:
    for i in range(5):
        post(client, admin, {"name": f"d{i}"})
    seen: list[str] = []
    cursor = ""
    while True:
        r = client.get(f"{URL}?limit=2&sort=created_at{cursor}", headers=admin.headers).json()
        seen += [d["name"] for d in r["items"]]
        if r["next_cursor"] is None:
            break
        cursor = f"&cursor={r['next_cursor']}"
    assert seen == [f"d{i}" for i in range(5)]


def test_list_items_are_summaries(client: TestClient, admin: Caller) -> None:
    ids = nodes(client, admin, "a", "b")
    post(client, admin, {"name": "Flow", "layout": {"nodes": placed(ids)}})
    (item,) = client.get(URL, headers=admin.headers).json()["items"]
    assert item["node_count"] == 2
    assert "layout" not in item


def test_invalid_list_parameters_are_422(client: TestClient, admin: Caller) -> None:
    bad: dict[str, Any] = {"sort": "layout", "tag": "no spaces!", "cursor": "junk", "limit": 0}
    for key, value in bad.items():
        r = client.get(URL, params={key: value}, headers=admin.headers)
        assert r.status_code == 422, key
        assert r.json()["errors"][0]["field"] == f"query.{key}"


def test_each_list_item_counts_its_nodes_in_error_now(
    client: TestClient, admin: Caller, db: Session
) -> None:
    a, b, c = nodes(client, admin, "a", "b", "c")
    post(client, admin, {"name": "Red", "layout": {"nodes": placed([a, b, c])}})
    post(client, admin, {"name": "Calm", "layout": {"nodes": placed([c])}})
    post(client, admin, {"name": "Empty"})
    db.execute(update(Node).where(Node.name.in_(["a", "b"])).values(status="error"))
    db.commit()
    items = client.get(URL, headers=admin.headers).json()["items"]
    assert [(d["name"], d["nodes_in_error"]) for d in items] == [
        ("Calm", 0),
        ("Empty", 0),
        ("Red", 2),
    ]


def test_a_deleted_node_is_not_counted_in_error(
    client: TestClient, admin: Caller, db: Session
) -> None:
    a, b = nodes(client, admin, "a", "b")
    created = post(client, admin, {"name": "Flow", "layout": {"nodes": placed([a, b])}})
    db.execute(update(Node).values(status="error"))
    db.commit()
    assert client.delete(f"/api/v1/nodes/{a}", headers=admin.headers).status_code == 204
    (item,) = client.get(URL, headers=admin.headers).json()["items"]
    assert item["nodes_in_error"] == 1
    assert get(client, admin, created["id"])["nodes_in_error"] == 1
