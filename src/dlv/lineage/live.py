"""The process's lineage index, kept in step with the database through the change log.

Before every query the index asks the database for the newest change number (one indexed
``max()``); when it moved, it reads the new change rows and re-reads the *current state* of
what they touched (does this edge exist, what is this node's parent) instead of replaying
the operations blindly. Two consequences:

- Order does not matter, so a change that becomes visible late (PostgreSQL hands out
  sequence numbers before commit, so seq 101 can commit before seq 100) is still applied
  correctly when it shows up. The index remembers the oldest number it may still be
  missing (``horizon``) and re-reads from there until the gap is older than
  ``GAP_GRACE_SECONDS`` (then it was a rolled-back transaction and never arrives).
- A write through the API is visible to the very next query in any process: read-your-writes.

A ``reset`` change (bulk import) rebuilds the whole index from the tables.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, and_, or_, select, text
from sqlalchemy.orm import Session

from dlv.lineage import changes
from dlv.lineage.index import LineageIndex
from dlv.lineage.models import Edge
from dlv.nodes.models import Node

GAP_GRACE_SECONDS = 10.0
CHANGE_BATCH = 10_000
MAX_REPLAY = 50_000
FETCH_CHUNK = 200_000


@dataclass(frozen=True)
class IndexStats:
    nodes: int
    edges: int
    nbytes: int
    build_seconds: float
    seq: int


def _int_pairs(conn: Connection, sql: str) -> np.ndarray:
    # The driver's cursor straight into numpy, in chunks: the ORM (or even SQLAlchemy rows)
    # would build millions of Python objects for two integer columns.
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    parts = []
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(FETCH_CHUNK):
            flat = itertools.chain.from_iterable(rows)
            parts.append(np.fromiter(flat, dtype=np.int64, count=2 * len(rows)))
    finally:
        cursor.close()
    if not parts:
        return np.empty((0, 2), dtype=np.int64)
    return np.concatenate(parts).reshape(-1, 2)


def load(conn: Connection) -> tuple[LineageIndex, int]:
    """A fresh index from the tables, and the change number it reflects."""
    seq = conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM lineage_changes")).scalar_one()
    edges = _int_pairs(conn, "SELECT source_pk, target_pk FROM edges")
    parents = _int_pairs(conn, "SELECT parent_pk, pk FROM nodes WHERE parent_pk IS NOT NULL")
    max_pk = conn.execute(text("SELECT COALESCE(MAX(pk), 0) FROM nodes")).scalar_one()
    index = LineageIndex.build(
        edges[:, 0], edges[:, 1], parents[:, 0], parents[:, 1], num_nodes=int(max_pk) + 1
    )
    return index, int(seq)


class LiveIndex:
    """A LineageIndex plus what it takes to keep it current; one per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index = LineageIndex.empty()
        self._seq = 0  # highest change number read
        self._horizon = 0  # every change <= horizon has been seen
        self._gap_since: float | None = None
        self.build_seconds = 0.0

    def rebuild(self, session: Session) -> None:
        """Load the whole graph from the database (at start, and on a ``reset`` change)."""
        with self._lock:
            self._rebuild(session)

    def _rebuild(self, session: Session) -> None:
        started = time.perf_counter()
        index, seq = load(session.connection())
        self._index, self._seq, self._horizon, self._gap_since = index, seq, seq, None
        self.build_seconds = time.perf_counter() - started

    def current(self, session: Session) -> LineageIndex:
        """The index, brought up to date with every committed change. Hold ``lock`` to use it."""
        newest = changes.last_seq(session)
        if newest == self._seq and self._gap_since is None:
            return self._index
        if newest - self._horizon > MAX_REPLAY:
            self._rebuild(session)  # a long backlog is cheaper to reload than to replay
            return self._index
        seen: list[int] = []
        after = self._horizon
        while True:
            rows = changes.since(session, after, CHANGE_BATCH)
            if any(op == changes.RESET for _, op, _, _ in rows):
                self._rebuild(session)
                return self._index
            self._apply(session, rows)
            seen.extend(seq for seq, _, _, _ in rows)
            if len(rows) < CHANGE_BATCH:
                break
            after = rows[-1][0]
        self._advance(seen)
        return self._index

    @property
    def lock(self) -> threading.Lock:
        return self._lock

    def stats(self) -> IndexStats:
        index = self._index
        return IndexStats(
            index.capacity, index.edge_count, index.nbytes(), self.build_seconds, self._seq
        )

    def _advance(self, seen: Sequence[int]) -> None:
        if seen:
            self._seq = max(self._seq, *seen)
        missing = set(range(self._horizon + 1, self._seq + 1)).difference(seen)
        if not missing:
            self._horizon, self._gap_since = self._seq, None
            return
        # A number we did not see may belong to a transaction still in flight: keep
        # re-reading from before it, until it is old enough to be a rollback.
        now = time.monotonic()
        if self._gap_since is None:
            self._gap_since = now
        if now - self._gap_since >= GAP_GRACE_SECONDS:
            self._horizon, self._gap_since = self._seq, None
        else:
            self._horizon = min(missing) - 1

    def _apply(self, session: Session, rows: Sequence[tuple[int, str, int, int]]) -> None:
        index = self._index
        edge_pairs = {
            (a, b) for _, op, a, b in rows if op in (changes.EDGE_ADDED, changes.EDGE_REMOVED)
        }
        node_pks = {a for _, op, a, _ in rows if op in (changes.PARENT_SET, changes.NODE_REMOVED)}
        present = _existing_edges(session, edge_pairs)
        for a, b in edge_pairs:
            if (a, b) in present:
                index.add_edge(a, b)
            else:
                index.remove_edge(a, b)
        parents = _parents(session, node_pks)
        for pk in node_pks:
            if pk not in parents:
                index.remove_node(pk)
            else:
                index.set_parent(pk, parents[pk])


def _existing_edges(session: Session, pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    items = list(pairs)
    for i in range(0, len(items), 500):
        chunk = items[i : i + 500]
        stmt = select(Edge.source_pk, Edge.target_pk).where(
            or_(*(and_(Edge.source_pk == a, Edge.target_pk == b) for a, b in chunk))
        )
        found.update((a, b) for a, b in session.execute(stmt))
    return found


def _parents(session: Session, pks: set[int]) -> dict[int, int]:
    """``{pk: parent pk or -1}`` for the nodes that still exist."""
    result: dict[int, int] = {}
    items = list(pks)
    for i in range(0, len(items), 5000):
        stmt = select(Node.pk, Node.parent_pk).where(Node.pk.in_(items[i : i + 5000]))
        result.update(
            (pk, parent if parent is not None else -1) for pk, parent in session.execute(stmt)
        )
    return result
