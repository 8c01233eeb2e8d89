"""Storage and vectorised BFS kernels behind :class:`dlv.lineage.index.LineageIndex`.

Public names (re-exported by :mod:`dlv.lineage.index`): :class:`Direction`, :class:`Traversal`.
Everything else here is an implementation detail of the index.

Kernels work level by level: all neighbours of a whole frontier are gathered with one
``np.repeat``/``np.cumsum`` index computation, filtered against a per-thread ``uint8`` mark
array and deduplicated by sorting (so every level after the roots comes out in ascending
id order).  The only per-node Python work is for rows that have un-compacted
writes in the overlay (see :class:`DynamicCSR`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

Ids = npt.NDArray[np.int64]
Ids32 = npt.NDArray[np.int32]
Marks = npt.NDArray[np.uint8]
IntT = TypeVar("IntT", bound=np.integer[Any])

#: Expands a frontier (unique ids, all < capacity) into neighbour ids, duplicates allowed.
Expander = Callable[[Ids32], Ids32]
#: Same, plus the frontier node each neighbour was reached from (aligned arrays).
PairExpander = Callable[[Ids32], tuple[Ids32, Ids32]]

#: Value written over a deleted CSR entry; gathers drop it, inserts into the row reuse it.
TOMBSTONE = -1
#: Largest accepted node id: ids are stored as int32 and ``id + 1`` must fit too.
MAX_NODE_ID = 2**31 - 2


def empty_ids32() -> Ids32:
    return np.empty(0, dtype=np.int32)


def unique_sorted(values: npt.NDArray[IntT]) -> npt.NDArray[IntT]:
    """Sorted distinct values (``np.unique`` is far slower on numpy 2.x for large inputs)."""
    ordered = np.sort(values)
    if ordered.size < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def unique_with_index(
    values: npt.NDArray[IntT],
) -> tuple[npt.NDArray[IntT], npt.NDArray[np.intp]]:
    """Sorted distinct values and, for each, the position of its first occurrence."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    if ordered.size < 2:
        return ordered, order
    keep = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    return ordered[keep], order[keep]


class Direction(StrEnum):
    """Which way :meth:`LineageIndex.traverse` walks flow edges."""

    downstream = "downstream"  # source -> target: what is impacted by the roots
    upstream = "upstream"  # target -> source: where the roots' data comes from
    both = "both"  # union of the two walks, distance = min of the two


@dataclass(frozen=True, eq=False)
class Traversal:
    """Result of a traversal (arrays are read-only).

    ``nodes`` holds the (deduplicated) roots in the order given, then every further BFS level
    in ascending id order; ``distances`` is aligned with it.  ``truncated`` is True only when
    ``limit`` left out at least one node that the traversal would otherwise have returned.
    """

    nodes: Ids  # int64 node ids, roots first, in BFS order
    distances: npt.NDArray[np.int32]  # hops from the nearest root, aligned with nodes
    truncated: bool  # True when `limit` cut the result


class DynamicCSR:
    """One directed relation (row -> columns) as CSR arrays plus a small write delta.

    * ``indptr`` (int64, capacity + 1) and ``indices`` (int32) are the compacted rows.  A
      delete overwrites the entry with :data:`TOMBSTONE` in place; a later insert into the
      same row reuses that hole, so delete/re-insert cycles do not grow anything.
    * ``overlay`` maps row -> set of columns inserted since the last compaction that found no
      hole; ``in_overlay`` flags those rows so a frontier's overlay rows are one mask away.

    Invariant: a (row, column) pair is stored at most once, in the CSR or in the overlay.
    Callers keep ids < :attr:`capacity` (see :meth:`grow`).
    """

    __slots__ = ("dead", "in_overlay", "indices", "indptr", "overlay", "overlay_size")

    def __init__(self, indptr: Ids, indices: Ids32) -> None:
        self.indptr = indptr
        self.indices = indices
        self.in_overlay = np.zeros(len(indptr) - 1, dtype=np.bool_)
        self.overlay: dict[int, set[int]] = {}
        self.overlay_size = 0
        self.dead = 0

    @classmethod
    def from_sorted(cls, rows: Ids, cols: Ids, capacity: int) -> DynamicCSR:
        """Build from unique pairs already grouped by ``rows`` (ascending)."""
        indptr = np.zeros(capacity + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=capacity), out=indptr[1:])
        return cls(indptr, cols.astype(np.int32))

    @property
    def capacity(self) -> int:
        return len(self.indptr) - 1

    @property
    def pending(self) -> int:
        """Tombstones plus overlay entries: the work :meth:`LineageIndex.compact` folds in."""
        return self.dead + self.overlay_size

    def nbytes(self) -> int:
        return int(self.indptr.nbytes + self.indices.nbytes + self.in_overlay.nbytes)

    def grow(self, capacity: int) -> None:
        old = self.capacity
        if capacity <= old:
            return
        indptr = np.empty(capacity + 1, dtype=np.int64)
        indptr[: old + 1] = self.indptr
        indptr[old + 1 :] = self.indptr[old]
        in_overlay = np.zeros(capacity, dtype=np.bool_)
        in_overlay[:old] = self.in_overlay
        self.indptr, self.in_overlay = indptr, in_overlay

    # -- single-row operations (writes) ---------------------------------------------------

    def _row_bounds(self, u: int) -> tuple[int, int]:
        return int(self.indptr[u]), int(self.indptr[u + 1])

    def contains(self, u: int, v: int) -> bool:
        if u >= self.capacity:
            return False
        extra = self.overlay.get(u)
        if extra is not None and v in extra:
            return True
        a, b = self._row_bounds(u)
        return a != b and bool((self.indices[a:b] == v).any())

    def row(self, u: int) -> list[int]:
        """Live columns of row ``u``."""
        if u >= self.capacity:
            return []
        a, b = self._row_bounds(u)
        cols = [c for c in self.indices[a:b].tolist() if c != TOMBSTONE]
        cols.extend(self.overlay.get(u, ()))
        return cols

    def insert(self, u: int, v: int) -> None:
        """Add (u, v); the caller has checked it is absent and that u, v < capacity."""
        if self.dead:
            a, b = self._row_bounds(u)
            holes = np.flatnonzero(self.indices[a:b] == TOMBSTONE)
            if holes.size:
                self.indices[a + int(holes[0])] = v
                self.dead -= 1
                return
        extra = self.overlay.get(u)
        if extra is None:
            extra = self.overlay[u] = set()
            self.in_overlay[u] = True
        extra.add(v)
        self.overlay_size += 1

    def delete(self, u: int, v: int) -> bool:
        if u >= self.capacity:
            return False
        extra = self.overlay.get(u)
        if extra is not None and v in extra:
            extra.remove(v)
            self.overlay_size -= 1
            if not extra:
                del self.overlay[u]
                self.in_overlay[u] = False
            return True
        a, b = self._row_bounds(u)
        hits = np.flatnonzero(self.indices[a:b] == v)
        if hits.size == 0:
            return False
        self.indices[a + int(hits[0])] = TOMBSTONE
        self.dead += 1
        return True

    def pop_row(self, u: int) -> list[int]:
        """Delete every entry of row ``u`` and return the live columns it had."""
        cols = self.row(u)
        if not cols:
            return cols
        a, b = self._row_bounds(u)
        segment = self.indices[a:b]
        live = int(np.count_nonzero(segment != TOMBSTONE))
        segment[:] = TOMBSTONE
        self.dead += live
        extra = self.overlay.pop(u, None)
        if extra is not None:
            self.overlay_size -= len(extra)
            self.in_overlay[u] = False
        return cols

    def pairs(self) -> tuple[Ids, Ids]:
        """All live (row, column) pairs, CSR part grouped by row, overlay appended."""
        rows = np.repeat(np.arange(self.capacity, dtype=np.int64), np.diff(self.indptr))
        cols = self.indices.astype(np.int64)
        if self.dead:
            live = cols != TOMBSTONE
            rows, cols = rows[live], cols[live]
        if self.overlay_size:
            extra_rows = [u for u, vs in self.overlay.items() for _ in vs]
            extra_cols = [v for vs in self.overlay.values() for v in vs]
            rows = np.concatenate((rows, np.array(extra_rows, dtype=np.int64)))
            cols = np.concatenate((cols, np.array(extra_cols, dtype=np.int64)))
        return rows, cols

    # -- frontier operations (reads) ------------------------------------------------------

    def _positions(self, frontier: Ids32) -> tuple[npt.NDArray[np.intp], Ids]:
        starts = self.indptr[frontier]
        lengths = self.indptr[frontier + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, dtype=np.intp), lengths
        # position k of the output belongs to row r: start[r] + (k - first output slot of r)
        shift = starts - (np.cumsum(lengths) - lengths)
        positions = np.repeat(shift, lengths) + np.arange(total, dtype=np.int64)
        return positions.astype(np.intp, copy=False), lengths

    def _overlay_rows(self, frontier: Ids32) -> list[int]:
        if not self.overlay_size:
            return []
        rows: list[int] = frontier[self.in_overlay[frontier]].tolist()
        return rows

    def neighbours(self, frontier: Ids32) -> Ids32:
        """Live columns of all frontier rows (duplicates possible)."""
        positions, _ = self._positions(frontier)
        found = self.indices[positions]
        if self.dead:
            found = found[found != TOMBSTONE]
        extra = [v for u in self._overlay_rows(frontier) for v in self.overlay[u]]
        if extra:
            found = np.concatenate((found, np.array(extra, dtype=np.int32)))
        return found

    def neighbours_with_sources(self, frontier: Ids32) -> tuple[Ids32, Ids32]:
        """Like :meth:`neighbours`, plus the frontier row each column came from."""
        positions, lengths = self._positions(frontier)
        found = self.indices[positions]
        sources = np.repeat(frontier, lengths)
        if self.dead:
            live = found != TOMBSTONE
            found, sources = found[live], sources[live]
        rows = self._overlay_rows(frontier)
        if rows:
            extra = [(u, v) for u in rows for v in self.overlay[u]]
            pairs = np.array(extra, dtype=np.int32).reshape(-1, 2)
            found = np.concatenate((found, pairs[:, 1]))
            sources = np.concatenate((sources, pairs[:, 0]))
        return found, sources


def bfs(
    roots: Ids,
    expanders: Sequence[Expander],
    marks: Marks,
    capacity: int,
    max_depth: int | None,
    limit: int | None,
) -> Traversal:
    """Level-synchronous BFS over one or two "channels" (two = ``Direction.both``).

    ``roots`` are unique non-negative ids in output order; roots >= ``capacity`` are returned
    but not expanded.  Each channel keeps its own visited bit in ``marks`` (bit ``1 << i``) so
    a node reached downstream is still expanded upstream; bit ``1 << len(expanders)`` marks
    nodes already in the result.  Every bit set is cleared again before returning.
    """
    if limit is not None and roots.size > limit:
        return _result([roots[:limit]], [0], truncated=True)
    channels = len(expanders)
    in_result = np.uint8(1 << channels)
    levels: list[npt.NDArray[np.integer]] = [roots]
    depths = [0]
    known = roots[roots < capacity].astype(np.int32)
    touched = [known]
    marks[known] = (1 << (channels + 1)) - 1
    frontiers = [known] * channels
    count = int(roots.size)
    depth = 0
    truncated = False
    try:
        while any(f.size for f in frontiers) and (max_depth is None or depth < max_depth):
            depth += 1
            for i, expand in enumerate(expanders):
                bit = np.uint8(1 << i)
                found = expand(frontiers[i]) if frontiers[i].size else empty_ids32()
                if found.size:
                    found = unique_sorted(found[(marks[found] & bit) == 0])
                    marks[found] |= bit
                    touched.append(found)
                frontiers[i] = found
            if channels == 1:
                level = frontiers[0]
            else:
                level = unique_sorted(np.concatenate(frontiers))
                level = level[(marks[level] & in_result) == 0]
                marks[level] |= in_result
            if level.size == 0:
                continue
            if limit is not None and count + level.size > limit:
                level = level[: limit - count]
                truncated = True
            levels.append(level)
            depths.append(depth)
            count += int(level.size)
            if truncated:
                break
    finally:
        for arr in touched:
            marks[arr] = 0
    return _result(levels, depths, truncated=truncated)


def _result(
    levels: Sequence[npt.NDArray[np.integer]], depths: Sequence[int], *, truncated: bool
) -> Traversal:
    nodes = np.concatenate(levels).astype(np.int64)
    sizes = [len(level) for level in levels]
    distances = np.repeat(np.asarray(depths, dtype=np.int32), sizes)
    nodes.flags.writeable = False
    distances.flags.writeable = False
    return Traversal(nodes=nodes, distances=distances, truncated=truncated)


def shortest_path(
    source: int,
    target: int,
    forward: PairExpander,
    backward: PairExpander,
    marks: Marks,
    capacity: int,
) -> list[int] | None:
    """Fewest-hop path ``source -> ... -> target`` by bidirectional BFS.

    ``forward`` expands along edges, ``backward`` against them.  The side with the smaller
    frontier grows one level at a time; the first level that meets the other side gives a
    shortest path (all meeting nodes of that level give the same length; the lowest id is
    used).  Each side keeps per-level (nodes ascending, predecessor) arrays to rebuild it.
    """
    if source == target:
        return [source]
    if source >= capacity or target >= capacity:
        return None
    sides = (_Side(source, forward, np.uint8(1)), _Side(target, backward, np.uint8(2)))
    marks[source], marks[target] = 1, 2
    try:
        while sides[0].frontier.size and sides[1].frontier.size:
            grow = 0 if sides[0].frontier.size <= sides[1].frontier.size else 1
            meet = sides[grow].expand(marks, other_bit=sides[1 - grow].bit)
            if meet is not None:
                head, tail = sides[0].path_to(meet), sides[1].path_to(meet)
                return head[::-1] + tail[1:]
        return None
    finally:
        for side in sides:
            for arr in side.touched:
                marks[arr] = 0


class _Side:
    """One half of a bidirectional BFS."""

    def __init__(self, root: int, expand: PairExpander, bit: np.uint8) -> None:
        self.frontier = np.array([root], dtype=np.int32)
        self.touched: list[Ids32] = [self.frontier]
        self.levels: list[tuple[Ids32, Ids32]] = []  # (nodes ascending, predecessor of each)
        self._expand = expand
        self.bit = bit

    def expand(self, marks: Marks, other_bit: np.uint8) -> int | None:
        """Add one level; return the lowest new node the other side has seen, if any."""
        found, sources = self._expand(self.frontier)
        fresh = (marks[found] & self.bit) == 0
        nodes, first = unique_with_index(found[fresh])
        marks[nodes] |= self.bit
        self.touched.append(nodes)
        self.levels.append((nodes, sources[fresh][first]))
        self.frontier = nodes
        meeting = np.flatnonzero(marks[nodes] & other_bit)
        return int(nodes[meeting[0]]) if meeting.size else None

    def path_to(self, node: int) -> list[int]:
        """``[node, ..., root]``; ``node`` is in the last level or is the root."""
        path = [node]
        for nodes, predecessors in reversed(self.levels):
            at = int(np.searchsorted(nodes, path[-1]))
            if at < nodes.size and nodes[at] == path[-1]:
                path.append(int(predecessors[at]))
        return path
