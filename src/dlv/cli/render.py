"""What the remote commands print: pure functions from the API's JSON to text.

A node is shown as ``namespace/name``, the form ``dlv lineage`` and ``dlv impact`` accept
back. Status is always written out; color (``style=True``) only adds to it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import typer

Node = dict[str, Any]
# The columns of the server's own impact CSV (GET .../impact?format=csv), in its order.
CSV_COLUMNS = ("id", "kind", "namespace", "name", "owner", "owners", "status", "distance")
STATUS_COLORS = {
    "error": typer.colors.RED,
    "at_risk": typer.colors.YELLOW,
    "ok": typer.colors.GREEN,
}
TABLE_HEADER = ("NODE", "KIND", "STATUS", "OWNERS", "DISTANCE")
UNICODE_BRANCHES = ("├── ", "└── ", "│   ", "    ")
ASCII_BRANCHES = ("|-- ", "`-- ", "|   ", "    ")
MAX_INDENT = 40
DEEP = "… "
HOLDS = "holds "  # before a node its parent contains (a system's table, a DAG's task)


def label(node: Node) -> str:
    return f"{node['namespace']}/{node['name']}"


def status(value: str, style: bool) -> str:
    if not style:
        return value
    color = STATUS_COLORS.get(value)
    if color is None:
        return typer.style(value, dim=True)
    return typer.style(value, fg=color, bold=value == "error")


def owners(node: Node) -> str:
    return ", ".join(node.get("owners") or [])


def describe(node: Node, style: bool = False) -> str:
    """One node on one line: ``ns/name  [kind, status]  owners``."""
    text = f"{label(node)}  [{node['kind']}, {status(node['status'], style)}]"
    return f"{text}  {owners(node)}" if node.get("owners") else text


def _children(graph: Node, upstream: bool) -> dict[str, list[tuple[str, bool]]]:
    """Each node's children in the tree, with whether it holds them (containment)."""
    children: dict[str, list[tuple[str, bool]]] = {}
    for edge in graph["edges"]:
        parent, child = edge["source_id"], edge["target_id"]
        contains = edge.get("relation", "flow") == "contains"
        # Upstream walks flow backwards but still goes down into what a node holds (a DAG
        # fails because of its tasks): a containment edge is never turned round.
        if upstream and not contains:
            parent, child = child, parent
        children.setdefault(parent, []).append((child, contains))
    return children


def _indent(prefix: str, extend: str, level: int) -> str:
    """The indentation of the next level, at most MAX_INDENT levels wide: a chain thousands
    of hops deep would otherwise print (and hold) a square of blanks. Deeper levels start
    with an ellipsis and show only their nearest MAX_INDENT levels."""
    if level < MAX_INDENT:
        return prefix + extend
    kept = prefix if level == MAX_INDENT else prefix[len(DEEP) + len(extend) :]
    return DEEP + kept + extend


def _tree(graph: Node, upstream: bool, style: bool, unicode: bool) -> list[str]:
    nodes = {n["id"]: n for n in graph["nodes"]}
    children = _children(graph, upstream)
    tee, last, pipe, blank = UNICODE_BRANCHES if unicode else ASCII_BRANCHES
    root = str(graph["root_id"])

    def key(node_id: str) -> tuple[int, str]:
        return nodes[node_id]["distance"], label(nodes[node_id])

    # A node reached several ways (a diamond) is written out once, under its nearest parent,
    # so it sits at its own distance; elsewhere a line points there.
    home: dict[str, str] = {}
    for parent in sorted((p for p in children if p in nodes), key=key):
        for child, _ in children[parent]:
            if child in nodes and child not in home and key(parent) < key(child):
                home[child] = parent

    def below(node_id: str) -> list[tuple[str, bool]]:
        """Its children, last first: popped from the end (a system may hold thousands)."""
        found = [c for c in children.get(node_id, []) if c[0] in nodes]
        return sorted(found, key=lambda c: key(c[0]), reverse=True)

    lines = [describe(nodes[root], style)]
    shown = {root}
    # Iterative depth-first walk: a lineage may be thousands of hops deep.
    stack = [(root, below(root), "", 0)]
    while stack:
        parent, pending, prefix, level = stack[-1]
        if not pending:
            stack.pop()
            continue
        node_id, contains = pending.pop()
        branch, extend = (last, blank) if not pending else (tee, pipe)
        branch += HOLDS if contains else ""
        node = nodes[node_id]
        nearest = home.get(node_id)
        if node_id in shown or nearest not in (None, parent):
            where = f"under {label(nodes[nearest])}" if nearest else "above"
            lines.append(f"{prefix}{branch}{label(node)}  (listed {where})")
            continue
        shown.add(node_id)
        lines.append(f"{prefix}{branch}{describe(node, style)}")
        stack.append((node_id, below(node_id), _indent(prefix, extend, level + 1), level + 1))
    return lines


def lineage_tree(graph: Node, style: bool = False, unicode: bool = True) -> list[str]:
    """The lineage graph as an indented tree from its root (both directions: two trees)."""
    direction = graph["direction"]
    if direction != "both":
        return _tree(graph, direction == "upstream", style, unicode)
    return [
        "upstream:",
        *_tree(graph, True, style, unicode),
        "",
        "downstream:",
        *_tree(graph, False, style, unicode),
    ]


def _sorted(nodes: Iterable[Node]) -> list[Node]:
    return sorted(nodes, key=lambda n: (n["distance"], label(n)))


def table(nodes: Iterable[Node], style: bool = False) -> list[str]:
    """Nodes as aligned columns: node, kind, status, owners, distance."""
    rows = [
        (label(n), n["kind"], n["status"], owners(n) or "-", str(n["distance"]))
        for n in _sorted(nodes)
    ]
    widths = [max(len(row[i]) for row in [TABLE_HEADER, *rows]) for i in range(4)]
    lines = []
    for index, row in enumerate([TABLE_HEADER, *rows]):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        if style and index > 0:  # padded first: escape codes have no width on screen
            cells[2] = status(row[2], style) + " " * (widths[2] - len(row[2]))
        lines.append("  ".join([*cells, row[4]]))
    return lines


def impact_summary(report: Node) -> str:
    """The line above the table: the root, the direction, the counts."""
    root = report["root"]
    count = report["affected_count"]
    parts = [f"{count} node{'' if count == 1 else 's'}"]
    parts.append(f"{len(report['in_error'])} in error")
    parts.append(f"{len(report['at_risk'])} at risk")
    about = f"{label(root)} ({root['kind']}, {root['status']})"
    return f"impact of {about}, {report['direction']}: " + ", ".join(parts)


def impact_lines(report: Node, style: bool = False) -> list[str]:
    lines = [impact_summary(report)]
    if report["affected"]:
        lines += ["", *table(report["affected"], style)]
    return lines


def csv_text(nodes: Iterable[Node]) -> str:
    """Nodes as CSV with the columns of the server's impact CSV (owners joined by ``; ``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for node in _sorted(nodes):
        row = {**node, "owners": "; ".join(node.get("owners") or [])}
        writer.writerow(["" if row.get(c) is None else row[c] for c in CSV_COLUMNS])
    return out.getvalue()


def candidate_lines(nodes: Iterable[Node]) -> list[str]:
    """Nodes a name could mean, one a line with what tells them apart."""
    return [f"  {label(n)}  [{n['kind']}]  {n['id']}" for n in nodes]


def failing(nodes: Iterable[Node], statuses: frozenset[str]) -> list[Node]:
    """The nodes whose status is one of ``statuses``, nearest first."""
    return [n for n in _sorted(nodes) if n["status"] in statuses]
