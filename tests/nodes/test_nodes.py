from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.nodes.factories import (
    PG_PASSWORD,
    airflow_node,
    create,
    dataset,
    postgres_node,
    spark_node,
)

URL = "/api/v1/nodes"


def test_create_and_read_a_postgres_node(client: TestClient, admin: Caller) -> None:
    node = create(client, admin, postgres_node())
    assert node["kind"] == "postgres"
    assert node["tags"] == ["pii", "prod"]
    assert node["status"] == "unknown"
    assert node["connection"] == {
        "kind": "postgres",
        "host": "db.internal",
        "port": 5432,
        "database": "shop",
        "user": "dlv",
        "password_set": True,
        "sslmode": "prefer",
        "connect_timeout": 5,
    }
    fetched = client.get(f"{URL}/{node['id']}", headers=admin.headers).json()
    assert fetched == node


def test_airflow_and_spark_configs_hide_their_secrets(client: TestClient, admin: Caller) -> None:
    af = create(client, admin, airflow_node())
    assert af["connection"]["auth"] == {"type": "basic", "username": "dlv", "password_set": True}
    sp = create(client, admin, spark_node())
    assert sp["connection"]["token_set"] is True
    assert "token" not in sp["connection"]


def test_viewer_reads_but_cannot_write(client: TestClient, admin: Caller, viewer: Caller) -> None:
    node = create(client, admin, dataset("shop.public.orders"))
    assert client.get(f"{URL}/{node['id']}", headers=viewer.headers).status_code == 200
    r = client.patch(f"{URL}/{node['id']}", json={"owner": "x"}, headers=viewer.headers)
    assert r.status_code == 403


def test_namespace_and_name_are_unique_together(client: TestClient, admin: Caller) -> None:
    create(client, admin, dataset("shop.public.orders"))
    r = client.post(URL, json=dataset("shop.public.orders"), headers=admin.headers)
    assert r.status_code == 409
    assert "existing_id" in r.json()
    create(client, admin, dataset("shop.public.orders", namespace="other"))


def test_patch_changes_only_the_fields_sent(client: TestClient, admin: Caller) -> None:
    node = create(client, admin, dataset("t", description="raw orders", owner="ann"))
    r = client.patch(
        f"{URL}/{node['id']}", json={"owner": "bob", "tags": ["Gold "]}, headers=admin.headers
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["owner"], body["description"], body["tags"]) == ("bob", "raw orders", ["gold"])
    r = client.patch(f"{URL}/{node['id']}", json={"description": None}, headers=admin.headers)
    assert r.json()["description"] is None


def test_update_without_the_secret_keeps_the_stored_one(client: TestClient, admin: Caller) -> None:
    node = create(client, admin, postgres_node())
    conn = {
        "kind": "postgres",
        "host": "db2.internal",
        "port": 5433,
        "database": "shop",
        "user": "dlv",
    }
    r = client.patch(f"{URL}/{node['id']}", json={"connection": conn}, headers=admin.headers)
    assert r.status_code == 200
    assert r.json()["connection"]["host"] == "db2.internal"
    assert r.json()["connection"]["password_set"] is True
    conn["password"] = ""
    r = client.patch(f"{URL}/{node['id']}", json={"connection": conn}, headers=admin.headers)
    assert r.json()["connection"]["password_set"] is False


def test_connection_of_the_wrong_kind_is_422(client: TestClient, admin: Caller) -> None:
    body = postgres_node()
    body["connection"] = {"kind": "spark", "url": "http://x:1"}
    r = client.post(URL, json=body, headers=admin.headers)
    assert r.status_code == 422


def test_dataset_with_a_connection_is_422(client: TestClient, admin: Caller) -> None:
    body = dataset("t", connection={"kind": "postgres", "host": "h", "database": "d", "user": "u"})
    r = client.post(URL, json=body, headers=admin.headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body.connection"


def test_invalid_port_names_the_field(client: TestClient, admin: Caller) -> None:
    body = postgres_node()
    body["connection"]["port"] = 70000
    r = client.post(URL, json=body, headers=admin.headers)
    assert r.status_code == 422
    assert any("port" in e["field"] for e in r.json()["errors"])
    assert PG_PASSWORD not in r.text


def test_invalid_tag_is_422(client: TestClient, admin: Caller) -> None:
    r = client.post(URL, json=dataset("t", tags=["ok", "no!way"]), headers=admin.headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"].startswith("body.tags")


def test_parent_must_exist_and_be_a_system_or_job(client: TestClient, admin: Caller) -> None:
    ds = create(client, admin, dataset("a"))
    missing = client.post(
        URL,
        json=dataset("b", parent_id="00000000-0000-4000-8000-000000000009"),
        headers=admin.headers,
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.parent_id"
    under_dataset = client.post(URL, json=dataset("c", parent_id=ds["id"]), headers=admin.headers)
    assert under_dataset.status_code == 422


def test_parent_cycles_are_refused(client: TestClient, admin: Caller) -> None:
    dag = create(client, admin, {"kind": "job", "namespace": "af", "name": "dag"})
    task = create(
        client,
        admin,
        {"kind": "job", "namespace": "af", "name": "dag.task", "parent_id": dag["id"]},
    )
    r = client.patch(f"{URL}/{dag['id']}", json={"parent_id": task["id"]}, headers=admin.headers)
    assert r.status_code == 422
    assert "ancestor" in r.json()["detail"]


def test_deleting_a_parent_is_refused_unless_cascade(client: TestClient, admin: Caller) -> None:
    db = create(client, admin, postgres_node())
    child = create(client, admin, dataset("shop.public.orders", parent_id=db["id"]))
    r = client.delete(f"{URL}/{db['id']}", headers=admin.headers)
    assert r.status_code == 409
    assert r.json()["children"] == 1
    assert client.delete(f"{URL}/{db['id']}?cascade=true", headers=admin.headers).status_code == 204
    assert client.get(f"{URL}/{child['id']}", headers=admin.headers).status_code == 404


def test_annotations_are_added_with_author_and_removed(client: TestClient, admin: Caller) -> None:
    node = create(client, admin, dataset("t"))
    r = client.post(
        f"{URL}/{node['id']}/annotations",
        json={"text": "Backfill runs Sundays"},
        headers=admin.headers,
    )
    assert r.status_code == 201
    note = r.json()
    assert note["author"] == "root"
    fetched = client.get(f"{URL}/{node['id']}", headers=admin.headers).json()
    assert [a["text"] for a in fetched["annotations"]] == ["Backfill runs Sundays"]
    r = client.delete(f"{URL}/{node['id']}/annotations/{note['id']}", headers=admin.headers)
    assert r.status_code == 204
    assert client.get(f"{URL}/{node['id']}", headers=admin.headers).json()["annotations"] == []
    again = client.delete(f"{URL}/{node['id']}/annotations/{note['id']}", headers=admin.headers)
    assert again.status_code == 404


def test_unknown_node_is_404(client: TestClient, admin: Caller) -> None:
    r = client.get(f"{URL}/00000000-0000-4000-8000-000000000009", headers=admin.headers)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


def test_a_node_keeps_every_owner_and_owner_is_the_first(client: TestClient, admin: Caller) -> None:
    node = create(client, admin, dataset("orders", owners=["alice", "bob"]))
    assert (node["owner"], node["owners"]) == ("alice", ["alice", "bob"])
    r = client.patch(f"/api/v1/nodes/{node['id']}", json={"owner": "carol"}, headers=admin.headers)
    assert (r.json()["owner"], r.json()["owners"]) == ("carol", ["carol"])
    r = client.patch(f"/api/v1/nodes/{node['id']}", json={"owners": []}, headers=admin.headers)
    assert (r.json()["owner"], r.json()["owners"]) == (None, [])


def test_owner_and_owners_that_disagree_are_422(client: TestClient, admin: Caller) -> None:
    body = dataset("orders", owner="alice", owners=["bob", "alice"])
    r = client.post("/api/v1/nodes", json=body, headers=admin.headers)
    assert r.status_code == 422
    assert "owner must be the first of owners" in r.text


def test_search_finds_a_node_by_any_owner(client: TestClient, admin: Caller) -> None:
    create(client, admin, dataset("orders", owners=["alice", "bob"]))
    for query in ("owner=bob", "q=BOB"):
        items = client.get(f"/api/v1/nodes?{query}", headers=admin.headers).json()["items"]
        assert [n["name"] for n in items] == ["orders"], query
