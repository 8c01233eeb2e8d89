"""In-memory lineage graph index: fast impact / lineage traversal over integer node ids.

Pure computation (numpy only): no I/O, no database.  Node ids are non-negative ints such as
database primary keys; gaps are fine, arrays are sized by the largest id + 1 (the
*capacity*), so keep ids reasonably dense (each id slot costs ~32 bytes).

Relations
    *flow* edges ``source -> target`` (data flows from source to target), and *containment*
    ``parent -> child`` (a system contains its datasets, a DAG contains its tasks).  Every
    node has at most one parent, kept in a ``parent`` int32 array (-1 = none); containment
    cycles are tolerated (never expected) and every walk here terminates on them.
    With ``follow_containment=True`` a traversal treats parent -> child as one more flow
    edge: downstream of a system reaches its datasets and their consumers; upstream of a
    dataset reaches its system.

Storage
    Forward flow, reverse flow and parent -> children are each a :class:`DynamicCSR`:
    int64 ``indptr`` + int32 ``indices``: 8 bytes per flow edge (both directions), ~31
    bytes per id slot, plus 1 byte per id slot for each thread that queries.  Writes never
    rebuild: a removed edge becomes a tombstone in place, an added edge reuses a tombstone
    of its row or goes to a small dict overlay.  Each write costs O(degree of the touched
    rows) numpy work, typically a few microseconds; writes to ids beyond the capacity grow
    the arrays by >= 25% (amortised).  :meth:`LineageIndex.compact` rebuilds the CSR arrays
    with the overlay folded in; writes call it automatically once tombstones + overlay
    entries exceed ``max(1024, min(100_000, live edges // 100))`` (that one write then
    takes ~0.2 s at 1M nodes / 5M edges).  Set ``auto_compact = False`` to schedule
    compaction yourself instead (e.g. in a quiet moment, under the write lock).

Thread safety
    Writes (including an auto-compaction) mutate arrays in place: serialise them and keep
    reads out while one runs (one lock, or a readers-writer lock).  Reads never mutate
    shared state -- their scratch mark array is per thread -- so concurrent reads are safe
    with each other.

Traversal semantics: see :meth:`LineageIndex.traverse`.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Sequence
from typing import cast

import numpy as np
import numpy.typing as npt

from dlv.lineage.traversal import (
    MAX_NODE_ID,
    Direction,
    DynamicCSR,
    Expander,
    Ids,
    Ids32,
    Marks,
    Traversal,
    bfs,
    shortest_path,
    unique_sorted,
    unique_with_index,
)

__all__ = ["MAX_NODE_ID", "Direction", "LineageIndex", "Traversal"]

COMPACT_MIN_PENDING = 1_024
COMPACT_MAX_PENDING = 100_000


class LineageIndex:
    """Flow + containment graph over integer node ids.  Create with :meth:`build`/:meth:`empty`."""

    def __init__(
        self,
        forward: DynamicCSR,
        reverse: DynamicCSR,
        children: DynamicCSR,
        parent: Ids32,
        edge_count: int,
    ) -> None:
        self._fwd = forward
        self._rev = reverse
        self._children = children
        self._parent = parent
        self._edge_count = edge_count
        self._local = threading.local()
        #: Compact automatically once pending writes pass the threshold (see module doc).
        self.auto_compact = True

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        sources: npt.ArrayLike,
        targets: npt.ArrayLike,
        parents: npt.ArrayLike | None = None,
        children: npt.ArrayLike | None = None,
        num_nodes: int | None = None,
    ) -> LineageIndex:
        """Build from flow edges ``sources[i] -> targets[i]`` and containment pairs.

        ``parents[i]`` contains ``children[i]`` (aligned 1-D integer arrays, given together
        or not at all); a pair whose parent is -1 is ignored, so a ``(parent_id, id)``
        column pair with NULL parents mapped to -1 can be passed as is.  A child listed
        with two different parents raises ValueError.  Duplicate edges are stored once;
        self-loops are kept.  ``num_nodes`` optionally pre-sizes the arrays and must be
        > every id given.
        """
        src, dst = _as_ids(sources, "sources"), _as_ids(targets, "targets")
        if src.shape != dst.shape:
            raise ValueError("sources and targets must have the same length")
        if (parents is None) != (children is None):
            raise ValueError("parents and children must be given together")
        par = _as_ids(parents, "parents", allow_minus_one=True)
        kid = _as_ids(children, "children")
        if par.shape != kid.shape:
            raise ValueError("parents and children must have the same length")
        capacity = max([int(a.max()) for a in (src, dst, par, kid) if a.size], default=-1) + 1
        if num_nodes is not None:
            if num_nodes < capacity:
                raise ValueError(f"num_nodes={num_nodes} but the largest id is {capacity - 1}")
            if num_nodes > MAX_NODE_ID + 1:
                raise ValueError(f"num_nodes must be <= {MAX_NODE_ID + 1}")
            capacity = num_nodes
        forward, reverse = _flow_csr(src, dst, capacity)
        parent = _parent_array(par, kid, capacity)
        return cls(forward, reverse, _children_csr(parent), parent, int(forward.indices.size))

    @classmethod
    def empty(cls) -> LineageIndex:
        return cls.build(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))

    # -- writes (serialise them; see module doc) ------------------------------------------

    def add_edge(self, source: int, target: int) -> bool:
        """Add flow edge ``source -> target``; False (no change) if it already exists."""
        s, t = _check_id(source), _check_id(target)
        if self._fwd.contains(s, t):
            return False
        self._ensure_capacity(max(s, t) + 1)
        self._fwd.insert(s, t)
        self._rev.insert(t, s)
        self._edge_count += 1
        self._maybe_compact()
        return True

    def remove_edge(self, source: int, target: int) -> bool:
        """Remove flow edge ``source -> target``; False if there was no such edge."""
        s, t = _check_id(source), _check_id(target)
        if not self._fwd.delete(s, t):
            return False
        self._rev.delete(t, s)
        self._edge_count -= 1
        self._maybe_compact()
        return True

    def set_parent(self, child: int, parent: int) -> None:
        """Make ``parent`` contain ``child`` (replacing any previous parent); -1 clears it."""
        c = _check_id(child)
        p = -1 if parent == -1 else _check_id(parent)
        if self.parent_of(c) == p:
            return
        self._ensure_capacity(max(c, p) + 1)
        old = int(self._parent[c])
        if old >= 0:
            self._children.delete(old, c)
        if p >= 0:
            self._children.insert(p, c)
        self._parent[c] = p
        self._maybe_compact()

    def remove_node(self, node: int) -> None:
        """Drop the node's flow edges, its parent link, and orphan its children.

        The id stays valid (an isolated node); costs O(sum of the neighbours' degrees).
        """
        n = _check_id(node)
        if n >= self.capacity:
            return
        outs = self._fwd.pop_row(n)
        for t in outs:
            if t != n:  # a self-loop disappears with the reverse row below
                self._rev.delete(t, n)
        ins = self._rev.pop_row(n)
        for s in ins:
            if s != n:
                self._fwd.delete(s, n)
        self._edge_count -= len(outs) + len(ins) - (1 if n in outs else 0)
        old = int(self._parent[n])
        if old >= 0:
            self._children.delete(old, n)
            self._parent[n] = -1
        for c in self._children.pop_row(n):
            self._parent[c] = -1
        self._maybe_compact()

    def compact(self) -> None:
        """Rebuild the CSR arrays with tombstones dropped and the overlay folded in."""
        rows, cols = self._fwd.pairs()
        self._fwd, self._rev = _flow_csr(rows, cols, self.capacity)
        self._children = _children_csr(self._parent)

    # -- reads ----------------------------------------------------------------------------

    @property
    def edge_count(self) -> int:
        """Number of live flow edges."""
        return self._edge_count

    @property
    def capacity(self) -> int:
        """Size of the per-node arrays: every id below it is addressable."""
        return len(self._parent)

    @property
    def pending_writes(self) -> int:
        """Tombstones + overlay entries not yet folded in by :meth:`compact`."""
        return self._fwd.pending + self._rev.pending + self._children.pending

    def nbytes(self) -> int:
        """Bytes held by the index arrays.

        Excludes the overlay's Python objects (~100 bytes per pending write) and the per-thread
        scratch array (1 byte per id slot for each thread that has queried).
        """
        csrs = (self._fwd, self._rev, self._children)
        return sum(c.nbytes() for c in csrs) + int(self._parent.nbytes)

    def has_edge(self, source: int, target: int) -> bool:
        return self._fwd.contains(_check_id(source), _check_id(target))

    def parent_of(self, node: int) -> int:
        """The node's container, or -1."""
        n = _check_id(node)
        return int(self._parent[n]) if n < self.capacity else -1

    def parents_of(self, nodes: npt.NDArray[np.integer]) -> Ids:
        """Each node's container, or -1 (int64, aligned with ``nodes``)."""
        ids = _as_ids(nodes, "nodes", bounded=False)
        result = np.full(ids.shape, -1, dtype=np.int64)
        inside = ids < self.capacity
        result[inside] = self._parent[ids[inside]]
        return result

    def edges(self) -> tuple[Ids, Ids]:
        """All live flow edges as (sources, targets), sorted by source then target."""
        rows, cols = self._fwd.pairs()
        order = np.lexsort((cols, rows))
        return rows[order], cols[order]

    def traverse(
        self,
        roots: Sequence[int] | npt.NDArray[np.integer],
        direction: Direction,
        *,
        max_depth: int | None = None,
        limit: int | None = None,
        follow_containment: bool = False,
        upstream_containment: bool | None = None,
        descend_upstream: bool = False,
    ) -> Traversal:
        """Breadth-first walk from ``roots``.

        * ``follow_containment``: parent -> child counts as one more flow edge.
          ``upstream_containment`` (default: the same) says whether the upstream walk also
          climbs child -> parent.  ``descend_upstream``: the upstream walk goes down into
          what the roots contain, and what that contains (a DAG's tasks are where its
          failure comes from), but into no other node's children.

        * Result order: the roots (duplicates dropped, input order kept), then each BFS level
          in ascending id order; ``distances`` = hops from the nearest root.
        * ``max_depth``: None = unbounded, 0 = roots only.  Stopping there is not truncation.
        * ``limit`` (>= 1): most nodes returned, roots included.  When more would be found,
          the result is cut to ``limit`` -- whole levels, then the lowest ids of the level that
          does not fit, or the first ``limit`` roots -- and ``truncated`` is True.  Every
          returned distance is still the true shortest distance.
        * ``Direction.both``: the union of the downstream and upstream walks (not a walk of
          the undirected graph: siblings reached via up-then-down are not included); a
          node's distance is the smaller of its two distances.
        * Unknown roots (never written, or beyond the capacity) come back alone at distance 0.
        * Cycles and self-loops are fine.  Cost: O(edges scanned) numpy work per level.
        """
        direction = Direction(direction)
        if max_depth is not None and max_depth < 0:
            raise ValueError("max_depth must be >= 0 or None")
        if limit is not None and limit < 1:
            raise ValueError("limit must be >= 1 or None")
        ids = _as_ids(roots, "roots", bounded=False)
        if ids.size > 1:
            ids = ids[np.sort(unique_with_index(ids)[1])]
        expanders: list[Expander] = []
        if direction is not Direction.upstream:
            expanders.append(self._downstream_expander(follow_containment))
        if direction is not Direction.downstream:
            climb = follow_containment if upstream_containment is None else upstream_containment
            parts = self.descendants(ids) if descend_upstream else None
            if parts is not None and parts.size == unique_sorted(ids[ids < self.capacity]).size:
                parts = None  # the roots contain nothing
            expanders.append(self._upstream_expander(climb, parts))
        return bfs(ids, expanders, self._marks(), self.capacity, max_depth, limit)

    def around(self, root: int, *, max_depth: int, limit: int) -> Traversal:
        """Every node within ``max_depth`` flow edges of ``root``, each edge taken either way
        (a walk of the undirected graph: unlike ``Direction.both``, a sibling reached up then
        down is in it); ordered and cut at ``limit`` as ``traverse`` does."""
        fwd, rev = self._fwd, self._rev

        def expand(frontier: Ids32) -> Ids32:
            return np.concatenate((fwd.neighbours(frontier), rev.neighbours(frontier)))

        ids = _as_ids([root], "roots", bounded=False)
        return bfs(ids, [expand], self._marks(), self.capacity, max_depth, limit)

    def children_among(self, nodes: npt.NDArray[np.integer]) -> tuple[Ids, Ids]:
        """Containment pairs with both ends in ``nodes``, as (parents, children) sorted by
        child (int64).  Unknown ids are ignored; duplicates in ``nodes`` are fine."""
        ids = _as_ids(nodes, "nodes", bounded=False)
        members = unique_sorted(ids[ids < self.capacity])
        parents = self._parent[members].astype(np.int64)
        inside = np.isin(parents, members, assume_unique=False)
        return parents[inside], members[inside]

    def edges_among(self, nodes: npt.NDArray[np.integer]) -> tuple[Ids, Ids]:
        """Flow edges with both ends in ``nodes``, as (sources, targets) sorted by source then
        target (int64).  Unknown ids are ignored; duplicates in ``nodes`` are fine."""
        ids = _as_ids(nodes, "nodes", bounded=False)
        members = unique_sorted(ids[ids < self.capacity]).astype(np.int32)
        marks = self._marks()
        marks[members] = 1
        try:
            found, sources = self._fwd.neighbours_with_sources(members)
            inside = marks[found] == 1
        finally:
            marks[members] = 0
        src, dst = sources[inside].astype(np.int64), found[inside].astype(np.int64)
        order = np.lexsort((dst, src))
        return src[order], dst[order]

    def shortest_path(
        self, source: int, target: int, *, follow_containment: bool = False
    ) -> list[int] | None:
        """Fewest-hop path along flow edges (downstream), optionally also parent -> child.

        Returns ``[source, ..., target]``, ``[source]`` when they are equal, None when
        ``target`` is unreachable.  Ties are broken deterministically.
        """
        s, t = _check_id(source), _check_id(target)
        fwd, rev, kids, parent = self._fwd, self._rev, self._children, self._parent

        def forward(frontier: Ids32) -> tuple[Ids32, Ids32]:
            found, sources = fwd.neighbours_with_sources(frontier)
            if follow_containment:
                more, more_sources = kids.neighbours_with_sources(frontier)
                found = np.concatenate((found, more))
                sources = np.concatenate((sources, more_sources))
            return found, sources

        def backward(frontier: Ids32) -> tuple[Ids32, Ids32]:
            found, sources = rev.neighbours_with_sources(frontier)
            if follow_containment:
                up = parent[frontier]
                has = up >= 0
                found = np.concatenate((found, up[has]))
                sources = np.concatenate((sources, frontier[has]))
            return found, sources

        return shortest_path(s, t, forward, backward, self._marks(), self.capacity)

    # -- internals ------------------------------------------------------------------------

    def _downstream_expander(self, follow_containment: bool) -> Expander:
        fwd, kids = self._fwd, self._children
        if not follow_containment:
            return fwd.neighbours

        def expand(frontier: Ids32) -> Ids32:
            return np.concatenate((fwd.neighbours(frontier), kids.neighbours(frontier)))

        return expand

    def _upstream_expander(self, follow_containment: bool, parts: Ids | None = None) -> Expander:
        rev, parent, kids = self._rev, self._parent, self._children
        if not follow_containment and parts is None:
            return rev.neighbours

        def expand(frontier: Ids32) -> Ids32:
            found = [rev.neighbours(frontier)]
            if follow_containment:
                up = parent[frontier]
                found.append(up[up >= 0])
            if parts is not None:
                inside = frontier[np.isin(frontier, parts)]
                if inside.size:
                    found.append(kids.neighbours(inside))
            return np.concatenate(found)

        return expand

    def descendants(self, roots: Ids) -> Ids:
        """The roots and everything they contain, at any depth (sorted, int64)."""
        known = roots[roots < self.capacity].astype(np.int32)
        seen = [known]
        frontier = known
        marks = self._marks()
        marks[known] = 1
        try:
            while frontier.size:
                found = self._children.neighbours(frontier)
                found = unique_sorted(found[marks[found] == 0])
                marks[found] = 1
                seen.append(found)
                frontier = found
        finally:
            for arr in seen:
                marks[arr] = 0
        return unique_sorted(np.concatenate(seen).astype(np.int64))

    def _marks(self) -> Marks:
        """This thread's scratch array (all zero between queries), at least capacity long."""
        marks = cast("Marks | None", getattr(self._local, "marks", None))
        if marks is None or marks.size < self.capacity:
            marks = np.zeros(max(self.capacity, 1), dtype=np.uint8)
            self._local.marks = marks
        return marks

    def _ensure_capacity(self, needed: int) -> None:
        old = self.capacity
        if needed <= old:
            return
        capacity = min(max(needed, old + old // 4, 64), MAX_NODE_ID + 1)
        for csr in (self._fwd, self._rev, self._children):
            csr.grow(capacity)
        parent = np.full(capacity, -1, dtype=np.int32)
        parent[:old] = self._parent
        self._parent = parent

    def _maybe_compact(self) -> None:
        threshold = max(COMPACT_MIN_PENDING, min(COMPACT_MAX_PENDING, self._edge_count // 100))
        if self.auto_compact and self.pending_writes > threshold:
            self.compact()


def _check_id(node: int) -> int:
    n = operator.index(node)
    if not 0 <= n <= MAX_NODE_ID:
        raise ValueError(f"node id {n} outside [0, {MAX_NODE_ID}]")
    return n


def _as_ids(
    values: npt.ArrayLike | None, name: str, *, allow_minus_one: bool = False, bounded: bool = True
) -> Ids:
    """Validate a 1-D array of node ids and return it as int64.

    ``bounded`` rejects ids above MAX_NODE_ID (ids that are stored); query inputs may hold
    any non-negative id since unknown ids are simply not found.
    """
    arr = np.asarray([] if values is None else values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integers, got {arr.dtype}")
    ids = arr.astype(np.int64)
    if int(ids.min()) < (-1 if allow_minus_one else 0):
        raise ValueError(f"{name} holds a negative node id")
    if bounded and int(ids.max()) > MAX_NODE_ID:
        raise ValueError(f"{name} holds an id above {MAX_NODE_ID}")
    return ids


def _flow_csr(sources: Ids, targets: Ids, capacity: int) -> tuple[DynamicCSR, DynamicCSR]:
    """Forward and reverse CSR of the unique (source, target) pairs."""
    scale = max(capacity, 1)
    keys = unique_sorted(sources * scale + targets)  # by source, then target
    rows, cols = np.divmod(keys, scale)
    forward = DynamicCSR.from_sorted(rows, cols, capacity)
    del keys
    reverse_keys = np.sort(cols * scale + rows)  # by target, then source
    del rows, cols
    reverse = DynamicCSR.from_sorted(*np.divmod(reverse_keys, scale), capacity)
    return forward, reverse


def _parent_array(parents: Ids, children: Ids, capacity: int) -> Ids32:
    parent = np.full(capacity, -1, dtype=np.int32)
    given = parents >= 0
    keys = unique_sorted(children[given] * capacity + parents[given])
    kids, pars = np.divmod(keys, max(capacity, 1))
    clash = np.flatnonzero(kids[1:] == kids[:-1])
    if clash.size:
        raise ValueError(f"node {int(kids[clash[0]])} is given more than one parent")
    parent[kids] = pars
    return parent


def _children_csr(parent: Ids32) -> DynamicCSR:
    kids = np.flatnonzero(parent >= 0)
    pars = parent[kids].astype(np.int64)
    order = np.argsort(pars, kind="stable")
    return DynamicCSR.from_sorted(pars[order], kids[order].astype(np.int64), len(parent))
