"""Marquez's lineage walk on DLV's index: pure, no I/O.

Marquez walks jobs to jobs through the datasets they share, in either direction (a job's
sibling consumers are in its graph), ``depth`` jobs away. On DLV's graph (dataset -> job ->
dataset) that is an undirected walk of ``2 * depth + 1`` hops from a job, one more from a
dataset (whose jobs are one hop away): ``LineageIndex.around``, the index's own BFS with
both edge directions as one, numpy work per level as DLV's own walks.
"""

from __future__ import annotations

from dlv.lineage.index import LineageIndex
from dlv.lineage.traversal import Traversal


def hops(depth: int, from_dataset: bool) -> int:
    """Marquez's ``depth`` (jobs away) as hops on DLV's graph."""
    return 2 * depth + (2 if from_dataset else 1)


def undirected(index: LineageIndex, root: int, max_hops: int, limit: int) -> Traversal:
    """Every node within ``max_hops`` flow edges of ``root``, edges taken either way; at most
    ``limit`` nodes (the root included), cut at the lowest pks of the last hop."""
    return index.around(root, max_depth=max_hops, limit=limit)
