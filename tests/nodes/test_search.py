from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.nodes.factories import create, dataset, postgres_node

URL = "/api/v1/nodes"


def names(client: TestClient, admin: Caller, query: str) -> list[str]:
    r = client.get(f"{URL}?{query}", headers=admin.headers)
    assert r.status_code == 200, r.text
    return [n["name"] for n in r.json()["items"]]


def seed(client: TestClient, admin: Caller) -> dict[str, str]:
    db = create(client, admin, postgres_node())
    ids = {"db": db["id"]}
    for name, owner, tags, desc in [
        ("raw.orders", "ingest-team", ["raw"], "Orders as landed"),
        ("stg.orders", "analytics", ["staging", "pii"], "Cleaned orders"),
        ("mart.revenue", "analytics", ["mart", "gold"], "Daily revenue"),
    ]:
        n = create(
            client,
            admin,
            dataset(name, owner=owner, tags=tags, description=desc, parent_id=db["id"]),
        )
        ids[name] = n["id"]
    create(client, admin, {"kind": "job", "namespace": "af", "name": "orders_pipeline"})
    return ids


def test_filters_by_kind_owner_and_exact_name(client: TestClient, admin: Caller) -> None:
    seed(client, admin)
    assert names(client, admin, "kind=job") == ["orders_pipeline"]
    assert names(client, admin, "owner=analytics") == ["mart.revenue", "stg.orders"]
    assert names(client, admin, "name=stg.orders") == ["stg.orders"]
    assert names(client, admin, "namespace=af") == ["orders_pipeline"]


def test_repeated_tags_must_all_match(client: TestClient, admin: Caller) -> None:
    seed(client, admin)
    assert names(client, admin, "tag=pii") == ["shop", "stg.orders"]
    assert names(client, admin, "tag=pii&tag=STAGING") == ["stg.orders"]


def test_filters_by_parent_and_status(client: TestClient, admin: Caller) -> None:
    ids = seed(client, admin)
    assert len(names(client, admin, f"parent_id={ids['db']}")) == 3
    assert names(client, admin, "status=error") == []
    assert len(names(client, admin, "status=unknown")) == 5


def test_q_searches_name_description_owner_and_tags(client: TestClient, admin: Caller) -> None:
    seed(client, admin)
    assert names(client, admin, "q=REVENUE") == ["mart.revenue"]
    assert names(client, admin, "q=landed") == ["raw.orders"]
    assert names(client, admin, "q=ingest-") == ["raw.orders"]
    assert names(client, admin, "q=gol") == ["mart.revenue"]
    assert names(client, admin, "q=%25") == []  # a literal %, not a wildcard


def test_sorting_by_a_listed_field(client: TestClient, admin: Caller) -> None:
    seed(client, admin)
    assert names(client, admin, "kind=dataset&sort=name&order=desc") == [
        "stg.orders",
        "raw.orders",
        "mart.revenue",
    ]
    assert names(client, admin, "kind=dataset&sort=owner")[2] == "raw.orders"  # ingest-team last
    assert client.get(f"{URL}?sort=connection", headers=admin.headers).status_code == 422


def test_pagination_walks_every_node_once(client: TestClient, admin: Caller) -> None:
    for i in range(7):
        create(client, admin, dataset(f"t{i}", owner="same"))
    for sort in ("name", "owner", "created_at"):
        seen: list[str] = []
        cursor = ""
        while True:
            r = client.get(f"{URL}?limit=3&sort={sort}{cursor}", headers=admin.headers).json()
            seen += [n["name"] for n in r["items"]]
            if r["next_cursor"] is None:
                break
            cursor = f"&cursor={r['next_cursor']}"
        assert sorted(seen) == [f"t{i}" for i in range(7)], sort
        assert len(seen) == 7


def test_invalid_filter_values_are_422(client: TestClient, admin: Caller) -> None:
    for query in ("kind=table", "status=red", "parent_id=nope", "order=up", "tag=bad!tag"):
        r = client.get(f"{URL}?{query}", headers=admin.headers)
        assert r.status_code == 422, query
