"""All SQL of the catalog."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from dlv.nodes.models import Annotation, Node, NodeTag
from dlv.nodes.schemas import NodeSortField
from dlv.pagination import SortKey, keyset


@dataclass(frozen=True)
class NodeFilter:
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    owner: str | None = None
    tags: Sequence[str] = field(default_factory=tuple)
    status: str | None = None
    parent_pk: int | None = None
    q: str | None = None


def sort_key(sort: NodeSortField) -> SortKey:
    """The column for ``sort``; nullable ones sort as empty text so keyset stays total."""
    column: Any = getattr(Node, sort.value)
    if sort is NodeSortField.owner:
        return func.coalesce(Node.owner, "")
    return column  # type: ignore[no-any-return]


def sort_value(node: Node, sort: NodeSortField) -> Any:
    value = getattr(node, sort.value)
    return "" if value is None and sort is NodeSortField.owner else value


def get(session: Session, node_id: uuid.UUID) -> Node | None:
    return session.scalars(select(Node).where(Node.id == node_id)).first()


def get_by_key(session: Session, namespace: str, name: str) -> Node | None:
    stmt = select(Node).where(Node.namespace == namespace, Node.name == name)
    return session.scalars(stmt).first()


def _contains(column: Any, text: str) -> ColumnElement[bool]:
    return func.lower(column).contains(text.lower(), autoescape=True)


def search(
    session: Session,
    where: NodeFilter,
    *,
    sort: NodeSortField,
    descending: bool,
    cursor: str | None,
    limit: int,
) -> Sequence[Node]:
    stmt = select(Node)
    for column, value in (
        (Node.kind, where.kind),
        (Node.namespace, where.namespace),
        (Node.name, where.name),
        (Node.status, where.status),
        (Node.parent_pk, where.parent_pk),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if where.owner is not None:
        stmt = stmt.where(or_(Node.owner == where.owner, has_owner(session, where.owner)))
    for tag in where.tags:
        stmt = stmt.where(exists().where(NodeTag.node_pk == Node.pk, NodeTag.tag == tag))
    if where.q:
        tag_match = exists().where(NodeTag.node_pk == Node.pk, _contains(NodeTag.tag, where.q))
        stmt = stmt.where(
            or_(
                _contains(Node.name, where.q),
                _contains(Node.namespace, where.q),
                _contains(func.coalesce(Node.description, ""), where.q),
                _contains(cast(Node.owners, Text), where.q),
                tag_match,
            )
        )
    stmt = keyset(
        stmt, [sort_key(sort), Node.pk], descending=descending, cursor=cursor, limit=limit
    )
    return session.scalars(stmt).unique().all()


def has_owner(session: Session, owner: str) -> ColumnElement[bool]:
    """Whether ``owner`` is any of a node's owners."""
    if session.get_bind().dialect.name == "postgresql":
        return Node.owners.op("@>")(func.jsonb_build_array(owner))
    each = func.json_each(Node.owners).table_valued("value")
    return exists().select_from(each).where(each.c.value == owner)


def add(session: Session, node: Node) -> None:
    session.add(node)
    session.flush()


def set_tags(session: Session, node: Node, tags: Sequence[str]) -> None:
    node.tag_rows = [NodeTag(node_pk=node.pk, tag=t) for t in tags]
    session.flush()


def child_pks(session: Session, parent_pks: Sequence[int]) -> list[int]:
    stmt = select(Node.pk).where(Node.parent_pk.in_(parent_pks))
    return list(session.scalars(stmt))


def count_children(session: Session, pk: int) -> int:
    return session.scalar(select(func.count()).where(Node.parent_pk == pk)) or 0


def ancestor_pks(session: Session, pk: int, max_hops: int) -> list[int]:
    """The parent chain above ``pk`` (nearest first), at most ``max_hops`` long."""
    chain: list[int] = []
    current: int | None = pk
    while current is not None and len(chain) < max_hops:
        current = session.scalar(select(Node.parent_pk).where(Node.pk == current))
        if current is not None:
            chain.append(current)
    return chain


def delete_nodes(session: Session, pks: Sequence[int]) -> None:
    """Delete nodes, children first (parents are RESTRICTed); edges and tags cascade."""
    for pk in reversed(pks):
        session.execute(delete(Node).where(Node.pk == pk))
    session.expire_all()


def get_annotation(session: Session, node_pk: int, annotation_id: uuid.UUID) -> Annotation | None:
    stmt = select(Annotation).where(Annotation.id == annotation_id, Annotation.node_pk == node_pk)
    return session.scalars(stmt).first()


def add_annotation(session: Session, annotation: Annotation) -> None:
    session.add(annotation)
    session.flush()


def delete_annotation(session: Session, annotation: Annotation) -> None:
    session.delete(annotation)
    session.flush()


def with_secrets(session: Session) -> Sequence[Node]:
    return session.scalars(select(Node).where(Node.connection_secrets.is_not(None))).all()
