"""PUT/GET/DELETE /api/v1/nodes/{id}/sla: who may, what is refused and how it says so."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller

DEADLINE: dict[str, Any] = {"time": "06:00", "zone": "Europe/Berlin", "days": ["fri", "mon", "mon"]}
BODY: dict[str, Any] = {"freshness": {"max_age_seconds": 7200}, "deadline": DEADLINE}


@pytest.fixture
def node_id(client: TestClient, admin: Caller) -> str:
    r = client.post(
        "/api/v1/nodes",
        json={"kind": "dataset", "namespace": "s3://lake", "name": "mart.revenue"},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def url(node_id: str) -> str:
    return f"/api/v1/nodes/{node_id}/sla"


def test_an_admin_sets_an_sla_and_a_viewer_reads_it(
    client: TestClient, admin: Caller, viewer: Caller, node_id: str
) -> None:
    r = client.put(url(node_id), json=BODY, headers=admin.headers)
    assert r.status_code == 200, r.text
    got = client.get(url(node_id), headers=viewer.headers).json()
    assert got["freshness"] == {"max_age_seconds": 7200}
    assert got["deadline"] == {"time": "06:00", "zone": "Europe/Berlin", "days": ["mon", "fri"]}
    assert got["state"] == "met"
    assert got["updated_by"] == "root"
    assert got["next_deadline_at"] is not None


def test_a_viewer_may_not_set_one(client: TestClient, viewer: Caller, node_id: str) -> None:
    r = client.put(url(node_id), json=BODY, headers=viewer.headers)
    assert r.status_code == 403


def test_put_replaces_the_whole_sla(client: TestClient, admin: Caller, node_id: str) -> None:
    client.put(url(node_id), json=BODY, headers=admin.headers)
    only = {"freshness": {"max_age_seconds": 600}}
    assert client.put(url(node_id), json=only, headers=admin.headers).status_code == 200
    got = client.get(url(node_id), headers=admin.headers).json()
    assert got["deadline"] is None
    assert got["freshness"] == {"max_age_seconds": 600}


def test_delete_removes_it(client: TestClient, admin: Caller, node_id: str) -> None:
    client.put(url(node_id), json=BODY, headers=admin.headers)
    assert client.delete(url(node_id), headers=admin.headers).status_code == 204
    r = client.get(url(node_id), headers=admin.headers)
    assert r.status_code == 404
    assert "no SLA" in r.json()["detail"]


def test_setting_and_removing_are_audited(client: TestClient, admin: Caller, node_id: str) -> None:
    client.put(url(node_id), json=BODY, headers=admin.headers)
    client.delete(url(node_id), headers=admin.headers)
    rows = client.get("/api/v1/audit", params={"target_id": node_id}, headers=admin.headers)
    actions = [r["action"] for r in rows.json()["items"]]
    assert actions[:2] == ["sla.delete", "sla.set"]


def test_an_unknown_node_is_404(client: TestClient, admin: Caller) -> None:
    r = client.put(url("00000000-0000-0000-0000-000000000001"), json=BODY, headers=admin.headers)
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"deadline": {**DEADLINE, "zone": "Europe/Atlantis"}}, "body.deadline.zone"),
        ({"deadline": {**DEADLINE, "zone": "../../etc/passwd"}}, "body.deadline.zone"),
        ({"deadline": {**DEADLINE, "time": "25:00"}}, "body.deadline.time"),
        ({"deadline": {**DEADLINE, "time": "6am"}}, "body.deadline.time"),
        ({"deadline": {**DEADLINE, "days": []}}, "body.deadline.days"),
        ({"deadline": {**DEADLINE, "days": ["someday"]}}, "body.deadline.days.0"),
        ({"freshness": {"max_age_seconds": 59}}, "body.freshness.max_age_seconds"),
        ({}, "body"),
    ],
)
def test_bad_input_names_the_field(
    client: TestClient, admin: Caller, node_id: str, body: dict[str, Any], field: str
) -> None:
    r = client.put(url(node_id), json=body, headers=admin.headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in r.json()["errors"]], r.json()
