"""The layered layout, without a database."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from dlv.dashboards.layout import (
    COLUMN_GAP,
    NODE_HEIGHT,
    NODE_WIDTH,
    ROW_GAP,
    count_crossings,
    fit_viewport,
    layered,
)

FAST = settings(max_examples=80, deadline=None, database=None)

graphs = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(-4, 4), min_size=n, max_size=n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
    )
)


def brute_crossings(
    positions: dict[int, tuple[float, float]], edges: list[tuple[int, int]], layers: list[int]
) -> int:
    """Crossings between edges joining the same two neighbouring columns, pair by pair."""
    spans = []
    for a, b in edges:
        if abs(layers[a] - layers[b]) == 1:
            upper, lower = (a, b) if layers[a] < layers[b] else (b, a)
            spans.append((layers[upper], positions[upper][1], positions[lower][1]))
    return sum(
        1
        for (la, ua, va), (lb, ub, vb) in itertools.combinations(set(spans), 2)
        if la == lb and (ua - ub) * (va - vb) < 0
    )


@FAST
@given(graphs)
def test_no_two_nodes_overlap(graph: tuple[list[int], list[tuple[int, int]]]) -> None:
    layers, edges = graph
    placement = layered(list(enumerate(layers)), edges)
    boxes = list(placement.positions.values())
    for (ax, ay), (bx, by) in itertools.combinations(boxes, 2):
        apart_x = ax + NODE_WIDTH <= bx or bx + NODE_WIDTH <= ax
        apart_y = ay + NODE_HEIGHT <= by or by + NODE_HEIGHT <= ay
        assert apart_x or apart_y


@FAST
@given(graphs)
def test_each_node_sits_in_the_column_of_its_layer(
    graph: tuple[list[int], list[tuple[int, int]]],
) -> None:
    layers, edges = graph
    placement = layered(list(enumerate(layers)), edges)
    assert set(placement.positions) == set(range(len(layers)))
    for node, (x, _) in placement.positions.items():
        assert x == layers[node] * (NODE_WIDTH + COLUMN_GAP)


@FAST
@given(graphs)
def test_the_reported_crossings_are_the_layouts_crossings(
    graph: tuple[list[int], list[tuple[int, int]]],
) -> None:
    layers, edges = graph
    placement = layered(list(enumerate(layers)), edges)
    assert placement.crossings == brute_crossings(placement.positions, edges, layers)


@FAST
@given(graphs)
def test_ordering_never_adds_crossings(graph: tuple[list[int], list[tuple[int, int]]]) -> None:
    layers, edges = graph
    unordered = layered(list(enumerate(layers)), edges, sweeps=0)
    assert layered(list(enumerate(layers)), edges).crossings <= unordered.crossings


def test_a_tree_is_laid_out_without_crossings() -> None:
    # Children listed in an order that crosses every edge if kept as given.
    rng = random.Random(7)
    layers = [0] + [1] * 4 + [2] * 12
    edges = [(0, c) for c in range(1, 5)] + [(1 + (g - 5) % 4, g) for g in range(5, 17)]
    nodes = list(enumerate(layers))
    rng.shuffle(nodes)
    assert layered(nodes, edges, sweeps=0).crossings > 0
    assert layered(nodes, edges).crossings == 0


def test_a_crossed_pair_is_untangled() -> None:
    # a1 -> b2 and a2 -> b1 cross when the columns are taken in input order.
    placement = layered([("a1", 0), ("a2", 0), ("b1", 1), ("b2", 1)], [("a1", "b2"), ("a2", "b1")])
    assert placement.crossings == 0
    assert (placement.positions["a1"][1] < placement.positions["a2"][1]) == (
        placement.positions["b2"][1] < placement.positions["b1"][1]
    )


def test_rows_in_a_column_are_evenly_spaced_and_centred() -> None:
    placement = layered([(i, 0) for i in range(3)], [])
    assert [placement.positions[i][1] for i in range(3)] == [
        -(NODE_HEIGHT + ROW_GAP),
        0.0,
        NODE_HEIGHT + ROW_GAP,
    ]


def test_the_same_input_gives_the_same_layout() -> None:
    layers = [0, 1, 1, 1, 2, 2, -1, -1]
    edges = [(0, 3), (0, 1), (2, 5), (1, 4), (6, 0), (7, 0), (3, 4)]
    first = layered(list(enumerate(layers)), edges)
    assert layered(list(enumerate(layers)), edges) == first


def test_crossings_count_inversions() -> None:
    assert count_crossings([(0, 2), (1, 1), (2, 0)]) == 3
    assert count_crossings([(0, 0), (0, 1), (1, 0)]) == 1  # edges sharing an end never cross
    assert count_crossings([]) == 0


def test_the_viewport_shows_every_node() -> None:
    corners = [(-720.0, -300.0), (720.0, 4000.0)]
    x, y, zoom = fit_viewport(corners, min_zoom=0.05)
    slack = 1e-6  # float rounding at the edges of the screen
    for cx, cy in corners:
        assert cx * zoom + x >= -slack
        assert (cx + NODE_WIDTH) * zoom + x <= 1600 + slack
        assert cy * zoom + y >= -slack
        assert (cy + NODE_HEIGHT) * zoom + y <= 900 + slack
