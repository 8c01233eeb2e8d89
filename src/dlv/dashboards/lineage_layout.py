"""A first map of a node's lineage: upstream columns to the left, downstream to the right."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from dlv.dashboards import repository
from dlv.dashboards.canvas import MIN_ZOOM, Layout, LayoutNode, Viewport
from dlv.dashboards.layout import NODE_HEIGHT, NODE_WIDTH, fit_viewport, layered
from dlv.impact import service as impact_service
from dlv.impact.schemas import LineageDirection, LineageGraph, LineageNode
from dlv.lineage.live import LiveIndex


def signed_layers(
    session: Session,
    live: LiveIndex,
    root_id: uuid.UUID,
    direction: LineageDirection,
    depth: int | None,
    limit: int,
) -> tuple[dict[uuid.UUID, int], dict[uuid.UUID, LineageNode], bool]:
    """Each node's column: its distance, negative upstream; nearest ``limit`` nodes kept.

    ``both`` walks each way separately: the union walk only knows the smaller distance, not
    which side of the root a node is on. A node on both sides (a cycle through the root)
    takes the nearer one, downstream on a tie.
    """
    walks = (
        [LineageDirection.downstream, LineageDirection.upstream]
        if direction is LineageDirection.both
        else [direction]
    )
    layers: dict[uuid.UUID, int] = {}
    nodes: dict[uuid.UUID, LineageNode] = {}
    truncated = False
    for walk in walks:
        graph = LineageGraph.model_validate(
            impact_service.lineage(session, live, root_id, walk, depth, limit)
        )
        truncated = truncated or graph.truncated
        sign = -1 if walk is LineageDirection.upstream else 1
        for node in graph.nodes:
            if node.id not in layers or node.distance < abs(layers[node.id]):
                layers[node.id] = sign * node.distance
                nodes[node.id] = node
    if len(layers) > limit:
        keep = sorted(layers, key=lambda n: abs(layers[n]))[:limit]  # stable: BFS order
        layers = {n: layers[n] for n in keep}
        truncated = True
    return layers, nodes, truncated


def build(
    session: Session,
    live: LiveIndex,
    root_id: uuid.UUID,
    direction: LineageDirection,
    depth: int | None,
    limit: int,
) -> tuple[Layout, bool]:
    """The layout of the lineage of ``root_id``, and whether ``limit`` cut it."""
    layers, nodes, truncated = signed_layers(session, live, root_id, direction, depth, limit)
    rows = repository.nodes_by_id(session, layers)
    # A node deleted between the walk and this read is simply left out.
    ids = [n for n in layers if n in rows]
    by_pk = {rows[n].pk: n for n in ids}
    edges = [(by_pk[s], by_pk[t]) for _, s, t in repository.edges_among(session, by_pk)]
    # The walk follows containment too (a system reaches its tables): order by it as well.
    for n in ids:
        parent = nodes[n].parent_id
        if parent is not None and parent in rows:
            edges.append((parent, n))
    order = sorted(
        ids, key=lambda n: (n != root_id, abs(layers[n]), rows[n].namespace, rows[n].name)
    )
    placement = layered([(n, layers[n]) for n in order], edges)
    x, y, zoom = fit_viewport(placement.positions.values(), MIN_ZOOM)
    return (
        Layout(
            nodes=[
                LayoutNode(
                    node_id=n,
                    x=placement.positions[n][0],
                    y=placement.positions[n][1],
                    width=NODE_WIDTH,
                    height=NODE_HEIGHT,
                )
                for n in order
            ],
            viewport=Viewport(x=x, y=y, zoom=zoom),
        ),
        truncated,
    )
