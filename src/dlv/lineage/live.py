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

A ``reset`` change (bulk import) rebuilds the whole index from the tables, and so does
finding that changes it has not read were pruned (``changes.prune``: kept for a day).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from dlv.lineage import changes
from dlv.lineage import index_repository as repository
from dlv.lineage.facts import NodeFacts
from dlv.lineage.index import LineageIndex

GAP_GRACE_SECONDS = 10.0
CHANGE_BATCH = 10_000
MAX_REPLAY = 50_000


@dataclass(frozen=True)
class IndexStats:
    nodes: int
    edges: int
    nbytes: int
    facts_nbytes: int  # the node facts kept beside the index
    build_seconds: float
    seq: int


def load(conn: Connection) -> tuple[LineageIndex, NodeFacts, int]:
    """A fresh index and node facts from the tables, and the change number they reflect."""
    seq = repository.last_seq(conn)
    edges = repository.edge_pairs(conn)
    parents = repository.parent_pairs(conn)
    index = LineageIndex.build(
        edges[:, 0],
        edges[:, 1],
        parents[:, 0],
        parents[:, 1],
        num_nodes=repository.max_pk(conn) + 1,
    )
    del edges, parents
    facts = NodeFacts.load(repository.all_facts(conn), capacity=index.capacity)
    return index, facts, seq


@dataclass(frozen=True)
class Snapshot:
    """The graph at a time, or with its stale edges: an index, and the stale (s, t) pairs."""

    index: LineageIndex
    stale: set[tuple[int, int]]


class LiveIndex:
    """A LineageIndex and its NodeFacts, plus what it takes to keep them current; one per
    process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index = LineageIndex.empty()
        self._facts = NodeFacts()
        self._seq = 0  # highest change number read
        self._horizon = 0  # every change <= horizon has been seen
        self._gap_since: float | None = None
        self._snapshot: tuple[tuple[datetime | None, int], Snapshot] | None = None
        self.build_seconds = 0.0

    def rebuild(self, session: Session) -> None:
        """Load the whole graph from the database (at start, and on a ``reset`` change)."""
        with self._lock:
            self._rebuild(session)

    def _rebuild(self, session: Session) -> None:
        started = time.perf_counter()
        # Dropped first: during a reload the old and the new copy need not both fit in memory.
        self._index, self._facts = LineageIndex.empty(), NodeFacts()
        index, facts, seq = load(session.connection())
        self._index, self._facts = index, facts
        self._seq, self._horizon, self._gap_since = seq, seq, None
        self.build_seconds = time.perf_counter() - started

    def current(self, session: Session) -> LineageIndex:
        """The index, brought up to date with every committed change (and so are the facts).
        Hold ``lock`` while using either."""
        oldest, newest = changes.bounds(session)
        if newest == self._seq and self._gap_since is None:
            return self._index
        # A long backlog is cheaper to reload than to replay; and changes we have not read
        # may have been pruned (this process was idle for longer than the log is kept).
        if newest - self._horizon > MAX_REPLAY or oldest > self._horizon + 1:
            self._rebuild(session)
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

    def snapshot(self, session: Session, as_of: datetime | None) -> Snapshot:
        """The graph as it was at ``as_of`` (None: now, with its stale edges), built from the
        tables: a whole load of the edges, for post-mortems and audits, not for every answer.
        The last one is kept until the graph changes. Call after ``current``, under ``lock``."""
        key = (as_of, self._seq)
        if self._snapshot is not None and self._snapshot[0] == key:
            return self._snapshot[1]
        conn = session.connection()
        pairs, stale = repository.edge_pairs_at(conn, as_of)
        parents = repository.parent_pairs(conn)
        capacity = max(self._index.capacity, repository.max_pk(conn) + 1)
        index = LineageIndex.build(
            pairs[:, 0], pairs[:, 1], parents[:, 0], parents[:, 1], num_nodes=capacity
        )
        snapshot = Snapshot(index, {(int(s), int(t)) for s, t in stale.tolist()})
        self._snapshot = (key, snapshot)
        return snapshot

    def facts(self, session: Session, pks: npt.NDArray[np.int64]) -> NodeFacts:
        """The node facts, holding those of ``pks`` (read now if not held yet: a node created
        since the last load). Call after ``current``, under ``lock``; deleted nodes stay
        absent, and every pk asked for is below the facts' capacity afterwards."""
        missing = self._facts.missing(pks)
        if missing:
            self._refresh_facts(session, missing)
        return self._facts

    @property
    def lock(self) -> threading.Lock:
        return self._lock

    def stats(self) -> IndexStats:
        index = self._index
        return IndexStats(
            index.capacity,
            index.edge_count,
            index.nbytes(),
            self._facts.nbytes(),
            self.build_seconds,
            self._seq,
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
        present = repository.existing_edges(session, sorted(edge_pairs))
        for a, b in edge_pairs:
            if (a, b) in present:
                index.add_edge(a, b)
            else:
                index.remove_edge(a, b)
        parents = repository.parents(session, sorted(node_pks))
        for pk in node_pks:
            if pk not in parents:
                index.remove_node(pk)
            else:
                index.set_parent(pk, parents[pk])
        touched = node_pks.union(a for _, op, a, _ in rows if op == changes.NODE_FACTS)
        self._refresh_facts(session, sorted(touched))

    def _refresh_facts(self, session: Session, pks: Sequence[int]) -> None:
        if not pks:
            return
        rows = repository.facts(session.connection(), pks)
        self._facts.set_many((row[0], row[1:]) for row in rows)
        for pk in set(pks).difference(row[0] for row in rows):
            self._facts.remove(pk)  # gone from the database (or never a node: pk 0, -1)
