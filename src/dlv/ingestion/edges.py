"""Applying a batch's Plan to what flows: edges, their aging, column lineage, and the
status of the datasets the jobs write.

Observed edges (from events) remember when events first and last reported them and the run
that last did. A job's successful run that no longer reports one makes it stale: kept, but out
of lineage answers (ADR 10). Edges a person or an import drew are never touched.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from dlv.audit import service as audit
from dlv.auth.principal import SYSTEM
from dlv.db import new_id
from dlv.events import service as events
from dlv.events.service import EventKind
from dlv.ingestion import catalog_repository
from dlv.ingestion import edges_repository as repository
from dlv.ingestion.catalog import (
    ORIGIN,
    Catalog,
    actor,
    digest,
    newer,
    set_status,
)
from dlv.ingestion.catalog_repository import NodeRow
from dlv.ingestion.edges_repository import EdgeRow, LiveEdge
from dlv.ingestion.mapping import Plan, Sender, Sighting
from dlv.ingestion.models import FAILED_STATES
from dlv.lineage import changes
from dlv.lineage.models import OBSERVED_ORIGINS
from dlv.nodes.models import NodeStatus
from dlv.ops import metrics

Edges = dict[tuple[int, int], EdgeRow]
# How precisely an edge's last sighting is kept (``_confirm``): an edge last seen less than
# this before a successful run started is not made stale by it.
SEEN_STEP = timedelta(seconds=1)
FAILED = {s.value for s in FAILED_STATES}


def apply_edges(catalog: Catalog, plan: Plan) -> Edges:
    """inputs -> job -> outputs, each with the events that last reported it; edges a person or
    an import drew stay as they are."""
    seen: dict[tuple[int, int], Sighting] = {}
    for (source_key, target_key), sighting in plan.edges.items():
        source, target = catalog.nodes.get(source_key), catalog.nodes.get(target_key)
        if source is not None and target is not None and source.pk != target.pk:
            seen[(source.pk, target.pk)] = sighting
    pairs = list(seen)
    edges = repository.edges_between(catalog.session, pairs)
    rows = [
        {
            "id": new_id(),
            "source_pk": s,
            "target_pk": t,
            "origin": seen[(s, t)].origin,
            "created_at": catalog.now,
            "first_seen_at": seen[(s, t)].first,
            "last_seen_at": seen[(s, t)].last,
            "last_run_id": seen[(s, t)].run_id,
        }
        for s, t in pairs
        if (s, t) not in edges
    ]
    inserted = repository.insert_edges(catalog.session, rows)
    if inserted:
        metrics.ingest_edges_created.inc(len(inserted))
        changes.log_many(catalog.session, changes.EDGE_ADDED, [(s, t) for _, s, t in inserted])
        ids = {n.pk: n.id for n in catalog.nodes.values()}
        for edge_id, s, t in inserted:
            sighting = seen[(s, t)]
            edges[(s, t)] = EdgeRow(
                edge_id, sighting.origin, sighting.first, sighting.last, sighting.run_id, None
            )
            audit.record(
                catalog.session,
                actor(sighting.sender),
                "edge.create",
                "edge",
                edge_id,
                {"source_id": ids[s], "target_id": ids[t], "origin": sighting.origin},
            )
        drawn = (events.edge_payload(e, ids[s], ids[t]) for e, s, t in inserted)
        events.emit_many(catalog.session, EventKind.edge_created, drawn)
    missing = [p for p in pairs if p not in edges]
    if missing:  # inserted by another process meanwhile
        edges.update(repository.edges_between(catalog.session, missing))
    _confirm(catalog, seen, edges, {(s, t) for _, s, t in inserted})
    return edges


def _health_runs(catalog: Catalog, pair: tuple[int, int]) -> set[uuid.UUID]:
    runs = (catalog.facts.get(pk) for pk in pair)
    return {f.health_run_id for f in runs if f is not None and f.health_run_id is not None}


def _confirm(
    catalog: Catalog, seen: dict[tuple[int, int], Sighting], edges: Edges, new: Any
) -> None:
    """Move the seen times and the run of the observed edges events reported again, and
    bring back a stale one when a run as new as the one that left it out reports it (or the
    job's latest run does: its events may come after its completion)."""
    updates: list[dict[str, Any]] = []
    revived: list[tuple[int, int]] = []
    for pair, sighting in seen.items():
        edge = edges.get(pair)
        if edge is None or pair in new or edge.origin not in OBSERVED_ORIGINS:
            continue
        values: dict[str, Any] = {}
        if edge.origin != sighting.origin == ORIGIN:  # derived, and now reported
            values["origin"] = ORIGIN
        if edge.first_seen_at is None or sighting.first < edge.first_seen_at:
            values["first_seen_at"] = sighting.first
        last = edge.last_seen_at
        # Written at most every SEEN_STEP: a busy job's runs report the same edges many times
        # a second, and aging needs a sighting only to within that step.
        if last is None or sighting.last >= last + SEEN_STEP:
            values["last_seen_at"], values["last_run_id"] = sighting.last, sighting.run_id
        if edge.stale_since is not None and (
            sighting.last >= edge.stale_since or sighting.run_id in _health_runs(catalog, pair)
        ):
            values["stale_since"] = None
            revived.append(pair)
        if values:
            updates.append({"id": edge.id, **values})
            for name, value in values.items():
                setattr(edge, name, value)
    repository.update_edges(catalog.session, updates)
    if revived:
        changes.log_many(catalog.session, changes.EDGE_ADDED, revived)
        ids = {n.pk: n.id for n in catalog.nodes.values()}
        for s, t in revived:
            audit.record(
                catalog.session,
                actor(seen[(s, t)].sender),
                "edge.update",
                "edge",
                edges[(s, t)].id,
                {"source_id": ids[s], "target_id": ids[t], "stale": {"from": True, "to": False}},
            )
        back = (
            events.edge_payload(edges[p].id, ids[p[0]], ids[p[1]], stale=False) for p in revived
        )
        events.emit_many(catalog.session, EventKind.edge_updated, back)


Finished = tuple[NodeRow, uuid.UUID, datetime]  # a job, its successful run, the run's start


def expire_edges(catalog: Catalog, finished: list[Finished]) -> None:
    """Jobs' runs that named datasets succeeded: each job's observed edges that no event
    reported since its run's start (to within ``SEEN_STEP``) are stale: kept, and shown when
    asked, but out of lineage answers. One read for the batch; a write only for an edge that
    goes stale."""
    if not finished:
        return
    by_job: dict[int, list[LiveEdge]] = {}
    for edge in repository.live_observed_edges(catalog.session, [j.pk for j, _, _ in finished]):
        for pk in (edge.source_pk, edge.target_pk):
            by_job.setdefault(pk, []).append(edge)
    stale: list[tuple[LiveEdge, NodeRow, uuid.UUID]] = []
    for job, run_id, start in finished:
        unseen_since = start - SEEN_STEP
        for edge in by_job.get(job.pk, []):
            last = edge.last_seen_at
            if (
                last is not None
                and last < unseen_since
                and repository.make_stale(catalog.session, edge.id, unseen_since, start)
            ):
                stale.append((edge, job, run_id))
    if not stale:
        return
    pairs = [(e.source_pk, e.target_pk) for e, _, _ in stale]
    changes.log_many(catalog.session, changes.EDGE_REMOVED, pairs)
    ids = catalog_repository.node_ids(catalog.session, {pk for pair in pairs for pk in pair})
    for edge, job, run_id in stale:
        audit.record(
            catalog.session,
            SYSTEM,
            "edge.update",
            "edge",
            edge.id,
            {
                "source_id": ids.get(edge.source_pk),
                "target_id": ids.get(edge.target_pk),
                "stale": {"from": False, "to": True},
                "reason": f"run {run_id} of {job.namespace}/{job.name} no longer reports it",
            },
        )
    gone = (
        events.edge_payload(e.id, ids.get(e.source_pk), ids.get(e.target_pk), stale=True)
        for e, _, _ in stale
    )
    events.emit_many(catalog.session, EventKind.edge_updated, gone)


def apply_columns(catalog: Catalog, plan: Plan, edges: Edges) -> None:
    """Column lineage on the job -> output edges that events drew (not on others' edges)."""
    wanted: dict[uuid.UUID, Any] = {}
    for (job, output), spec in plan.columns.items():
        j, o = catalog.nodes.get(job), catalog.nodes.get(output)
        edge = edges.get((j.pk, o.pk)) if j is not None and o is not None else None
        if edge is not None and edge.origin == ORIGIN:
            wanted[edge.id] = spec
    if not wanted:
        return
    held = repository.column_digests_for_update(catalog.session, list(wanted))
    new, changed = [], []
    for edge_id, spec in wanted.items():
        value_digest = digest([spec.fields, spec.dataset])
        row = {"edge_id": edge_id, "event_time": spec.time, "updated_at": catalog.now}
        current = held.get(edge_id)
        decision = newer(spec.time, value_digest, current)
        lineage = {"fields": spec.fields, "dataset": spec.dataset, "digest": value_digest}
        if current is None:
            new.append({**row, **lineage})
        elif decision is True:
            changed.append({**row, **lineage})
        elif decision is None:
            changed.append(row)
    repository.save_column_lineages(catalog.session, new, changed)


def _outcome(catalog: Catalog, pks: set[int]) -> dict[int, tuple[Any, ...]]:
    """``{job pk: (time, state, run id, message)}``: this batch's facts, else the stored."""
    held = {
        pk: (f.health_time, f.health_state, f.health_run_id, f.health_message)
        for pk in pks
        if (f := catalog.facts.get(pk)) is not None and f.health_time is not None
    }
    held.update(catalog_repository.health_of(catalog.session, pks - held.keys()))
    return held


def follow_producers(catalog: Catalog, jobs: dict[int, Sender]) -> None:
    """The datasets these jobs write follow their producers' latest outcome: ``at_risk``
    ("producer X failed at T") when the producer whose run ended last failed, ``ok`` once a
    producer's run succeeds after it. A dataset in ``error`` (a person's, or a check's) is
    left as it is.

    Most outcomes change nothing here: a job succeeding leaves an ``ok`` output ``ok`` and
    makes an ``unknown`` one ``ok``. Only the outputs of a failed job, and ``at_risk`` ones,
    need every producer's outcome compared."""
    held = {n.pk: n for n in catalog.nodes.values()}
    direct: dict[int, int] = {}  # dataset -> the job that made it ok
    compare: dict[int, int] = {}  # dataset -> a job of this batch that writes it
    for job, dataset, stored in repository.outputs_of(catalog.session, jobs):
        status = held[dataset].status if dataset in held else stored
        facts = catalog.facts.get(job)
        failed = facts is not None and facts.health_state in FAILED
        if status == NodeStatus.error or (not failed and status == NodeStatus.ok):
            continue
        if not failed and status == NodeStatus.unknown:
            direct[dataset] = job
        else:
            compare[dataset] = job
    if not direct and not compare:
        return
    producers: dict[int, list[int]] = {}
    if compare:
        for job, dataset in repository.producers_of(catalog.session, compare):
            producers.setdefault(dataset, []).append(job)
    outcomes = _outcome(catalog, {j for js in producers.values() for j in js})
    wanted = set(direct) | set(compare) | {j for js in producers.values() for j in js}
    held.update(catalog_repository.nodes_by_pk(catalog.session, wanted - held.keys()))
    for dataset, job in sorted(direct.items()):
        set_status(catalog, held[dataset], NodeStatus.ok, None, jobs[job])
    for dataset, writer in sorted(compare.items()):
        node = held.get(dataset)
        ended = [(outcomes[j], j) for j in producers.get(dataset, ()) if j in outcomes]
        if node is None or not ended:
            continue
        (time, state, _, message), job = max(ended, key=lambda e: (e[0][0], str(e[0][2])))
        if state in FAILED:
            why = f": {message}" if message else ""
            text = f"producer {held[job].name} failed at {time:%Y-%m-%d %H:%M:%S} UTC{why}"
            set_status(catalog, node, NodeStatus.at_risk, text, jobs[writer])
        else:
            set_status(catalog, node, NodeStatus.ok, None, jobs[writer])
