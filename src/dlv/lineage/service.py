"""Edges between catalog nodes: data flows from source to target."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from dlv.audit import service as audit
from dlv.auth.principal import Principal
from dlv.errors import Conflict, FieldError, InvalidInput, NotFound
from dlv.events import service as events
from dlv.events.service import EventKind
from dlv.lineage import changes, repository
from dlv.lineage.models import Edge, EdgeOrigin
from dlv.lineage.schemas import EdgeCreate
from dlv.nodes import repository as nodes_repository
from dlv.nodes.models import Node


class EdgeNotFound(NotFound):
    pass


class EdgeExists(Conflict):
    pass


def _node_at(session: Session, node_id: uuid.UUID, field: str) -> Node:
    node = nodes_repository.get(session, node_id)
    if node is None:
        raise InvalidInput(
            f"The {field.removesuffix('_id')} node {node_id} does not exist",
            errors=[FieldError(f"body.{field}", "unknown node")],
        )
    return node


def create(
    session: Session, actor: Principal, data: EdgeCreate, origin: EdgeOrigin = EdgeOrigin.manual
) -> Edge:
    """Draw an edge; cycles are allowed, self-loops and duplicates are not."""
    if data.source_id == data.target_id:
        raise InvalidInput(
            "An edge cannot connect a node to itself",
            errors=[FieldError("body.target_id", "same as source_id")],
        )
    source = _node_at(session, data.source_id, "source_id")
    target = _node_at(session, data.target_id, "target_id")
    existing = repository.get_by_ends(session, source.pk, target.pk)
    if existing is not None:
        raise EdgeExists("This edge already exists", extra={"existing_id": str(existing.id)})
    edge = Edge(
        source_pk=source.pk,
        target_pk=target.pk,
        source=source,
        target=target,
        description=data.description,
        origin=origin,
    )
    repository.add(session, edge)
    changes.log(session, changes.EDGE_ADDED, source.pk, target.pk)
    _emit(session, EventKind.edge_created, edge.id, source.id, target.id)
    audit.record(
        session,
        actor,
        "edge.create",
        "edge",
        edge.id,
        {"source_id": source.id, "target_id": target.id, "origin": origin},
    )
    return edge


def _emit(
    session: Session, kind: EventKind, edge_id: uuid.UUID, source: uuid.UUID, target: uuid.UUID
) -> None:
    events.emit_many(session, kind, [events.edge_payload(edge_id, source, target)])


def get(session: Session, edge_id: uuid.UUID) -> Edge:
    """One edge, or EdgeNotFound."""
    edge = repository.get(session, edge_id)
    if edge is None:
        raise EdgeNotFound(f"No edge with id {edge_id}")
    return edge


def _pk_of(session: Session, node_id: uuid.UUID | None) -> int | None:
    if node_id is None:
        return None
    node = nodes_repository.get(session, node_id)
    return node.pk if node is not None else -1  # an unknown node matches no edge


def search(
    session: Session,
    *,
    node_id: uuid.UUID | None = None,
    source_id: uuid.UUID | None = None,
    target_id: uuid.UUID | None = None,
    include_stale: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> Sequence[Edge]:
    """Edges touching ``node_id`` / from ``source_id`` / to ``target_id``, oldest first;
    stale ones only with ``include_stale``."""
    return repository.search(
        session,
        node_pk=_pk_of(session, node_id),
        source_pk=_pk_of(session, source_id),
        target_pk=_pk_of(session, target_id),
        include_stale=include_stale,
        cursor=cursor,
        limit=limit,
    )


def delete(session: Session, actor: Principal, edge_id: uuid.UUID) -> None:
    """Remove an edge."""
    edge = get(session, edge_id)
    source, target = edge.source, edge.target
    repository.delete(session, edge)
    changes.log(session, changes.EDGE_REMOVED, source.pk, target.pk)
    _emit(session, EventKind.edge_deleted, edge_id, source.id, target.id)
    audit.record(
        session,
        actor,
        "edge.delete",
        "edge",
        edge_id,
        {"source_id": source.id, "target_id": target.id, "origin": edge.origin},
    )
