"""Fixtures of the monitoring-loop tests: nodes that point at the real PostgreSQL here, or at
a port of this machine where nothing listens."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from dlv.app import create_app
from dlv.config import Settings
from tests.collectors.conftest import scratch  # noqa: F401 - a fixture, used by name
from tests.health.conftest import silent_server  # noqa: F401 - a fixture, used by name
from tests.servers import free_port

# The PostgreSQL every test run uses (trust auth on the loopback interface).
REAL_PG = {"host": "127.0.0.1", "port": 5432, "database": "postgres", "user": "postgres"}
WAIT_SECONDS = 60  # generous: the machine is shared; the loop needs a few seconds


def pg_node(name: str, connection: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "kind": "postgres",
        "namespace": "postgres://monitor-test",
        "name": name,
        "connection": {
            "kind": "postgres",
            "sslmode": "disable",
            "connect_timeout": 2,
            **connection,
        },
        **extra,
    }


def refused() -> dict[str, Any]:
    """A config for a port of this machine where no server listens."""
    return {**REAL_PG, "port": free_port()}


def wait_for(what: str, probe: Callable[[], bool], seconds: float = WAIT_SECONDS) -> None:
    """Poll ``probe`` until it holds; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not probe():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def get_json(client: TestClient | httpx.Client, url: str, headers: dict[str, str]) -> Any:
    r = client.get(url, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def looping(settings: Settings) -> Iterator[TestClient]:
    """A server whose loop runs, with a short minimum interval and lease."""
    fast = settings.model_copy(
        update={
            "monitor": "embedded",
            "monitor_min_interval_seconds": 1,
            "monitor_lease_seconds": 1.5,
            "monitor_check_timeout_seconds": 10,
            "monitor_collect_timeout_seconds": 30,
        }
    )
    with TestClient(create_app(fast)) as client:
        yield client
