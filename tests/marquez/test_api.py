"""The Marquez-compatible routes in process: names that need encoding, the lineage walk,
errors and who may read."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dlv.auth.models import TokenScope
from tests.conftest import Caller, make_token

LAKE = "s3://lake:9000/raw"  # slashes and colons in a namespace
ODD = "exports/datasets/orders#2024:v1"  # a name that looks like a path and a version
JOBS = "airflow-prod"


def event(job: str, inputs: list[str], outputs: list[str], ns: str = LAKE) -> dict[str, Any]:
    return {
        "eventType": "COMPLETE",
        "eventTime": "2026-01-01T00:00:00Z",
        "producer": "https://example.com/tests",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": JOBS, "name": job},
        "inputs": [{"namespace": ns, "name": n} for n in inputs],
        "outputs": [{"namespace": ns, "name": n} for n in outputs],
    }


@pytest.fixture
def fed(client: TestClient, db: Session) -> TestClient:
    """A producer of ODD and two of its consumers, A -> ODD -> B and ODD -> C -> far."""
    ingest = make_token(db, "ingest", TokenScope.ingest)
    for e in (
        event("produce", ["source"], [ODD]),
        event("consume_b", [ODD], ["b_out"]),
        event("consume_c", [ODD], ["c_out"]),
        event("further", ["c_out"], ["far"]),
        event("other_reader", ["source"], ["elsewhere"]),
    ):
        r = client.post("/api/v1/lineage", json=e, headers=ingest)
        assert r.status_code == 201, r.text
    return client


def path(*parts: str) -> str:
    return "/api/v1/" + "/".join(quote(p, safe="") for p in parts)


def test_a_name_with_slashes_colons_and_hash_is_one_encoded_segment(
    fed: TestClient, viewer: Caller
) -> None:
    r = fed.get(path("namespaces", LAKE, "datasets", ODD), headers=viewer.headers)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == {"namespace": LAKE, "name": ODD}


def test_a_viewer_and_a_read_token_may_read_and_nobody_else(
    fed: TestClient, viewer: Caller, db: Session
) -> None:
    read = make_token(db, "reader", TokenScope.read)
    ingest = make_token(db, "ingest-only", TokenScope.ingest)
    assert fed.get("/api/v1/namespaces", headers=viewer.headers).status_code == 200
    assert fed.get("/api/v1/namespaces", headers=read).status_code == 200
    assert fed.get("/api/v1/namespaces").status_code == 401
    assert fed.get("/api/v1/namespaces", headers=ingest).status_code == 403


def test_writes_are_not_served(fed: TestClient, admin: Caller) -> None:
    r = fed.put(path("namespaces", "new"), json={"ownerName": "me"}, headers=admin.headers)
    assert r.status_code == 405


def lineage(client: TestClient, caller: Caller, node_id: str, **params: Any) -> dict[str, Any]:
    r = client.get("/api/v1/lineage", params={"nodeId": node_id, **params}, headers=caller.headers)
    assert r.status_code == 200, r.text
    return {n["id"]: n for n in r.json()["graph"]}


def test_lineage_reaches_sibling_consumers_as_marquez_does(fed: TestClient, viewer: Caller) -> None:
    graph = lineage(fed, viewer, f"dataset:{LAKE}:b_out")
    assert f"job:{JOBS}:consume_c" in graph  # consumes what b_out's producer read
    assert f"dataset:{LAKE}:far" in graph
    assert f"job:{JOBS}:other_reader" in graph  # reads produce's input


def test_lineage_depth_counts_jobs(fed: TestClient, viewer: Caller) -> None:
    graph = lineage(fed, viewer, f"job:{JOBS}:consume_b", depth=0)
    assert set(graph) == {f"job:{JOBS}:consume_b", f"dataset:{LAKE}:{ODD}", f"dataset:{LAKE}:b_out"}
    job = graph[f"job:{JOBS}:consume_b"]
    assert job["data"]["inputs"] == [{"namespace": LAKE, "name": ODD}]
    assert job["inEdges"] == [{"origin": f"dataset:{LAKE}:{ODD}", "destination": job["id"]}]


def test_lineage_of_an_unknown_node_is_404(fed: TestClient, viewer: Caller) -> None:
    r = fed.get(
        "/api/v1/lineage", params={"nodeId": f"dataset:{LAKE}:nothing"}, headers=viewer.headers
    )
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


def test_a_malformed_node_id_is_422_naming_it(fed: TestClient, viewer: Caller) -> None:
    r = fed.get("/api/v1/lineage", params={"nodeId": "table:x"}, headers=viewer.headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "query.nodeId"


def test_search_wildcards_and_namespace(fed: TestClient, viewer: Caller) -> None:
    r = fed.get(
        "/api/v1/search",
        params={"q": "consume_%", "namespace": JOBS, "sort": "name"},
        headers=viewer.headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["name"] for x in body["results"]] == ["consume_b", "consume_c"]
    assert body["results"][0]["nodeId"] == f"job:{JOBS}:consume_b"
