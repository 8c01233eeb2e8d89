"""SQL of the impact domain: the root of a traversal (the rest comes from the index)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from dlv.nodes.models import Node


def pk_of(session: Session, node_id: uuid.UUID) -> int | None:
    return session.scalar(select(Node.pk).where(Node.id == node_id))
