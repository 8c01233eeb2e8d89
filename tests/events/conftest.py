"""Helpers of the stream tests: real WebSocket clients (the ``websockets`` library) against
real ``dlv serve`` processes."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.conftest import Caller
from tests.servers import dlv_server

WAIT_SECONDS = 30.0  # a cap, not a measure: the machine is shared


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/api/v1/stream"


@contextmanager
def stream(base: str, first: dict[str, Any] | None = None) -> Iterator[ClientConnection]:
    """A connection to ``base``'s stream that sent ``first`` (nothing when None)."""
    with connect(ws_url(base), open_timeout=WAIT_SECONDS) as ws:
        if first is not None:
            ws.send(json.dumps(first))
        yield ws


def receive(ws: ClientConnection, seconds: float = WAIT_SECONDS) -> dict[str, Any]:
    message: Any = json.loads(ws.recv(timeout=seconds))
    return dict(message)


def hello(ws: ClientConnection) -> str:
    """Read the server's hello; the id the stream continues after."""
    message = receive(ws)
    assert message["type"] == "hello", message
    return str(message["last_event_id"])


def until(
    ws: ClientConnection, wanted: Callable[[dict[str, Any]], bool], seconds: float = WAIT_SECONDS
) -> list[dict[str, Any]]:
    """Every message up to and including the first one ``wanted`` accepts."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"timed out; received {[m.get('kind', m['type']) for m in seen]}"
        message = receive(ws, left)
        seen.append(message)
        if wanted(message):
            return seen


def closed_with(ws: ClientConnection, seconds: float = WAIT_SECONDS) -> tuple[int, str]:
    """Read until the server closes; its close code and reason."""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            ws.recv(timeout=max(deadline - time.monotonic(), 0.01))
    except ConnectionClosed as closed:
        if closed.rcvd is None:
            pytest.fail("the connection dropped without a close frame")
        return closed.rcvd.code, closed.rcvd.reason
    except TimeoutError:
        pass
    pytest.fail("the server did not close the connection")


def token_of(caller: Caller | dict[str, str]) -> str:
    headers = caller.headers if isinstance(caller, Caller) else caller
    return headers["Authorization"].removeprefix("Bearer ")


def failed_run(job: str, namespace: str = "stream-test") -> dict[str, Any]:
    """An OpenLineage FAIL of a new run of ``job``: the job's node turns ``error``."""
    return {
        "eventType": "FAIL",
        "eventTime": datetime.now(UTC).isoformat(),
        "producer": "https://example.com/stream-test",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": namespace, "name": job},
        "inputs": [],
        "outputs": [],
    }


def post(http: httpx.Client, url: str, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
    r = http.post(url, json=body, headers=caller.headers)
    assert r.status_code in (200, 201), r.text
    result: dict[str, Any] = r.json()
    return result


def is_status(node_name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m.get("kind") == "node.status" and m["payload"]["name"] == node_name


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """One real server, with a short first-message timeout and token re-check."""
    env = {"DLV_STREAM_AUTH_TIMEOUT_SECONDS": "1", "DLV_STREAM_AUTH_RECHECK_SECONDS": "1"}
    with dlv_server(database_url, tmp_path / "a", env) as url:
        yield url
