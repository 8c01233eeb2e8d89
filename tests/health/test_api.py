"""The health routes: stored checks, node status and its audit, history, summary, check-all."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dlv.audit.models import AuditRecord
from dlv.crypto import SecretBox
from dlv.health.models import HealthCheck
from dlv.nodes.models import Node
from tests.conftest import SECRET_KEY, Caller
from tests.health.conftest import PG_PASSWORD, PrivatePostgres
from tests.health.fakes import FakeApi
from tests.nodes.factories import create, dataset
from tests.servers import free_port


def pg_node(name: str, connection: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "postgres",
        "namespace": "postgres://test",
        "name": name,
        "connection": connection,
    }


def closed_port_connection() -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": free_port(), "database": "x", "user": "u"}


@pytest.fixture
def good_node(client: TestClient, admin: Caller, private_pg: PrivatePostgres) -> str:
    return str(create(client, admin, pg_node("good", private_pg.connection()))["id"])


@pytest.fixture
def bad_node(client: TestClient, admin: Caller) -> str:
    return str(create(client, admin, pg_node("bad", closed_port_connection()))["id"])


def run_check(client: TestClient, admin: Caller, node_id: str) -> dict[str, Any]:
    r = client.post(f"/api/v1/nodes/{node_id}/test-connection", headers=admin.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def node(client: TestClient, admin: Caller, node_id: str) -> dict[str, Any]:
    return dict(client.get(f"/api/v1/nodes/{node_id}", headers=admin.headers).json())


def test_a_stored_node_is_tested_with_its_sealed_password(
    client: TestClient, admin: Caller, good_node: str
) -> None:
    result = run_check(client, admin, good_node)
    assert result["status"] == "ok", result
    assert set(result) == {"status", "latency_ms", "message", "steps", "checked_at"}


def test_a_check_sets_the_node_status_and_message(
    client: TestClient, admin: Caller, bad_node: str
) -> None:
    result = run_check(client, admin, bad_node)
    after = node(client, admin, bad_node)
    assert after["status"] == "error"
    assert after["status_message"] == result["message"]
    assert after["status_changed_at"] is not None


def test_status_changed_at_moves_only_when_the_status_changes(
    client: TestClient, admin: Caller, bad_node: str
) -> None:
    run_check(client, admin, bad_node)
    first = node(client, admin, bad_node)["status_changed_at"]
    run_check(client, admin, bad_node)
    assert node(client, admin, bad_node)["status_changed_at"] == first


def test_a_check_does_not_count_as_an_edit_of_the_node(
    client: TestClient, admin: Caller, bad_node: str
) -> None:
    before = node(client, admin, bad_node)["updated_at"]
    run_check(client, admin, bad_node)
    assert node(client, admin, bad_node)["updated_at"] == before


def test_a_status_change_is_audited_with_the_caller(
    client: TestClient, admin: Caller, bad_node: str, db: Session
) -> None:
    run_check(client, admin, bad_node)
    run_check(client, admin, bad_node)  # same status: no second record
    records = db.scalars(select(AuditRecord).where(AuditRecord.action == "node.status")).all()
    assert [(r.actor, r.target_id) for r in records] == [("root", bad_node)]
    assert records[0].changes["status"] == {"from": "unknown", "to": "error"}


def test_every_check_is_stored_in_the_history(
    client: TestClient, admin: Caller, bad_node: str, viewer: Caller
) -> None:
    first = run_check(client, admin, bad_node)
    second = run_check(client, admin, bad_node)
    r = client.get(f"/api/v1/nodes/{bad_node}/checks", headers=viewer.headers)
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["checked_at"] for i in items] == [second["checked_at"], first["checked_at"]]
    assert items[0]["steps"] == second["steps"]
    assert items[0]["actor"] == "root"


def test_history_pages_with_a_cursor(client: TestClient, admin: Caller, bad_node: str) -> None:
    for _ in range(3):
        run_check(client, admin, bad_node)
    page1 = client.get(f"/api/v1/nodes/{bad_node}/checks?limit=2", headers=admin.headers).json()
    cursor = page1["next_cursor"]
    page2 = client.get(
        f"/api/v1/nodes/{bad_node}/checks?limit=2&cursor={cursor}", headers=admin.headers
    ).json()
    assert len(page1["items"]) == 2
    assert len(page2["items"]) == 1
    assert page2["next_cursor"] is None
    assert page2["items"][0]["id"] < page1["items"][1]["id"]


def test_no_secret_is_stored_in_checks_or_audit(
    client: TestClient, admin: Caller, private_pg: PrivatePostgres, db: Session
) -> None:
    wrong = "wr0ng-Password-99"
    node_id = create(client, admin, pg_node("w", private_pg.connection(password=wrong)))["id"]
    result = run_check(client, admin, node_id)
    assert result["message"].startswith("Wrong credentials")
    stored = [(c.message, str(c.steps)) for c in db.scalars(select(HealthCheck))]
    audited = [str(r.changes) for r in db.scalars(select(AuditRecord))]
    assert stored
    assert wrong not in str(stored) + str(audited)
    assert PG_PASSWORD not in str(stored) + str(audited)


def test_a_viewer_may_not_run_a_test(client: TestClient, viewer: Caller, bad_node: str) -> None:
    r = client.post(f"/api/v1/nodes/{bad_node}/test-connection", headers=viewer.headers)
    assert r.status_code == 403


def test_a_node_without_connection_is_409(client: TestClient, admin: Caller) -> None:
    node_id = create(client, admin, dataset("orders"))["id"]
    r = client.post(f"/api/v1/nodes/{node_id}/test-connection", headers=admin.headers)
    assert r.status_code == 409
    assert r.json()["detail"] == "The dataset node 'orders' has no connection to test"


def test_an_unknown_node_is_404(client: TestClient, admin: Caller) -> None:
    missing = "00000000-0000-4000-8000-000000000009"
    for method, path in (("POST", "test-connection"), ("GET", "checks")):
        r = client.request(method, f"/api/v1/nodes/{missing}/{path}", headers=admin.headers)
        assert r.status_code == 404


def test_an_unsaved_config_of_the_wrong_shape_is_422_naming_the_field(
    client: TestClient, admin: Caller
) -> None:
    body = {"kind": "postgres", "connection": {"host": "h", "database": "d", "port": 0}}
    r = client.post("/api/v1/connections/test", json=body, headers=admin.headers)
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert "body.connection.postgres.user" in fields
    assert "body.connection.postgres.port" in fields


def test_an_unsaved_config_of_another_kind_is_422(client: TestClient, admin: Caller) -> None:
    body = {
        "kind": "spark",
        "connection": {"kind": "postgres", "host": "h", "database": "d", "user": "u"},
    }
    r = client.post("/api/v1/connections/test", json=body, headers=admin.headers)
    assert r.status_code == 422
    assert "does not match kind" in r.json()["errors"][0]["message"]


def test_an_unsaved_config_test_stores_nothing(
    client: TestClient, admin: Caller, db: Session
) -> None:
    body = {"kind": "postgres", "connection": closed_port_connection()}
    assert client.post("/api/v1/connections/test", json=body, headers=admin.headers).json()
    assert db.scalars(select(HealthCheck)).all() == []


def test_summary_counts_by_status_and_kind_and_lists_errors(
    client: TestClient, admin: Caller, viewer: Caller, good_node: str, bad_node: str
) -> None:
    create(client, admin, dataset("orders"))
    run_check(client, admin, good_node)
    run_check(client, admin, bad_node)
    r = client.get("/api/v1/health/summary", headers=viewer.headers)
    assert r.status_code == 200
    summary = r.json()
    assert summary["total"] == 3
    assert summary["by_status"] == {"ok": 1, "error": 1, "unknown": 1, "at_risk": 0, "late": 0}
    kinds = {k["kind"]: (k["ok"], k["error"], k["unknown"]) for k in summary["by_kind"]}
    assert kinds == {"dataset": (0, 0, 1), "postgres": (1, 1, 0)}
    assert [n["id"] for n in summary["in_error"]] == [bad_node]
    assert summary["in_error"][0]["last_checked_at"] is not None


def test_check_all_tests_every_system_and_counts(
    client: TestClient, admin: Caller, good_node: str, bad_node: str
) -> None:
    create(client, admin, dataset("orders"))
    r = client.post("/api/v1/health/check-all?concurrency=2", headers=admin.headers)
    assert r.status_code == 200, r.text
    counts = r.json()
    assert (counts["checked"], counts["ok"], counts["error"]) == (2, 1, 1)
    assert counts["status_changes"] == 2
    assert node(client, admin, good_node)["status"] == "ok"


def test_check_all_can_be_limited_to_one_kind(
    client: TestClient, admin: Caller, bad_node: str
) -> None:
    r = client.post("/api/v1/health/check-all?kind=airflow", headers=admin.headers)
    assert r.json()["checked"] == 0


@pytest.mark.parametrize("query", ["concurrency=0", "concurrency=33", "kind=dataset"])
def test_check_all_rejects_bad_parameters(client: TestClient, admin: Caller, query: str) -> None:
    r = client.post(f"/api/v1/health/check-all?{query}", headers=admin.headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"].startswith("query.")


def test_a_deleted_node_takes_its_history_with_it(
    client: TestClient, admin: Caller, bad_node: str, db: Session
) -> None:
    run_check(client, admin, bad_node)
    assert client.delete(f"/api/v1/nodes/{bad_node}", headers=admin.headers).status_code == 204
    assert db.scalars(select(HealthCheck)).all() == []


def test_secrets_sealed_under_another_key_are_409_not_an_error_status(
    app: FastAPI, client: TestClient, admin: Caller, bad_node: str
) -> None:
    app.state.secret_box = SecretBox("another-secret-key-0123456789-abcdefghijkl")
    node_id = create(
        client, admin, pg_node("sealed", {**closed_port_connection(), "password": "p"})
    )["id"]
    app.state.secret_box = SecretBox(SECRET_KEY)
    r = client.post(f"/api/v1/nodes/{node_id}/test-connection", headers=admin.headers)
    assert r.status_code == 409
    assert "DLV_SECRET_KEY" in r.json()["detail"]
    assert node(client, admin, node_id)["status"] == "unknown"


def test_check_all_skips_nodes_whose_secrets_cannot_be_read(
    app: FastAPI, client: TestClient, admin: Caller, bad_node: str
) -> None:
    app.state.secret_box = SecretBox("another-secret-key-0123456789-abcdefghijkl")
    create(client, admin, pg_node("sealed", {**closed_port_connection(), "password": "p"}))
    app.state.secret_box = SecretBox(SECRET_KEY)
    counts = client.post("/api/v1/health/check-all", headers=admin.headers).json()
    assert (counts["checked"], counts["skipped"]) == (1, 1)


def test_a_connection_stored_with_credentials_in_its_url_is_still_checked(
    client: TestClient, admin: Caller, db: Session, fake_api: FakeApi
) -> None:
    # Saved by an older DLV, before URLs were refused credentials: checks keep working
    # (the credential leaves the database when the connection is saved again).
    fake_api.spark_history()
    spark = {"kind": "spark", "namespace": "spark", "name": "legacy"}
    node_id = create(client, admin, {**spark, "connection": {"url": fake_api.url}})["id"]
    row = db.scalars(select(Node).where(Node.id == uuid.UUID(node_id))).one()
    assert row.connection is not None
    row.connection = {**row.connection, "url": fake_api.url.replace("//", "//dlv:legacy-pw@")}
    db.commit()
    result = run_check(client, admin, node_id)
    assert result["status"] == "ok", result
    sent = base64.b64encode(b"dlv:legacy-pw").decode()
    assert fake_api.seen[-1][2]["authorization"] == f"Basic {sent}"
