"""Invalid documents: rejected whole, with a precise 4xx naming the field; nothing written."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dlv.app import create_app
from dlv.config import Settings
from dlv.limits import MAX_JSON_DEPTH
from tests.conftest import Caller
from tests.graph.conftest import EXPORT, IMPORT, with_graph_routes
from tests.graph.docs import document, edge, node, post, ref, table_counts
from tests.nodes.factories import create, dataset

GOOD_NODES = [node("a"), node("b")]


def problem(r: Any, status: int) -> list[tuple[str, str]]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    return [(e["field"], e["message"]) for e in r.json().get("errors", [])]


def test_bad_edge_at_the_end_imports_nothing(
    client: TestClient, admin: Caller, db: Session
) -> None:
    nodes = [node(f"n{i:05d}") for i in range(6000)]  # more than one write batch
    edges = [edge(f"n{i:05d}", f"n{i + 1:05d}") for i in range(5999)]
    edges.append(edge("n00000", "nowhere"))
    before = table_counts(db)
    errors = problem(post(client, admin, document(nodes, edges)), 422)
    assert [field for field, _ in errors] == ["edges[5999].target"]
    assert "no node" in errors[0][1]
    assert table_counts(db) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(b"this is not json", "body", id="not-json"),
        pytest.param(b"", "body", id="empty"),
        pytest.param(b'{"format": "dlv-graph", "version": 1, "nodes": [', "body", id="truncated"),
        pytest.param(b"\xff\xfe{}", "body", id="not-utf8"),
    ],
)
def test_malformed_body_is_400(client: TestClient, admin: Caller, body: bytes, field: str) -> None:
    assert problem(post(client, admin, body), 400)[0][0] == field


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        pytest.param([1, 2], "body", id="not-an-object"),
        pytest.param({"version": 1, "nodes": [], "edges": []}, "format", id="no-format"),
        pytest.param({"format": "other", "version": 1}, "format", id="wrong-format"),
        pytest.param({"format": "dlv-graph", "version": 2}, "version", id="wrong-version"),
        pytest.param({"format": "dlv-graph", "version": "1"}, "version", id="version-as-text"),
        pytest.param(
            {"format": "dlv-graph", "version": 1, "nodes": {}}, "nodes", id="nodes-object"
        ),
        pytest.param(
            {"format": "dlv-graph", "version": 1, "extra": 1}, "extra", id="unknown-field"
        ),
        pytest.param(document([{**node("a"), "name": 7}], []), "nodes[0].name", id="name-not-text"),
        pytest.param(document([node("a", kind="table")], []), "nodes[0].kind", id="unknown-kind"),
        pytest.param(document([node("a", tags=["bad tag!"])], []), "nodes[0].tags", id="bad-tag"),
        pytest.param(document([node("a", colour="red")], []), "nodes[0].colour", id="extra-field"),
        pytest.param(document([5], []), "nodes[0]", id="node-not-object"),
        pytest.param(document([node("a\x01")], []), "nodes[0].name", id="control-char"),
        pytest.param(
            document([node("a", connection={"host": "x"})], []),
            "nodes[0].connection",
            id="connection-on-dataset",
        ),
        pytest.param(
            document([node("pg", kind="postgres", connection={"host": "x", "user": "u"})], []),
            "nodes[0].connection.postgres.database",
            id="connection-missing-field",
        ),
        pytest.param(
            document([node("pg", kind="postgres", parent=ref("a")), node("a")], []),
            "nodes[0].parent",
            id="system-with-parent",
        ),
        pytest.param(
            document([node("a", parent=ref("b")), node("b")], []),
            "nodes[0].parent",
            id="parent-is-a-dataset",
        ),
        pytest.param(
            document([node("a", parent=ref("ghost"))], []), "nodes[0].parent", id="unknown-parent"
        ),
        pytest.param(document([node("a"), node("a")], []), "nodes[1]", id="duplicate-node"),
        pytest.param(document(GOOD_NODES, [edge("a", "a")]), "edges[0].target", id="self-loop"),
        pytest.param(
            document(GOOD_NODES, [edge("a", "ghost")]), "edges[0].target", id="unknown-end"
        ),
        pytest.param(
            document(GOOD_NODES, [edge("a", "b", origin="magic")]), "edges[0].origin", id="origin"
        ),
        pytest.param(
            document(GOOD_NODES, [{"source": ref("a"), "target": 3}]),
            "edges[0].target",
            id="end-not-object",
        ),
        pytest.param(
            document(GOOD_NODES, [edge("a", "b", weight=1)]), "edges[0].weight", id="edge-extra"
        ),
    ],
)
def test_invalid_document_is_422_naming_the_field(
    client: TestClient, admin: Caller, db: Session, doc: Any, field: str
) -> None:
    before = table_counts(db)
    fields = [f for f, _ in problem(post(client, admin, doc), 422)]
    assert fields[0] == field
    assert table_counts(db) == before


DEEP = "[" * 5000 + "]" * 5000  # beyond what the JSON parsers can recurse into


@pytest.mark.parametrize(
    ("body", "field"),
    [
        # One item per line: decoded in batches (msgspec), then item by item to name it.
        pytest.param(
            '{"format":"dlv-graph","version":1,"nodes":[\n' + DEEP + '\n],"edges":[]}',
            "nodes[0]",
            id="node-batch",
        ),
        pytest.param(
            '{"format":"dlv-graph","version":1,"nodes":[],"edges":[\n{"x":' + DEEP + "}\n]}",
            "edges[0]",
            id="edge-batch",
        ),
        # On one line: read item by item (the standard library) from the start.
        pytest.param(
            '{"format":"dlv-graph","version":1,"nodes":[' + DEEP + '],"edges":[]}',
            "nodes[0]",
            id="one-line",
        ),
        pytest.param('{"format":' + DEEP + ',"version":1}', "format", id="header"),
        pytest.param(DEEP, "body", id="top"),
    ],
)
def test_json_nested_too_deeply_is_422_naming_the_limit(
    client: TestClient, admin: Caller, body: str, field: str
) -> None:
    assert problem(post(client, admin, body.encode()), 422) == [
        (field, f"nested more than {MAX_JSON_DEPTH} levels deep")
    ]


def test_kind_of_an_existing_node_cannot_change(client: TestClient, admin: Caller) -> None:
    create(client, admin, dataset("a"))
    errors = problem(post(client, admin, document([node("a", kind="job")], [])), 422)
    assert errors[0][0] == "nodes[0].kind"
    assert "dataset" in errors[0][1]


def test_problems_are_listed_up_to_a_cap(client: TestClient, admin: Caller) -> None:
    nodes = [node(f"n{i}", kind="table") for i in range(300)]
    errors = problem(post(client, admin, document(nodes, [])), 422)
    assert len(errors) == 100
    assert errors[:2] == [("nodes[0].kind", errors[0][1]), ("nodes[1].kind", errors[1][1])]


def test_rejected_secret_is_not_echoed(client: TestClient, admin: Caller) -> None:
    bad = node("pg", kind="postgres", connection={"host": "x", "user": "u", "password": "hunter22"})
    r = post(client, admin, document([bad], []))
    assert r.status_code == 422
    assert "hunter22" not in r.text


def test_unknown_content_encoding_is_415(client: TestClient, admin: Caller) -> None:
    r = post(client, admin, b"{}", **{"Content-Encoding": "br"})
    assert problem(r, 415) == []


def test_corrupt_gzip_is_400(client: TestClient, admin: Caller) -> None:
    r = post(client, admin, b"\x1f\x8bnot really gzip", **{"Content-Encoding": "gzip"})
    assert problem(r, 400) == [("body", "the gzip stream is corrupt")]


@pytest.fixture
def small_limit_client(settings: Settings) -> Iterator[TestClient]:
    """An app whose import limit is 1 KiB."""
    small = settings.model_copy(update={"import_max_bytes": 1024})
    with TestClient(with_graph_routes(create_app(small))) as client:
        yield client


def test_gzip_bomb_is_413(small_limit_client: TestClient, admin: Caller) -> None:
    body = gzip.compress(json.dumps(document([], [])).encode() + b" " * 20_000)
    assert len(body) < 1024
    r = post(small_limit_client, admin, body, **{"Content-Encoding": "gzip"})
    assert problem(r, 413) == []


def test_body_over_the_import_limit_is_413(small_limit_client: TestClient, admin: Caller) -> None:
    doc = document([node(f"n{i}") for i in range(50)], [])

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while streaming
        yield json.dumps(doc).encode()

    r = small_limit_client.post(IMPORT, content=chunks(), headers=admin.headers)
    assert problem(r, 413) == []


def test_viewer_can_export_but_not_import(client: TestClient, viewer: Caller) -> None:
    assert client.get(EXPORT, headers=viewer.headers).status_code == 200
    r = client.post(IMPORT, content=json.dumps(document([], [])), headers=viewer.headers)
    assert r.status_code == 403


def test_anonymous_caller_can_do_neither(client: TestClient) -> None:
    assert client.get(EXPORT).status_code == 401
    assert client.post(IMPORT, content=b"{}").status_code == 401


def test_parent_loop_through_stored_nodes_is_422(client: TestClient, admin: Caller) -> None:
    af = create(client, admin, {"kind": "airflow", "namespace": "airflow", "name": "af"})
    dag = create(
        client, admin, {"kind": "job", "namespace": "airflow", "name": "dag", "parent_id": af["id"]}
    )
    create(
        client,
        admin,
        {"kind": "job", "namespace": "airflow", "name": "task", "parent_id": dag["id"]},
    )
    job = {"kind": "job", "namespace": "airflow"}
    doc = document([{**job, "name": "dag", "parent": {"namespace": "airflow", "name": "task"}}], [])
    errors = problem(post(client, admin, doc), 422)
    assert errors == [("nodes[0].parent", "would make the node its own ancestor")]
    found = client.get("/api/v1/nodes?name=dag", headers=admin.headers).json()["items"][0]
    assert found["parent_id"] == af["id"]


@pytest.mark.parametrize(
    ("kind", "connection", "field"),
    [
        pytest.param(
            "airflow",
            {"base_url": "https://dlv:url-s3cret-99@airflow.internal"},
            "nodes[0].connection.airflow.base_url",
            id="airflow-userinfo",
        ),
        pytest.param(
            "spark",
            {"url": "http://spark:18080/?access_token=url-s3cret-99"},
            "nodes[0].connection.spark.url",
            id="spark-token-parameter",
        ),
    ],
)
def test_credentials_in_a_connection_url_are_422_and_nothing_is_imported(
    client: TestClient, admin: Caller, db: Session, kind: str, connection: Any, field: str
) -> None:
    before = table_counts(db)
    r = post(client, admin, document([node("sys", kind=kind, connection=connection)], []))
    errors = dict(problem(r, 422))
    assert "must not carry credentials" in errors[field]
    assert "url-s3cret-99" not in r.text
    assert table_counts(db) == before
