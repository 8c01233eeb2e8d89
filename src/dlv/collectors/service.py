"""Collections: run a node's collector now, write what changed, keep the history.

One collector per system kind (``COLLECTORS``): PostgreSQL relations as datasets
(``postgres`` reads, ``datasets`` writes), Airflow DAGs and tasks and Spark applications as
jobs (``airflow`` and ``spark`` read, ``jobs`` writes). What they share lives here: the run's
record and counts, the one-transaction store, the masking of secrets in messages.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from dlv.audit import service as audit
from dlv.auth.principal import Principal
from dlv.collectors import airflow, datasets, jobs, postgres, spark
from dlv.collectors import repository as repo
from dlv.collectors.base import CollectFailed, Counts, Target
from dlv.collectors.models import Collection
from dlv.collectors.schemas import (
    CollectedRead,
    CollectionRead,
    CollectionResult,
    CollectionStatus,
)
from dlv.crypto import SecretBox
from dlv.db import utcnow
from dlv.errors import Conflict, NotFound
from dlv.events import service as events
from dlv.health import repository as health_repository
from dlv.health import service as health_service
from dlv.health.connectors import AnyConnection
from dlv.health.connectors.base import redact
from dlv.health.network import NetworkPolicy
from dlv.health.runner import Database
from dlv.nodes.connections import secret_values
from dlv.nodes.models import NodeKind

log = logging.getLogger("dlv.collectors")
NodeNotFound = health_service.NodeNotFound


class NoCollector(Conflict):
    pass


class NotCollected(NotFound):
    pass


@dataclass(frozen=True)
class Collector:
    """A kind's collector: ``read`` the system (network, no transaction), ``apply`` what it
    found (in the run's transaction)."""

    read: Callable[[AnyConnection, NetworkPolicy], object]
    apply: Callable[..., Counts]


COLLECTORS: dict[NodeKind, Collector] = {
    NodeKind.postgres: Collector(postgres.read, datasets.apply),
    NodeKind.airflow: Collector(airflow.read, jobs.apply),
    NodeKind.spark: Collector(spark.read, jobs.apply),
}


def load_target(session: Session, box: SecretBox, node_id: uuid.UUID) -> Target:
    """The node to collect with its full config; 404, or 409 when there is nothing to collect."""
    node = health_repository.get_node(session, node_id)
    if node is None:
        raise NodeNotFound(f"No node with id {node_id}")
    if node.kind not in COLLECTORS:
        raise NoCollector(
            f"No collector for {node.kind} nodes: PostgreSQL, Airflow and Spark nodes are collected"
        )
    target = health_service.target_of(box, node)
    return Target(target.pk, target.id, node.namespace, target.config)


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
    kind = target.config.kind
    snapshot: object | None = None
    try:
        snapshot = COLLECTORS[NodeKind(kind)].read(target.config, policy)
        message = ""
    except CollectFailed as failed:
        message = str(failed)
    except Exception as exc:  # a collector bug must not become a 500
        # The exception text may quote the config: only its type is logged and stored.
        log.error("%s collector failed: %s", kind, type(exc).__name__)
        message = f"The {kind} collector failed unexpectedly ({type(exc).__name__})"
    # DLV's own words (never the server's), as in a health check: the known secrets are what
    # could leak into them. ``secrets.scrub``'s patterns would mask "password authentication
    # failed" itself.
    message = redact(message, secret_values(target.config))
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
    snapshot: object | None,
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
            collector = COLLECTORS[NodeKind(target.config.kind)]
            counts = collector.apply(session, actor, target, snapshot, prune=prune, now=utcnow())
            message = _summary(counts) + getattr(snapshot, "note", "")
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


__all__ = ["COLLECTORS", "CollectFailed", "Counts", "Target", "collect", "load_target"]


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
