"""Walks the OpenAPI schema: every route refuses anonymous callers, every write refuses viewers."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller

PUBLIC = {("post", "/api/v1/auth/token")}
PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000001"


def operations(client: TestClient) -> Iterator[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method in item:
            if (method, path) not in PUBLIC:
                yield method, re.sub(r"\{[^}]+\}", PLACEHOLDER_ID, path)


def call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    return client.request(method.upper(), path, json={}, headers=headers).status_code


def test_the_schema_has_write_routes_to_check(client: TestClient) -> None:
    writes = [op for op in operations(client) if op[0] != "get"]
    assert len(writes) >= 5


def test_every_route_refuses_an_anonymous_caller(client: TestClient) -> None:
    refused = {op: call(client, *op, headers={}) for op in operations(client)}
    assert refused
    assert {op: s for op, s in refused.items() if s != 401} == {}


def test_every_write_route_refuses_a_viewer(client: TestClient, viewer: Caller) -> None:
    writes = [op for op in operations(client) if op[0] != "get"]
    answers = {op: call(client, *op, headers=viewer.headers) for op in writes}
    assert {op: s for op, s in answers.items() if s != 403} == {}


@pytest.mark.parametrize("path", ["/api/v1/users", "/api/v1/tokens", "/api/v1/audit"])
def test_administration_is_hidden_from_viewers(
    client: TestClient, viewer: Caller, path: str
) -> None:
    assert client.get(path, headers=viewer.headers).status_code == 403


def test_admin_passes_authorization_on_every_route(client: TestClient, admin: Caller) -> None:
    answers = {op: call(client, *op, headers=admin.headers) for op in operations(client)}
    assert {op: s for op, s in answers.items() if s in (401, 403)} == {}
