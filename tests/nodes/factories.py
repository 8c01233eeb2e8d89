"""Node payloads and helpers shared by catalog tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Caller

PG_PASSWORD = "pg-s3cret-Value-42"
AIRFLOW_PASSWORD = "af-s3cret-Value-43"
SPARK_TOKEN = "spark-s3cret-Token-44"
SECRETS = (PG_PASSWORD, AIRFLOW_PASSWORD, SPARK_TOKEN)


def postgres_node(name: str = "shop", **extra: Any) -> dict[str, Any]:
    return {
        "kind": "postgres",
        "namespace": "postgres://db.internal:5432",
        "name": name,
        "owner": "data-platform",
        "tags": ["Prod", "pii"],
        "connection": {
            "host": "db.internal",
            "port": 5432,
            "database": name,
            "user": "dlv",
            "password": PG_PASSWORD,
        },
        **extra,
    }


def airflow_node() -> dict[str, Any]:
    return {
        "kind": "airflow",
        "namespace": "airflow",
        "name": "prod_airflow",
        "connection": {
            "base_url": "https://airflow.internal",
            "api_version": 3,
            "auth": {"type": "basic", "username": "dlv", "password": AIRFLOW_PASSWORD},
        },
    }


def spark_node() -> dict[str, Any]:
    return {
        "kind": "spark",
        "namespace": "spark",
        "name": "history",
        "connection": {"url": "http://spark-history:18080", "token": SPARK_TOKEN},
    }


def dataset(
    name: str, namespace: str = "postgres://db.internal:5432", **extra: Any
) -> dict[str, Any]:
    return {"kind": "dataset", "namespace": namespace, "name": name, **extra}


def create(client: TestClient, admin: Caller, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/api/v1/nodes", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())
