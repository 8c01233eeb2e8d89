"""Graph import: names in NFC, as the API stores them; invisible characters refused."""

from __future__ import annotations

import unicodedata

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.graph.docs import document, edge, node, post
from tests.nodes.factories import create, dataset

NFC = "ventes.résumé"
NFD = unicodedata.normalize("NFD", NFC)


def test_imported_names_are_stored_in_nfc(client: TestClient, admin: Caller) -> None:
    r = post(client, admin, document([node(NFD), node("b")], [edge(NFD, "b")]))
    assert r.status_code == 200, r.text
    items = client.get("/api/v1/nodes", params={"limit": 10}, headers=admin.headers).json()
    assert sorted(n["name"] for n in items["items"]) == ["b", NFC]


def test_an_edge_naming_a_node_in_nfd_finds_it_in_nfc(client: TestClient, admin: Caller) -> None:
    create(client, admin, dataset(NFC))
    create(client, admin, dataset("b"))
    r = post(client, admin, document([], [edge(NFD, "b"), edge("b", NFC)]))
    assert r.status_code == 200, r.text
    assert r.json()["edges_created"] == 2


def test_the_nfd_form_of_an_existing_name_updates_that_node(
    client: TestClient, admin: Caller
) -> None:
    create(client, admin, dataset(NFC))
    r = post(client, admin, document([node(NFD, owner="sales")], []))
    assert r.status_code == 200, r.text
    items = client.get("/api/v1/nodes", headers=admin.headers).json()["items"]
    assert [(n["name"], n["owner"]) for n in items] == [(NFC, "sales")]


@pytest.mark.parametrize("where", ["node", "edge"])
def test_a_text_direction_override_is_refused_naming_the_field(
    client: TestClient, admin: Caller, where: str
) -> None:
    spoof = "orders\u202etxt.exe"
    nodes = [node("a"), node(spoof if where == "node" else "b")]
    edges = [edge("a", spoof)] if where == "edge" else []
    r = post(client, admin, document(nodes, edges))
    assert r.status_code == 422, r.text
    fields = [e["field"] for e in r.json()["errors"]]
    assert fields == (["nodes[1].name"] if where == "node" else ["edges[0].target.name"])
