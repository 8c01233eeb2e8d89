"""Impact analysis: what breaks downstream, what upstream could have caused it.

The traversal runs on the process's in-memory index, and the nodes' facts (name, owner,
status) come from memory beside it; both are brought up to date from the change log first.
The database is only asked for the change log and the root's pk.
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
from dlv.ingestion import service as ingestion_service
from dlv.lineage.causes import unexplained
from dlv.lineage.facts import Picked
from dlv.lineage.index import Direction, LineageIndex, Traversal
from dlv.lineage.live import LiveIndex
from dlv.lineage.traversal import Ids, Ids32
from dlv.nodes.models import SYSTEM_KINDS, NodeStatus
from dlv.quality import service as quality

# An impact report lists every affected node; past this many it says it was cut.
IMPACT_LIMIT = 100_000


class NodeNotFound(NotFound):
    pass


class NoPath(NotFound):
    pass


@dataclass(frozen=True)
class View:
    """Which graph to walk: as it was at ``as_of``, or now with its stale edges (edges a
    job's latest successful runs no longer report). By default: now, without them."""

    as_of: datetime | None = None
    include_stale: bool = False

    @property
    def rebuilt(self) -> bool:
        """Whether this graph is not the live index's (see ``LiveIndex.snapshot``)."""
        return self.as_of is not None or self.include_stale


def _root_pk(session: Session, node_id: uuid.UUID) -> int:
    pk = repository.pk_of(session, node_id)
    if pk is None:
        raise NodeNotFound(f"No node with id {node_id}")
    return pk


# Answers are built as plain JSON-ready dicts: they can hold 100,000 nodes, and a pydantic
# object per node and edge costs more than the traversal. The routes declare the pydantic
# models (LineageGraph, ImpactReport) for the schema; the test suite checks the two agree.
JsonNode = dict[str, Any]


@dataclass
class _Found:
    traversal: Traversal
    nodes: list[JsonNode]  # in traversal order, with their distance
    edges: list[JsonNode]
    ids: list[str]  # of traversal.nodes, aligned ("" for one deleted meanwhile)
    parents: list[JsonNode]  # containers of the nodes that are not among them
    causes: list[str]  # ids of the likely root causes (asked for upstream only)


def _traverse(
    session: Session,
    live: LiveIndex,
    root: int,
    direction: Direction,
    depth: int | None,
    limit: int | None,
    *,
    with_edges: bool,
    with_causes: bool = False,
    view: View | None = None,
) -> _Found:
    # Under the lock: the facts must match the index they are read with.
    with live.lock:
        index = live.current(session)
        stale: set[tuple[int, int]] | None = None  # None: today's graph, without them
        if view is not None and view.rebuilt:
            snapshot = live.snapshot(session, view.as_of)
            index, stale = snapshot.index, snapshot.stale
        # Containment is not data flow. Downstream, a system's failure reaches what it
        # contains (a database's tables); upstream, the walk goes down into what the root
        # contains (a DAG fails because of its tasks) but never up to a container: a DAG
        # does not feed its tasks, and a DAG's failure is not its task's cause. Containers
        # are listed apart, as ``parents``.
        found = index.traverse(
            [root],
            direction,
            max_depth=depth,
            limit=limit,
            follow_containment=True,
            upstream_containment=False,
            descend_upstream=True,
        )
        parents = index.parents_of(found.nodes)
        outside = np.setdiff1d(parents[parents >= 0], found.nodes)
        facts = live.facts(session, np.concatenate([found.nodes, outside]))
        picked, picked_outside = facts.pick(found.nodes), facts.pick(outside)
        nodes = _nodes(picked, facts.ids(parents), found.distances)
        containers = _nodes(picked_outside, facts.ids(index.parents_of(outside)), None)
        edges: list[JsonNode] = []
        if with_edges:
            flow = index.edges_among(found.nodes)
            edges = _edges(picked.ids, found.nodes, *flow)
            if stale is not None:
                _mark_stale(edges, flow, stale)
            # Between the answer's nodes only: a node's parent_id already ties it to a
            # container in ``parents``, and those edges would double a big answer's size.
            edges += _edges(picked.ids, found.nodes, *index.children_among(found.nodes), "contains")
        causes = _causes(index, found, outside, picked, picked_outside) if with_causes else []
    if "" in picked.ids:  # deleted meanwhile (the change log said so): left out
        nodes = [n for n in nodes if n["id"]]
    containers = [c for c in containers if c["id"]]
    return _Found(found, nodes, edges, picked.ids, containers, causes)


def _mark_stale(edges: list[JsonNode], flow: tuple[Ids, Ids], stale: set[tuple[int, int]]) -> None:
    # ``edges`` are ``flow``'s, in order, unless an end was deleted meanwhile (then none is
    # marked rather than the wrong ones).
    sources, targets = flow
    if len(edges) != sources.size:
        return
    for edge, pair in zip(edges, zip(sources.tolist(), targets.tolist(), strict=True), strict=True):
        edge["stale"] = pair in stale


def _causes(
    index: LineageIndex, found: Traversal, outside: Ids, picked: Picked, outside_picked: Picked
) -> list[str]:
    """The ids of the failing nodes nothing failing explains (``lineage.causes``), furthest
    upstream first; on a cycle of failures, the furthest failing nodes.

    What explains what: data flow; a failing system (a database, an Airflow or Spark
    deployment) explains what it contains; a failing part explains its job container (a
    task explains its DAG, never the other way round). So a system holding the answer's
    nodes may be a cause; a DAG never is.
    """
    pks = np.concatenate([found.nodes, outside])
    statuses = picked.statuses + outside_picked.statuses
    kinds = picked.kinds + outside_picked.kinds
    failing = np.array([s == NodeStatus.error for s in statuses], dtype=np.bool_)
    # dtype given: with no container outside, an empty list would be float64 and the &= a
    # TypeError (every upstream answer of a failing node without an outside container).
    failing[found.nodes.size :] &= np.array(
        [k in SYSTEM_KINDS for k in outside_picked.kinds], dtype=np.bool_
    )
    if not failing.any():
        return []
    flow_sources, flow_targets = index.edges_among(found.nodes)
    containers, parts = index.children_among(pks)
    kind_of = dict(zip(pks.tolist(), kinds, strict=True))
    system = np.array([kind_of[c] in SYSTEM_KINDS for c in containers.tolist()], dtype=np.bool_)
    mask = unexplained(
        pks,
        failing,
        np.concatenate([flow_sources, containers[system], parts[~system]]),
        np.concatenate([flow_targets, parts[system], containers[~system]]),
    )
    distances = np.concatenate([found.distances, np.full(outside.size, -1, dtype=np.int32)])
    if not mask.any():
        mask = failing & (distances == distances[failing].max())
    ids = picked.ids + outside_picked.ids
    # Systems first (they hold the rest), then the furthest upstream.
    order = sorted(np.flatnonzero(mask).tolist(), key=lambda i: (distances[i] >= 0, -distances[i]))
    return [ids[i] for i in order if ids[i]]


def _nodes(f: Picked, parent_ids: list[str], distances: Ids32 | None) -> list[JsonNode]:
    nodes = [
        {
            "id": i,
            "kind": k,
            "namespace": ns,
            "name": n,
            "owner": o[0] if o else None,
            "owners": o,
            "status": s,
            "status_message": m,
            "parent_id": p or None,
        }
        for i, k, ns, n, o, s, m, p in zip(
            f.ids,
            f.kinds,
            f.namespaces,
            f.names,
            f.owners,
            f.statuses,
            f.messages,
            parent_ids,
            strict=True,
        )
    ]
    if distances is not None:
        for node, distance in zip(nodes, distances.tolist(), strict=True):
            node["distance"] = distance
    return nodes


def _edges(
    ids: list[str], pks: Ids, sources: Ids, targets: Ids, relation: str = "flow"
) -> list[JsonNode]:
    # Both ends are among the answer's nodes (ids aligned with pks): reuse those strings,
    # gathered by numpy rather than looked up one by one.
    order = np.argsort(pks)
    sorted_pks, id_array = pks[order], np.array(ids, dtype=object)
    source_ids = id_array[order[np.searchsorted(sorted_pks, sources)]]
    target_ids = id_array[order[np.searchsorted(sorted_pks, targets)]]
    if "" in ids:  # an end deleted meanwhile: the edge goes too
        keep = (source_ids != "") & (target_ids != "")
        source_ids, target_ids = source_ids[keep], target_ids[keep]
    return [
        {"source_id": s, "target_id": t, "relation": relation}
        for s, t in zip(source_ids.tolist(), target_ids.tolist(), strict=True)
    ]


def lineage(
    session: Session,
    live: LiveIndex,
    node_id: uuid.UUID,
    direction: LineageDirection,
    depth: int | None,
    limit: int,
    *,
    columns: bool = False,
    view: View | None = None,
) -> dict[str, Any]:
    """The subgraph reachable from a node (a LineageGraph as JSON-ready data); with
    ``columns``, each edge's column-level lineage where an event gave one; ``view``: the
    graph at a past time, or with its stale edges."""
    root = _root_pk(session, node_id)
    found = _traverse(
        session, live, root, Direction(direction.value), depth, limit, with_edges=True, view=view
    )
    if columns:
        _add_columns(session, found)
    return {
        "root_id": str(node_id),
        "direction": direction.value,
        "depth": depth,
        "nodes": found.nodes,
        "edges": found.edges,
        "parents": found.parents,
        "truncated": found.traversal.truncated,
        "as_of": view.as_of.isoformat() if view and view.as_of else None,
    }


def _add_columns(session: Session, found: _Found) -> None:
    pk_of = dict(zip(found.ids, found.traversal.nodes.tolist(), strict=True))
    flows = [e for e in found.edges if e["relation"] == "flow"]
    pairs = [(pk_of[e["source_id"]], pk_of[e["target_id"]]) for e in flows]
    by_pair = ingestion_service.column_lineage_for_pairs(session, pairs)
    for edge, pair in zip(flows, pairs, strict=True):
        lineage = by_pair.get(pair)
        if lineage is not None:
            edge["columns"] = {"fields": lineage.fields, "dataset": lineage.dataset}


def _likely_causes(found: _Found) -> list[JsonNode]:
    by_id = {n["id"]: n for n in found.nodes}
    by_id.update((c["id"], {**c, "distance": None}) for c in found.parents)
    return [by_id[i] for i in found.causes if i in by_id]


@dataclass(frozen=True)
class Reach:
    """What impact() is built from: the root, the nodes it reaches (nearest first, at most
    ``IMPACT_LIMIT``) and, upstream, the likely root causes among them."""

    root: JsonNode
    affected: list[JsonNode]
    likely_root_causes: list[JsonNode]


def reach(
    session: Session, live: LiveIndex, node_id: uuid.UUID, direction: ImpactDirection
) -> Reach:
    """impact()'s traversal at any depth, without the report around it (owners, quality):
    what the alert engine asks for on each status change."""
    upstream = direction is ImpactDirection.upstream
    found = _traverse(
        session,
        live,
        _root_pk(session, node_id),
        Direction(direction.value),
        None,
        IMPACT_LIMIT,
        with_edges=False,
        with_causes=upstream,
    )
    return Reach(found.nodes[0], found.nodes[1:], _likely_causes(found) if upstream else [])


def impact(
    session: Session,
    live: LiveIndex,
    node_id: uuid.UUID,
    direction: ImpactDirection,
    depth: int | None,
    view: View | None = None,
) -> dict[str, Any]:
    """The incident report for a node (an ImpactReport as JSON-ready data)."""
    root = _root_pk(session, node_id)
    upstream = direction is ImpactDirection.upstream
    found = _traverse(
        session,
        live,
        root,
        Direction(direction.value),
        depth,
        IMPACT_LIMIT,
        with_edges=False,
        with_causes=upstream,
        view=view,
    )
    root_node, affected = found.nodes[0], found.nodes[1:]
    owners: dict[str | None, list[JsonNode]] = defaultdict(list)
    for node in affected:  # a node with several owners is listed under each
        for owner in node["owners"] or [None]:
            owners[owner].append(node)
    in_error = [n for n in affected if n["status"] == NodeStatus.error]
    by_kind = Counter(n["kind"] for n in affected)
    failing = quality.failing(session, [uuid.UUID(str(n["id"])) for n in found.nodes])
    by_distance = Counter(n["distance"] for n in affected)
    return {
        "root": root_node,
        "direction": direction.value,
        "depth": depth,
        "affected_count": len(affected),
        "truncated": found.traversal.truncated,
        "by_kind": [{"kind": k, "count": c} for k, c in sorted(by_kind.items())],
        "by_distance": [{"distance": d, "count": c} for d, c in sorted(by_distance.items())],
        "owners": [
            {"owner": owner, "nodes": members}
            for owner, members in sorted(
                owners.items(), key=lambda kv: (kv[0] is None, kv[0] or "")
            )
        ],
        "in_error": in_error,
        "at_risk": [n for n in affected if n["status"] == NodeStatus.at_risk],
        "late": [n for n in affected if n["status"] == NodeStatus.late],
        "quality_failures": [
            {"node": n, "assertions": failing[uuid.UUID(str(n["id"]))]}
            for n in found.nodes
            if uuid.UUID(str(n["id"])) in failing
        ],
        "likely_root_causes": _likely_causes(found),
        "parents": found.parents,
        "affected": affected,
        "as_of": view.as_of.isoformat() if view and view.as_of else None,
    }


def path(
    session: Session, live: LiveIndex, source_id: uuid.UUID, target_id: uuid.UUID
) -> LineagePath:
    """A shortest downstream path from one node to another."""
    source, target = _root_pk(session, source_id), _root_pk(session, target_id)
    with live.lock:
        index = live.current(session)
        steps = index.shortest_path(source, target, follow_containment=True)
        if steps is None:
            raise NoPath(f"No downstream path from {source_id} to {target_id}")
        flows = [index.has_edge(s, t) for s, t in itertools.pairwise(steps)]
        pks = np.asarray(steps, dtype=np.int64)
        parents = index.parents_of(pks)
        facts = live.facts(session, np.concatenate([pks, parents[parents >= 0]]))
        picked = facts.pick(pks)
        nodes = _nodes(picked, facts.ids(parents), np.arange(len(steps), dtype=np.int32))
    if "" in picked.ids:  # a node on it was deleted meanwhile
        raise NoPath(f"No downstream path from {source_id} to {target_id}")
    edges = [
        LineageEdge.model_validate(
            {"source_id": s["id"], "target_id": t["id"], "relation": "flow" if flow else "contains"}
        )
        for (s, t), flow in zip(itertools.pairwise(nodes), flows, strict=True)
    ]
    return LineagePath(
        nodes=[LineageNode.model_validate(n) for n in nodes], edges=edges, length=len(steps) - 1
    )
