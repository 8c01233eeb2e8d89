"""Dashboard payloads and helpers shared by the dashboard tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.nodes.factories import create, dataset

URL = "/api/v1/dashboards"


def nodes(client: TestClient, admin: Caller, *names: str) -> list[str]:
    """Catalog datasets with these names; their ids."""
    return [create(client, admin, dataset(n))["id"] for n in names]


def edge(client: TestClient, admin: Caller, source: str, target: str) -> str:
    r = client.post(
        "/api/v1/edges", json={"source_id": source, "target_id": target}, headers=admin.headers
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def placed(node_ids: list[str], **extra: Any) -> list[dict[str, Any]]:
    return [{"node_id": n, "x": 300.0 * i, "y": 10.5, **extra} for i, n in enumerate(node_ids)]


def body(name: str = "Revenue flow", **layout: Any) -> dict[str, Any]:
    return {"name": name, "layout": layout}


def post(client: TestClient, admin: Caller, payload: dict[str, Any]) -> dict[str, Any]:
    r = client.post(URL, json=payload, headers=admin.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def get(client: TestClient, caller: Caller, dashboard_id: str) -> dict[str, Any]:
    r = client.get(f"{URL}/{dashboard_id}", headers=caller.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def audit_actions(client: TestClient, admin: Caller, target_id: str) -> list[str]:
    r = client.get(f"/api/v1/audit?target_id={target_id}", headers=admin.headers)
    assert r.status_code == 200, r.text
    return [a["action"] for a in r.json()["items"]]
