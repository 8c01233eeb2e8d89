"""The catalog nodes and edges a layout names: checked on write, looked up on read.

A layout references nodes by UUID, not by foreign key, so a node deleted from the catalog
leaves the dashboard loadable; it is reported as missing.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from dlv.dashboards import repository
from dlv.dashboards.canvas import At, Layout, layout_problems
from dlv.dashboards.schemas import DashboardEdge, NodeFacts
from dlv.errors import FieldError, InvalidInput
from dlv.nodes.models import NodeKind, NodeStatus

MAX_LISTED_ERRORS = 100


def check(session: Session, layout: Layout, previous: Layout | None, at: At) -> None:
    """Refuse an inconsistent layout or one naming unknown nodes or edges.

    References already on the stored layout may be stale (deleted from the catalog since):
    the client echoes them back, and refusing them would make the dashboard unsavable.
    """
    problems = layout_problems(layout, at)
    if problems:
        first = problems[0]
        raise InvalidInput(
            f"Invalid layout: {first['field']}: {first['message']}",
            errors=problems[:MAX_LISTED_ERRORS],
        )
    kept_nodes = {n.node_id for n in previous.nodes} if previous else set()
    kept_edges = set(previous.hidden_edge_ids) if previous else set()
    new_nodes = {n.node_id for n in layout.nodes} - kept_nodes
    unknown = new_nodes - repository.nodes_by_id(session, new_nodes).keys()
    new_edges = set(layout.hidden_edge_ids) - kept_edges
    unknown_edges = new_edges - repository.existing_edges(session, new_edges)
    if not unknown and not unknown_edges:
        return
    errors = [
        FieldError(at("nodes", i, "node_id"), "unknown node")
        for i, n in enumerate(layout.nodes)
        if n.node_id in unknown
    ] + [
        FieldError(at("hidden_edge_ids", i), "unknown edge")
        for i, e in enumerate(layout.hidden_edge_ids)
        if e in unknown_edges
    ]
    raise InvalidInput(
        f"The layout names {len(unknown)} unknown node(s) and {len(unknown_edges)} unknown "
        "edge(s); see unknown_node_ids and unknown_edge_ids",
        errors=errors[:MAX_LISTED_ERRORS],
        extra={
            "unknown_node_ids": sorted(str(n) for n in unknown),
            "unknown_edge_ids": sorted(str(e) for e in unknown_edges),
        },
    )


def live_facts(session: Session, layout: Layout) -> tuple[list[NodeFacts], list[DashboardEdge]]:
    """Each node's current catalog facts (aligned with ``layout.nodes``), and the catalog
    edges among them minus the hidden ones."""
    rows = repository.nodes_by_id(session, {n.node_id for n in layout.nodes})
    # model_construct: these values come from the database, already typed; validating
    # 5,000 nodes and their edges one model at a time would dominate a GET.
    facts = []
    for placed in layout.nodes:
        row = rows.get(placed.node_id)
        facts.append(
            NodeFacts.model_construct(
                node_id=placed.node_id,
                missing=row is None,
                kind=NodeKind(row.kind) if row else None,
                namespace=row.namespace if row else None,
                name=row.name if row else None,
                owner=row.owner if row else None,
                status=NodeStatus(row.status) if row else None,
                status_message=row.status_message if row else None,
            )
        )
    ids: dict[int, uuid.UUID] = {row.pk: row.id for row in rows.values()}
    hidden = set(layout.hidden_edge_ids)
    found = sorted(
        (s, t, edge_id)
        for edge_id, s, t in repository.edges_among(session, ids)
        if edge_id not in hidden
    )
    edges = [
        DashboardEdge.model_construct(id=edge_id, source_id=ids[s], target_id=ids[t])
        for s, t, edge_id in found
    ]
    return facts, edges
