"""The stream with real WebSocket clients against a real server process."""

from __future__ import annotations

import httpx
from sqlalchemy.orm import Session

from dlv.auth.models import TokenScope
from tests.conftest import Caller, make_token
from tests.events.conftest import (
    closed_with,
    failed_run,
    hello,
    is_status,
    post,
    receive,
    stream,
    token_of,
    until,
)


def test_a_login_token_sees_a_status_change_with_old_new_and_message(
    server: str, admin: Caller
) -> None:
    with stream(server, {"token": token_of(admin)}) as ws, httpx.Client(timeout=30) as http:
        hello(ws)
        post(http, f"{server}/api/v1/lineage", failed_run("nightly"), admin)
        *_, status = until(ws, is_status("nightly"))
    assert status["payload"]["old"] == "unknown"
    assert status["payload"]["new"] == "error"
    assert status["payload"]["message"]
    assert status["node_id"]
    assert int(status["id"]) > 0


def test_a_read_api_token_may_stream(server: str, admin: Caller, db: Session) -> None:
    token = token_of(make_token(db, "dashboard-wall", TokenScope.read))
    with stream(server, {"token": token}) as ws, httpx.Client(timeout=30) as http:
        hello(ws)
        post(http, f"{server}/api/v1/lineage", failed_run("api-token-job"), admin)
        until(ws, is_status("api-token-job"))


def test_a_viewer_may_stream(server: str, viewer: Caller) -> None:
    with stream(server, {"token": token_of(viewer)}) as ws:
        hello(ws)


def test_an_invalid_token_is_closed_as_unauthenticated(server: str) -> None:
    with stream(server, {"token": "dlv_not-a-real-token"}) as ws:
        code, reason = closed_with(ws)
    assert code == 4401
    assert "invalid" in reason


def test_an_ingest_only_token_is_closed_as_forbidden(server: str, db: Session) -> None:
    token = token_of(make_token(db, "shipper", TokenScope.ingest))
    with stream(server, {"token": token}) as ws:
        code, _ = closed_with(ws)
    assert code == 4403


def test_a_silent_connection_is_closed_after_the_timeout(server: str) -> None:
    with stream(server) as ws:
        code, reason = closed_with(ws)
    assert code == 4408
    assert "first message" in reason


def test_a_malformed_first_message_is_closed_naming_the_field(server: str, admin: Caller) -> None:
    with stream(server, {"token": token_of(admin), "kinds": ["no.such.kind"]}) as ws:
        code, reason = closed_with(ws)
    assert code == 4400
    assert reason.startswith("kinds.0")


def test_a_first_message_that_is_not_json_is_closed(server: str) -> None:
    with stream(server) as ws:
        ws.send("hello?")
        code, _ = closed_with(ws)
    assert code == 4400


def test_a_revoked_token_is_closed_while_streaming(server: str, admin: Caller, db: Session) -> None:
    headers = make_token(db, "revoke-me", TokenScope.read)
    with stream(server, {"token": token_of(headers)}) as ws, httpx.Client(timeout=30) as http:
        hello(ws)
        tokens = http.get(f"{server}/api/v1/tokens", headers=admin.headers).json()["items"]
        [token_id] = [t["id"] for t in tokens if t["name"] == "revoke-me"]
        r = http.delete(f"{server}/api/v1/tokens/{token_id}", headers=admin.headers)
        assert r.status_code == 204, r.text
        code, _ = closed_with(ws)
    assert code == 4401


def test_a_stale_last_event_id_is_told_to_refetch(server: str, admin: Caller) -> None:
    with stream(server, {"token": token_of(admin), "last_event_id": "999999"}) as ws:
        hello(ws)
        message = receive(ws)
    assert message["type"] == "stale"
    assert "refetch" in message["detail"]


def test_edges_an_openlineage_run_draws_arrive_as_edge_created(server: str, admin: Caller) -> None:
    run = failed_run("writer-job")
    run["eventType"] = "COMPLETE"
    run["outputs"] = [{"namespace": "postgres://db:5432", "name": "shop.public.orders"}]
    with stream(server, {"token": token_of(admin), "kinds": ["edge.created"]}) as ws:
        hello(ws)
        with httpx.Client(timeout=30) as http:
            post(http, f"{server}/api/v1/lineage", run, admin)
        edge = receive(ws)
    assert edge["kind"] == "edge.created"
    assert edge["payload"]["source_id"]
    assert edge["payload"]["target_id"]


def test_a_user_disabled_while_streaming_is_closed(
    server: str, admin: Caller, viewer: Caller
) -> None:
    with stream(server, {"token": token_of(viewer)}) as ws, httpx.Client(timeout=30) as http:
        hello(ws)
        r = http.patch(
            f"{server}/api/v1/users/{viewer.id}", json={"disabled": True}, headers=admin.headers
        )
        assert r.status_code == 200, r.text
        code, _ = closed_with(ws)
    assert code == 4401
