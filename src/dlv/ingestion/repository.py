"""The SQL of raw events, of reading runs and facts back, and of retention.

The SQL of mapping a batch into the catalog is in ``catalog_repository``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from dlv.db import chunks, dialect, member_of, with_list
from dlv.ingestion.models import (
    ColumnLineage,
    OpenLineageEvent,
    OpenLineageNode,
    Run,
)
from dlv.lineage.models import Edge
from dlv.nodes.models import Node
from dlv.pagination import keyset

# (namespace, received, mapped, pending, failed, last received, latest event time, oldest
# pending receipt): see ``namespace_activity``.
NamespaceCounts = tuple[str, int, int, int, int, datetime, datetime, datetime | None]

# -- raw events --------------------------------------------------------------------------


# PostgreSQL: one statement of one array per column, the same text for any number of rows,
# so psycopg converts it once and prepares it. Arrays go in binary (``%b``): in text psycopg
# escapes every quote of every event in Python. Measured per 7.5 KB event: a multi-row
# VALUES list 0.043 ms of Python + 0.021 ms of PostgreSQL, one JSON document of the rows
# 0.02 + 0.06, binary arrays 0.013 + 0.02. Ids come from the sequence in ORDER BY n order,
# so sorted they are in the order of the rows.
_ARRAYS = {
    "event_time": "timestamptz",
    "kind": "text",
    "event_type": "text",
    "run_id": "uuid",
    "namespace": "text",
    "name": "text",
    "payload": "text",
    "sender_kind": "text",
    "sender_id": "uuid",
    "sender": "text",
}
_INSERT_EVENTS_ARRAYS = (
    "INSERT INTO openlineage_events (received_at, processed_at, attempts, "  # noqa: S608
    f"{', '.join(_ARRAYS)}) SELECT %(received_at)s::timestamptz, "
    "%(processed_at)s::timestamptz, 0, "
    f"{', '.join(f'u.{c}' for c in _ARRAYS)} FROM unnest("
    f"{', '.join(f'%({c})b::{t}[]' for c, t in _ARRAYS.items())}) "
    f"WITH ORDINALITY AS u({', '.join(_ARRAYS)}, n) ORDER BY u.n RETURNING id"
)


def driver_cursor(conn: Connection) -> Any:
    """The DB-API cursor under ``conn``: for statements SQLAlchemy would bind row by row."""
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


class NumberedInsert:
    """SQLite: rows of one table inserted with the driver's executemany; their ids.

    Each column's own bind processor (times as text, UUIDs as hex, event text compressed:
    what SQLAlchemy would bind) runs in ``bind``, before the statement that takes the write
    lock, and once: SQLAlchemy's executemany would bind every row again, and SQLite would be
    sent one INSERT per row to keep RETURNING in order. The writer holds the lock (BEGIN
    IMMEDIATE), so the rows take consecutive rowids ending at last_insert_rowid()."""

    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        self._table, self._columns = table, tuple(columns)
        marks = ", ".join("?" for _ in columns)
        self._sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        self._binds: list[tuple[str, Any]] | None = None

    def bind(self, database: Dialect, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """The rows' values as SQLite stores them, in ``columns`` order."""
        if self._binds is None:
            self._binds = [
                (c, self._table.c[c].type.dialect_impl(database).bind_processor(database))
                for c in self._columns
            ]
        binds = self._binds
        return [tuple(r[c] if bind is None else bind(r[c]) for c, bind in binds) for r in rows]

    def insert(self, conn: Connection, bound: Sequence[tuple[Any, ...]]) -> list[int]:
        """Insert bound rows; their ids, in their order."""
        cursor = driver_cursor(conn)
        cursor.executemany(self._sql, bound)
        last = int(cursor.execute("SELECT last_insert_rowid()").fetchone()[0])
        return list(range(last - len(bound) + 1, last + 1))


_EVENTS_TABLE: Table = OpenLineageEvent.__table__  # type: ignore[assignment]
_SQLITE_EVENTS = NumberedInsert(_EVENTS_TABLE, [c.name for c in _EVENTS_TABLE.c][1:])


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert raw events; their ids, in the order of ``rows``. The rows are one writer
    batch: the same ``received_at`` and ``processed_at``."""
    if dialect(session) == "sqlite":  # bound (compressed) before the statement takes the lock
        bound = _SQLITE_EVENTS.bind(session.get_bind().dialect, rows)
        return _SQLITE_EVENTS.insert(session.connection(), bound)
    params = {c: [r[c] for r in rows] for c in _ARRAYS}
    params["received_at"] = rows[0]["received_at"]
    params["processed_at"] = rows[0]["processed_at"]
    with driver_cursor(session.connection()) as cursor:  # no ORM bulk-insert bookkeeping
        cursor.execute(_INSERT_EVENTS_ARRAYS, params)
        return sorted(row[0] for row in cursor.fetchall())


_SET_PROCESSED = with_list(
    OpenLineageEvent.id,
    "ids",
    lambda among: update(OpenLineageEvent).where(among).values(processed_at=bindparam("at")),
)
_STORED = with_list(
    OpenLineageEvent.id,
    "ids",
    lambda among: select(
        OpenLineageEvent.id,
        OpenLineageEvent.payload,
        OpenLineageEvent.sender_kind,
        OpenLineageEvent.sender_id,
        OpenLineageEvent.sender,
    ).where(among),
)


def _set_processed(session: Session, ids: Sequence[int], at: datetime | None) -> None:
    stmt = _SET_PROCESSED[dialect(session)]
    for chunk in chunks(ids):
        # Core, not ORM: matching the drain's own copies of these rows against the WHERE
        # clause in Python cost more than the UPDATE.
        session.connection().execute(stmt, {"ids": list(chunk), "at": at})


def set_pending(session: Session, ids: Sequence[int]) -> None:
    _set_processed(session, ids, None)


def pending(
    session: Session,
    limit: int,
    *,
    wait: bool,
    among: Sequence[int] | None = None,
    before: int | None = None,
) -> list[int]:
    """The ids of the oldest unmapped events (of ``among``, or older than ``before``), locked
    (PostgreSQL). Rows another drain holds are skipped, or with ``wait`` waited for (and then
    skipped too, being mapped by then). Ids only: most events are still parsed in memory, and
    loading a thousand rows as objects was a sixth of a drain."""
    stmt = (
        select(OpenLineageEvent.id)
        .where(OpenLineageEvent.processed_at.is_(None))
        .order_by(OpenLineageEvent.id)
        .limit(limit)
    )
    database = dialect(session)
    params: dict[str, Any] = {}
    if among is not None:
        stmt = stmt.where(member_of(OpenLineageEvent.id, "among", database))
        params["among"] = list(among)
    if before is not None:
        stmt = stmt.where(OpenLineageEvent.id < before)
    if database == "postgresql":
        stmt = stmt.with_for_update(skip_locked=not wait)
    return list(session.connection().execute(stmt, params).scalars())


def last_pending_received_before(session: Session, cutoff: datetime) -> int | None:
    """The largest id of an unmapped event received before ``cutoff``. Among unmapped events
    only (the partial index keeps them few): ids follow receipt times only roughly, as two
    writers' batches can commit in the other order, and the last event received before the
    cutoff may have a smaller id than one received earlier, which would be left out."""
    stmt = (
        select(OpenLineageEvent.id)
        .where(OpenLineageEvent.processed_at.is_(None), OpenLineageEvent.received_at < cutoff)
        .order_by(OpenLineageEvent.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)


StoredEvent = tuple[str, str, uuid.UUID | None, str]


def stored(session: Session, ids: Sequence[int]) -> dict[int, StoredEvent]:
    """The stored text and sender (kind, id, name) of these events."""
    found: dict[int, StoredEvent] = {}
    stmt = _STORED[dialect(session)]
    for chunk in chunks(ids):
        for event_id, payload, kind, sender_id, name in session.connection().execute(
            stmt, {"ids": list(chunk)}
        ):
            found[event_id] = (payload, kind, sender_id, name)
    return found


def event(session: Session, event_id: int) -> OpenLineageEvent:
    """One stored event, to record how mapping it went."""
    found = session.get(OpenLineageEvent, event_id)
    assert found is not None  # the caller holds it: claimed by ``pending``
    return found


def mark_processed(session: Session, ids: Sequence[int], at: datetime) -> None:
    _set_processed(session, ids, at)


def count_events(session: Session) -> tuple[int, int, datetime | None]:
    """(unmapped events, events that failed to map, oldest unmapped receipt time)."""
    pending_count, oldest = session.execute(
        select(func.count(), func.min(OpenLineageEvent.received_at)).where(
            OpenLineageEvent.processed_at.is_(None)
        )
    ).one()
    failed = session.scalar(select(func.count()).where(OpenLineageEvent.error.is_not(None)))
    return int(pending_count), int(failed or 0), oldest


def namespace_activity(
    session: Session, since: datetime | None, limit: int
) -> list[NamespaceCounts]:
    """Per namespace, the events received since ``since``: (namespace, received, mapped,
    pending, failed, last received, latest event time, oldest pending receipt), the namespace
    heard from last first; ``limit`` of them."""
    e = OpenLineageEvent
    unmapped = e.processed_at.is_(None)
    last_received = func.max(e.received_at)
    stmt = (
        select(
            e.namespace,
            func.count(),
            func.sum(case((and_(e.processed_at.is_not(None), e.error.is_(None)), 1), else_=0)),
            func.sum(case((unmapped, 1), else_=0)),
            func.sum(case((e.error.is_not(None), 1), else_=0)),
            last_received,
            func.max(e.event_time),
            func.min(case((unmapped, e.received_at), else_=None)),
        )
        .group_by(e.namespace)
        .order_by(last_received.desc(), e.namespace)
        .limit(limit)
    )
    if since is not None:
        stmt = stmt.where(e.received_at >= since)
    return [
        (ns, int(n), int(mapped or 0), int(pending or 0), int(failed or 0), last, latest, oldest)
        for ns, n, mapped, pending, failed, last, latest, oldest in session.execute(stmt)
    ]


_MOMENTS = with_list(
    OpenLineageEvent.run_id,
    "ids",
    lambda among: select(
        OpenLineageEvent.id,
        OpenLineageEvent.run_id,
        OpenLineageEvent.event_type,
        OpenLineageEvent.event_time,
    ).where(among),
)


def run_event_moments(
    session: Session, run_ids: Iterable[uuid.UUID], below: int
) -> list[tuple[int, tuple[uuid.UUID, str | None, datetime]]]:
    """(id, (run id, type, time)) of the stored events of these runs with ids below ``below``."""
    found = []
    stmt = _MOMENTS[dialect(session)]
    # ``below`` is applied here, not in SQL: with ``id < :below`` SQLite's planner walks the
    # primary key's range instead of the run_id index (0.4 ms an event on a single-event path).
    for chunk in chunks(sorted(run_ids)):
        for event_id, run_id, event_type, time in session.connection().execute(
            stmt, {"ids": list(chunk)}
        ):
            if event_id < below:
                found.append((event_id, (run_id, event_type, time)))
    return found


def delete_events(session: Session, ids: Sequence[int]) -> None:
    for chunk in chunks(sorted(ids)):
        session.execute(delete(OpenLineageEvent).where(OpenLineageEvent.id.in_(list(chunk))))


def events_of_run(session: Session, run_id: uuid.UUID) -> Sequence[OpenLineageEvent]:
    stmt = (
        select(OpenLineageEvent)
        .where(OpenLineageEvent.run_id == run_id)
        .order_by(OpenLineageEvent.event_time, OpenLineageEvent.id)
    )
    return session.scalars(stmt).all()


def node_facts(session: Session, pk: int) -> OpenLineageNode | None:
    return session.get(OpenLineageNode, pk)


# -- edges and column lineage ------------------------------------------------------------


def column_lineage_by_pairs(
    session: Session, pairs: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], ColumnLineage]:
    """Column lineage of the edges between these (source, target) pairs."""
    wanted = set(pairs)
    found: dict[tuple[int, int], ColumnLineage] = {}
    for chunk in chunks(sorted({s for s, _ in wanted})):
        stmt = (
            select(Edge.source_pk, Edge.target_pk, ColumnLineage)
            .join(ColumnLineage, ColumnLineage.edge_id == Edge.id)
            .where(Edge.source_pk.in_(chunk))
        )
        for s, t, lineage in session.execute(stmt):
            if (s, t) in wanted:
                found[(s, t)] = lineage
    return found


def edge_exists(session: Session, edge_id: uuid.UUID) -> bool:
    return session.scalar(select(func.count()).where(Edge.id == edge_id)) == 1


def column_lineage(session: Session, edge_id: uuid.UUID) -> ColumnLineage | None:
    return session.get(ColumnLineage, edge_id)


# -- runs --------------------------------------------------------------------------------


def get_run(session: Session, run_id: uuid.UUID) -> Run | None:
    return session.get(Run, run_id)


def search_runs(
    session: Session,
    *,
    job_pk: int | None,
    state: str | None,
    since: datetime | None,
    cursor: str | None,
    limit: int,
) -> Sequence[Run]:
    stmt = select(Run)
    if job_pk is not None:
        stmt = stmt.where(Run.job_pk == job_pk)
    if state is not None:
        stmt = stmt.where(Run.state == state)
    if since is not None:
        stmt = stmt.where(Run.last_event_time >= since)
    stmt = keyset(stmt, [Run.created_at, Run.id], descending=True, cursor=cursor, limit=limit)
    return session.scalars(stmt).all()


def node_pk_of(session: Session, node_id: uuid.UUID) -> int | None:
    return session.scalar(select(Node.pk).where(Node.id == node_id))


# -- retention ---------------------------------------------------------------------------


def _delete_batch(
    session: Session, model: Any, key: Any, where: ColumnElement[bool], limit: int
) -> int:
    ids = list(session.scalars(select(key).where(where).order_by(key).limit(limit)))
    if ids:
        session.execute(delete(model).where(key.in_(ids)))
    return len(ids)


def prune_events(session: Session, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` raw events received before ``before`` that were mapped."""
    where = (OpenLineageEvent.received_at < before) & OpenLineageEvent.processed_at.is_not(None)
    return _delete_batch(session, OpenLineageEvent, OpenLineageEvent.id, where, limit)


def prune_runs(session: Session, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` runs whose last event arrived before ``before``."""
    return _delete_batch(session, Run, Run.id, Run.updated_at < before, limit)
