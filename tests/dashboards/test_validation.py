"""Invalid layouts are refused with a 422 naming each field; nothing is stored."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.dashboards.factories import URL, body, nodes, placed, post

NOWHERE = "00000000-0000-4000-8000-000000000009"


def refused(client: TestClient, admin: Caller, payload: dict[str, Any]) -> dict[str, Any]:
    r = client.post(URL, json=payload, headers=admin.headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert client.get(URL, headers=admin.headers).json()["items"] == []
    return dict(r.json())


def fields(problem: dict[str, Any]) -> list[str]:
    return [e["field"] for e in problem["errors"]]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_coordinates_are_refused(
    client: TestClient, admin: Caller, literal: str
) -> None:
    (node,) = nodes(client, admin, "a")
    text = json.dumps(body(nodes=[{"node_id": node, "x": 0.0, "y": 0.0}])).replace(
        '"x": 0.0', f'"x": {literal}'
    )
    r = client.post(
        URL, content=text, headers={**admin.headers, "Content-Type": "application/json"}
    )
    assert r.status_code == 422, r.text
    assert fields(r.json()) == ["body.layout.nodes.0.x"]


@pytest.mark.parametrize("value", ["12", True, None, [1]])
def test_coordinates_must_be_json_numbers(client: TestClient, admin: Caller, value: Any) -> None:
    (node,) = nodes(client, admin, "a")
    problem = refused(client, admin, body(nodes=[{"node_id": node, "x": value, "y": 0}]))
    assert fields(problem) == ["body.layout.nodes.0.x"]


@pytest.mark.parametrize("zoom", [0.0, 0.01, 8.5, -1.0])
def test_zoom_out_of_bounds_is_refused(client: TestClient, admin: Caller, zoom: float) -> None:
    problem = refused(client, admin, body(viewport={"x": 0, "y": 0, "zoom": zoom}))
    assert fields(problem) == ["body.layout.viewport.zoom"]


def test_zoom_at_the_bounds_is_accepted(client: TestClient, admin: Caller) -> None:
    post(client, admin, body("low", viewport={"x": 0, "y": 0, "zoom": 0.05}))
    post(client, admin, body("high", viewport={"x": 0, "y": 0, "zoom": 8.0}))


def test_coordinates_beyond_a_billion_are_refused(client: TestClient, admin: Caller) -> None:
    (node,) = nodes(client, admin, "a")
    problem = refused(client, admin, body(nodes=[{"node_id": node, "x": 0, "y": -2e9}]))
    assert fields(problem) == ["body.layout.nodes.0.y"]


def test_sizes_must_be_positive(client: TestClient, admin: Caller) -> None:
    (node,) = nodes(client, admin, "a")
    problem = refused(
        client, admin, body(nodes=[{"node_id": node, "x": 0, "y": 0, "width": 0, "height": -5}])
    )
    assert fields(problem) == ["body.layout.nodes.0.width", "body.layout.nodes.0.height"]


def test_unknown_layout_fields_are_refused(client: TestClient, admin: Caller) -> None:
    (node,) = nodes(client, admin, "a")
    problem = refused(client, admin, body(nodes=[{"node_id": node, "x": 0, "y": 0, "colour": 1}]))
    assert fields(problem) == ["body.layout.nodes.0.colour"]


def test_a_node_placed_twice_is_refused(client: TestClient, admin: Caller) -> None:
    a, b = nodes(client, admin, "a", "b")
    problem = refused(client, admin, body(nodes=placed([a, b, a])))
    assert problem["errors"] == [
        {"field": "body.layout.nodes.2.node_id", "message": "node already on the canvas (nodes.0)"}
    ]


def test_group_and_note_ids_must_be_distinct(client: TestClient, admin: Caller) -> None:
    group = {"id": "x1", "x": 0, "y": 0, "width": 10, "height": 10}
    notes = [{"id": "x1", "text": "a", "x": 0, "y": 0}, {"id": "n2", "text": "b", "x": 0, "y": 0}]
    problem = refused(client, admin, body(groups=[group], notes=notes))
    assert problem["errors"] == [
        {"field": "body.layout.notes.0.id", "message": "id already used by groups[0]"}
    ]


def test_a_group_may_only_frame_nodes_on_the_dashboard(client: TestClient, admin: Caller) -> None:
    a, b = nodes(client, admin, "a", "b")
    group = {"id": "g", "x": 0, "y": 0, "width": 10, "height": 10, "node_ids": [a, b]}
    problem = refused(client, admin, body(nodes=placed([a]), groups=[group]))
    assert problem["errors"] == [
        {"field": "body.layout.groups.0.node_ids.1", "message": "not a node on this dashboard"}
    ]


def test_unknown_node_ids_are_listed(client: TestClient, admin: Caller) -> None:
    (a,) = nodes(client, admin, "a")
    ghosts = sorted(str(uuid.uuid4()) for _ in range(2))
    problem = refused(client, admin, body(nodes=placed([ghosts[1], a, ghosts[0]])))
    assert problem["unknown_node_ids"] == ghosts
    assert fields(problem) == ["body.layout.nodes.0.node_id", "body.layout.nodes.2.node_id"]


def test_unknown_hidden_edges_are_listed(client: TestClient, admin: Caller) -> None:
    problem = refused(client, admin, body(hidden_edge_ids=[NOWHERE]))
    assert problem["unknown_edge_ids"] == [NOWHERE]
    assert fields(problem) == ["body.layout.hidden_edge_ids.0"]


def test_more_than_5000_nodes_are_refused(client: TestClient, admin: Caller) -> None:
    many = [{"node_id": str(uuid.uuid4()), "x": 0, "y": 0} for _ in range(5001)]
    problem = refused(client, admin, body(nodes=many))
    assert fields(problem) == ["body.layout.nodes"]


def test_style_values_must_be_text_or_numbers(client: TestClient, admin: Caller) -> None:
    (node,) = nodes(client, admin, "a")
    style = {"border": {"nested": 1}}
    problem = refused(
        client, admin, body(nodes=[{"node_id": node, "x": 0, "y": 0, "style": style}])
    )
    assert all(f.startswith("body.layout.nodes.0.style.border") for f in fields(problem))


def test_a_group_id_must_be_a_plain_token(client: TestClient, admin: Caller) -> None:
    group = {"id": "has space", "x": 0, "y": 0, "width": 10, "height": 10}
    problem = refused(client, admin, body(groups=[group]))
    assert fields(problem) == ["body.layout.groups.0.id"]


def test_a_name_is_required(client: TestClient, admin: Caller) -> None:
    problem = refused(client, admin, {"name": "  ", "layout": {}})
    assert fields(problem) == ["body.name"]


def test_patch_cannot_null_the_layout(client: TestClient, admin: Caller) -> None:
    created = post(client, admin, body())
    r = client.patch(
        f"{URL}/{created['id']}", json={"layout": None, "version": 1}, headers=admin.headers
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"].endswith("layout cannot be null")
