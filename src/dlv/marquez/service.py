"""Marquez's read API computed from DLV's catalog, runs and lineage index: pure mapping.

DLV keeps no versions of datasets or jobs, so ``currentVersion`` is null and facets are
rebuilt from what ingestion kept (schema, documentation, ownership, SQL, job type), not
replayed from events. A run's facets are merged from its stored events.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from dlv.errors import FieldError, InvalidInput, NotFound
from dlv.ingestion import decoding
from dlv.ingestion import service as ingestion_service
from dlv.ingestion.models import OpenLineageNode, Run, RunState
from dlv.lineage.live import LiveIndex
from dlv.marquez import graph, repository
from dlv.marquez.schemas import (
    MarquezDataset,
    MarquezDatasetList,
    MarquezJob,
    MarquezJobList,
    MarquezNamespace,
    MarquezNamespaceList,
    MarquezRun,
    MarquezRunList,
    MarquezRunState,
    MarquezSearchResult,
    MarquezSearchResultList,
    MarquezTag,
    MarquezTagList,
)
from dlv.nodes import repository as nodes_repository
from dlv.nodes.models import Node, NodeKind

# What Marquez writes as the owner of a namespace an OpenLineage event created.
NAMESPACE_OWNER = "anonymous"
PRODUCER = "https://github.com/dlv/dlv"
FACET_SCHEMA = "https://openlineage.io/spec/facets/1-0-0/{}.json"
LATEST_RUNS = 10
MAX_RUN_EVENTS = 1_000
NODE_TYPES = {NodeKind.dataset.value: "DATASET", NodeKind.job.value: "JOB"}
STATES = {
    RunState.START: MarquezRunState.RUNNING,
    RunState.RUNNING: MarquezRunState.RUNNING,
    RunState.COMPLETE: MarquezRunState.COMPLETED,
    RunState.FAIL: MarquezRunState.FAILED,
    RunState.ABORT: MarquezRunState.ABORTED,
    RunState.OTHER: MarquezRunState.NEW,
}


class NamespaceNotFound(NotFound):
    pass


class DatasetNotFound(NotFound):
    pass


class JobNotFound(NotFound):
    pass


class NodeIdNotFound(NotFound):
    pass


# -- namespaces -------------------------------------------------------------------------------


def list_namespaces(session: Session, limit: int, offset: int) -> MarquezNamespaceList:
    """Namespaces of datasets and jobs, by name."""
    rows, total = repository.namespaces(session, limit, offset)
    return MarquezNamespaceList(
        namespaces=[_namespace(name, created, updated) for name, created, updated in rows],
        total_count=total,
    )


def get_namespace(session: Session, name: str) -> MarquezNamespace:
    """One namespace, or NamespaceNotFound."""
    created, updated = _namespace_row(session, name)
    return _namespace(name, created, updated)


def _namespace_row(session: Session, name: str) -> tuple[Any, Any]:
    row = repository.namespace(session, name)
    if row is None:
        raise NamespaceNotFound(f"No dataset or job in namespace {name!r}")
    return row


def _namespace(name: str, created: Any, updated: Any) -> MarquezNamespace:
    return MarquezNamespace(
        name=name,
        created_at=created,
        updated_at=updated,
        owner_name=NAMESPACE_OWNER,
        description=None,
        is_hidden=False,
    )


# -- datasets -----------------------------------------------------------------------------------


def list_datasets(session: Session, namespace: str, limit: int, offset: int) -> MarquezDatasetList:
    """A namespace's datasets, by name."""
    rows, total = repository.nodes(session, namespace, NodeKind.dataset, limit, offset)
    if total == 0:  # a namespace of jobs only, or none
        _namespace_row(session, namespace)
    facts = repository.facts(session, [n.pk for n in rows])
    return MarquezDatasetList(
        datasets=[_dataset(n, facts.get(n.pk)) for n in rows], total_count=total
    )


def get_dataset(session: Session, namespace: str, name: str) -> MarquezDataset:
    """One dataset, or DatasetNotFound."""
    node = nodes_repository.get_by_key(session, namespace, name)
    if node is None or node.kind != NodeKind.dataset:
        raise DatasetNotFound(f"No dataset {name!r} in namespace {namespace!r}")
    return _dataset(node, repository.facts(session, [node.pk]).get(node.pk))


def _facet(name: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": FACET_SCHEMA.format(name), **fields}


def _common_facets(node: Node) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    if node.description:
        facets["documentation"] = _facet("DocumentationFacet", description=node.description)
    if node.owners:
        owners = [{"name": o} for o in node.owners]
        facets["ownership"] = _facet("OwnershipFacet", owners=owners)
    return facets


def _dataset(node: Node, facts: OpenLineageNode | None) -> MarquezDataset:
    columns = (facts.columns if facts else None) or []
    facets = _common_facets(node)
    if columns:
        facets["schema"] = _facet(
            "SchemaDatasetFacet",
            fields=[{k: v for k, v in c.items() if v is not None} for c in columns],
        )
    return MarquezDataset.model_validate(
        {
            "id": {"namespace": node.namespace, "name": node.name},
            "type": "DB_TABLE",
            "name": node.name,
            "physical_name": node.name,
            "created_at": node.created_at,
            "updated_at": node.updated_at,
            "namespace": node.namespace,
            "source_name": node.namespace,
            "fields": [
                {
                    "name": c["name"],
                    "type": c.get("type"),
                    "tags": [],
                    "description": c.get("description"),
                }
                for c in columns
            ],
            "tags": node.tags,
            "last_modified_at": node.last_success_at,
            "last_lifecycle_state": None,
            "description": node.description,
            "facets": facets,
            "current_version": None,
            "column_lineage": None,
            "deleted": False,
            "dlv": _extras(node),
        }
    )


def _extras(node: Node) -> dict[str, Any]:
    return {
        "id": node.id,
        "owners": node.owners or [],
        "status": node.status,
        "status_message": node.status_message,
    }


# -- jobs and runs ----------------------------------------------------------------------------


def list_jobs(session: Session, namespace: str, limit: int, offset: int) -> MarquezJobList:
    """A namespace's jobs, by name, each with its latest run."""
    rows, total = repository.nodes(session, namespace, NodeKind.job, limit, offset)
    if total == 0:  # a namespace of datasets only, or none
        _namespace_row(session, namespace)
    pks = [n.pk for n in rows]
    facts = repository.facts(session, pks)
    inputs, outputs = repository.job_datasets(session, pks)
    latest = repository.latest_runs(session, pks)
    jobs = [
        _job(
            n,
            facts.get(n.pk),
            inputs[n.pk],
            outputs[n.pk],
            [latest[n.pk]] if n.pk in latest else [],
        )
        for n in rows
    ]
    return MarquezJobList(jobs=jobs, total_count=total)


def get_job(session: Session, namespace: str, name: str) -> MarquezJob:
    """One job with its latest runs, or JobNotFound."""
    node = _job_node(session, namespace, name)
    inputs, outputs = repository.job_datasets(session, [node.pk])
    runs = repository.runs_of(session, node.pk, LATEST_RUNS)
    facts = repository.facts(session, [node.pk]).get(node.pk)
    return _job(node, facts, inputs[node.pk], outputs[node.pk], runs)


def _job_node(session: Session, namespace: str, name: str) -> Node:
    node = nodes_repository.get_by_key(session, namespace, name)
    if node is None or node.kind != NodeKind.job:
        raise JobNotFound(f"No job {name!r} in namespace {namespace!r}")
    return node


def _job(
    node: Node,
    facts: OpenLineageNode | None,
    inputs: Sequence[tuple[str, str]],
    outputs: Sequence[tuple[str, str]],
    runs: Sequence[Run],
) -> MarquezJob:
    facets = _common_facets(node)
    job_type = facts.job_type if facts else None
    if job_type:
        facets["jobType"] = _facet("JobTypeJobFacet", **job_type)
    if facts and facts.sql:
        facets["sql"] = _facet("SQLJobFacet", query=facts.sql, dialect=facts.sql_dialect)
    parent = node.parent if node.parent is not None and node.parent.kind == "job" else None
    simple = node.name
    if parent is not None and node.name.startswith(parent.name + "."):
        simple = node.name[len(parent.name) + 1 :]
    read_runs = [_run(r) for r in runs]
    return MarquezJob.model_validate(
        {
            "id": {"namespace": node.namespace, "name": node.name},
            "type": (job_type or {}).get("processingType") or "BATCH",
            "name": node.name,
            "simple_name": simple,
            "parent_job_name": parent.name if parent else None,
            "parent_job_uuid": parent.id if parent else None,
            "created_at": node.created_at,
            "updated_at": node.updated_at,
            "namespace": node.namespace,
            "inputs": [{"namespace": ns, "name": n} for ns, n in inputs],
            "outputs": [{"namespace": ns, "name": n} for ns, n in outputs],
            "location": None,
            "context": {},
            "description": node.description,
            "latest_run": read_runs[0] if read_runs else None,
            "latest_runs": read_runs,
            "facets": facets,
            "current_version": None,
            "tags": node.tags,
            "dlv": _extras(node),
        }
    )


def list_runs(
    session: Session, namespace: str, job: str, limit: int, offset: int
) -> MarquezRunList:
    """A job's runs, newest first."""
    node = _job_node(session, namespace, job)
    runs = repository.runs_of(session, node.pk, limit, offset)
    return MarquezRunList(
        runs=[_run(r) for r in runs], total_count=repository.count_runs(session, node.pk)
    )


def get_run(session: Session, run_id: uuid.UUID) -> MarquezRun:
    """One run, its facets merged from its events (newest wins), or ingestion's RunNotFound."""
    run = ingestion_service.get_run(session, run_id)
    facets: dict[str, Any] = {}
    inputs: dict[tuple[str, str], None] = {}
    outputs: dict[tuple[str, str], None] = {}
    for text in repository.run_payloads(session, run_id, MAX_RUN_EVENTS):
        event = _event(text)
        facets.update(((event.get("run") or {}).get("facets")) or {})
        for key, seen in (("inputs", inputs), ("outputs", outputs)):
            for dataset in event.get(key) or []:
                if isinstance(dataset, dict) and "namespace" in dataset and "name" in dataset:
                    seen[(str(dataset["namespace"]), str(dataset["name"]))] = None
    nominal = facets.get("nominalTime") or {}
    return _run(
        run,
        facets=facets,
        nominal=(nominal.get("nominalStartTime"), nominal.get("nominalEndTime")),
        inputs=list(inputs),
        outputs=list(outputs),
    )


def _event(text: str) -> dict[str, Any]:
    # Masked as the run routes show them: secrets never leave.
    return decoding.masked_object(text) or {}


def _run(
    run: Run,
    *,
    facets: dict[str, Any] | None = None,
    nominal: tuple[Any, Any] = (None, None),
    inputs: Sequence[tuple[str, str]] = (),
    outputs: Sequence[tuple[str, str]] = (),
) -> MarquezRun:
    def versions(datasets: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        return [
            {"datasetVersionId": {"namespace": ns, "name": n, "version": None}, "facets": {}}
            for ns, n in datasets
        ]

    duration = run.duration_seconds
    return MarquezRun.model_validate(
        {
            "id": run.id,
            "created_at": run.created_at,
            "updated_at": run.updated_at,
            "nominal_start_time": nominal[0],
            "nominal_end_time": nominal[1],
            "state": STATES[RunState(run.state)],
            "started_at": run.started_at,
            "ended_at": run.ended_at,
            "duration_ms": round(duration * 1000) if duration is not None else None,
            "args": {},
            "job_version": {"namespace": run.job_namespace, "name": run.job_name, "version": None},
            "input_dataset_versions": versions(inputs),
            "output_dataset_versions": versions(outputs),
            "context": {},
            "facets": facets or {},
        }
    )


# -- lineage ----------------------------------------------------------------------------------


def _parse_node_id(session: Session, node_id: str) -> tuple[NodeKind, int]:
    """``dataset:NS:NAME`` or ``job:NS:NAME`` -> (kind, pk). Namespaces and names may hold
    colons (``postgres://host:5432``): every split is tried against the catalog, the first
    existing one wins; a ``#version`` suffix (Marquez) is ignored when nothing matches."""
    prefix, _, rest = node_id.partition(":")
    kinds = {"dataset": NodeKind.dataset, "job": NodeKind.job}
    if prefix not in kinds or ":" not in rest:
        raise InvalidInput(
            "nodeId must be dataset:<namespace>:<name> or job:<namespace>:<name>",
            errors=[FieldError("query.nodeId", "not a dataset or job node id")],
        )
    kind = kinds[prefix]
    candidates = [rest]
    if "#" in rest:
        candidates.append(rest.rpartition("#")[0])
    for text in candidates:
        colons = [i for i, c in enumerate(text) if c == ":"]
        for i in colons:
            pk = repository.pk_of(session, kind, text[:i], text[i + 1 :])
            if pk is not None:
                return kind, pk
    raise NodeIdNotFound(f"No {prefix} {rest!r}")


def lineage(
    session: Session, live: LiveIndex, node_id: str, depth: int, limit: int
) -> dict[str, Any]:
    """Marquez's lineage graph around a node (a MarquezLineageGraph as JSON-ready data)."""
    kind, root = _parse_node_id(session, node_id)
    with live.lock:  # the facts must match the index they are read with
        index = live.current(session)
        walk = graph.undirected(index, root, graph.hops(depth, kind is NodeKind.dataset), limit)
        picked = live.facts(session, walk.nodes).pick(walk.nodes)
        sources, targets = index.edges_among(walk.nodes)
    # Built as plain data, in bulk: an answer holds up to 100,000 nodes and each edge twice
    # (in its origin's outEdges and its destination's inEdges), so per-edge Python is kept to
    # one dict (shared by both lists) and the grouping is done by numpy.
    keys: list[str | None] = []
    nodes: list[dict[str, Any] | None] = []
    for i, k, ns, n, o, s, m in zip(
        picked.ids,
        picked.kinds,
        picked.namespaces,
        picked.names,
        picked.owners,
        picked.statuses,
        picked.messages,
        strict=True,
    ):
        if not i or k not in NODE_TYPES:
            keys.append(None)  # deleted meanwhile, or a system: not Marquez's
            nodes.append(None)
            continue
        key = f"{k}:{ns}:{n}"
        keys.append(key)
        dlv = {"id": i, "owners": o, "status": s, "statusMessage": m}
        ident = {"namespace": ns, "name": n}
        # The graph's node data: names and type (and DLV's facts); Marquez's other fields
        # (fields, facets, runs) are on the dataset and job routes, not repeated here.
        data: dict[str, Any] = {"id": ident, "type": "DB_TABLE", "name": n, "namespace": ns}
        if k == NodeKind.job:
            data.update(type="BATCH", inputs=[], outputs=[])
        data["dlv"] = dlv
        nodes.append({"id": key, "type": NODE_TYPES[k], "data": data})
    _add_edges(walk.nodes, keys, nodes, sources, targets)
    return {"graph": [n for n in nodes if n is not None], "dlv": {"truncated": walk.truncated}}


def _add_edges(
    pks: npt.NDArray[np.int64],
    keys: list[str | None],
    nodes: list[dict[str, Any] | None],
    sources: npt.NDArray[np.int64],
    targets: npt.NDArray[np.int64],
) -> None:
    """Fill each node's inEdges and outEdges, and each job's inputs and outputs."""
    order = np.argsort(pks)
    origin = order[np.searchsorted(pks[order], sources)]  # positions in ``nodes``
    destination = order[np.searchsorted(pks[order], targets)]
    held = np.array([k is not None for k in keys], dtype=np.bool_)
    keep = held[origin] & held[destination]
    origin, destination = origin[keep], destination[keep]
    key_array = np.array(keys, dtype=object)
    edges = np.empty(origin.size, dtype=object)
    edges[:] = [
        {"origin": o, "destination": d}
        for o, d in zip(key_array[origin].tolist(), key_array[destination].tolist(), strict=True)
    ]
    ids = np.empty(len(nodes), dtype=object)
    ids[:] = [n["data"]["id"] if n is not None else None for n in nodes]
    dataset = np.array([n is not None and n["type"] == "DATASET" for n in nodes], dtype=np.bool_)
    size = len(nodes)
    outs, ins = _grouped(origin, edges, size), _grouped(destination, edges, size)
    into_job, out_of_job = dataset[origin] & ~dataset[destination], ~dataset[origin]
    inputs = _grouped(destination[into_job], ids[origin[into_job]], size)
    outputs = _grouped(
        origin[out_of_job & dataset[destination]],
        ids[destination[out_of_job & dataset[destination]]],
        size,
    )
    for position, node in enumerate(nodes):
        if node is None:
            continue
        node["inEdges"], node["outEdges"] = ins[position], outs[position]
        if node["type"] == "JOB":  # a job's datasets, as far as this graph reaches
            node["data"]["inputs"], node["data"]["outputs"] = inputs[position], outputs[position]


def _grouped(
    positions: npt.NDArray[np.intp], values: npt.NDArray[np.object_], size: int
) -> list[list[Any]]:
    """For each node position, the values at it (in their order): one sort, then slices."""
    by = np.argsort(positions, kind="stable")
    ordered = values[by].tolist()
    bounds = np.searchsorted(positions[by], np.arange(size + 1)).tolist()
    return [ordered[bounds[i] : bounds[i + 1]] for i in range(size)]


# -- search and tags --------------------------------------------------------------------------

SEARCH_KINDS = {"dataset": [NodeKind.dataset.value], "job": [NodeKind.job.value]}


def search(
    session: Session,
    q: str,
    kind: str | None,
    sort: str,
    limit: int,
    namespace: str | None,
) -> MarquezSearchResultList:
    """Datasets and jobs whose name contains ``q`` (``%`` and ``_`` are wildcards, as in
    Marquez), by name or newest first."""
    kinds = SEARCH_KINDS.get(kind.lower(), []) if kind else list(repository.KINDS)
    rows, total = repository.search(
        session, f"%{q}%", kinds, namespace, sort.lower() == "updated_at", limit
    )
    return MarquezSearchResultList(
        total_count=total,
        results=[
            MarquezSearchResult(
                type=NODE_TYPES[n.kind],
                name=n.name,
                updated_at=n.updated_at,
                namespace=n.namespace,
                node_id=f"{n.kind}:{n.namespace}:{n.name}",
            )
            for n in rows
        ],
    )


def list_tags(session: Session) -> MarquezTagList:
    """Every tag of a dataset or job."""
    return MarquezTagList(
        tags=[MarquezTag(name=t, description=None) for t in repository.tags(session)]
    )
