"""SQLite with background mapping: acknowledged events wait for mapping in a file of their own.

SQLite has one write lock per database file. With the raw events in the catalog's file, a
request's events could be stored (and answered) only between two mapping transactions: while
a drain held the lock for a batch of 2,000 events, every request waited, and the clients with
them. Here the writer commits events to ``<database>-inbox`` (its own lock, shared only with
the other processes' writers) and answers; the drain moves them into the events table of the
catalog's file in the transaction that maps them, then deletes them from the inbox.

Nothing is lost or mapped twice at any crash point: an event is in the inbox from its 201 until
after the transaction that moved it committed; moving it again is a no-op (same id, ``INSERT
OR IGNORE``), so one left behind by a crash between that commit and the delete is just
deleted. Rows no drain took from its handoff (another process's, one that died, or dropped
from a full handoff) are moved by any drain once they have waited ``OTHERS_GRACE``.
The inbox's ids continue the events table's (``Inbox.continue_ids``), so a moved event keeps the id
its 201 gave. A process keeps the rows its writer stored in memory (``keep``) for its own
drain, which copies them without reading them back. ADR 7, fifth and seventh amendments.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    bindparam,
    delete,
    func,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from dlv.db import UTCDateTime, chunks, make_engine, read_only
from dlv.ingestion.models import EventText
from dlv.ingestion.repository import NumberedInsert, driver_cursor

log = logging.getLogger("dlv.ingestion")

FLUSH_BATCH = 10_000
SUFFIX = "-inbox"

_metadata = MetaData()
# The events table's columns that a request sets (the rest are the drain's); the same types,
# so a row's stored values copy into the events table as they are.
INBOX = Table(
    "inbox_events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("event_time", UTCDateTime, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("event_type", String(16)),
    Column("run_id", Uuid),
    Column("namespace", String(500), nullable=False),
    Column("name", String(1000), nullable=False),
    Column("payload", EventText, nullable=False),
    Column("sender_kind", String(16), nullable=False),
    Column("sender_id", Uuid),
    Column("sender", String(120), nullable=False),
    Index("ix_inbox_events_received_at", "received_at"),
    sqlite_autoincrement=True,  # never reuse an id: a moved event keeps it
)
COLUMNS = tuple(c.name for c in INBOX.columns)
_COLUMN_LIST = ", ".join(COLUMNS)
# Untyped text: rows come back as stored (compressed text, formatted times), ready to copy.
_OWN = text(f"SELECT {_COLUMN_LIST} FROM inbox_events WHERE id IN :ids").bindparams(  # noqa: S608
    bindparam("ids", expanding=True)
)
_STALE = text(
    f"SELECT {_COLUMN_LIST} FROM inbox_events WHERE received_at < :before "  # noqa: S608
    "ORDER BY id LIMIT :limit"
).bindparams(bindparam("before", type_=UTCDateTime()))
_ALL = text(f"SELECT {_COLUMN_LIST} FROM inbox_events ORDER BY id LIMIT :limit")  # noqa: S608
_HELD = text("SELECT id, payload FROM openlineage_events WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)


def _copy_sql(verb: str, columns: Sequence[str]) -> str:
    # Plain DB-API executemany: the stored values are copied without binding each again.
    return (
        f"{verb} INTO openlineage_events ({', '.join(columns)}, processed_at, attempts) "
        f"VALUES ({', '.join('?' for _ in columns)}, NULL, 0)"
    )


_MOVE_SQL = _copy_sql("INSERT OR IGNORE", COLUMNS)
_MOVE_NEW_ID_SQL = _copy_sql("INSERT", COLUMNS[1:])  # the id left to the events table
_STORE = NumberedInsert(INBOX, COLUMNS[1:])
_DELETE = delete(INBOX).where(INBOX.c.id.in_(bindparam("ids", expanding=True)))

Row = tuple[Any, ...]  # a row as stored, in COLUMNS order


def inbox_url(database_url: str) -> str | None:
    """The inbox of a SQLite database file (None for PostgreSQL or an in-memory database)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return url.set(database=f"{url.database}{SUFFIX}").render_as_string(hide_password=False)


class Inbox:
    """The inbox file of one SQLite database: its own engine, so its own write lock."""

    def __init__(self, database_url: str, *, keep: int = 0) -> None:
        """``keep``: how many rows this process stored to keep in memory for its own drain,
        which then copies them without reading them back (0: read every row back)."""
        url = inbox_url(database_url)
        if url is None:
            msg = f"no inbox for {make_url(database_url).get_backend_name()} databases"
            raise ValueError(msg)
        self.engine = make_engine(url)
        _metadata.create_all(self.engine)
        self._keep = keep
        self._kept: dict[int, Row] = {}  # oldest first
        self._lock = threading.Lock()  # the writer keeps, the drain takes

    def continue_ids(self, session: Session) -> None:
        """Start the inbox's ids above every id of the events table (events stored there by
        the writer itself, with inline mapping), so that moving one never meets an id taken."""
        top = session.scalar(text("SELECT max(id) FROM openlineage_events")) or 0
        with self.engine.begin() as conn:
            seq = conn.scalar(text("SELECT seq FROM sqlite_sequence WHERE name = 'inbox_events'"))
            if seq is None or seq < top:
                conn.execute(text("DELETE FROM sqlite_sequence WHERE name = 'inbox_events'"))
                conn.execute(
                    text("INSERT INTO sqlite_sequence (name, seq) VALUES ('inbox_events', :s)"),
                    {"s": top},
                )

    def store(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Commit the events (``COLUMNS`` but ``id``); their ids, in the order of ``rows``."""
        stored = _STORE.bind(self.engine.dialect, rows)  # before the lock
        with self.engine.begin() as conn:
            ids = _STORE.insert(conn, stored)
        if self._keep:
            with self._lock:
                self._kept.update((i, (i, *values)) for i, values in zip(ids, stored, strict=True))
                while len(self._kept) > self._keep:  # never taken (dropped from a full handoff)
                    del self._kept[next(iter(self._kept))]
        return ids

    def ready(self, ids: Sequence[int], stale_before: datetime | None, limit: int) -> list[Row]:
        """The rows to move: those of ``ids`` still here (or kept in memory: moving one
        moved before is a no-op), then up to ``limit`` others received before
        ``stale_before`` (with None: any), oldest first."""
        with self._lock:
            found = {i: row for i in ids if (row := self._kept.pop(i, None)) is not None}
        unknown = [i for i in ids if i not in found]
        with read_only(self.engine).connect() as conn:  # a reader: not the writers' lock
            for chunk in chunks(unknown):
                found.update((row[0], tuple(row)) for row in conn.execute(_OWN, {"ids": chunk}))
            others = (
                conn.execute(_ALL, {"limit": limit})
                if stale_before is None
                else conn.execute(_STALE, {"before": stale_before, "limit": limit})
            )
            found.update((row[0], tuple(row)) for row in others)
        return [found[i] for i in sorted(found)]

    def delete(self, ids: Sequence[int]) -> None:
        """Forget moved events (their move committed)."""
        if not ids:
            return
        with self.engine.begin() as conn:
            for chunk in chunks(ids):
                conn.execute(_DELETE, {"ids": list(chunk)})

    def count(self) -> tuple[int, datetime | None]:
        """(events waiting here, the oldest one's receipt time)."""
        with read_only(self.engine).connect() as conn:  # not the writers' lock
            waiting, oldest = conn.execute(
                select(func.count(), func.min(INBOX.c.received_at))
            ).one()
        return int(waiting), oldest

    def dispose(self) -> None:
        self.engine.dispose()


class Staging:
    """One drain's moves out of the inbox: made in its transaction, deleted after it."""

    def __init__(self, box: Inbox, stale_before: datetime | None, limit: int) -> None:
        self._box, self._stale_before, self._limit = box, stale_before, limit
        self._moved: list[int] = []

    def stage(self, session: Session, own: Sequence[int]) -> None:
        """Move the drain's own events (``own``, its handoff's) and others that waited."""
        rows = self._box.ready(own, self._stale_before, self._limit)  # before the lock
        move(session, rows)
        self._moved.extend(row[0] for row in rows)

    def committed(self) -> None:
        """The drain's transaction committed: the moved events are in the events table."""
        self._box.delete(self._moved)


def move(session: Session, rows: Sequence[Row]) -> None:
    """Copy inbox rows into the events table, unmapped, in the session's transaction (on
    SQLite its first write takes the catalog's lock). One moved before is left as it is."""
    if not rows:
        return
    cursor = driver_cursor(session.connection())
    cursor.executemany(_MOVE_SQL, rows)
    if cursor.rowcount < len(rows):
        _keep_clashes(session, rows)


def _keep_clashes(session: Session, rows: Sequence[Row]) -> None:
    """Rows whose id the events table already held: the same event moved before (a crash
    after the move's commit) is done; another event there under that id (ids not continued,
    ``continue_ids``: should not happen) gets a new id rather than being lost."""
    payload = COLUMNS.index("payload")
    held: dict[int, bytes] = {}
    for chunk in chunks([row[0] for row in rows]):
        held.update(tuple(row) for row in session.connection().execute(_HELD, {"ids": chunk}))
    others = [row[1:] for row in rows if held.get(row[0]) != row[payload]]
    if others:
        log.error(
            "%d inbox events met ids taken by other events; stored under new ids", len(others)
        )
        driver_cursor(session.connection()).executemany(_MOVE_NEW_ID_SQL, others)


def _existing(database_url: str) -> Inbox | None:
    """The inbox of ``database_url``, if that database has one (opening it creates the file)."""
    url = inbox_url(database_url)
    path = make_url(url).database if url else None
    return Inbox(database_url) if path and Path(path).exists() else None


def flush(database_url: str) -> int:
    """Move every event waiting in the inbox of ``database_url`` into its events table,
    unmapped (a server's drain maps them as another process's); how many. For a backup."""
    box = _existing(database_url)
    if box is None:
        return 0
    engine = make_engine(database_url)
    moved = 0
    try:
        while rows := box.ready([], None, FLUSH_BATCH):
            with Session(engine) as session, session.begin():
                move(session, rows)
            box.delete([row[0] for row in rows])
            moved += len(rows)
    finally:
        box.dispose()
        engine.dispose()
    return moved


def waiting(database_url: str) -> int:
    """Events waiting in the inbox of ``database_url`` (0 if it has none)."""
    box = _existing(database_url)
    if box is None:
        return 0
    try:
        return box.count()[0]
    finally:
        box.dispose()


def clear(database_url: str) -> None:
    """Forget every event in the inbox of ``database_url``: its database was replaced."""
    box = _existing(database_url)
    if box is not None:
        with box.engine.begin() as conn:
            conn.execute(delete(INBOX))
        box.dispose()
