"""Which failing nodes explain the others (the pure core of likely root causes)."""

from __future__ import annotations

import numpy as np

from dlv.lineage.causes import unexplained


def ids(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def causes(nodes: list[int], failing: set[int], edges: list[tuple[int, int]]) -> set[int]:
    arr = ids(*nodes)
    mask = unexplained(
        arr,
        np.array([n in failing for n in nodes], dtype=np.bool_),
        ids(*(s for s, _ in edges)),
        ids(*(t for _, t in edges)),
    )
    return set(arr[mask].tolist())


def test_a_failure_downstream_of_another_is_explained() -> None:
    assert causes([1, 2, 3], {1, 3}, [(1, 2), (2, 3)]) == {1}


def test_failures_on_separate_branches_are_each_a_cause() -> None:
    assert causes([1, 2, 3, 4], {1, 2}, [(1, 3), (2, 3), (3, 4)]) == {1, 2}


def test_a_lone_failure_is_its_own_cause() -> None:
    assert causes([5, 9], {9}, [(5, 9)]) == {9}


def test_edges_leaving_the_answer_are_ignored() -> None:
    assert causes([1, 2], {2}, [(7, 2), (1, 2)]) == {2}


def test_a_cycle_of_failures_singles_out_none() -> None:
    assert causes([1, 2, 3], {1, 2}, [(1, 2), (2, 1), (3, 1)]) == set()


def test_nothing_failing_means_no_cause() -> None:
    assert causes([1, 2], set(), [(1, 2)]) == set()
    assert causes([], set(), []) == set()
