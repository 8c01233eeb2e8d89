"""Fixtures of the collector tests: a scratch database on the machine's PostgreSQL, filled
with tables, a view, a view of a view and a materialized view, and a node that points at it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.health.conftest import private_pg  # noqa: F401 - a fixture, used by name

HOST, PORT, USER = "127.0.0.1", 5432, "postgres"
NAMESPACE = f"postgres://{HOST}:{PORT}"

SCHEMA = """
CREATE SCHEMA sales;
CREATE TABLE sales.customers (id int PRIMARY KEY, name text NOT NULL);
COMMENT ON TABLE sales.customers IS 'People who buy';
COMMENT ON COLUMN sales.customers.name IS 'Full name';
CREATE TABLE sales.orders (id int PRIMARY KEY, customer_id int, amount numeric(10, 2));
CREATE VIEW sales.v_orders AS
    SELECT o.id, c.name, o.amount FROM sales.orders o JOIN sales.customers c
    ON c.id = o.customer_id;
CREATE VIEW sales.v_big_orders AS SELECT * FROM sales.v_orders WHERE amount > 100;
CREATE MATERIALIZED VIEW sales.mv_totals AS
    SELECT customer_id, sum(amount) AS total FROM sales.orders GROUP BY customer_id;
"""


@dataclass(frozen=True)
class Scratch:
    database: str

    def sql(self, *statements: str) -> None:
        with psycopg.connect(
            host=HOST, port=PORT, user=USER, dbname=self.database, autocommit=True
        ) as conn:
            for statement in statements:
                conn.execute(statement)

    def name(self, relation: str) -> str:
        """The OpenLineage name of ``schema.relation`` in this database."""
        return f"{self.database}.{relation}"


def _admin(sql: str) -> None:
    with psycopg.connect(host=HOST, port=PORT, user=USER, dbname="postgres", autocommit=True) as c:
        c.execute(sql)


@pytest.fixture
def scratch() -> Iterator[Scratch]:
    """A new database with the SCHEMA above, dropped after the test."""
    name = f"dlv_collect_{uuid.uuid4().hex[:10]}"
    try:
        _admin(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL unreachable: {type(exc).__name__}")
    db = Scratch(name)
    db.sql(SCHEMA)
    yield db
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_node(client: TestClient, admin: Caller, connection: dict[str, Any]) -> dict[str, Any]:
    r = client.post(
        "/api/v1/nodes",
        json={
            "kind": "postgres",
            "namespace": NAMESPACE,
            "name": f"{connection['database']}-{uuid.uuid4().hex[:6]}",
            "connection": connection,
        },
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.fixture
def pg_node(client: TestClient, admin: Caller, scratch: Scratch) -> dict[str, Any]:
    """A postgres node whose connection reaches the scratch database."""
    return make_node(
        client,
        admin,
        {
            "kind": "postgres",
            "host": HOST,
            "port": PORT,
            "database": scratch.database,
            "user": USER,
            "sslmode": "disable",
        },
    )
