"""Documents and helpers shared by graph tests."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dlv.audit.models import AuditRecord
from dlv.lineage.models import Edge, LineageChange
from dlv.nodes.models import Annotation, Node, NodeTag
from tests.conftest import Caller
from tests.graph.conftest import IMPORT
from tests.nodes.factories import airflow_node, create, dataset, postgres_node, spark_node

PG_NS = "postgres://db.internal:5432"


def ref(name: str, namespace: str = PG_NS) -> dict[str, str]:
    return {"namespace": namespace, "name": name}


def node(name: str, kind: str = "dataset", **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "namespace": PG_NS, "name": name, **extra}


def edge(source: str, target: str, **extra: Any) -> dict[str, Any]:
    return {"source": ref(source), "target": ref(target), **extra}


def document(nodes: list[Any], edges: list[Any]) -> dict[str, Any]:
    """A graph document; items may be anything, to build invalid ones."""
    return {"format": "dlv-graph", "version": 1, "nodes": nodes, "edges": edges}


def post(client: TestClient, admin: Caller, body: Any, **headers: str) -> Any:
    content = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(IMPORT, content=content, headers={**admin.headers, **headers})


def edge_api(client: TestClient, admin: Caller, source: str, target: str) -> dict[str, Any]:
    r = client.post(
        "/api/v1/edges", json={"source_id": source, "target_id": target}, headers=admin.headers
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def populate(client: TestClient, admin: Caller) -> None:
    """A small catalog through the API: systems with secrets, parents, tags, notes, edges."""
    pg = create(client, admin, postgres_node())
    af = create(client, admin, airflow_node())
    create(client, admin, spark_node())
    orders = create(client, admin, dataset("shop.orders", parent_id=pg["id"], tags=["pii"]))
    load = create(
        client,
        admin,
        {"kind": "job", "namespace": "airflow", "name": "dag.load", "parent_id": af["id"]},
    )
    daily = create(
        client, admin, dataset("mart.daily", description="Daily revenue\nper shop", owner="bi")
    )
    r = client.post(
        f"/api/v1/nodes/{orders['id']}/annotations",
        json={"text": "Late on Mondays"},
        headers=admin.headers,
    )
    assert r.status_code == 201
    edge_api(client, admin, orders["id"], load["id"])
    edge_api(client, admin, load["id"], daily["id"])
    edge_api(client, admin, daily["id"], orders["id"])  # a cycle


def table_counts(db: Session) -> dict[str, int]:
    """Rows per table (the session's transaction is ended so writers are not blocked)."""
    try:
        return {
            model.__tablename__: db.scalar(select(func.count()).select_from(model)) or 0
            for model in (Node, NodeTag, Annotation, Edge, LineageChange, AuditRecord)
        }
    finally:
        db.rollback()
