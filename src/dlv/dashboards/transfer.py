"""Layouts between their stored form (node UUIDs) and their portable form (natural keys).

A UUID means nothing on another instance; ``{namespace, name}`` does. Edge ids are replaced
by their two ends for the same reason.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dlv.dashboards import repository
from dlv.dashboards.canvas import At, Layout, LayoutDocument, document_problems
from dlv.errors import FieldError


def _key(namespace: str, name: str) -> dict[str, str]:
    return {"namespace": namespace, "name": name}


def export_layout(session: Session, layout: Layout) -> dict[str, Any]:
    """The portable form; nodes and edges deleted from the catalog have no key and are left out."""
    rows = repository.nodes_by_id(session, {n.node_id for n in layout.nodes})
    keys = {node_id: _key(row.namespace, row.name) for node_id, row in rows.items()}
    ends = repository.edge_keys(session, layout.hidden_edge_ids)
    nodes = [
        {**n.model_dump(mode="json", exclude={"node_id"}), "node": keys[n.node_id]}
        for n in layout.nodes
        if n.node_id in keys
    ]
    groups = [
        {
            **g.model_dump(mode="json", exclude={"node_ids"}),
            "nodes": [keys[m] for m in g.node_ids if m in keys],
        }
        for g in layout.groups
    ]
    hidden = [
        {"source": _key(*ends[e][0]), "target": _key(*ends[e][1])}
        for e in layout.hidden_edge_ids
        if e in ends
    ]
    return {
        "nodes": nodes,
        "groups": groups,
        "notes": [n.model_dump(mode="json") for n in layout.notes],
        "viewport": layout.viewport.model_dump(mode="json"),
        "hidden_edges": hidden,
    }


def import_layout(
    session: Session, document: LayoutDocument, at: At
) -> tuple[Layout | None, list[FieldError]]:
    """The stored form of a portable layout, or the problems (unknown nodes and edges)."""
    problems = document_problems(document, at)
    if problems:
        return None, problems
    wanted = {n.node.key() for n in document.nodes}
    wanted.update(k.key() for e in document.hidden_edges for k in (e.source, e.target))
    rows = repository.nodes_by_key(session, wanted)
    for i, node in enumerate(document.nodes):
        if node.node.key() not in rows:
            problems.append(
                FieldError(
                    at("nodes", i, "node"),
                    f"no node {node.node.name!r} in namespace {node.node.namespace!r}",
                )
            )
    pairs: list[tuple[int, int] | None] = []
    for edge in document.hidden_edges:
        source, target = rows.get(edge.source.key()), rows.get(edge.target.key())
        pairs.append((source.pk, target.pk) if source and target else None)
    edge_ids = repository.edge_ids_by_ends(session, [p for p in pairs if p is not None])
    for k, pair in enumerate(pairs):
        if pair is None or pair not in edge_ids:
            problems.append(FieldError(at("hidden_edges", k), "no such edge in the catalog"))
    if problems:
        return None, problems
    data = {
        "nodes": [
            {**n.model_dump(mode="json", exclude={"node"}), "node_id": rows[n.node.key()].id}
            for n in document.nodes
        ],
        "groups": [
            {
                **g.model_dump(mode="json", exclude={"nodes"}),
                "node_ids": [rows[m.key()].id for m in g.nodes],
            }
            for g in document.groups
        ],
        "notes": [n.model_dump(mode="json") for n in document.notes],
        "viewport": document.viewport.model_dump(mode="json"),
        "hidden_edge_ids": [edge_ids[p] for p in pairs if p is not None],
    }
    return Layout.model_validate(data), []
