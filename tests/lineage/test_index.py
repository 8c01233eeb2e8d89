"""LineageIndex against a brute-force reference (plain-Python BFS over dict adjacency)."""

from __future__ import annotations

import itertools
import random
from collections import deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from dlv.lineage.index import Direction, LineageIndex, Traversal

FAST = settings(max_examples=60, deadline=None, database=None)


class Reference:
    """The same graph as plain dicts, with obviously-correct BFS."""

    def __init__(self) -> None:
        self.edges: set[tuple[int, int]] = set()
        self.parent: dict[int, int] = {}

    @classmethod
    def of(
        cls, edges: Iterable[tuple[int, int]], parent: dict[int, int] | None = None
    ) -> Reference:
        ref = cls()
        ref.edges = set(edges)
        ref.parent = dict(parent or {})
        return ref

    def index(self) -> LineageIndex:
        src = np.array([s for s, _ in self.edges], dtype=np.int64)
        dst = np.array([t for _, t in self.edges], dtype=np.int64)
        kids = np.array(list(self.parent), dtype=np.int64)
        pars = np.array([self.parent[k] for k in self.parent], dtype=np.int64)
        return LineageIndex.build(src, dst, pars, kids)

    def step(self, node: int, up: bool, containment: bool) -> set[int]:
        if up:
            out = {s for s, t in self.edges if t == node}
            if containment and node in self.parent:
                out.add(self.parent[node])
        else:
            out = {t for s, t in self.edges if s == node}
            if containment:
                out |= {c for c, p in self.parent.items() if p == node}
        return out

    def distances(
        self, roots: list[int], up: bool, containment: bool = False, max_depth: int | None = None
    ) -> dict[int, int]:
        dist = dict.fromkeys(roots, 0)
        queue = deque(roots)
        while queue:
            node = queue.popleft()
            if max_depth is not None and dist[node] >= max_depth:
                continue
            for nxt in self.step(node, up, containment):
                if nxt not in dist:
                    dist[nxt] = dist[node] + 1
                    queue.append(nxt)
        return dist

    def traverse(
        self,
        roots: list[int],
        direction: Direction,
        containment: bool = False,
        max_depth: int | None = None,
    ) -> list[tuple[int, int]]:
        """Documented order: roots as given (deduplicated), then by (distance, id)."""
        if direction is Direction.both:
            down = self.distances(roots, False, containment, max_depth)
            up = self.distances(roots, True, containment, max_depth)
            dist = {n: min(down.get(n, 1 << 30), up.get(n, 1 << 30)) for n in down.keys() | up}
        else:
            dist = self.distances(roots, direction is Direction.upstream, containment, max_depth)
        unique_roots = list(dict.fromkeys(roots))
        rest = sorted((d, n) for n, d in dist.items() if d > 0)
        return [(r, 0) for r in unique_roots] + [(n, d) for d, n in rest]


def pairs(result: Traversal) -> list[tuple[int, int]]:
    return list(zip(result.nodes.tolist(), result.distances.tolist(), strict=True))


# -- strategies -----------------------------------------------------------------------------

NODES = 14
node_ids = st.integers(0, NODES - 1)
edge_lists = st.lists(st.tuples(node_ids, node_ids), max_size=40)
parent_maps = st.dictionaries(node_ids, node_ids, max_size=6)
root_lists = st.lists(st.integers(0, NODES + 2), min_size=1, max_size=3)
directions = st.sampled_from(list(Direction))
depths = st.one_of(st.none(), st.integers(0, 4))


def random_reference(seed: int, nodes: int, edges: int, kids: int = 0) -> Reference:
    rng = random.Random(seed)
    ref = Reference.of((rng.randrange(nodes), rng.randrange(nodes)) for _ in range(edges))
    ref.parent = {rng.randrange(nodes): rng.randrange(nodes) for _ in range(kids)}
    return ref


# -- traversal vs reference -----------------------------------------------------------------


@FAST
@given(edge_lists, parent_maps, root_lists, directions, depths, st.booleans())
def test_traverse_matches_reference_bfs(
    edges: list[tuple[int, int]],
    parent: dict[int, int],
    roots: list[int],
    direction: Direction,
    max_depth: int | None,
    containment: bool,
) -> None:
    ref = Reference.of(edges, parent)
    got = ref.index().traverse(
        roots, direction, max_depth=max_depth, follow_containment=containment
    )
    assert pairs(got) == ref.traverse(roots, direction, containment, max_depth)
    assert not got.truncated


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("direction", list(Direction))
def test_medium_random_graph_matches_reference(seed: int, direction: Direction) -> None:
    ref = random_reference(seed, nodes=400, edges=900, kids=60)
    index = ref.index()
    roots = random.Random(seed).sample(range(400), 3)
    for containment in (False, True):
        got = index.traverse(roots, direction, follow_containment=containment)
        assert pairs(got) == ref.traverse(roots, direction, containment)


@FAST
@given(edge_lists, root_lists, directions, st.data())
def test_limit_returns_prefix_of_full_result(
    edges: list[tuple[int, int]], roots: list[int], direction: Direction, data: st.DataObject
) -> None:
    ref = Reference.of(edges)
    full = ref.traverse(roots, direction)
    limit = data.draw(st.integers(1, len(full) + 1), label="limit")
    got = ref.index().traverse(roots, direction, limit=limit)
    assert pairs(got) == full[:limit]
    assert got.truncated == (len(full) > limit)


# -- traversal: specific behaviours ---------------------------------------------------------

CHAIN = Reference.of([(0, 1), (1, 2), (2, 3), (3, 4)])


def test_max_depth_zero_returns_roots_only() -> None:
    got = CHAIN.index().traverse([1], Direction.downstream, max_depth=0)
    assert pairs(got) == [(1, 0)]
    assert not got.truncated


def test_max_depth_one_returns_direct_neighbours() -> None:
    got = CHAIN.index().traverse([2], Direction.both, max_depth=1)
    assert pairs(got) == [(2, 0), (1, 1), (3, 1)]


def test_max_depth_cut_is_not_truncation() -> None:
    got = CHAIN.index().traverse([0], Direction.downstream, max_depth=2, limit=10)
    assert pairs(got) == [(0, 0), (1, 1), (2, 2)]
    assert not got.truncated


def test_limit_one_returns_first_root_only() -> None:
    got = CHAIN.index().traverse([3, 0], Direction.downstream, limit=1)
    assert pairs(got) == [(3, 0)]
    assert got.truncated


def test_limit_equal_to_result_size_is_not_truncated() -> None:
    got = CHAIN.index().traverse([0], Direction.downstream, limit=5)
    assert len(got.nodes) == 5
    assert not got.truncated


def test_limit_one_less_than_result_size_is_truncated() -> None:
    got = CHAIN.index().traverse([0], Direction.downstream, limit=4)
    assert pairs(got) == [(0, 0), (1, 1), (2, 2), (3, 3)]
    assert got.truncated


def test_limit_cuts_a_level_keeping_lowest_ids() -> None:
    fan = Reference.of([(0, 5), (0, 3), (0, 9), (0, 1)]).index()
    got = fan.traverse([0], Direction.downstream, limit=3)
    assert pairs(got) == [(0, 0), (1, 1), (3, 1)]


def test_cycle_with_self_loops_terminates() -> None:
    ring = Reference.of([(0, 1), (1, 2), (2, 0), (2, 2), (0, 0)]).index()
    got = ring.traverse([1], Direction.downstream)
    assert pairs(got) == [(1, 0), (2, 1), (0, 2)]


def test_self_referencing_chain_reaches_the_end() -> None:
    chain = Reference.of([(n, n) for n in range(4)] + [(n, n + 1) for n in range(3)]).index()
    assert pairs(chain.traverse([0], Direction.downstream)) == [(0, 0), (1, 1), (2, 2), (3, 3)]


def test_disconnected_component_is_not_reached() -> None:
    index = Reference.of([(0, 1), (2, 3)]).index()
    assert index.traverse([0], Direction.both).nodes.tolist() == [0, 1]


def test_both_is_union_not_undirected_walk() -> None:
    # 1 and 2 share the parent 0: the sibling 2 is neither up- nor downstream of 1.
    index = Reference.of([(0, 1), (0, 2), (1, 3)]).index()
    assert pairs(index.traverse([1], Direction.both)) == [(1, 0), (0, 1), (3, 1)]


def test_both_uses_smaller_distance_of_the_two_walks() -> None:
    index = Reference.of([(0, 1), (1, 2), (2, 0)]).index()
    assert pairs(index.traverse([0], Direction.both)) == [(0, 0), (1, 1), (2, 1)]


def test_containment_ignored_unless_requested() -> None:
    index = Reference.of([(1, 2)], {1: 0}).index()
    assert index.traverse([0], Direction.downstream).nodes.tolist() == [0]


def test_containment_downstream_reaches_children_and_their_consumers() -> None:
    index = Reference.of([(1, 2)], {1: 0}).index()
    got = index.traverse([0], Direction.downstream, follow_containment=True)
    assert pairs(got) == [(0, 0), (1, 1), (2, 2)]


def test_containment_upstream_reaches_parent() -> None:
    index = Reference.of([(3, 1)], {1: 0}).index()
    got = index.traverse([1], Direction.upstream, follow_containment=True)
    assert pairs(got) == [(1, 0), (0, 1), (3, 1)]


def test_unknown_root_is_returned_alone() -> None:
    index = CHAIN.index()
    assert pairs(index.traverse([10**12], Direction.both)) == [(10**12, 0)]


def test_empty_index_returns_root_alone() -> None:
    got = LineageIndex.empty().traverse([7], Direction.downstream, follow_containment=True)
    assert pairs(got) == [(7, 0)]


def test_roots_are_deduplicated_in_input_order() -> None:
    got = CHAIN.index().traverse([4, 2, 4, 0, 2], Direction.downstream, max_depth=0)
    assert got.nodes.tolist() == [4, 2, 0]


def test_empty_roots_give_empty_result() -> None:
    got = CHAIN.index().traverse([], Direction.downstream)
    assert got.nodes.size == 0
    assert not got.truncated


def test_result_arrays_have_documented_dtypes_and_are_read_only() -> None:
    got = CHAIN.index().traverse(np.array([0], dtype=np.int32), Direction.downstream)
    assert got.nodes.dtype == np.int64
    assert got.distances.dtype == np.int32
    with pytest.raises(ValueError, match="read-only"):
        got.nodes[0] = 5


def test_direction_accepts_plain_string() -> None:
    got = CHAIN.index().traverse([4], "upstream")  # type: ignore[arg-type]
    assert got.nodes.tolist() == [4, 3, 2, 1, 0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"max_depth": -1}, "max_depth"), ({"limit": 0}, "limit")],
)
def test_invalid_traverse_options_are_rejected(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CHAIN.index().traverse([0], Direction.downstream, **kwargs)  # type: ignore[arg-type]


def test_negative_root_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        CHAIN.index().traverse([-1], Direction.downstream)


def test_concurrent_reads_from_threads_agree() -> None:
    ref = random_reference(7, nodes=3_000, edges=9_000)
    index = ref.index()
    roots = list(range(0, 3_000, 60))
    expected = [pairs(index.traverse([r], Direction.both)) for r in roots]

    def run(_: int) -> list[list[tuple[int, int]]]:
        return [pairs(index.traverse([r], Direction.both)) for r in roots]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, range(4)))
    assert all(result == expected for result in results)


# -- build ----------------------------------------------------------------------------------


def test_build_stores_duplicate_edges_once() -> None:
    index = LineageIndex.build(np.array([0, 0, 1, 1]), np.array([1, 1, 1, 1]))
    assert index.edge_count == 2
    assert index.edges()[0].tolist() == [0, 1]


def test_build_ignores_containment_pairs_with_parent_minus_one() -> None:
    index = LineageIndex.build(np.array([0]), np.array([1]), np.array([-1, 0]), np.array([2, 3]))
    assert (index.parent_of(2), index.parent_of(3)) == (-1, 0)


def test_build_rejects_child_with_two_parents() -> None:
    with pytest.raises(ValueError, match="more than one parent"):
        LineageIndex.build(np.array([0]), np.array([1]), np.array([4, 5]), np.array([2, 2]))


def test_build_rejects_mismatched_edge_arrays() -> None:
    with pytest.raises(ValueError, match="same length"):
        LineageIndex.build(np.array([0, 1]), np.array([1]))


def test_build_rejects_non_integer_ids() -> None:
    with pytest.raises(TypeError, match="integers"):
        LineageIndex.build(np.array([0.0]), np.array([1.0]))


def test_build_rejects_num_nodes_below_largest_id() -> None:
    with pytest.raises(ValueError, match="num_nodes"):
        LineageIndex.build(np.array([0]), np.array([9]), num_nodes=5)


def test_build_num_nodes_presizes_arrays() -> None:
    index = LineageIndex.build(np.array([0]), np.array([1]), num_nodes=1000)
    assert index.capacity == 1000
    assert index.nbytes() >= 2 * 8 * 1000  # forward + reverse indptr at least


# -- writes ---------------------------------------------------------------------------------


def test_add_edge_is_visible_to_next_query() -> None:
    index = CHAIN.index()
    assert index.add_edge(4, 0)
    assert index.traverse([4], Direction.downstream).nodes.tolist() == [4, 0, 1, 2, 3]


def test_add_existing_edge_is_idempotent() -> None:
    index = CHAIN.index()
    assert not index.add_edge(0, 1)
    assert index.add_edge(0, 4)
    assert not index.add_edge(0, 4)
    assert index.edge_count == 5


def test_remove_missing_edge_returns_false() -> None:
    index = CHAIN.index()
    assert not index.remove_edge(1, 0)
    assert not index.remove_edge(99, 100)
    assert index.edge_count == 4


def test_remove_edge_hides_it_from_traversal_both_ways() -> None:
    index = CHAIN.index()
    assert index.remove_edge(1, 2)
    assert index.traverse([0], Direction.downstream).nodes.tolist() == [0, 1]
    assert index.traverse([4], Direction.upstream).nodes.tolist() == [4, 3, 2]
    assert not index.has_edge(1, 2)


def test_readding_a_removed_edge_reuses_its_slot() -> None:
    index = CHAIN.index()
    index.remove_edge(1, 2)
    index.add_edge(1, 2)
    assert index.has_edge(1, 2)
    assert index.pending_writes == 0
    assert index.edge_count == 4


def test_writes_accept_ids_beyond_capacity() -> None:
    index = LineageIndex.empty()
    index.add_edge(5, 1_000)
    index.set_parent(5, 2_000)
    assert index.capacity > 2_000
    got = index.traverse([2_000], Direction.downstream, follow_containment=True)
    assert pairs(got) == [(2_000, 0), (5, 1), (1_000, 2)]


def test_writes_reject_negative_ids() -> None:
    with pytest.raises(ValueError, match="outside"):
        LineageIndex.empty().add_edge(-1, 0)


def test_set_parent_moves_child_between_parents() -> None:
    index = Reference.of([], {1: 0}).index()
    index.set_parent(1, 2)
    assert index.traverse([0], Direction.downstream, follow_containment=True).nodes.tolist() == [0]
    assert index.traverse([2], Direction.downstream, follow_containment=True).nodes.tolist() == [
        2,
        1,
    ]


def test_set_parent_minus_one_clears_parent() -> None:
    index = Reference.of([], {1: 0}).index()
    index.set_parent(1, -1)
    assert index.parent_of(1) == -1
    assert index.traverse([1], Direction.upstream, follow_containment=True).nodes.tolist() == [1]


def test_remove_node_drops_edges_and_containment() -> None:
    index = Reference.of([(0, 1), (1, 2), (1, 1), (3, 1)], {1: 5, 6: 1}).index()
    index.remove_node(1)
    assert index.edge_count == 0
    assert (index.parent_of(1), index.parent_of(6)) == (-1, -1)
    for root in (0, 1, 5):
        got = index.traverse([root], Direction.both, follow_containment=True)
        assert got.nodes.tolist() == [root]


def test_compact_folds_writes_in_without_changing_answers() -> None:
    index = CHAIN.index()
    index.add_edge(4, 7)
    index.remove_edge(0, 1)
    index.set_parent(2, 9)
    before = pairs(index.traverse([9], Direction.downstream, follow_containment=True))
    index.compact()
    assert index.pending_writes == 0
    assert pairs(index.traverse([9], Direction.downstream, follow_containment=True)) == before
    assert index.edge_count == 4


def test_auto_compaction_bounds_pending_writes() -> None:
    index = LineageIndex.empty()
    for n in range(3_000):
        index.add_edge(n, n + 1)
    assert 0 < index.pending_writes <= 1_024 + 2
    assert index.edge_count == 3_000
    assert index.traverse([0], Direction.downstream).nodes.size == 3_001


def test_auto_compaction_can_be_disabled() -> None:
    index = LineageIndex.empty()
    index.auto_compact = False
    for n in range(1_500):
        index.add_edge(n, n + 1)
    assert index.pending_writes == 3_000  # forward + reverse overlay


class WritesMachine(RuleBasedStateMachine):
    """Random interleavings of writes, compactions and queries, checked after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.ref = random_reference(0, nodes=8, edges=12, kids=3)
        self.index = self.ref.index()

    @rule(s=st.integers(0, 11), t=st.integers(0, 11))
    def add_edge(self, s: int, t: int) -> None:
        assert self.index.add_edge(s, t) == ((s, t) not in self.ref.edges)
        self.ref.edges.add((s, t))

    @rule(s=st.integers(0, 11), t=st.integers(0, 11))
    def remove_edge(self, s: int, t: int) -> None:
        assert self.index.remove_edge(s, t) == ((s, t) in self.ref.edges)
        self.ref.edges.discard((s, t))

    @rule(child=st.integers(0, 11), parent=st.integers(-1, 11))
    def set_parent(self, child: int, parent: int) -> None:
        self.index.set_parent(child, parent)
        if parent == -1:
            self.ref.parent.pop(child, None)
        else:
            self.ref.parent[child] = parent

    @rule(node=st.integers(0, 11))
    def remove_node(self, node: int) -> None:
        self.index.remove_node(node)
        self.ref.edges = {(s, t) for s, t in self.ref.edges if node not in (s, t)}
        self.ref.parent = {c: p for c, p in self.ref.parent.items() if node not in (c, p)}

    @rule()
    def compact(self) -> None:
        self.index.compact()
        assert self.index.pending_writes == 0

    @rule(roots=st.lists(st.integers(0, 12), min_size=1, max_size=2), direction=directions)
    def traverse_matches_reference(self, roots: list[int], direction: Direction) -> None:
        for containment in (False, True):
            got = self.index.traverse(roots, direction, follow_containment=containment)
            assert pairs(got) == self.ref.traverse(roots, direction, containment)

    @invariant()
    def edges_match_reference(self) -> None:
        src, dst = self.index.edges()
        assert list(zip(src.tolist(), dst.tolist(), strict=True)) == sorted(self.ref.edges)
        assert self.index.edge_count == len(self.ref.edges)


TestWritesMatchReference = WritesMachine.TestCase
TestWritesMatchReference.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None, database=None
)


# -- edges_among ----------------------------------------------------------------------------


@FAST
@given(edge_lists, st.lists(st.integers(0, NODES + 3), max_size=10))
def test_edges_among_matches_reference(edges: list[tuple[int, int]], nodes: list[int]) -> None:
    src, dst = Reference.of(edges).index().edges_among(np.array(nodes, dtype=np.int64))
    expected = sorted((s, t) for s, t in set(edges) if s in nodes and t in nodes)
    assert list(zip(src.tolist(), dst.tolist(), strict=True)) == expected


def test_edges_among_includes_overlay_edges() -> None:
    index = CHAIN.index()
    index.add_edge(3, 0)
    src, dst = index.edges_among(np.array([0, 3]))
    assert (src.tolist(), dst.tolist()) == ([3], [0])


# -- shortest_path --------------------------------------------------------------------------


def test_shortest_path_to_self_is_single_node() -> None:
    assert LineageIndex.empty().shortest_path(3, 3) == [3]


def test_shortest_path_unreachable_is_none() -> None:
    assert CHAIN.index().shortest_path(4, 0) is None
    assert CHAIN.index().shortest_path(0, 99) is None


def test_shortest_path_follows_containment_only_when_asked() -> None:
    index = Reference.of([(1, 2)], {1: 0}).index()
    assert index.shortest_path(0, 2) is None
    assert index.shortest_path(0, 2, follow_containment=True) == [0, 1, 2]


def test_shortest_path_prefers_fewest_hops() -> None:
    index = Reference.of([(0, 1), (1, 2), (2, 3), (0, 3), (3, 4)]).index()
    assert index.shortest_path(0, 4) == [0, 3, 4]


def test_shortest_path_breaks_ties_by_lowest_id() -> None:
    diamond = Reference.of([(0, 2), (0, 1), (2, 3), (1, 3)]).index()
    assert diamond.shortest_path(0, 3) == [0, 1, 3]


@FAST
@given(edge_lists, parent_maps, node_ids, node_ids, st.booleans())
def test_shortest_path_is_a_valid_shortest_path(
    edges: list[tuple[int, int]], parent: dict[int, int], s: int, t: int, containment: bool
) -> None:
    ref = Reference.of(edges, parent)
    path = ref.index().shortest_path(s, t, follow_containment=containment)
    expected = ref.distances([s], up=False, containment=containment).get(t)
    if expected is None:
        assert path is None
        return
    assert path is not None
    assert (path[0], path[-1], len(path) - 1) == (s, t, expected)
    for a, b in itertools.pairwise(path):
        assert b in ref.step(a, up=False, containment=containment)


@pytest.mark.parametrize("seed", range(3))
def test_shortest_path_on_medium_graph_matches_reference_length(seed: int) -> None:
    ref = random_reference(seed, nodes=300, edges=700)
    index = ref.index()
    rng = random.Random(seed)
    for _ in range(20):
        s, t = rng.randrange(300), rng.randrange(300)
        path = index.shortest_path(s, t)
        expected = ref.distances([s], up=False).get(t)
        assert (None if path is None else len(path) - 1) == expected


def test_upstream_without_climbing_leaves_containers_out() -> None:
    # 1 contains 2; 3 -> 2 is flow.
    index = LineageIndex.build([3], [2], parents=[1], children=[2])
    found = index.traverse(
        [2], Direction.upstream, follow_containment=True, upstream_containment=False
    )
    assert found.nodes.tolist() == [2, 3]


def test_upstream_descends_into_what_the_root_contains_only() -> None:
    # DAG 1 contains tasks 2 and 3; 4 -> 2 is flow; 5 contains 4 (its children stay out).
    index = LineageIndex.build([4], [2], parents=[1, 1, 5, 5], children=[2, 3, 4, 6])
    found = index.traverse([1], Direction.upstream, follow_containment=False, descend_upstream=True)
    assert dict(zip(found.nodes.tolist(), found.distances.tolist(), strict=True)) == {
        1: 0,
        2: 1,
        3: 1,
        4: 2,
    }
    assert index.descendants(np.array([5], dtype=np.int64)).tolist() == [4, 5, 6]


def test_children_among_keeps_pairs_inside_the_set() -> None:
    index = LineageIndex.build([], [], parents=[1, 1, 7], children=[2, 3, 8])
    parents, children = index.children_among(np.array([1, 2, 8], dtype=np.int64))
    assert list(zip(parents.tolist(), children.tolist(), strict=True)) == [(1, 2)]
