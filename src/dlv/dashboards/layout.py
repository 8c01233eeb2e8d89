"""A readable first layout for a lineage subgraph: columns by distance, few crossings.

Pure computation (no I/O). A simplified Sugiyama layout: each node's column is given (its
signed distance from the root: upstream to the left, downstream to the right); within a
column, nodes are ordered by the barycenter heuristic, sweeping left-to-right and back a few
times and keeping the order with the fewest crossings between neighbouring columns. Every
node has the same size and sits in its own row slot, so nodes never overlap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

NODE_WIDTH = 240.0
NODE_HEIGHT = 64.0
COLUMN_GAP = 120.0
ROW_GAP = 32.0
SWEEPS = 4
# The viewport is fitted to a canvas of about this size; the UI may refit on load.
SCREEN_WIDTH = 1600.0
SCREEN_HEIGHT = 900.0


@dataclass(frozen=True)
class Placement(Generic[K]):
    positions: dict[K, tuple[float, float]]  # top-left corner of each node
    crossings: int  # edge crossings between neighbouring columns, after ordering


def _centred(column: Sequence[K]) -> dict[K, float]:
    middle = (len(column) - 1) / 2
    return {key: i - middle for i, key in enumerate(column)}


def count_crossings(pairs: Iterable[tuple[float, float]]) -> int:
    """Crossings among edges between two neighbouring columns, each given as (its y in the
    left column, its y in the right column). O(E log E): inversions counted with a Fenwick tree.
    """
    ordered = sorted(pairs)
    ranks = {y: i + 1 for i, y in enumerate(sorted({right for _, right in ordered}))}
    tree = [0] * (len(ranks) + 1)
    count = 0
    for seen, (_, right) in enumerate(ordered):
        # Edges seen so far start higher on the left; those ending lower on the right cross.
        r, not_below = ranks[right], 0
        while r > 0:
            not_below += tree[r]
            r -= r & -r
        count += seen - not_below
        r = ranks[right]
        while r < len(tree):
            tree[r] += 1
            r += r & -r
    return count


class _Ordering(Generic[K]):
    def __init__(self, layers: dict[K, int], edges: Iterable[tuple[K, K]]) -> None:
        self.layers = layers
        self.columns: dict[int, list[K]] = defaultdict(list)
        for key, layer in layers.items():
            self.columns[layer].append(key)
        self.order = sorted(self.columns)
        # Insertion-ordered (a dict, not a set) so float sums, hence ties, never vary by run.
        self.neighbours: dict[K, dict[K, None]] = defaultdict(dict)
        # A set: a -> b and b -> a (or a repeated edge) draw one line between the columns.
        self.adjacent: dict[int, set[tuple[K, K]]] = defaultdict(set)
        for a, b in edges:
            if a not in layers or b not in layers or layers[a] == layers[b]:
                continue  # same-column edges (cycles) do not inform the order
            self.neighbours[a][b] = None
            self.neighbours[b][a] = None
            left, right = (a, b) if layers[a] < layers[b] else (b, a)
            if layers[right] - layers[left] == 1:
                self.adjacent[layers[left]].add((left, right))
        self.pos: dict[K, float] = {}
        for column in self.columns.values():
            self.pos.update(_centred(column))

    def _reorder(self, layer: int, from_left: bool) -> None:
        # Barycenter: each node moves to the mean position of its neighbours on the side
        # already placed in this sweep (all columns on that side, so long edges count too).
        column = self.columns[layer]
        keys: dict[K, float] = {}
        for key in column:
            near = [
                self.pos[n] for n in self.neighbours[key] if (self.layers[n] < layer) == from_left
            ]
            keys[key] = sum(near) / len(near) if near else self.pos[key]
        column.sort(key=keys.__getitem__)  # stable: ties keep their current order
        self.pos.update(_centred(column))

    def sweep(self) -> None:
        for layer in self.order[1:]:
            self._reorder(layer, from_left=True)
        for layer in reversed(self.order[:-1]):
            self._reorder(layer, from_left=False)

    def crossings(self) -> int:
        return sum(
            count_crossings([(self.pos[u], self.pos[v]) for u, v in pairs])
            for pairs in self.adjacent.values()
        )


def layered(
    nodes: Sequence[tuple[K, int]], edges: Iterable[tuple[K, K]], sweeps: int = SWEEPS
) -> Placement[K]:
    """Positions for ``nodes`` (key, column), ordered to reduce crossings of ``edges``.

    The input order is the starting order within each column (and breaks ties), so the
    result is deterministic. Column ``c`` sits at ``x = c * (NODE_WIDTH + COLUMN_GAP)``.
    """
    layers = dict(nodes)
    state = _Ordering(layers, edges)
    best = {layer: list(column) for layer, column in state.columns.items()}
    fewest = state.crossings()
    for _ in range(sweeps):
        if fewest == 0:
            break
        state.sweep()
        found = state.crossings()
        if found < fewest:
            fewest, best = found, {layer: list(c) for layer, c in state.columns.items()}
    positions: dict[K, tuple[float, float]] = {}
    for layer, column in best.items():
        x = layer * (NODE_WIDTH + COLUMN_GAP)
        for key, slot in _centred(column).items():
            positions[key] = (x, slot * (NODE_HEIGHT + ROW_GAP))
    return Placement(positions, fewest)


def fit_viewport(
    corners: Iterable[tuple[float, float]], min_zoom: float, max_zoom: float = 1.0
) -> tuple[float, float, float]:
    """(x, y, zoom) showing every node of the given top-left corners, centred."""
    points = list(corners)
    if not points:
        return (0.0, 0.0, 1.0)
    left = min(x for x, _ in points)
    top = min(y for _, y in points)
    width = max(x for x, _ in points) + NODE_WIDTH - left
    height = max(y for _, y in points) + NODE_HEIGHT - top
    zoom = max(min_zoom, min(max_zoom, SCREEN_WIDTH / width, SCREEN_HEIGHT / height))
    x = (SCREEN_WIDTH - width * zoom) / 2 - left * zoom
    y = (SCREEN_HEIGHT - height * zoom) / 2 - top * zoom
    return (x, y, zoom)
