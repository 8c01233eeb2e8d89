"""The PostgreSQL collector on a large database: 10,000 tables (and views over them).

Builds a scratch database on the local PostgreSQL (``--tables`` tables of 4 columns over 10
schemas, ``--views`` views each reading two tables, and materialized views reading a view),
a migrated DLV database (SQLite file or a fresh PostgreSQL database) with one postgres node
pointing at it, then times, in the same run:

- the baseline: the collector's bare catalog queries (``dlv.collectors.postgres.read``);
- the first collection (every node, facts row and edge is new);
- a second collection with no change (compares digests, writes nothing);
- a third after 100 tables gained a column and 50 views were dropped.

Target: the first collection of 10,000 tables in under 30 s.

    .venv/bin/python bench/collect_postgres.py                        # SQLite
    .venv/bin/python bench/collect_postgres.py --backend postgresql
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import database
from dlv import migrate
from dlv.auth.principal import SYSTEM
from dlv.collectors import postgres, service
from dlv.collectors.schemas import CollectionResult
from dlv.crypto import SecretBox
from dlv.db import make_engine, make_sessionmaker, read_only
from dlv.health.network import default_policy
from dlv.health.runner import Database
from dlv.nodes import service as nodes_service
from dlv.nodes.connections import PostgresConnection
from dlv.nodes.schemas import NodeCreate

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
PG_DSN = "host=127.0.0.1 port=5432 user=postgres"
SCHEMAS = 10
T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def admin(sql: str) -> None:
    with psycopg.connect(f"{PG_DSN} dbname=postgres", autocommit=True) as conn:
        conn.execute(sql)


def build_source(name: str, tables: int, views: int, matviews: int) -> None:
    admin(f'CREATE DATABASE "{name}"')
    statements = [f"CREATE SCHEMA s{i}" for i in range(SCHEMAS)]
    statements += [
        f"CREATE TABLE s{i % SCHEMAS}.t{i} (id int PRIMARY KEY, name text, "
        f"amount numeric(12, 2), at timestamptz)"
        for i in range(tables)
    ]
    statements += [
        f"CREATE VIEW s{i % SCHEMAS}.v{i} AS SELECT a.id, a.name, b.amount "
        f"FROM s{(2 * i) % SCHEMAS}.t{2 * i % tables} a "
        f"JOIN s{(2 * i + 1) % SCHEMAS}.t{(2 * i + 1) % tables} b ON a.id = b.id"
        for i in range(views)
    ]
    statements += [
        f"CREATE MATERIALIZED VIEW s{i % SCHEMAS}.m{i} AS SELECT * FROM s{i % SCHEMAS}.v{i}"
        for i in range(min(matviews, views))
    ]
    with psycopg.connect(f"{PG_DSN} dbname={name}", autocommit=True) as conn:
        for start in range(0, len(statements), 500):
            conn.execute(";".join(statements[start : start + 500]))


def change_source(name: str, tables: int, views: int) -> None:
    statements = [f"ALTER TABLE s{i % SCHEMAS}.t{i} ADD COLUMN extra text" for i in range(100)]
    # The last views: no materialized view reads them.
    statements += [f"DROP VIEW s{i % SCHEMAS}.v{i}" for i in range(views - 50, views)]
    with psycopg.connect(f"{PG_DSN} dbname={name}", autocommit=True) as conn:
        conn.execute(";".join(statements))


@contextmanager
def dlv_database(backend: str) -> Iterator[str]:
    with database(backend) as url:
        migrate.upgrade(url)
        yield url


def line(label: str, seconds: float, result: CollectionResult | None = None) -> None:
    counts = ""
    if result is not None:
        counts = (
            f"  discovered {result.discovered}, created {result.created}, updated "
            f"{result.updated}, gone {result.gone}, edges +{result.edges_added} "
            f"-{result.edges_removed}, status {result.status.value}"
        )
    print(f"{label:<42} {seconds:8.2f} s{counts}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tables", type=int, default=10_000)
    parser.add_argument("--views", type=int, default=1_000)
    parser.add_argument("--matviews", type=int, default=100)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    source = f"dlv_collect_bench_{uuid.uuid4().hex[:8]}"
    print(
        f"source: {args.tables} tables, {args.views} views, {args.matviews} materialized "
        f"views; DLV database: {args.backend}",
        flush=True,
    )
    _, seconds = timed(lambda: build_source(source, args.tables, args.views, args.matviews))
    line("build the source database (not measured)", seconds)
    try:
        with dlv_database(args.backend) as url:
            engine = make_engine(url)
            db = Database(make_sessionmaker(engine), engine, read_only(engine))
            box, policy = SecretBox("bench-secret-key-0123456789-abcdefghijkl"), default_policy()
            config = {"kind": "postgres", **PG, "database": source, "sslmode": "disable"}
            with db.factory() as session, session.begin():
                node = nodes_service.create(
                    session,
                    SYSTEM,
                    box,
                    NodeCreate.model_validate(
                        {
                            "kind": "postgres",
                            "namespace": "postgres://127.0.0.1:5432",
                            "name": source,
                            "connection": config,
                        }
                    ),
                )
                node_id = node.id
            conn_config = PostgresConnection.model_validate(config)
            snapshot, seconds = timed(lambda: postgres.read(conn_config, policy))
            line("baseline: the bare catalog queries", seconds)
            print(
                f"{'':<42} {len(snapshot.relations)} relations, "
                f"{len(snapshot.dependencies)} dependencies"
            )

            def run() -> CollectionResult:
                return service.collect(db, box, policy, SYSTEM, node_id)

            first, seconds = timed(run)
            line("first collection (everything new)", seconds, first)
            again, seconds = timed(run)
            line("second collection (no change)", seconds, again)
            change_source(source, args.tables, args.views)
            third, seconds = timed(run)
            line("third (100 altered tables, 50 dropped views)", seconds, third)
            engine.dispose()
    finally:
        admin(f'DROP DATABASE IF EXISTS "{source}" WITH (FORCE)')


if __name__ == "__main__":
    main()
