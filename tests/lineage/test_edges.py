from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.nodes.factories import create, dataset

URL = "/api/v1/edges"
NOWHERE = "00000000-0000-4000-8000-000000000009"


def edge(client: TestClient, admin: Caller, source: str, target: str) -> dict[str, object]:
    r = client.post(URL, json={"source_id": source, "target_id": target}, headers=admin.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_create_list_and_delete_an_edge(client: TestClient, admin: Caller) -> None:
    a, b = create(client, admin, dataset("a")), create(client, admin, dataset("b"))
    e = edge(client, admin, a["id"], b["id"])
    assert (e["source_id"], e["target_id"], e["origin"]) == (a["id"], b["id"], "manual")
    listed = client.get(f"{URL}?node_id={b['id']}", headers=admin.headers).json()["items"]
    assert [x["id"] for x in listed] == [e["id"]]
    assert client.get(f"{URL}?source_id={b['id']}", headers=admin.headers).json()["items"] == []
    assert client.delete(f"{URL}/{e['id']}", headers=admin.headers).status_code == 204
    assert client.get(f"{URL}/{e['id']}", headers=admin.headers).status_code == 404


def test_duplicate_edge_is_409(client: TestClient, admin: Caller) -> None:
    a, b = create(client, admin, dataset("a")), create(client, admin, dataset("b"))
    edge(client, admin, a["id"], b["id"])
    r = client.post(URL, json={"source_id": a["id"], "target_id": b["id"]}, headers=admin.headers)
    assert r.status_code == 409


def test_reverse_edge_forms_an_allowed_cycle(client: TestClient, admin: Caller) -> None:
    a, b = create(client, admin, dataset("a")), create(client, admin, dataset("b"))
    edge(client, admin, a["id"], b["id"])
    edge(client, admin, b["id"], a["id"])


def test_self_loop_is_422(client: TestClient, admin: Caller) -> None:
    a = create(client, admin, dataset("a"))
    r = client.post(URL, json={"source_id": a["id"], "target_id": a["id"]}, headers=admin.headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body.target_id"


def test_unknown_end_is_422_naming_which(client: TestClient, admin: Caller) -> None:
    a = create(client, admin, dataset("a"))
    r = client.post(URL, json={"source_id": NOWHERE, "target_id": a["id"]}, headers=admin.headers)
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "body.source_id")
    r = client.post(URL, json={"source_id": a["id"], "target_id": NOWHERE}, headers=admin.headers)
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "body.target_id")


def test_deleting_a_node_deletes_its_edges(client: TestClient, admin: Caller) -> None:
    a, b = create(client, admin, dataset("a")), create(client, admin, dataset("b"))
    e = edge(client, admin, a["id"], b["id"])
    assert client.delete(f"/api/v1/nodes/{a['id']}", headers=admin.headers).status_code == 204
    assert client.get(f"{URL}/{e['id']}", headers=admin.headers).status_code == 404


def test_edges_paginate(client: TestClient, admin: Caller) -> None:
    hub = create(client, admin, dataset("hub"))
    for i in range(5):
        edge(client, admin, hub["id"], create(client, admin, dataset(f"t{i}"))["id"])
    first = client.get(f"{URL}?node_id={hub['id']}&limit=3", headers=admin.headers).json()
    rest = client.get(
        f"{URL}?node_id={hub['id']}&limit=3&cursor={first['next_cursor']}", headers=admin.headers
    ).json()
    ids = [e["id"] for e in first["items"] + rest["items"]]
    assert len(set(ids)) == 5
    assert rest["next_cursor"] is None
