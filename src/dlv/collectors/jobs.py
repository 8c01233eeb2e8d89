"""Collected jobs (Airflow DAGs and tasks, Spark applications) written into the catalog.

- A job is a ``job`` node ``(namespace of the system node, job name)``, found and inserted with
  the ingestion's statements: a job an OpenLineage event reported is the same node.
- Parent: a DAG or an application goes under the system node, a task under its DAG; only a
  node with no parent gets one (a person's or an event's placement stays).
- Status is written when what the system says about a job moved since the last collection
  (its digest) or the job is new to the collector, and only when it says something (a run in
  progress says nothing). So a status an event or a person set since stays until the system
  reports a new outcome, and a collection with nothing new writes nothing. It is written as a
  check writes it (``health.repository.set_status``) with a ``node.status`` audit record
  (``origin: collector``), as ingestion does.
- A paused DAG carries the tag ``airflow:paused`` (added and removed by the collector).
- Jobs no longer found are marked gone (not when a cap cut the listing); ``prune`` deletes
  them, tasks before their DAG, never a node someone placed something under.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dlv.audit import service as audit
from dlv.auth.principal import Principal
from dlv.collectors import repository as repo
from dlv.collectors.base import Counts, Job, Jobs, Target
from dlv.db import new_id
from dlv.health import repository as health_repository
from dlv.ingestion import catalog_repository as nodes
from dlv.ingestion.catalog import digest
from dlv.ingestion.catalog_repository import NodeRow
from dlv.lineage import changes
from dlv.nodes.models import NodeKind, NodeStatus

PAUSED_TAG = "airflow:paused"
ORIGIN = "collector"
MAX_PRUNE_ROUNDS = 4  # a task, its DAG: leaves first, a round per level


@dataclass
class _Write:
    """A job to write: new to the collector, moved, or back after being gone."""

    job: Job
    pk: int
    digest: str
    fresh: bool  # no collected object yet


def _digest(job: Job) -> str:
    return digest([job.kind, job.parent, job.status, job.message, job.summary, job.paused])


def apply(
    session: Session,
    actor: Principal,
    target: Target,
    found: object,
    *,
    prune: bool,
    now: datetime,
) -> Counts:
    """Write the difference between the jobs collected before and ``found``."""
    if not isinstance(found, Jobs):
        raise TypeError("jobs.apply writes Jobs")
    held = repo.held(session, target.pk)
    wanted = {job.name: job for job in found.jobs}
    counts = Counts(discovered=len(wanted))
    pk_of = {name: h.node_pk for name, h in held.items()}
    created = _insert(session, target, [n for n in sorted(wanted) if n not in held], pk_of, now)
    counts.created = len(created)
    writes: list[_Write] = []
    for name, job in wanted.items():
        if name not in pk_of:
            continue  # inserted and deleted by someone else meanwhile: the next run sees it
        value = _digest(job)
        h = held.get(name)
        if h is None or h.digest != value or h.gone:
            writes.append(_Write(job, pk_of[name], value, h is None))
    counts.updated = sum(1 for w in writes if w.pk not in created)
    rows = nodes.nodes_by_pk(session, [w.pk for w in writes])
    _objects(session, target, writes, now)
    _parents(session, target, writes, rows, pk_of)
    for w in writes:
        if w.pk in rows:
            _status(session, actor, rows[w.pk], w.job, now)
    _tags(session, actor, [(w, rows[w.pk]) for w in writes if w.pk in rows and w.job.kind == "dag"])
    gone = sorted(h.node_pk for n, h in held.items() if n not in wanted and not h.gone)
    if not found.complete:
        gone = []
    counts.gone = len(gone)
    repo.mark_gone(session, gone, now)
    if prune:
        before = [h.node_pk for n, h in held.items() if h.gone and n not in wanted]
        counts.pruned = _prune(session, gone + before)
    return counts


def _insert(
    session: Session, target: Target, fresh: list[str], pk_of: dict[str, int], now: datetime
) -> set[int]:
    """Nodes for the jobs the collector has not found before (unless an event reported them)."""
    existing = nodes.nodes_by_key(session, [(target.namespace, n) for n in fresh])
    rows: list[dict[str, Any]] = [
        {
            "id": new_id(),
            "kind": NodeKind.job.value,
            "namespace": target.namespace,
            "name": name,
            "secret_fields": [],
            "status": NodeStatus.unknown.value,
            "created_at": now,
            "updated_at": now,
        }
        for name in fresh
        if (target.namespace, name) not in existing
    ]
    created = {row.pk for row in nodes.insert_nodes(session, rows)}
    for row in nodes.nodes_by_key(session, [(target.namespace, n) for n in fresh]).values():
        # A node of another kind under the job's key (the system node itself, named like a
        # DAG) is not a job: it is left alone.
        if row.kind == NodeKind.job.value:
            pk_of[row.name] = row.pk
    return created


def _objects(session: Session, target: Target, writes: list[_Write], now: datetime) -> None:
    def row(w: _Write) -> dict[str, Any]:
        return {
            "node_pk": w.pk,
            "source_pk": target.pk,
            "object_kind": w.job.kind,
            "comment": w.job.summary,
            "row_estimate": None,
            "digest": w.digest,
            "seen_at": now,
            "gone_at": None,
        }

    repo.insert_objects(session, [row(w) for w in writes if w.fresh])
    repo.update_objects(session, [row(w) for w in writes if not w.fresh])


def _parents(
    session: Session,
    target: Target,
    writes: list[_Write],
    rows: dict[int, NodeRow],
    pk_of: dict[str, int],
) -> None:
    placed: list[dict[str, Any]] = []
    for w in writes:
        node = rows.get(w.pk)
        parent = target.pk if w.job.parent is None else pk_of.get(w.job.parent)
        if node is None or node.parent_pk is not None or parent is None or parent == w.pk:
            continue
        node.parent_pk = parent
        placed.append({"pk": w.pk, "parent_pk": parent})
    repo.update_nodes(session, placed)
    changes.log_many(session, changes.PARENT_SET, [(p["pk"], p["parent_pk"]) for p in placed])


def _status(session: Session, actor: Principal, node: NodeRow, job: Job, now: datetime) -> None:
    """The job's status as the system reports it, audited when it changes."""
    if job.status is None or job.message is None:
        return
    if node.status == job.status.value and node.status_message == job.message:
        return
    before = {"status": node.status, "status_message": node.status_message}
    after = {"status": job.status.value, "status_message": job.message}
    changed_at = now if node.status != job.status.value else None
    health_repository.set_status(session, node.pk, job.status.value, job.message, changed_at)
    node.status, node.status_message = job.status.value, job.message
    audit.record(
        session,
        actor,
        "node.status",
        "node",
        node.id,
        {**audit.diff(before, after), "origin": ORIGIN},
    )


def _tags(session: Session, actor: Principal, dags: list[tuple[_Write, NodeRow]]) -> None:
    """``airflow:paused`` follows whether each DAG is paused."""
    if not dags:
        return
    current = nodes.tags_of(session, [node.pk for _, node in dags])
    added: list[tuple[int, str]] = []
    removed: list[tuple[int, str]] = []
    for w, node in dags:
        have = current.get(node.pk, set())
        if w.job.paused == (PAUSED_TAG in have):
            continue
        after = have | {PAUSED_TAG} if w.job.paused else have - {PAUSED_TAG}
        (added if w.job.paused else removed).append((node.pk, PAUSED_TAG))
        audit.record(
            session,
            actor,
            "node.update",
            "node",
            node.id,
            {"tags": {"from": sorted(have), "to": sorted(after)}, "origin": ORIGIN},
        )
    nodes.change_tags(session, added, removed)


def _prune(session: Session, pks: list[int]) -> int:
    """Delete the gone jobs no node sits under; a task goes before its DAG."""
    left, pruned = sorted(set(pks)), 0
    for _ in range(MAX_PRUNE_ROUNDS):
        doomed = repo.prunable(session, left)
        if not doomed:
            break
        repo.delete_objects(session, doomed)
        repo.delete_nodes(session, doomed)
        changes.log_many(session, changes.NODE_REMOVED, [(pk, -1) for pk in doomed])
        pruned += len(doomed)
        left = [pk for pk in left if pk not in set(doomed)]
    return pruned
