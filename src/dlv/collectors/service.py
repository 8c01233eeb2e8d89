"""Collections: run a node's collector now, write what changed, keep the history.

``collect`` is what the monitoring loop calls: synchronous, one node at a time, safe in any
thread (it opens its own short sessions, like the health checks, see ``dlv.health.runner``):

1. read the node and its connection in a read-only transaction;
2. read the system's catalog with no DLV transaction open (seconds on a large database: on
   SQLite a transaction held across it would stall every other writer);
3. write what changed and the run's record in one transaction: all of it or none of it.

A failed collection (server down, wrong password, a policy refusal) is a stored run with its
error, never an exception: only a missing node or one with nothing to collect raises.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dlv.audit import service as audit
from dlv.auth.principal import Principal
from dlv.collectors import postgres
from dlv.collectors import repository as repo
from dlv.collectors.models import Collection
from dlv.collectors.postgres import CollectFailed, Relation, Snapshot
from dlv.collectors.schemas import (
    CollectedRead,
    CollectionRead,
    CollectionResult,
    CollectionStatus,
)
from dlv.crypto import SecretBox
from dlv.db import new_id, utcnow
from dlv.errors import Conflict, NotFound
from dlv.events import service as events
from dlv.health import repository as health_repository
from dlv.health import service as health_service
from dlv.health.connectors.base import redact
from dlv.health.network import NetworkPolicy
from dlv.health.runner import Database
from dlv.ingestion import catalog_repository as nodes
from dlv.ingestion.catalog import digest
from dlv.lineage import changes
from dlv.lineage.models import EdgeOrigin
from dlv.nodes.connections import PostgresConnection
from dlv.nodes.models import NodeKind, NodeStatus

log = logging.getLogger("dlv.collectors")
NodeNotFound = health_service.NodeNotFound


class NoCollector(Conflict):
    pass


class NotCollected(NotFound):
    pass


@dataclass(frozen=True)
class Target:
    pk: int
    id: uuid.UUID
    config: PostgresConnection


@dataclass
class Counts:
    discovered: int = 0
    created: int = 0
    updated: int = 0
    gone: int = 0
    pruned: int = 0
    edges_added: int = 0
    edges_removed: int = 0

    def changed(self) -> bool:
        return any(
            (
                self.created,
                self.updated,
                self.gone,
                self.pruned,
                self.edges_added,
                self.edges_removed,
            )
        )


def load_target(session: Session, box: SecretBox, node_id: uuid.UUID) -> Target:
    """The node to collect with its full config; 404, or 409 when there is nothing to collect."""
    target = health_service.load_target(session, box, node_id)
    if not isinstance(target.config, PostgresConnection):
        raise NoCollector(
            f"No collector for {target.kind} nodes yet: only PostgreSQL nodes are collected"
        )
    return Target(target.pk, target.id, target.config)


def collect(
    db: Database,
    box: SecretBox,
    policy: NetworkPolicy,
    actor: Principal,
    node_id: uuid.UUID,
    *,
    prune: bool = False,
) -> CollectionResult:
    """Run the node's collector now, write what changed and store the run (see the module)."""
    started = (utcnow(), time.monotonic())
    with db.factory(bind=db.read_engine) as session:
        target = load_target(session, box, node_id)
    snapshot: Snapshot | None = None
    try:
        snapshot = postgres.read(target.config, policy)
        message = ""
    except CollectFailed as failed:
        message = str(failed)
    except Exception as exc:  # a collector bug must not become a 500
        # The exception text may quote the config: only its type is logged and stored.
        log.error("postgres collector failed: %s", type(exc).__name__)
        message = f"The postgres collector failed unexpectedly ({type(exc).__name__})"
    # DLV's own words (never the server's), as in a health check: the known secret is what
    # could leak into them. ``secrets.scrub``'s patterns would mask "password authentication
    # failed" itself.
    password = target.config.password
    message = redact(message, [password.get_secret_value()] if password else [])
    try:
        return _store(db, actor, target, snapshot, message, prune=prune, started=started)
    except NodeNotFound:
        raise
    except Exception as exc:  # a bug or a broken constraint: rolled back, stored as an error
        log.error("storing a collection failed: %s", type(exc).__name__)
        why = f"Storing the collection failed ({type(exc).__name__}); nothing was written"
        return _store(db, actor, target, None, why, prune=False, started=started)


def _store(
    db: Database,
    actor: Principal,
    target: Target,
    snapshot: Snapshot | None,
    message: str,
    *,
    prune: bool,
    started: tuple[datetime, float],
) -> CollectionResult:
    """Write what ``snapshot`` changed and the run's record, in one transaction."""
    with db.factory(bind=db.engine) as session, session.begin():
        if health_repository.lock_node(session, target.pk) is None:
            raise NodeNotFound(f"No node with id {target.id} (deleted during the collection)")
        counts = Counts()
        if snapshot is not None:
            counts = apply(session, target, snapshot, prune=prune, now=utcnow())
            message = _summary(counts)
            if counts.changed():
                audit.record(session, actor, "node.collect", "node", target.id, vars(counts).copy())
        result = CollectionResult(
            status=CollectionStatus.ok if snapshot is not None else CollectionStatus.error,
            message=message,
            duration_ms=round((time.monotonic() - started[1]) * 1000),
            started_at=started[0],
            **vars(counts),
        )
        repo.add_collection(
            session,
            Collection(
                node_pk=target.pk,
                actor=actor.label,
                **result.model_dump(exclude={"status"}),
                status=result.status.value,
            ),
        )
        events.emit(session, "collection.finished", result.model_dump(mode="json"), target.id)
    return result


def _summary(counts: Counts) -> str:
    return (
        f"{counts.discovered} objects: {counts.created} new, {counts.updated} changed, "
        f"{counts.gone} gone, {counts.pruned} pruned; edges +{counts.edges_added} "
        f"-{counts.edges_removed}"
    )


def _structure(relation: Relation) -> str:
    """The digest of what a node shows of an object (the row estimate moves on its own)."""
    return digest([relation.kind, relation.comment, relation.columns])


@dataclass
class _Run:
    """One collection's view of the catalog and the writes it gathers (done in bulk)."""

    session: Session
    target: Target
    namespace: str
    found: dict[str, Relation]
    held: dict[str, repo.Held]
    now: datetime
    counts: Counts
    pk_of: dict[str, int] = field(default_factory=dict)
    objects_new: list[dict[str, Any]] = field(default_factory=list)
    objects_changed: list[dict[str, Any]] = field(default_factory=list)
    estimates: list[dict[str, Any]] = field(default_factory=list)
    columns: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    parents: list[tuple[int, int]] = field(default_factory=list)


def apply(
    session: Session, target: Target, snapshot: Snapshot, *, prune: bool, now: datetime
) -> Counts:
    """Write the difference between what the collector found before and ``snapshot``."""
    database = target.config.database
    found = {f"{database}.{key}": rel for key, rel in snapshot.relations.items()}
    held = repo.held(session, target.pk)
    run = _Run(
        session,
        target,
        postgres.namespace(target.config),
        found,
        held,
        now,
        Counts(discovered=len(found)),
        pk_of={name: h.node_pk for name, h in held.items()},
    )
    _new_objects(run)
    _known_objects(run)
    gone = sorted(h.node_pk for name, h in held.items() if name not in found and not h.gone)
    run.counts.gone = len(gone)
    repo.insert_objects(session, run.objects_new)
    repo.update_objects(session, run.objects_changed)
    repo.update_objects(session, run.estimates)
    repo.save_columns(session, run.columns, now)
    repo.update_nodes(session, run.nodes)
    repo.mark_gone(session, gone, now)
    changes.log_many(session, changes.PARENT_SET, run.parents)
    pairs = {(f"{database}.{s}", f"{database}.{v}") for s, v in snapshot.dependencies}
    _edges(
        run, {(run.pk_of[s], run.pk_of[v]) for s, v in pairs if s in run.pk_of and v in run.pk_of}
    )
    if prune:
        before = [h.node_pk for name, h in held.items() if h.gone and name not in found]
        run.counts.pruned = _prune(session, gone + before)
    return run.counts


def _new_objects(run: _Run) -> None:
    """Objects this collector has not found before: new nodes, or nodes events reported."""
    fresh = sorted(name for name in run.found if name not in run.held)
    existing = nodes.nodes_by_key(run.session, [(run.namespace, n) for n in fresh])
    rows: list[dict[str, Any]] = [
        {
            "id": new_id(),
            "kind": NodeKind.dataset.value,
            "namespace": run.namespace,
            "name": name,
            "parent_pk": run.target.pk,
            "description": run.found[name].comment,
            "secret_fields": [],
            "status": NodeStatus.unknown.value,
            "created_at": run.now,
            "updated_at": run.now,
        }
        for name in fresh
        if (run.namespace, name) not in existing
    ]
    created: set[int] = set()
    for inserted in nodes.insert_nodes(run.session, rows):
        existing[(inserted.namespace, inserted.name)] = inserted
        created.add(inserted.pk)
        run.parents.append((inserted.pk, run.target.pk))
    run.counts.created = len(created)
    for name in fresh:
        node = existing.get((run.namespace, name))
        if node is None:
            continue  # inserted and deleted by someone else meanwhile: the next run sees it
        relation = run.found[name]
        run.pk_of[name] = node.pk
        run.objects_new.append(_object(node.pk, run.target.pk, relation, run.now))
        run.columns[node.pk] = relation.columns
        if node.pk in created:
            continue
        run.counts.updated += 1  # a node OpenLineage reported, now collected too
        values: dict[str, Any] = {}
        if node.parent_pk is None:
            values["parent_pk"] = run.target.pk
            run.parents.append((node.pk, run.target.pk))
        if node.description is None and relation.comment is not None:
            values["description"] = relation.comment
        if values:
            run.nodes.append({"pk": node.pk, **values})


def _known_objects(run: _Run) -> None:
    """Objects found before: rewritten only where their digest (or row estimate) moved."""
    for name, held in run.held.items():
        relation = run.found.get(name)
        if relation is None:
            continue
        row = _object(held.node_pk, run.target.pk, relation, run.now)
        if row["digest"] == held.digest and not held.gone:
            if relation.row_estimate != held.row_estimate:
                run.counts.updated += 1
                run.estimates.append(
                    {
                        "node_pk": held.node_pk,
                        "row_estimate": relation.row_estimate,
                        "seen_at": run.now,
                    }
                )
            continue
        run.counts.updated += 1
        run.objects_changed.append(row)
        run.columns[held.node_pk] = relation.columns
        # The description follows the comment until a person writes their own.
        if relation.comment != held.comment and held.description in (None, held.comment):
            run.nodes.append({"pk": held.node_pk, "description": relation.comment})


def _edges(run: _Run, wanted: set[tuple[int, int]]) -> None:
    """The collector's edges become ``wanted``; an edge of another origin is never touched
    (nor duplicated: one edge joins two nodes)."""
    current = repo.collector_edges(run.session, run.target.pk)
    removed = sorted(current - wanted)
    repo.delete_edges(run.session, removed)
    changes.log_many(run.session, changes.EDGE_REMOVED, removed)
    added = repo.insert_edges(
        run.session,
        [
            {
                "id": new_id(),
                "source_pk": s,
                "target_pk": t,
                "origin": EdgeOrigin.collector.value,
                "created_at": run.now,
                "first_seen_at": run.now,
                "last_seen_at": run.now,
            }
            for s, t in sorted(wanted - current)
        ],
    )
    changes.log_many(run.session, changes.EDGE_ADDED, added)
    run.counts.edges_removed, run.counts.edges_added = len(removed), len(added)


def _object(pk: int, source_pk: int, relation: Relation, now: datetime) -> dict[str, Any]:
    return {
        "node_pk": pk,
        "source_pk": source_pk,
        "object_kind": relation.kind,
        "comment": relation.comment,
        "row_estimate": relation.row_estimate,
        "digest": _structure(relation),
        "seen_at": now,
        "gone_at": None,
    }


def _prune(session: Session, pks: Sequence[int]) -> int:
    doomed = repo.prunable(session, pks)
    repo.delete_nodes(session, doomed)
    changes.log_many(session, changes.NODE_REMOVED, [(pk, -1) for pk in doomed])
    return len(doomed)


def history(
    session: Session, node_id: uuid.UUID, *, cursor: str | None, limit: int
) -> Sequence[Collection]:
    """A node's collections, newest first; one more than ``limit`` when a page follows."""
    node = health_repository.get_node(session, node_id)
    if node is None:
        raise NodeNotFound(f"No node with id {node_id}")
    return repo.history(session, node.pk, cursor=cursor, limit=limit)


def to_read(row: Collection, node_id: uuid.UUID) -> CollectionRead:
    return CollectionRead(
        id=row.id,
        node_id=node_id,
        actor=row.actor,
        status=CollectionStatus(row.status),
        message=row.message,
        discovered=row.discovered,
        created=row.created,
        updated=row.updated,
        gone=row.gone,
        pruned=row.pruned,
        edges_added=row.edges_added,
        edges_removed=row.edges_removed,
        duration_ms=row.duration_ms,
        started_at=row.started_at,
    )


def collected(session: Session, node_id: uuid.UUID) -> CollectedRead:
    """What a collector found about a node; 404 when none did."""
    node = health_repository.get_node(session, node_id)
    if node is None:
        raise NodeNotFound(f"No node with id {node_id}")
    found = repo.collected(session, node.pk)
    if found is None:
        raise NotCollected(f"No collector has found the node {node.name!r}")
    row, source_id = found
    return CollectedRead(
        node_id=node_id,
        source_id=source_id,
        object_kind=row.object_kind,
        comment=row.comment,
        row_estimate=row.row_estimate,
        seen_at=row.seen_at,
        gone_at=row.gone_at,
    )
