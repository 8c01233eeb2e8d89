"""Names and namespaces: one name whatever its Unicode form (NFC), none that hides its text
(text-direction overrides, zero-width characters)."""

from __future__ import annotations

import unicodedata

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.nodes.factories import create, dataset

URL = "/api/v1/nodes"
NFC = "ventes.résumé_année"
NFD = unicodedata.normalize("NFD", NFC)


def test_a_name_is_stored_in_nfc(client: TestClient, admin: Caller) -> None:
    assert NFD != NFC
    node = create(client, admin, dataset(NFD, namespace=unicodedata.normalize("NFD", "café")))
    assert (node["name"], node["namespace"]) == (NFC, "café")


def test_the_nfd_and_nfc_forms_of_a_name_are_one_node(client: TestClient, admin: Caller) -> None:
    create(client, admin, dataset(NFC))
    r = client.post(URL, json=dataset(NFD), headers=admin.headers)
    assert r.status_code == 409


def test_a_rename_is_stored_in_nfc(client: TestClient, admin: Caller) -> None:
    node = create(client, admin, dataset("orders"))
    r = client.patch(f"{URL}/{node['id']}", json={"name": NFD}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == NFC


@pytest.mark.parametrize("query", ["q", "name"])
def test_search_finds_a_name_typed_in_either_form(
    client: TestClient, admin: Caller, query: str
) -> None:
    create(client, admin, dataset(NFC))
    r = client.get(URL, params={query: NFD}, headers=admin.headers)
    assert [n["name"] for n in r.json()["items"]] == [NFC]


@pytest.mark.parametrize(
    "char", ["\u202e", "\u202a", "\u2066", "\u2069", "\u200b", "\u200d", "\u2060", "\ufeff"]
)
@pytest.mark.parametrize("field", ["name", "namespace"])
def test_invisible_and_text_direction_characters_are_refused_naming_the_field(
    client: TestClient, admin: Caller, char: str, field: str
) -> None:
    body = dataset("orders")
    body[field] = f"shop{char}.orders"
    r = client.post(URL, json=body, headers=admin.headers)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == [f"body.{field}"]
