"""An API token's last use: noted per request, written once a minute per process."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from dlv.auth.principal import Principal
from dlv.auth.usage import TokenUsage
from dlv.db import utcnow
from tests.conftest import Caller


def create(client: TestClient, admin: Caller, scope: str) -> tuple[str, dict[str, str]]:
    r = client.post("/api/v1/tokens", json={"name": scope, "scope": scope}, headers=admin.headers)
    assert r.status_code == 201
    return r.json()["id"], {"Authorization": f"Bearer {r.json()['token']}"}


def last_used(client: TestClient, admin: Caller, token_id: str) -> str | None:
    items = client.get("/api/v1/tokens", headers=admin.headers).json()["items"]
    found: str | None = next(t["last_used_at"] for t in items if t["id"] == token_id)
    return found


def test_a_new_token_was_never_used(client: TestClient, admin: Caller) -> None:
    token_id, _ = create(client, admin, "read")
    assert last_used(client, admin, token_id) is None


def test_a_get_with_a_token_records_its_use(
    client: TestClient, app: FastAPI, admin: Caller
) -> None:
    token_id, headers = create(client, admin, "read")
    before = utcnow()
    assert client.get("/api/v1/nodes", headers=headers).status_code == 200
    app.state.token_usage.flush(app.state.sessionmaker)
    used = last_used(client, admin, token_id)
    assert used is not None
    assert before - timedelta(seconds=1) <= datetime.fromisoformat(used) <= utcnow()


def test_posting_an_event_records_the_ingest_tokens_use(
    client: TestClient, app: FastAPI, admin: Caller
) -> None:
    token_id, headers = create(client, admin, "ingest")
    event = {
        "eventType": "START",
        "eventTime": "2026-12-07T10:00:00Z",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "airflow-prod", "name": "daily"},
        "producer": "https://example.com/test",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }
    assert client.post("/api/v1/lineage", json=event, headers=headers).status_code == 201
    app.state.token_usage.flush(app.state.sessionmaker)
    assert last_used(client, admin, token_id) is not None


def token(token_id: uuid.UUID) -> Principal:
    return Principal(kind="token", id=token_id, name="t", grant="read")


def test_a_token_is_noted_once_a_minute_and_users_never() -> None:
    usage = TokenUsage()
    now = utcnow()
    first, second = uuid.uuid4(), uuid.uuid4()
    usage.seen(token(first), now)
    usage.seen(token(first), now + timedelta(seconds=30))
    usage.seen(token(second), now)
    usage.seen(Principal(kind="user", id=uuid.uuid4(), name="u", grant="admin"), now)
    assert usage.waiting() == {first: now, second: now}
    usage.seen(token(first), now + timedelta(seconds=61))
    assert usage.waiting() == {first: now + timedelta(seconds=61), second: now}


def test_a_process_that_saw_an_older_use_never_moves_it_back(
    client: TestClient, app: FastAPI, admin: Caller
) -> None:
    token_id, _ = create(client, admin, "read")
    now = utcnow()
    recent, late = TokenUsage(), TokenUsage()
    recent.seen(token(uuid.UUID(token_id)), now)
    recent.flush(app.state.sessionmaker)
    late.seen(token(uuid.UUID(token_id)), now - timedelta(minutes=5))
    late.flush(app.state.sessionmaker)
    assert datetime.fromisoformat(str(last_used(client, admin, token_id))) == now
