"""Marquez's walk on the index, without a database."""

from __future__ import annotations

import numpy as np

from dlv.lineage.index import LineageIndex
from dlv.marquez import graph


def index(*edges: tuple[int, int]) -> LineageIndex:
    sources = np.array([s for s, _ in edges], dtype=np.int64)
    targets = np.array([t for _, t in edges], dtype=np.int64)
    none = np.array([], dtype=np.int64)
    return LineageIndex.build(sources, targets, none, none)


def test_the_walk_takes_edges_either_way() -> None:
    # 1 -> 2 <- 3 -> 4: from 4, 2 is reached through 3 against the flow.
    walk = graph.undirected(index((1, 2), (3, 2), (3, 4)), 4, 10, 100)
    assert walk.nodes.tolist() == [4, 3, 2, 1]
    assert not walk.truncated


def test_the_walk_stops_at_max_hops() -> None:
    walk = graph.undirected(index((1, 2), (2, 3), (3, 4)), 1, 2, 100)
    assert walk.nodes.tolist() == [1, 2, 3]


def test_the_walk_is_cut_at_the_limit() -> None:
    walk = graph.undirected(index((1, 2), (1, 3), (1, 4)), 1, 5, 3)
    assert walk.nodes.tolist() == [1, 2, 3]
    assert walk.truncated


def test_depth_counts_jobs_from_either_kind_of_root() -> None:
    assert graph.hops(0, from_dataset=False) == 1  # a job and its datasets
    assert graph.hops(1, from_dataset=True) == 4  # dataset, jobs, datasets, jobs, datasets
