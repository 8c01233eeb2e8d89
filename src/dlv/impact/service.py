"""Impact analysis: what breaks downstream, what upstream could have caused it.

The traversal runs on the process's in-memory index (brought up to date from the change log
first); the database is only asked for the facts of the nodes in the answer.
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence

from sqlalchemy.orm import Session

from dlv.errors import NotFound
from dlv.impact import repository
from dlv.impact.repository import NodeFacts
from dlv.impact.schemas import (
    CountByDistance,
    CountByKind,
    ImpactDirection,
    ImpactReport,
    LineageDirection,
    LineageEdge,
    LineageGraph,
    LineageNode,
    LineagePath,
    OwnerToNotify,
)
from dlv.lineage.index import Direction, Traversal
from dlv.lineage.live import LiveIndex
from dlv.nodes.models import NodeKind, NodeStatus

# An impact report lists every affected node; past this many it says it was cut.
IMPACT_LIMIT = 100_000


class NodeNotFound(NotFound):
    pass


class NoPath(NotFound):
    pass


def _root_pk(session: Session, node_id: uuid.UUID) -> int:
    pk = repository.pk_of(session, node_id)
    if pk is None:
        raise NodeNotFound(f"No node with id {node_id}")
    return pk


def _node(facts: NodeFacts, distance: int) -> LineageNode:
    return LineageNode(
        id=facts.id,
        kind=NodeKind(facts.kind),
        namespace=facts.namespace,
        name=facts.name,
        owner=facts.owner,
        status=NodeStatus(facts.status),
        status_message=facts.status_message,
        parent_id=facts.parent_id,
        distance=distance,
    )


def _traverse(
    session: Session,
    live: LiveIndex,
    root: int,
    direction: Direction,
    depth: int | None,
    limit: int | None,
) -> tuple[Traversal, list[tuple[int, int]]]:
    with live.lock:
        index = live.current(session)
        # Containment counts as flow: a system's failure reaches its datasets and jobs.
        found = index.traverse(
            [root], direction, max_depth=depth, limit=limit, follow_containment=True
        )
        sources, targets = index.edges_among(found.nodes)
    return found, list(zip(sources.tolist(), targets.tolist(), strict=True))


def _nodes(session: Session, found: Traversal) -> tuple[list[LineageNode], dict[int, NodeFacts]]:
    pks = found.nodes.tolist()
    facts = repository.facts(session, pks)
    # A node deleted between the traversal and this read is left out, not an error.
    nodes = [
        _node(facts[pk], d)
        for pk, d in zip(pks, found.distances.tolist(), strict=True)
        if pk in facts
    ]
    return nodes, facts


def _edges(pairs: Sequence[tuple[int, int]], facts: dict[int, NodeFacts]) -> list[LineageEdge]:
    return [
        LineageEdge(source_id=facts[s].id, target_id=facts[t].id)
        for s, t in pairs
        if s in facts and t in facts
    ]


def lineage(
    session: Session,
    live: LiveIndex,
    node_id: uuid.UUID,
    direction: LineageDirection,
    depth: int | None,
    limit: int,
) -> LineageGraph:
    """The subgraph reachable from a node: its nodes with their distance, and the edges."""
    root = _root_pk(session, node_id)
    found, pairs = _traverse(session, live, root, Direction(direction.value), depth, limit)
    nodes, facts = _nodes(session, found)
    return LineageGraph(
        root_id=node_id,
        direction=direction,
        depth=depth,
        nodes=nodes,
        edges=_edges(pairs, facts),
        truncated=found.truncated,
    )


def impact(
    session: Session,
    live: LiveIndex,
    node_id: uuid.UUID,
    direction: ImpactDirection,
    depth: int | None,
) -> ImpactReport:
    """The incident report for a node: who is affected, who to call, what is already red."""
    root = _root_pk(session, node_id)
    found, _ = _traverse(session, live, root, Direction(direction.value), depth, IMPACT_LIMIT)
    nodes, _ = _nodes(session, found)
    root_node, affected = nodes[0], nodes[1:]
    owners: dict[str | None, list[LineageNode]] = defaultdict(list)
    for node in affected:
        owners[node.owner].append(node)
    in_error = [n for n in affected if n.status == NodeStatus.error]
    causes: list[LineageNode] = []
    if direction is ImpactDirection.upstream and in_error:
        nearest = min(n.distance for n in in_error)
        causes = [n for n in in_error if n.distance == nearest]
    by_kind = Counter(n.kind for n in affected)
    by_distance = Counter(n.distance for n in affected)
    return ImpactReport(
        root=root_node,
        direction=direction,
        depth=depth,
        affected_count=len(affected),
        truncated=found.truncated,
        by_kind=[CountByKind(kind=k, count=c) for k, c in sorted(by_kind.items())],
        by_distance=[CountByDistance(distance=d, count=c) for d, c in sorted(by_distance.items())],
        owners=[
            OwnerToNotify(owner=owner, nodes=members)
            for owner, members in sorted(
                owners.items(), key=lambda kv: (kv[0] is None, kv[0] or "")
            )
        ],
        in_error=in_error,
        likely_root_causes=causes,
        affected=affected,
    )


def path(
    session: Session, live: LiveIndex, source_id: uuid.UUID, target_id: uuid.UUID
) -> LineagePath:
    """A shortest downstream path from one node to another."""
    source, target = _root_pk(session, source_id), _root_pk(session, target_id)
    with live.lock:
        index = live.current(session)
        steps = index.shortest_path(source, target, follow_containment=True)
        flows = [index.has_edge(s, t) for s, t in itertools.pairwise(steps or [])]
    if steps is None:
        raise NoPath(f"No downstream path from {source_id} to {target_id}")
    facts = repository.facts(session, steps)
    if len(facts) != len(set(steps)):
        raise NoPath(f"No downstream path from {source_id} to {target_id}")
    nodes = [_node(facts[pk], i) for i, pk in enumerate(steps)]
    edges = [
        LineageEdge(
            source_id=facts[s].id, target_id=facts[t].id, relation="flow" if flow else "contains"
        )
        for (s, t), flow in zip(itertools.pairwise(steps), flows, strict=True)
    ]
    return LineagePath(nodes=nodes, edges=edges, length=len(steps) - 1)
