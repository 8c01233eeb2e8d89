"""Backup of a whole instance in a portable format (restore: ``dlv.ops.restore``).

The file is gzip-compressed JSON lines:

    {"format": "dlv-backup", "version": 1, "alembic_revisions": [...], "created_at": ..., ...}
    {"table": "users", "columns": ["id", "username", ...]}
    ["6f1c...", "admin", ...]                  one array per row, in primary key order
    ...
    {"end": true, "rows": {"users": 3, ...}}   a file without it is refused as truncated

Every table of ``dlv.models.metadata`` is included, so a domain's new tables need no change
here. Values are written as JSON (UUIDs and timestamps as text); the restore reads them back
through each column's SQLAlchemy type, which is what makes a SQLite backup restorable on
PostgreSQL and back. Encrypted connection secrets are copied as they are: they need the same
``DLV_SECRET_KEY``, and a fingerprint of the key in the header catches a mismatch before
anything is written.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import gzip
import hashlib
import hmac
import importlib.metadata
import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    inspect,
    select,
    text,
)

from dlv import migrate
from dlv.db import make_engine, read_only
from dlv.ingestion import inbox
from dlv.models import metadata

FORMAT = "dlv-backup"
VERSION = 1
BATCH = 1000
_KEY_CHECK_MESSAGE = b"dlv/backup-key-check"


class BackupError(Exception):
    """Why a backup or restore cannot go on; the message is for the operator, secret-free."""


@dataclass(frozen=True)
class Summary:
    revisions: tuple[str, ...]
    rows: dict[str, int]
    upgraded: bool = False

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def key_check(secret_key: str) -> str:
    """A fingerprint of ``secret_key`` that reveals nothing about it (an HMAC of a constant)."""
    return hmac.new(secret_key.encode(), _KEY_CHECK_MESSAGE, hashlib.sha256).hexdigest()[:16]


def code_heads(url: str) -> tuple[str, ...]:
    return tuple(sorted(ScriptDirectory.from_config(migrate.alembic_config(url)).get_heads()))


def db_heads(conn: Connection) -> tuple[str, ...]:
    return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


# ---------------------------------------------------------------------------------- values


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | dict | list):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    raise BackupError(f"Cannot write a value of type {type(value).__name__}")


# ---------------------------------------------------------------------------------- backup


def _require_current(conn: Connection, expected: tuple[str, ...]) -> tuple[str, ...]:
    """The database's revisions, if they are this code's (``expected``); else a BackupError."""
    revisions = db_heads(conn)
    if revisions != expected:
        raise BackupError(
            f"The database is at revision {', '.join(revisions) or '(none)'}, this DLV "
            f"expects {', '.join(expected)}: back it up with the DLV version that runs it, or "
            "run `dlv db upgrade` first"
        )
    return revisions


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A read transaction that sees one point in time for every table."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                conn.execute(text("SET TRANSACTION READ ONLY"))
                yield conn
        return
    # SQLite in WAL mode: a deferred transaction reads one snapshot from its first read on,
    # and does not block the server's writers meanwhile.
    with read_only(engine).connect() as conn, conn.begin():
        yield conn


class _Sink(Protocol):
    def write(self, data: bytes, /) -> int: ...


def _line(out: _Sink, obj: Any) -> None:
    out.write(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n")


def backup(url: str, dest: IO[bytes], secret_key: str) -> Summary:
    """Write a consistent snapshot of the database at ``url`` to ``dest``."""
    engine, expected = make_engine(url), code_heads(url)
    try:
        with engine.connect() as conn:
            _require_current(conn, expected)
        # Acknowledged events still in SQLite's inbox belong in the snapshot: moved in first,
        # once the schema is known to be the one this code writes.
        inbox.flush(url)
        with _snapshot(engine) as conn:
            revisions = _require_current(conn, expected)  # an upgrade may have run meanwhile
            # A table the migrations have not created yet holds nothing to save.
            existing = set(inspect(conn).get_table_names())
            tables = [t for t in metadata.sorted_tables if t.name in existing]
            rows: dict[str, int] = {}
            with gzip.GzipFile(fileobj=dest, mode="wb") as out:
                _line(
                    out,
                    {
                        "format": FORMAT,
                        "version": VERSION,
                        "alembic_revisions": list(revisions),
                        "created_at": dt.datetime.now(dt.UTC).isoformat(),
                        "source_dialect": engine.dialect.name,
                        "producer": f"dlv {_dlv_version()}",
                        "key_check": key_check(secret_key),
                        "tables": [t.name for t in tables],
                    },
                )
                for tbl in tables:
                    rows[tbl.name] = _dump_table(conn, tbl, out)
                _line(out, {"end": True, "rows": rows})
    finally:
        engine.dispose()
    return Summary(revisions, rows)


def _dump_table(conn: Connection, tbl: Table, out: _Sink) -> int:
    columns = list(tbl.columns)
    _line(out, {"table": tbl.name, "columns": [c.name for c in columns]})
    order = list(tbl.primary_key.columns) or columns
    stmt = select(*columns).order_by(*order).execution_options(yield_per=BATCH)
    count = 0
    for chunk in conn.execute(stmt).partitions():
        for row in chunk:
            _line(out, [_encode(v) for v in row])
        count += len(chunk)
    return count


def backup_file(url: str, path: Path, secret_key: str) -> Summary:
    """``backup`` into ``path``, which appears complete (mode 0600) or not at all."""
    path = path.resolve()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        # mkstemp creates 0600: the file holds password hashes and encrypted secrets.
        with os.fdopen(fd, "wb") as f:
            summary = backup(url, f, secret_key)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return summary


def _dlv_version() -> str:
    try:
        return importlib.metadata.version("dlv")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
