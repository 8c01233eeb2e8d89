"""Marquez's lineage walk on DLV's index: pure, no I/O.

Marquez walks jobs to jobs through the datasets they share, in either direction (a job's
sibling consumers are in its graph), ``depth`` jobs away. On DLV's graph (dataset -> job ->
dataset) that is an undirected walk of ``2 * depth + 1`` hops from a job, one more from a
dataset (whose jobs are one hop away). Each hop is one ``traverse`` of depth 1 both ways from
the whole frontier: numpy work per level, as DLV's own walks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlv.lineage.index import Direction, LineageIndex
from dlv.lineage.traversal import Ids


@dataclass(frozen=True)
class Walk:
    nodes: Ids  # the root first, then each hop's nodes in ascending pk order
    truncated: bool


def hops(depth: int, from_dataset: bool) -> int:
    """Marquez's ``depth`` (jobs away) as hops on DLV's graph."""
    return 2 * depth + (2 if from_dataset else 1)


def undirected(index: LineageIndex, root: int, max_hops: int, limit: int) -> Walk:
    """Every node within ``max_hops`` flow edges of ``root``, edges taken either way; at most
    ``limit`` nodes (the root included), cut at the lowest pks of the last hop."""
    frontier = np.array([root], dtype=np.int64)
    levels = [frontier]
    seen = frontier
    count = 1
    for _ in range(max_hops):
        around = index.traverse(frontier, Direction.both, max_depth=1)
        found = around.nodes[around.distances == 1]
        found = np.setdiff1d(found, seen, assume_unique=False)
        if not found.size:
            break
        if count + found.size > limit:
            levels.append(found[: limit - count])
            return Walk(np.concatenate(levels), truncated=True)
        levels.append(found)
        count += int(found.size)
        seen = np.union1d(seen, found)
        frontier = found
    return Walk(np.concatenate(levels), truncated=False)
