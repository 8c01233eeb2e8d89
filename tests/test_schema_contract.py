"""The OpenAPI schema states what the validators check: the two agree value by value."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from dlv.auth.schemas import TokenCreate, UserCreate
from dlv.dashboards.schemas import DashboardUpdate
from dlv.nodes.schemas import NAME_PATTERN, TAG_PATTERN, NodeCreate


def _valid(model: type[BaseModel], data: dict[str, Any]) -> bool:
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    "name", ["orders", " orders ", "été", "a\tb", "a\x7fb", "a\u200bb", "a\u202eb", " ", ""]
)
def test_a_name_matches_the_schema_pattern_exactly_when_it_is_valid(name: str) -> None:
    body = {"kind": "dataset", "namespace": "pg://h/db", "name": name}
    assert _valid(NodeCreate, body) == bool(re.fullmatch(NAME_PATTERN, name))


@pytest.mark.parametrize("tag", ["pii", " PII ", "a:b/c_d.e-f", "-x", "a" * 64, "a" * 65, "é", ""])
def test_a_tag_matches_the_schema_pattern_exactly_when_it_is_valid(tag: str) -> None:
    body = {"kind": "dataset", "namespace": "n", "name": "x", "tags": [tag]}
    assert _valid(NodeCreate, body) == bool(re.fullmatch(TAG_PATTERN, tag))


@pytest.mark.parametrize(
    ("days", "valid"),
    [(30, True), (30.0, True), (True, False), ("30", False), (30.5, False), (0, False)],
)
def test_expires_days_is_a_json_integer(days: object, valid: bool) -> None:
    body = {"name": "t", "scope": "ingest", "expires_days": days}
    assert _valid(TokenCreate, body) == valid


def test_the_schema_states_the_password_length(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()["components"]["schemas"]
    password = spec["UserCreate"]["properties"]["password"]
    assert (password["minLength"], password["maxLength"]) == (8, 1024)
    assert not _valid(UserCreate, {"username": "u", "password": "x" * 7})


def test_patch_fields_that_cannot_be_null_are_not_nullable_in_the_schema(
    client: TestClient,
) -> None:
    props = client.get("/openapi.json").json()["components"]["schemas"]["DashboardUpdate"][
        "properties"
    ]
    assert props["layout"] == {"$ref": "#/components/schemas/Layout"}
    assert "null" not in str(props["name"])
    assert not _valid(DashboardUpdate, {"layout": None})
    assert "null" in str(props["description"])  # an optional field may still be cleared


def test_a_connection_config_requires_its_kind_in_the_schema(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("PostgresConnection", "AirflowConnection", "SparkConnection"):
        assert "kind" in schemas[name]["required"]


def test_an_airflow_auth_requires_its_type_in_the_schema(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("BasicAuth", "BearerAuth"):
        assert "type" in schemas[name]["required"]
