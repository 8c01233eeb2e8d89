"""Which failing nodes of an upstream answer explain the others: pure numpy, no I/O.

A failing node is *explained* when another failing node reaches it along a causal edge: data
flow (source -> target), or a part -> its container (a DAG fails because a task failed; a
task does not fail because its DAG did). The likely root causes are the failing nodes that
nothing failing explains: the furthest failing producers upstream, or the failing node itself.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from dlv.lineage.traversal import Ids

Mask = npt.NDArray[np.bool_]


def unexplained(nodes: Ids, failing: Mask, sources: Ids, targets: Ids) -> Mask:
    """Which of ``nodes`` (unique ids) are failing and reached from no failing node along
    the causal edges ``sources[i] -> targets[i]`` (edges with an end outside ``nodes`` are
    ignored). Failing nodes on a cycle of failures explain each other: none is singled out."""
    n = nodes.size
    if not failing.any():
        return np.zeros(n, dtype=np.bool_)
    order = np.argsort(nodes)
    ordered = nodes[order]
    src_pos = np.searchsorted(ordered, sources).clip(max=max(n - 1, 0))
    dst_pos = np.searchsorted(ordered, targets).clip(max=max(n - 1, 0))
    inside = (ordered[src_pos] == sources) & (ordered[dst_pos] == targets)
    src, dst = order[src_pos[inside]], order[dst_pos[inside]]
    by_source = np.argsort(src, kind="stable")
    src, dst = src[by_source], dst[by_source]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])

    # One walk from every failing node's successors: whatever it reaches is explained. (A
    # failing node whose only way back to itself is a cycle counts as explained too; when
    # that leaves no cause at all, the caller falls back to the furthest failing nodes.)
    explained = np.zeros(n, dtype=np.bool_)
    frontier = _successors(indptr, dst, np.flatnonzero(failing))
    while frontier.size:
        frontier = np.unique(frontier[~explained[frontier]])
        explained[frontier] = True
        frontier = _successors(indptr, dst, frontier)
    return failing & ~explained


def _successors(indptr: Ids, dst: Ids, frontier: Ids) -> Ids:
    starts, ends = indptr[frontier], indptr[frontier + 1]
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=dst.dtype)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return dst[offsets + np.arange(total)]
