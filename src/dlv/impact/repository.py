"""SQL of the impact domain: the node facts a traversal result needs."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from dlv.nodes.models import Node

CHUNK = 5_000


@dataclass(frozen=True)
class NodeFacts:
    pk: int
    id: uuid.UUID
    kind: str
    namespace: str
    name: str
    owner: str | None
    status: str
    status_message: str | None
    parent_id: uuid.UUID | None


def pk_of(session: Session, node_id: uuid.UUID) -> int | None:
    return session.scalar(select(Node.pk).where(Node.id == node_id))


def facts(session: Session, pks: Iterable[int]) -> dict[int, NodeFacts]:
    """Facts of the nodes with these pks (deleted ones are simply absent)."""
    parent = aliased(Node)
    columns = (
        Node.pk,
        Node.id,
        Node.kind,
        Node.namespace,
        Node.name,
        Node.owner,
        Node.status,
        Node.status_message,
        parent.id,
    )
    found: dict[int, NodeFacts] = {}
    items = list(pks)
    for i in range(0, len(items), CHUNK):
        stmt = (
            select(*columns)
            .outerjoin(parent, parent.pk == Node.parent_pk)
            .where(Node.pk.in_(items[i : i + CHUNK]))
        )
        for row in session.execute(stmt):
            found[row[0]] = NodeFacts(*row)
    return found
