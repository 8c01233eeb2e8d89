"""Restore of a backup written by ``dlv.ops.backup``, into SQLite or PostgreSQL.

Rows are read back through each column's SQLAlchemy type (UUIDs and timestamps arrive as
text), inserted in batches with their original keys, all in one transaction: a failure leaves
the database as it was. PostgreSQL's serial counters are then moved past the restored keys.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import gzip
import json
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import (
    Column,
    Connection,
    Table,
    bindparam,
    column,
    inspect,
    select,
    table,
    text,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.type_api import TypeDecorator, TypeEngine

from dlv import migrate
from dlv.db import make_engine
from dlv.ingestion import inbox
from dlv.models import metadata
from dlv.ops.backup import (
    BATCH,
    FORMAT,
    VERSION,
    BackupError,
    Summary,
    code_heads,
    db_heads,
    key_check,
)

_DECODERS: dict[type, Callable[[Any], Any]] = {
    dt.datetime: dt.datetime.fromisoformat,
    dt.date: dt.date.fromisoformat,
    dt.time: dt.time.fromisoformat,
    uuid.UUID: uuid.UUID,
    bytes: base64.b64decode,
    decimal.Decimal: decimal.Decimal,
}


def _decoder(type_: TypeEngine[Any]) -> Callable[[Any], Any] | None:
    # A TypeDecorator (UTCDateTime) reports ``object``; what it stores is its impl's type.
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    try:
        python_type = type_.python_type
    except NotImplementedError:
        return None
    return _DECODERS.get(python_type)


class _Reader:
    """The lines of a backup file, decoded, with errors worded for the operator."""

    def __init__(self, source: IO[bytes]) -> None:
        self._gz = gzip.GzipFile(fileobj=source, mode="rb")
        self.number = 0

    def __iter__(self) -> Iterator[Any]:
        try:
            for raw in self._gz:
                self.number += 1
                try:
                    yield json.loads(raw)
                except ValueError:
                    raise BackupError(f"Line {self.number} of the backup is not JSON") from None
        except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as exc:
            raise BackupError(
                "The file is not a DLV backup, or it is damaged or truncated"
            ) from exc


def _header(lines: Iterator[Any], url: str, secret_key: str, other_key: bool) -> dict[str, Any]:
    header = next(lines, None)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError("The file is not a DLV backup")
    if header.get("version") != VERSION:
        raise BackupError(f"Backup format version {header.get('version')} is not supported")
    revisions = header.get("alembic_revisions")
    if not isinstance(revisions, list) or not all(isinstance(r, str) for r in revisions):
        raise BackupError("The backup's header names no migration revision")
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    for revision in revisions:
        try:
            known = script.get_revision(revision) is not None
        except CommandError:
            known = False
        if not known:
            raise BackupError(
                f"The backup is at revision {revision}, unknown to this DLV: restore it with "
                "the DLV version that made it, or a newer one"
            )
    if header.get("key_check") != key_check(secret_key) and not other_key:
        raise BackupError(
            "The backup was made with another DLV_SECRET_KEY. Set DLV_SECRET_KEY to that key "
            "(the stored connection secrets are encrypted with it), or pass --different-key "
            "to restore anyway: connection secrets must then be entered again."
        )
    return header


def _prepare_target(url: str, revisions: tuple[str, ...]) -> None:
    """Migrate an empty database to the backup's revision; refuse any other revision."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            heads = db_heads(conn)
            existing = set(inspect(conn).get_table_names()) & set(metadata.tables)
    finally:
        engine.dispose()
    if not heads:
        if existing:
            raise BackupError(
                "The database has DLV tables but no migration history: restore into a new, "
                "empty database"
            )
        for revision in revisions:
            migrate.upgrade(url, revision)
        return
    if heads != revisions:
        raise BackupError(
            f"The database is at revision {', '.join(heads)}, the backup at "
            f"{', '.join(revisions)}: restore into a new, empty database (DLV migrates it to "
            "the backup's revision, restores, then upgrades it)"
        )


def restore(
    url: str, source: IO[bytes], secret_key: str, *, force: bool = False, other_key: bool = False
) -> Summary:
    """Load the backup in ``source`` into the database at ``url``, in one transaction.

    The database must be new and empty (it is migrated first), or migrated to the backup's
    revision and empty; ``force`` empties a database that is not. When the backup is older
    than this DLV, the database is upgraded afterwards.
    """
    lines = iter(_Reader(source))
    header = _header(lines, url, secret_key, other_key)
    revisions = tuple(sorted(header["alembic_revisions"]))
    _prepare_target(url, revisions)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            present = [t for t in metadata.sorted_tables if inspect(conn).has_table(t.name)]
            filled = [t.name for t in present if _has_rows(conn, t)]
            if inbox.waiting(url):  # events acknowledged, not yet moved in: not empty either
                filled.append(inbox.INBOX.name)
            if filled and not force:
                raise BackupError(
                    f"The database is not empty ({', '.join(filled)}): restore into an empty "
                    "database, or pass --force to delete everything in it first"
                )
            if filled:
                _wipe(conn, present)
            rows = _load(conn, lines)
            if engine.dialect.name == "postgresql":
                _reset_sequences(conn, list(rows))
    except SQLAlchemyError as exc:
        raise BackupError(f"The restore failed and was rolled back: {_describe(exc)}") from None
    finally:
        engine.dispose()
    if force:  # the events in it belonged to the database just replaced
        inbox.clear(url)
    upgraded = revisions != code_heads(url)
    if upgraded:
        migrate.upgrade(url)
    return Summary(revisions, rows, upgraded)


def restore_file(
    url: str, path: Path, secret_key: str, *, force: bool = False, other_key: bool = False
) -> Summary:
    """``restore`` from the file at ``path``."""
    try:
        source = path.open("rb")
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc.strerror}") from None
    with source:
        return restore(url, source, secret_key, force=force, other_key=other_key)


def _self_references(tbl: Table) -> list[Column[Any]]:
    """Nullable columns pointing into their own table (a node's parent): filled in afterwards,
    since a row may point at one that comes later in key order."""
    return [
        c
        for c in tbl.columns
        if c.nullable and any(fk.column.table is tbl for fk in c.foreign_keys)
    ]


def _wipe(conn: Connection, tables: list[Table]) -> None:
    prep = conn.dialect.identifier_preparer
    if conn.dialect.name == "postgresql":
        conn.execute(text("TRUNCATE " + ", ".join(prep.quote(t.name) for t in tables)))
        return
    for tbl in reversed(tables):
        for col in _self_references(tbl):
            conn.execute(update(tbl).values({col.name: None}))
        conn.execute(tbl.delete())


def _load(conn: Connection, lines: Iterator[Any]) -> dict[str, int]:
    rows: dict[str, int] = {}
    section: _Section | None = None
    for item in lines:
        if isinstance(item, list):
            if section is None:
                raise BackupError("The backup has a row before any table")
            section.add(item)
            continue
        if section is not None:
            rows[section.name] = section.finish()
            section = None
        if isinstance(item, dict) and item.get("end") is True:
            if item.get("rows") != rows:
                raise BackupError("The backup's row counts do not match its rows: it is damaged")
            return rows
        if not isinstance(item, dict) or "table" not in item:
            raise BackupError("The backup holds a line that is neither a table nor a row")
        section = _Section(conn, str(item["table"]), [str(c) for c in item["columns"]])
    raise BackupError("The backup is truncated: its end marker is missing")


class _Section:
    """The rows of one table, inserted in batches."""

    def __init__(self, conn: Connection, name: str, columns: list[str]) -> None:
        if not inspect(conn).has_table(name):
            raise BackupError(f"The backup has a table {name!r} that this database lacks")
        actual = {c["name"] for c in inspect(conn).get_columns(name)}
        if missing := [c for c in columns if c not in actual]:
            raise BackupError(f"Table {name!r} has no column(s) {', '.join(missing)}")
        known = metadata.tables.get(name)
        typed = [
            column(c, known.columns[c].type)
            if known is not None and c in known.columns
            else column(c)
            for c in columns
        ]
        # A bare table clause: no Python-side defaults, no columns the file does not name.
        self.clause = table(name, *typed)
        self.conn, self.name, self.columns = conn, name, columns
        self.decoders = [_decoder(c.type) for c in typed]
        deferred = _self_references(known) if known is not None else []
        self.deferred = [c.name for c in deferred if c.name in columns]
        self.key = [c.name for c in known.primary_key.columns] if known is not None else []
        if self.deferred and not self.key:
            raise BackupError(f"Table {name!r} has a self-reference but no primary key")
        self.later: dict[str, list[dict[str, Any]]] = {name: [] for name in self.deferred}
        self.batch: list[dict[str, Any]] = []
        self.count = 0

    def add(self, values: list[Any]) -> None:
        if len(values) != len(self.columns):
            raise BackupError(
                f"A row of {self.name!r} has {len(values)} values, not {len(self.columns)}"
            )
        row = {
            c: (decode(v) if decode is not None and v is not None else v)
            for c, v, decode in zip(self.columns, values, self.decoders, strict=True)
        }
        for name in self.deferred:
            if row[name] is not None:
                self.later[name].append({**{f"k_{k}": row[k] for k in self.key}, "v": row[name]})
                row[name] = None
        self.batch.append(row)
        self.count += 1
        if len(self.batch) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self.batch:
            self.conn.execute(self.clause.insert(), self.batch)
            self.batch = []

    def finish(self) -> int:
        self._flush()
        for name, todo in self.later.items():
            stmt = (
                update(self.clause)
                .where(*(self.clause.c[k] == bindparam(f"k_{k}") for k in self.key))
                .values({name: bindparam("v")})
            )
            for i in range(0, len(todo), BATCH):
                self.conn.execute(stmt, todo[i : i + BATCH])
        return self.count


def _reset_sequences(conn: Connection, names: list[str]) -> None:
    """Make PostgreSQL's serial/identity counters continue after the ids just inserted."""
    prep = conn.dialect.identifier_preparer
    for name in names:
        tbl = metadata.tables.get(name)
        if tbl is None:
            continue
        for col in tbl.primary_key.columns:
            if not _is_integer(col):
                continue
            sequence = conn.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"),
                {"t": prep.quote(name), "c": col.name},
            ).scalar()
            if sequence is None:
                continue
            quoted_col, quoted_tbl = prep.quote(col.name), prep.quote(name)
            conn.execute(
                text(
                    f"SELECT setval(:s, COALESCE((SELECT MAX({quoted_col}) FROM {quoted_tbl}), 1), "  # noqa: S608 - quoted identifiers from our own metadata
                    f"(SELECT MAX({quoted_col}) FROM {quoted_tbl}) IS NOT NULL)"
                ),
                {"s": sequence},
            )


def _has_rows(conn: Connection, tbl: Table) -> bool:
    return conn.execute(select(1).select_from(tbl).limit(1)).first() is not None


def _describe(exc: SQLAlchemyError) -> str:
    """The error's class and constraint: the driver's message can quote row values."""
    orig = getattr(exc, "orig", None) or exc
    constraint = getattr(getattr(orig, "diag", None), "constraint_name", None)
    return type(orig).__name__ + (f" (constraint {constraint})" if constraint else "")


def _is_integer(col: Column[Any]) -> bool:
    try:
        return col.type.python_type is int
    except NotImplementedError:
        return False
