"""Fixtures of the health tests: the app with the health routes, a private PostgreSQL
cluster, fake Airflow/Spark APIs, a port that accepts connections but never answers, and a
guard that stops any connection leaving the loopback interface."""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI

from dlv.app import create_app
from dlv.config import Settings
from dlv.health.router import router as health_router
from tests.health.fakes import FakeApi
from tests.health.pgcluster import Cluster, admin_sql, private_cluster

PG_USER = "dlv_health"
PG_PASSWORD = "pg-s3cret-Value-42"
PG_DATABASE = "shop"


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    app.include_router(health_router)
    return app


@dataclass(frozen=True)
class PrivatePostgres:
    cluster: Cluster

    def connection(self, **overrides: object) -> dict[str, object]:
        """A config for the cluster's test database with the right password."""
        return {
            "kind": "postgres",
            "host": self.cluster.host,
            "port": self.cluster.port,
            "database": PG_DATABASE,
            "user": PG_USER,
            "password": PG_PASSWORD,
            "sslmode": "disable",
            "connect_timeout": 5,
            **overrides,
        }


@pytest.fixture(scope="session")
def private_pg() -> Iterator[PrivatePostgres]:
    """A scram-sha-256 cluster with a login role, its database and one table in it."""
    with private_cluster() as cluster:
        admin_sql(
            cluster,
            f"CREATE ROLE {PG_USER} LOGIN PASSWORD '{PG_PASSWORD}'",
            f"CREATE DATABASE {PG_DATABASE} OWNER {PG_USER}",
        )
        import psycopg  # noqa: PLC0415 - only this fixture connects directly

        with psycopg.connect(
            host=cluster.host,
            port=cluster.port,
            user=PG_USER,
            password=PG_PASSWORD,
            dbname=PG_DATABASE,
            autocommit=True,
        ) as conn:
            conn.execute("CREATE TABLE orders (id int PRIMARY KEY)")
        yield PrivatePostgres(cluster)


@dataclass
class SilentServer:
    port: int
    accepted: threading.Event


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    """A port that completes the TCP handshake, accepts, and then never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop, accepted = threading.Event(), threading.Event()

    def accept() -> None:
        server.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)
            accepted.set()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield SilentServer(int(server.getsockname()[1]), accepted)
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture
def silent_port(silent_server: SilentServer) -> int:
    return silent_server.port


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    """An HTTP server answering as Airflow's or Spark's REST API documents (see fakes.py)."""
    with FakeApi.serve() as api:
        yield api


@dataclass
class LoopbackGuard:
    """Connection attempts to anything but loopback, each refused before a packet is sent."""

    on: bool = False
    attempts: list[Any] = field(default_factory=list)

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.on or event != "socket.connect":
            return
        address = args[1]
        if not isinstance(address, tuple) or not isinstance(address[0], str):
            return  # a Unix socket
        try:
            loopback = ipaddress.ip_address(address[0].split("%", 1)[0]).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            self.attempts.append(address)
            raise PermissionError(f"test guard: no connection outside loopback ({address[0]})")


_GUARD: LoopbackGuard | None = None


@pytest.fixture
def loopback_only() -> Iterator[LoopbackGuard]:
    """Every socket connect to a non-loopback address fails (and is recorded) in this test.

    An audit hook sees each ``socket.connect`` before the kernel does, in every thread; so a
    test about a denied address sends nothing even against code that would have connected.
    """
    global _GUARD  # noqa: PLW0603 - audit hooks cannot be removed: one, switched per test
    if _GUARD is None:
        _GUARD = LoopbackGuard()
        sys.addaudithook(_GUARD.hook)
    _GUARD.on, _GUARD.attempts = True, []
    try:
        yield _GUARD
    finally:
        _GUARD.on = False


@dataclass
class CountingListener:
    """A port that accepts connections, notes each one's client port, and says nothing."""

    port: int
    _peers: list[int]
    _seen: threading.Condition

    def connections_before_a_probe(self) -> int:
        """How many connections were accepted before one the test now makes itself.

        Accepts are served in order, so once the probe is accepted every earlier connection
        has been too: no waiting on a clock.
        """
        with socket.create_connection(("127.0.0.1", self.port)) as probe, self._seen:
            mine = int(probe.getsockname()[1])
            assert self._seen.wait_for(lambda: mine in self._peers, timeout=10)
            return self._peers.index(mine)


@pytest.fixture
def counting_listener() -> Iterator[CountingListener]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    peers: list[int] = []
    seen, stop = threading.Condition(), threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        server.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)
            with seen:
                peers.append(int(peer[1]))
                seen.notify_all()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield CountingListener(int(server.getsockname()[1]), peers, seen)
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    server.close()
