"""POST /dashboards/from-lineage: a node's lineage in columns by signed distance."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.dashboards.factories import URL, audit_actions, edge, get, nodes

FROM_LINEAGE = f"{URL}/from-lineage"


def boxes_overlap(layout_nodes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    boxes = [
        (n["node_id"], n["x"], n["y"], n["x"] + n["width"], n["y"] + n["height"])
        for n in layout_nodes
    ]
    return [
        (a[0], b[0])
        for a, b in itertools.combinations(boxes, 2)
        if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
    ]


class Chain:
    """raw -> stage -> stg -> build -> mart -> report, plus a side branch stg -> audit."""

    def __init__(self, client: TestClient, admin: Caller) -> None:
        names = ["raw", "stage", "stg", "build", "mart", "report", "audit"]
        self.ids = dict(zip(names, nodes(client, admin, *names), strict=True))
        for s, t in itertools.pairwise(names[:6]):
            edge(client, admin, self.ids[s], self.ids[t])
        edge(client, admin, self.ids["stg"], self.ids["audit"])
        self.client, self.admin = client, admin

    def make(self, **extra: Any) -> Any:
        payload = {"root_id": self.ids["stg"], "name": "Orders map", **extra}
        return self.client.post(FROM_LINEAGE, json=payload, headers=self.admin.headers)

    def xs(self, dashboard: dict[str, Any]) -> dict[str, float]:
        names = {v: k for k, v in self.ids.items()}
        return {names[n["node_id"]]: n["x"] for n in dashboard["layout"]["nodes"]}


@pytest.fixture
def chain(client: TestClient, admin: Caller) -> Chain:
    return Chain(client, admin)


def test_both_directions_put_upstream_left_and_downstream_right(chain: Chain) -> None:
    r = chain.make(depth=None)
    assert r.status_code == 201, r.text
    xs = chain.xs(r.json())
    assert xs["raw"] < xs["stage"] < xs["stg"] < xs["build"] < xs["mart"] < xs["report"]
    assert xs["audit"] == xs["build"]
    assert r.json()["truncated"] is False


def test_nodes_of_a_column_share_x_and_never_overlap(chain: Chain) -> None:
    dashboard = chain.make(depth=None).json()
    assert boxes_overlap(dashboard["layout"]["nodes"]) == []


def test_the_dashboard_is_stored_with_edges_and_facts(chain: Chain) -> None:
    created = chain.make(depth=None).json()
    loaded = get(chain.client, chain.admin, created["id"])
    assert loaded["layout"] == created["layout"]
    assert len(loaded["edges"]) == 6
    assert {f["name"] for f in loaded["node_facts"]} == set(chain.ids)
    assert loaded["version"] == 1


def test_downstream_only_starts_at_the_root(chain: Chain) -> None:
    xs = chain.xs(chain.make(direction="downstream", depth=None).json())
    assert set(xs) == {"stg", "build", "mart", "report", "audit"}
    assert min(xs.values()) == xs["stg"]


def test_upstream_only_ends_at_the_root(chain: Chain) -> None:
    xs = chain.xs(chain.make(direction="upstream", depth=None).json())
    assert set(xs) == {"raw", "stage", "stg"}
    assert max(xs.values()) == xs["stg"]


def test_depth_bounds_the_map(chain: Chain) -> None:
    xs = chain.xs(chain.make(depth=1).json())
    assert set(xs) == {"stage", "stg", "build", "audit"}


def test_limit_keeps_the_nearest_nodes_and_says_it_cut(chain: Chain) -> None:
    r = chain.make(depth=None, limit=4)
    assert r.json()["truncated"] is True
    assert set(chain.xs(r.json())) == {"stage", "stg", "build", "audit"}


def test_a_wide_fan_out_does_not_overlap(client: TestClient, admin: Caller) -> None:
    (root,) = nodes(client, admin, "root")
    children = nodes(client, admin, *[f"child{i}" for i in range(12)])
    grandchildren = nodes(client, admin, *[f"grandchild{i}" for i in range(12)])
    for i, child in enumerate(children):
        edge(client, admin, root, child)
        edge(client, admin, child, grandchildren[(i * 5) % 12])
    r = client.post(
        FROM_LINEAGE, json={"root_id": root, "name": "fan", "depth": None}, headers=admin.headers
    )
    assert r.status_code == 201, r.text
    placed = r.json()["layout"]["nodes"]
    assert len(placed) == 25
    assert boxes_overlap(placed) == []


def test_creation_is_audited_with_its_origin(chain: Chain) -> None:
    created = chain.make().json()
    assert audit_actions(chain.client, chain.admin, created["id"]) == ["dashboard.create"]
    record = chain.client.get(
        f"/api/v1/audit?target_id={created['id']}", headers=chain.admin.headers
    ).json()["items"][0]
    assert record["changes"]["from_lineage"]["root_id"] == chain.ids["stg"]


def test_an_unknown_root_is_422(client: TestClient, admin: Caller) -> None:
    r = client.post(
        FROM_LINEAGE,
        json={"root_id": "00000000-0000-4000-8000-000000000009", "name": "x"},
        headers=admin.headers,
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "body.root_id", "message": "unknown node"}]


def test_a_taken_name_is_409(chain: Chain) -> None:
    assert chain.make().status_code == 201
    assert chain.make().status_code == 409


def test_a_viewer_cannot_create_one(chain: Chain, viewer: Caller) -> None:
    r = chain.client.post(
        FROM_LINEAGE, json={"root_id": chain.ids["stg"], "name": "x"}, headers=viewer.headers
    )
    assert r.status_code == 403
