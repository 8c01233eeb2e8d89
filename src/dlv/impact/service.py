"""Impact analysis: what breaks downstream, what upstream could have caused it.

The traversal runs on the process's in-memory index (brought up to date from the change log
first); the database is only asked for the facts of the nodes in the answer.
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter, defaultdict
from typing import Any, cast

import numpy as np
from sqlalchemy.orm import Session

from dlv.errors import NotFound
from dlv.impact import repository
from dlv.impact.schemas import (
    ImpactDirection,
    LineageDirection,
    LineageEdge,
    LineageNode,
    LineagePath,
)
from dlv.lineage.index import Direction, Traversal
from dlv.lineage.live import LiveIndex
from dlv.nodes.models import NodeStatus

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


# Answers are built as plain JSON-ready dicts: they can hold 100,000 nodes, and a pydantic
# object per node and edge costs more than the traversal. The routes declare the pydantic
# models (LineageGraph, ImpactReport) for the schema; the test suite checks the two agree.
JsonNode = dict[str, Any]


def _traverse(
    session: Session,
    live: LiveIndex,
    root: int,
    direction: Direction,
    depth: int | None,
    limit: int | None,
    *,
    with_edges: bool,
) -> tuple[Traversal, tuple[list[int], list[int]]]:
    with live.lock:
        index = live.current(session)
        # Containment counts as flow: a system's failure reaches its datasets and jobs.
        found = index.traverse(
            [root], direction, max_depth=depth, limit=limit, follow_containment=True
        )
        sources, targets = (
            index.edges_among(found.nodes)
            if with_edges
            else (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
        )
    return found, (cast(list[int], sources.tolist()), cast(list[int], targets.tolist()))


def _nodes(session: Session, found: Traversal) -> tuple[list[JsonNode], dict[int, JsonNode]]:
    pks: list[int] = found.nodes.tolist()
    facts = repository.facts(session, pks)
    nodes = []
    for pk, distance in zip(pks, found.distances.tolist(), strict=True):
        node = facts.get(pk)
        if node is not None:  # deleted between the traversal and this read: left out
            node["distance"] = distance
            nodes.append(node)
    return nodes, facts


def lineage(
    session: Session,
    live: LiveIndex,
    node_id: uuid.UUID,
    direction: LineageDirection,
    depth: int | None,
    limit: int,
) -> dict[str, Any]:
    """The subgraph reachable from a node (a LineageGraph as JSON-ready data)."""
    root = _root_pk(session, node_id)
    found, (sources, targets) = _traverse(
        session, live, root, Direction(direction.value), depth, limit, with_edges=True
    )
    nodes, facts = _nodes(session, found)
    ids = {pk: f["id"] for pk, f in facts.items()}
    edges = [
        {"source_id": ids[s], "target_id": ids[t], "relation": "flow"}
        for s, t in zip(sources, targets, strict=True)
        if s in ids and t in ids
    ]
    return {
        "root_id": str(node_id),
        "direction": direction.value,
        "depth": depth,
        "nodes": nodes,
        "edges": edges,
        "truncated": found.truncated,
    }


def impact(
    session: Session,
    live: LiveIndex,
    node_id: uuid.UUID,
    direction: ImpactDirection,
    depth: int | None,
) -> dict[str, Any]:
    """The incident report for a node (an ImpactReport as JSON-ready data)."""
    root = _root_pk(session, node_id)
    found, _ = _traverse(
        session, live, root, Direction(direction.value), depth, IMPACT_LIMIT, with_edges=False
    )
    nodes, _ = _nodes(session, found)
    root_node, affected = nodes[0], nodes[1:]
    owners: dict[str | None, list[JsonNode]] = defaultdict(list)
    for node in affected:
        owners[node["owner"]].append(node)
    in_error = [n for n in affected if n["status"] == NodeStatus.error]
    causes: list[JsonNode] = []
    if direction is ImpactDirection.upstream and in_error:
        nearest = min(n["distance"] for n in in_error)
        causes = [n for n in in_error if n["distance"] == nearest]
    by_kind = Counter(n["kind"] for n in affected)
    by_distance = Counter(n["distance"] for n in affected)
    return {
        "root": root_node,
        "direction": direction.value,
        "depth": depth,
        "affected_count": len(affected),
        "truncated": found.truncated,
        "by_kind": [{"kind": k, "count": c} for k, c in sorted(by_kind.items())],
        "by_distance": [{"distance": d, "count": c} for d, c in sorted(by_distance.items())],
        "owners": [
            {"owner": owner, "nodes": members}
            for owner, members in sorted(
                owners.items(), key=lambda kv: (kv[0] is None, kv[0] or "")
            )
        ],
        "in_error": in_error,
        "likely_root_causes": causes,
        "affected": affected,
    }


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
    nodes = [LineageNode.model_validate({**facts[pk], "distance": i}) for i, pk in enumerate(steps)]
    edges = [
        LineageEdge.model_validate(
            {
                "source_id": facts[s]["id"],
                "target_id": facts[t]["id"],
                "relation": "flow" if flow else "contains",
            }
        )
        for (s, t), flow in zip(itertools.pairwise(steps), flows, strict=True)
    ]
    return LineagePath(nodes=nodes, edges=edges, length=len(steps) - 1)
