"""Helpers of the Airflow and Spark collector tests: a system node, a collection, a job."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Caller


def system_node(
    client: TestClient, admin: Caller, kind: str, namespace: str, connection: dict[str, Any]
) -> dict[str, Any]:
    r = client.post(
        "/api/v1/nodes",
        json={
            "kind": kind,
            "namespace": namespace,
            "name": f"{kind}-{uuid.uuid4().hex[:6]}",
            "connection": {"kind": kind, **connection},
        },
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def collect(client: TestClient, admin: Caller, node: dict[str, Any], **params: str) -> Any:
    r = client.post(f"/api/v1/nodes/{node['id']}/collect", params=params, headers=admin.headers)
    assert r.status_code == 200, r.text
    return r.json()


def job(client: TestClient, admin: Caller, namespace: str, name: str) -> dict[str, Any]:
    """The one node ``(namespace, name)``."""
    r = client.get(
        "/api/v1/nodes", params={"namespace": namespace, "name": name}, headers=admin.headers
    )
    assert r.status_code == 200, r.text
    items = [n for n in r.json()["items"] if n["name"] == name and n["namespace"] == namespace]
    assert len(items) == 1, (namespace, name, r.json()["items"])
    return dict(items[0])


def jobs(client: TestClient, admin: Caller, namespace: str) -> dict[str, dict[str, Any]]:
    """Every job node in ``namespace`` by name."""
    r = client.get(
        "/api/v1/nodes",
        params={"namespace": namespace, "kind": "job", "limit": 500},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    return {n["name"]: n for n in r.json()["items"] if n["namespace"] == namespace}


def collected(client: TestClient, admin: Caller, node: dict[str, Any]) -> dict[str, Any]:
    r = client.get(f"/api/v1/nodes/{node['id']}/collected", headers=admin.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


NOTHING = {"created": 0, "updated": 0, "gone": 0, "pruned": 0}


def counts(result: dict[str, Any]) -> dict[str, int]:
    return {k: result[k] for k in NOTHING}
