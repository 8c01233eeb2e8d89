"""Backup: whole instances moved between SQLite and PostgreSQL, and the file itself."""

from __future__ import annotations

import gzip
import io
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from dlv import migrate
from dlv.auth.models import Role
from dlv.crypto import SecretBox
from dlv.nodes.models import Node
from dlv.ops import backup as ops_backup
from dlv.ops.backup import BackupError
from tests.conftest import PASSWORD, SECRET_KEY, Caller, make_user
from tests.nodes.factories import (
    PG_PASSWORD,
    SECRETS,
    create,
    dataset,
)
from tests.ops.backups import (
    Source,
    backup_bytes,
    canonical,
    client_on,
    lines_of,
    restore_bytes,
    session_on,
)


def test_sqlite_instance_restored_on_postgresql_is_identical(
    sqlite_source: Source, pg_url: str
) -> None:
    summary = restore_bytes(pg_url, sqlite_source.backup)
    assert summary.rows == {name: len(rows) for name, rows in sqlite_source.rows.items()}
    assert summary.rows["nodes"] > 20
    assert canonical(pg_url) == sqlite_source.rows


def test_postgresql_instance_restored_on_sqlite_is_identical(
    pg_source: Source, sqlite_url: str
) -> None:
    restore_bytes(sqlite_url, pg_source.backup)
    assert canonical(sqlite_url) == pg_source.rows


def export(url: str, home: Path, admin: Caller) -> Any:
    graph_router = pytest.importorskip("dlv.graph.router").router
    with client_on(url, home) as client:
        app = client.app
        assert isinstance(app, FastAPI)
        if not any(getattr(r, "path", "") == "/api/v1/graph/export" for r in app.routes):
            app.include_router(graph_router)
        r = client.get("/api/v1/graph/export", headers=admin.headers)
    assert r.status_code == 200, r.text
    if r.headers["content-type"].startswith("application/json"):
        document = r.json()
        # When the export was made is the one thing allowed to differ.
        for key in ("exported_at", "generated_at"):
            if isinstance(document, dict):
                document.pop(key, None)
        return document
    return r.text


def test_graph_export_is_the_same_after_sqlite_to_postgresql(
    sqlite_source: Source, pg_url: str, tmp_path: Path
) -> None:
    pytest.importorskip("dlv.graph.router")
    restore_bytes(pg_url, sqlite_source.backup)
    admin = sqlite_source.instance.admin
    restored = export(pg_url, tmp_path, admin)
    assert len(restored["nodes"]) == len(sqlite_source.rows["nodes"])
    assert restored == export(sqlite_source.url, sqlite_source.home, admin)


def test_graph_export_is_the_same_after_postgresql_to_sqlite(
    pg_source: Source, sqlite_url: str, tmp_path: Path
) -> None:
    pytest.importorskip("dlv.graph.router")
    restore_bytes(sqlite_url, pg_source.backup)
    admin = pg_source.instance.admin
    restored = export(sqlite_url, tmp_path, admin)
    assert len(restored["nodes"]) == len(pg_source.rows["nodes"])
    assert restored == export(pg_source.url, pg_source.home, admin)


def test_restored_users_and_tokens_still_authenticate(
    sqlite_source: Source, pg_url: str, tmp_path: Path
) -> None:
    restore_bytes(pg_url, sqlite_source.backup)
    instance = sqlite_source.instance
    with client_on(pg_url, tmp_path) as client:
        login = client.post("/api/v1/auth/token", data={"username": "root", "password": PASSWORD})
        assert login.status_code == 200
        assert client.get("/api/v1/auth/me", headers=instance.admin.headers).status_code == 200
        bot = {"Authorization": f"Bearer {instance.api_token}"}
        assert client.get("/api/v1/auth/me", headers=bot).json()["kind"] == "token"


def test_restored_postgresql_continues_after_the_restored_keys(
    sqlite_source: Source, pg_url: str, tmp_path: Path
) -> None:
    restore_bytes(pg_url, sqlite_source.backup)
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        top_pk = conn.execute(text("SELECT MAX(pk) FROM nodes")).scalar_one()
        top_audit = conn.execute(text("SELECT MAX(id) FROM audit_records")).scalar_one()
    with client_on(pg_url, tmp_path) as client:
        new = create(client, sqlite_source.instance.admin, dataset("after.restore"))["id"]
    with engine.connect() as conn:
        pk = conn.execute(text("SELECT pk FROM nodes WHERE id = :id"), {"id": new}).scalar_one()
        audit = conn.execute(text("SELECT MAX(id) FROM audit_records")).scalar_one()
    engine.dispose()
    assert pk == top_pk + 1
    assert audit > top_audit


def test_secrets_stay_encrypted_in_the_file_and_open_after_the_move(
    sqlite_source: Source, pg_url: str
) -> None:
    plain = gzip.decompress(sqlite_source.backup).decode()
    api_token = sqlite_source.instance.api_token
    assert [s for s in (*SECRETS, PASSWORD, api_token) if s in plain] == []
    restore_bytes(pg_url, sqlite_source.backup)
    node_id = uuid.UUID(sqlite_source.instance.secret_node)
    with session_on(pg_url) as db:
        sealed = db.scalars(select(Node.connection_secrets).where(Node.id == node_id)).one()
    assert PG_PASSWORD in SecretBox(SECRET_KEY).open(sealed).values()


# ------------------------------------------------------------------------------ the file


def test_backup_file_is_private_and_complete(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "out" / "dlv.jsonl.gz"
    path.parent.mkdir()
    summary = ops_backup.backup_file(database_url, path, SECRET_KEY)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["dlv.jsonl.gz"]
    items = lines_of(path.read_bytes())
    header, footer = items[0], items[-1]
    assert header["format"] == "dlv-backup"
    assert header["alembic_revisions"] == list(summary.revisions)
    assert set(header["tables"]) >= {"users", "api_tokens", "nodes", "edges", "audit_records"}
    assert footer == {"end": True, "rows": summary.rows}


def test_backup_is_one_snapshot_while_writes_go_on(
    database_url: str, tmp_path: Path, db: Session
) -> None:
    make_user(db, "before", Role.viewer)

    class WriteDuringBackup(io.BytesIO):
        """Commits a new user from another connection once the backup has begun."""

        wrote = False

        def write(self, data: Any) -> int:
            if not self.wrote:
                self.wrote = True
                make_user(db, "during", Role.viewer)
            return super().write(data)

    out = WriteDuringBackup()
    ops_backup.backup(database_url, out, SECRET_KEY)
    assert out.wrote
    items = lines_of(out.getvalue())
    start = items.index(next(i for i in items if isinstance(i, dict) and i.get("table") == "users"))
    names = {row[1] for row in items[start + 1 :] if isinstance(row, list)}
    assert "before" in names
    assert "during" not in names


def test_backup_refuses_a_database_behind_this_version(sqlite_url: str, tmp_path: Path) -> None:
    behind = f"sqlite:///{tmp_path / 'behind.db'}"
    migrate.upgrade(behind, "0001")
    with pytest.raises(BackupError, match=r"revision 0001.*dlv db upgrade"):
        backup_bytes(behind)
