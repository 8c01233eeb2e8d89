"""What ``dlv lineage`` and ``dlv impact`` print, from API answers, without a server."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from dlv.cli import render


def node(name: str, distance: int, status: str = "ok", owners: tuple[str, ...] = ()) -> Any:
    return {
        "id": name,
        "kind": "dataset",
        "namespace": "wh",
        "name": name,
        "owner": owners[0] if owners else None,
        "owners": list(owners),
        "status": status,
        "distance": distance,
    }


def flow(source: str, target: str) -> dict[str, str]:
    return {"source_id": source, "target_id": target, "relation": "flow"}


# a -> b -> d, a -> c -> d (a diamond), and the system s containing a (not data flow).
DIAMOND = {
    "root_id": "a",
    "direction": "downstream",
    "nodes": [node("a", 0), node("b", 1, owners=("team:x",)), node("c", 1), node("d", 2)],
    "edges": [
        flow("a", "b"),
        flow("a", "c"),
        flow("b", "d"),
        flow("c", "d"),
        {"source_id": "s", "target_id": "a", "relation": "contains"},
    ],
    "truncated": False,
}


def test_a_diamond_is_a_tree_that_writes_a_shared_node_out_once() -> None:
    assert render.lineage_tree(DIAMOND) == [
        "wh/a  [dataset, ok]",
        "├── wh/b  [dataset, ok]  team:x",
        "│   └── wh/d  [dataset, ok]",
        "└── wh/c  [dataset, ok]",
        "    └── wh/d  (listed under wh/b)",
    ]


def test_a_node_is_written_out_under_its_nearest_parent() -> None:
    # a -> b -> x -> d and a -> c -> d: d is 2 hops away, through c, not 3 through x.
    graph = {
        **DIAMOND,
        "nodes": [node("a", 0), node("b", 1), node("c", 1), node("x", 2), node("d", 2)],
        "edges": [flow("a", "b"), flow("a", "c"), flow("b", "x"), flow("x", "d"), flow("c", "d")],
    }
    assert render.lineage_tree(graph) == [
        "wh/a  [dataset, ok]",
        "├── wh/b  [dataset, ok]",
        "│   └── wh/x  [dataset, ok]",
        "│       └── wh/d  (listed under wh/c)",
        "└── wh/c  [dataset, ok]",
        "    └── wh/d  [dataset, ok]",
    ]


def test_without_unicode_the_tree_is_drawn_in_ascii() -> None:
    lines = render.lineage_tree(DIAMOND, unicode=False)
    assert lines[1] == "|-- wh/b  [dataset, ok]  team:x"
    assert lines[4] == "    `-- wh/d  (listed under wh/b)"


def test_upstream_follows_edges_backwards() -> None:
    graph = {**DIAMOND, "root_id": "d", "direction": "upstream"}
    assert [line.split("  [")[0].split("  (")[0] for line in render.lineage_tree(graph)] == [
        "wh/d",
        "├── wh/b",
        "│   └── wh/a",
        "└── wh/c",
        "    └── wh/a",
    ]


SYSTEM = {
    "root_id": "s",
    "direction": "downstream",
    "nodes": [{**node("s", 0), "kind": "postgres"}, node("a", 1), node("b", 2)],
    "edges": [{"source_id": "s", "target_id": "a", "relation": "contains"}, flow("a", "b")],
    "truncated": False,
}


def test_what_a_system_holds_is_in_its_tree() -> None:
    assert render.lineage_tree(SYSTEM) == [
        "wh/s  [postgres, ok]",
        "└── holds wh/a  [dataset, ok]",
        "    └── wh/b  [dataset, ok]",
    ]


def test_upstream_still_goes_down_into_what_a_node_holds() -> None:
    graph = {**SYSTEM, "direction": "upstream"}
    assert render.lineage_tree(graph) == ["wh/s  [postgres, ok]", "└── holds wh/a  [dataset, ok]"]


def test_a_cycle_ends() -> None:
    graph = {**DIAMOND, "edges": [flow("a", "b"), flow("b", "a")]}
    assert render.lineage_tree(graph)[-1] == "    └── wh/a  (listed above)"


def test_the_table_aligns_its_columns_nearest_first() -> None:
    rows = [node("far_away", 2, "error"), node("b", 1, owners=("ann", "bo"))]
    assert render.table(rows) == [
        "NODE         KIND     STATUS  OWNERS   DISTANCE",
        "wh/b         dataset  ok      ann, bo  1",
        "wh/far_away  dataset  error   -        2",
    ]


def test_color_keeps_the_status_word_and_the_alignment() -> None:
    rows = [node("b", 1, "error"), node("c", 2, "at_risk")]
    styled = render.table(rows, style=True)
    assert "\x1b[" in styled[1]
    assert [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in styled] == render.table(rows)


def test_csv_has_the_servers_columns_and_joins_owners() -> None:
    text = render.csv_text([node("b", 1, owners=("ann", "bo"))])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(render.CSV_COLUMNS)
    assert rows[0]["owners"] == "ann; bo"
    assert rows[0]["owner"] == "ann"


def test_failing_picks_the_statuses_asked_for() -> None:
    nodes = [node("a", 1, "at_risk"), node("b", 2, "error"), node("c", 1)]
    assert [n["name"] for n in render.failing(nodes, frozenset({"error"}))] == ["b"]
    both = frozenset({"error", "at_risk"})
    assert [n["name"] for n in render.failing(nodes, both)] == ["a", "b"]


def test_a_very_deep_chain_keeps_its_lines_short() -> None:
    count = 500
    graph = {
        "root_id": "0",
        "direction": "downstream",
        "nodes": [node(str(i), i) for i in range(count)],
        "edges": [flow(str(i), str(i + 1)) for i in range(count - 1)],
    }
    lines = render.lineage_tree(graph)
    assert len(lines) == count
    assert lines[-1].startswith(render.DEEP)
    assert lines[-1].endswith("└── wh/499  [dataset, ok]")
    assert max(map(len, lines)) < 4 * render.MAX_INDENT + 40
