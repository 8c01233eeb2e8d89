"""Helpers of the backup and restore tests: a populated instance, a backend-neutral dump."""

from __future__ import annotations

import gzip
import io
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from dlv import demo
from dlv.auth.models import Role, TokenScope
from dlv.crypto import SecretBox
from dlv.db import make_engine, make_sessionmaker
from dlv.models import metadata
from dlv.ops import backup as ops_backup
from dlv.ops import restore as ops_restore
from tests.conftest import SECRET_KEY, Caller, make_token, make_user
from tests.ingestion.factories import orders_task, run_id
from tests.nodes.factories import (
    airflow_node,
    create,
    dataset,
    postgres_node,
    spark_node,
)
from tests.ops.conftest import ops_app, ops_settings

OTHER_KEY = "another-secret-key-0123456789-abcdefghijklmn"


@contextmanager
def session_on(url: str) -> Iterator[Session]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


@contextmanager
def client_on(url: str, home: Path) -> Iterator[TestClient]:
    with TestClient(ops_app(ops_settings(url, home))) as client:
        yield client


@dataclass
class Instance:
    admin: Caller
    api_token: str
    secret_node: str


def populate(url: str, home: Path) -> Instance:
    """Something of everything: users, tokens, the demo platform, secrets, notes, a lockout."""
    with session_on(url) as db:
        admin = make_user(db, "root", Role.admin)
        make_user(db, "vera", Role.viewer)
        api_token = make_token(db, "ingest-bot", TokenScope.ingest)["Authorization"][7:]
        assert demo.load(db, SecretBox(SECRET_KEY))
        db.commit()
    with client_on(url, home) as client:
        secret_node = create(client, admin, postgres_node("warehouse"))["id"]
        create(client, admin, airflow_node())
        create(client, admin, spark_node())
        # A child whose parent has the larger key: restored before its parent exists.
        child = create(client, admin, dataset("early.child"))["id"]
        parent = create(client, admin, postgres_node("late_parent"))["id"]
        r = client.patch(
            f"/api/v1/nodes/{child}", json={"parent_id": parent}, headers=admin.headers
        )
        assert r.status_code == 200, r.text
        note = {"text": "owned by the platform team"}
        r = client.post(f"/api/v1/nodes/{child}/annotations", json=note, headers=admin.headers)
        assert r.status_code == 201, r.text
        edge = {"source_id": secret_node, "target_id": child}
        assert client.post("/api/v1/edges", json=edge, headers=admin.headers).status_code == 201
        # An OpenLineage event: its text is stored compressed on SQLite, as text on PostgreSQL.
        bearer = {"Authorization": f"Bearer {api_token}"}
        event = orders_task("COMPLETE", run=run_id(), dag_run=run_id())
        assert client.post("/api/v1/lineage", json=event, headers=bearer).status_code == 201
        wrong = {"username": "root", "password": "not-the-password"}
        assert client.post("/api/v1/auth/token", data=wrong).status_code == 401
    return Instance(admin, api_token, secret_node)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def canonical(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order, in backend-neutral form."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            existing = set(inspect(conn).get_table_names())
            dump = {}
            for table in metadata.sorted_tables:
                if table.name not in existing:
                    continue
                order = list(table.primary_key.columns) or list(table.columns)
                rows = conn.execute(select(table).order_by(*order))
                dump[table.name] = [tuple(_plain(v) for v in row) for row in rows]
            return dump
    finally:
        engine.dispose()


def backup_bytes(url: str, key: str = SECRET_KEY) -> bytes:
    out = io.BytesIO()
    ops_backup.backup(url, out, key)
    return out.getvalue()


def restore_bytes(url: str, data: bytes, **options: Any) -> ops_backup.Summary:
    return ops_restore.restore(url, io.BytesIO(data), SECRET_KEY, **options)


def lines_of(data: bytes) -> list[Any]:
    return [json.loads(line) for line in gzip.decompress(data).splitlines()]


def gzip_lines(items: list[Any]) -> bytes:
    return gzip.compress(b"".join(json.dumps(i).encode() + b"\n" for i in items))


@dataclass
class Source:
    """A populated instance, its backup and its contents; shared by the tests of a module."""

    url: str
    home: Path
    instance: Instance
    backup: bytes
    rows: dict[str, list[tuple[Any, ...]]]


def make_source(url: str, home: Path) -> Source:
    instance = populate(url, home)
    return Source(url, home, instance, backup_bytes(url), canonical(url))
