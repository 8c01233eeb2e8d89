"""405 Method Not Allowed: the status and the ``Allow`` header agree with the OpenAPI schema."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dlv.methods import MethodTable
from tests.conftest import Caller


def _allow(value: str) -> set[str]:
    return {m.strip() for m in value.split(",")}


@pytest.mark.parametrize("method", ["POST", "OPTIONS"])
def test_a_405_lists_every_method_of_the_path(
    client: TestClient, admin: Caller, method: str
) -> None:
    # Four routes share this path, one per method: Starlette listed the first one's only.
    r = client.request(
        method, f"/api/v1/dashboards/{'0' * 8}-0000-4000-8000-{'0' * 12}", headers=admin.headers
    )
    assert r.status_code == 405
    assert r.headers["content-type"] == "application/problem+json"
    assert _allow(r.headers["allow"]) == {"GET", "PUT", "PATCH", "DELETE"}


def test_options_lists_the_methods_of_a_collection(client: TestClient, admin: Caller) -> None:
    r = client.options("/api/v1/nodes", headers=admin.headers)
    assert r.status_code == 405
    assert _allow(r.headers["allow"]) == {"GET", "POST"}


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_a_literal_path_is_not_taken_for_an_id(
    client: TestClient, admin: Caller, method: str
) -> None:
    # /dashboards/{dashboard_id} has these methods; /dashboards/from-lineage only POST.
    r = client.request(method, "/api/v1/dashboards/from-lineage", headers=admin.headers)
    assert r.status_code == 405
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["allow"] == "POST"


def test_the_literal_path_still_answers_its_own_method(client: TestClient, admin: Caller) -> None:
    r = client.post("/api/v1/dashboards/from-lineage", json={}, headers=admin.headers)
    assert r.status_code == 422  # reached its route: the body is what is wrong
    assert r.json()["errors"]


def test_a_bad_id_on_a_parameter_path_stays_a_422(client: TestClient, admin: Caller) -> None:
    r = client.get("/api/v1/dashboards/not-a-uuid", headers=admin.headers)
    assert r.status_code == 422


def test_the_table_prefers_literal_segments() -> None:
    table = MethodTable(
        {"/a/{id}": ["get", "delete", "parameters"], "/a/b": ["post"], "/a/{id}/c": ["get"]}
    )
    assert table.allowed("/a/b") == frozenset({"POST"})
    assert table.allowed("/a/x") == frozenset({"GET", "DELETE"})
    assert table.allowed("/a/x/c") == frozenset({"GET"})
    assert table.allowed("/z") is None
    assert table.shadowed == {"/a/b": frozenset({"POST"})}
