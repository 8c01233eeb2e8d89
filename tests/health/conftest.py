"""Fixtures of the health tests: the app with the health routes, a private PostgreSQL
cluster, fake Airflow/Spark APIs, and a port that accepts connections but never answers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

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
