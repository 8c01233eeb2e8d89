"""Collected datasets (the PostgreSQL collector's relations) written into the catalog.

See ADR 11: nodes named as OpenLineage names them, columns where schema facets go, only the
objects whose digest moved are written, vanished ones marked gone, view lineage as edges of
origin ``collector`` (never touching an edge of another origin).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dlv.auth.principal import Principal
from dlv.collectors import postgres
from dlv.collectors import repository as repo
from dlv.collectors.base import Counts, Target
from dlv.collectors.postgres import Relation, Snapshot
from dlv.db import new_id
from dlv.ingestion import catalog_repository as nodes
from dlv.ingestion.catalog import digest
from dlv.lineage import changes
from dlv.lineage.models import EdgeOrigin
from dlv.nodes.connections import PostgresConnection
from dlv.nodes.models import NodeKind, NodeStatus


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
    session: Session,
    actor: Principal,  # the collectors' one signature: one audit record per run, by the caller
    target: Target,
    snapshot: object,
    *,
    prune: bool,
    now: datetime,
) -> Counts:
    """Write the difference between what the collector found before and ``snapshot``."""
    config = target.config
    if not isinstance(snapshot, Snapshot) or not isinstance(config, PostgresConnection):
        raise TypeError("datasets.apply writes a PostgreSQL Snapshot")
    database = config.database
    found = {f"{database}.{key}": rel for key, rel in snapshot.relations.items()}
    held = repo.held(session, target.pk)
    run = _Run(
        session,
        target,
        postgres.namespace(config),
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
