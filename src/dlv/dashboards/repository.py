"""All SQL of dashboards, including the catalog facts a dashboard shows."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, or_, select, tuple_
from sqlalchemy.orm import Session, aliased, defer

from dlv.dashboards.models import Dashboard, DashboardTag
from dlv.dashboards.schemas import DashboardSortField
from dlv.lineage.models import Edge
from dlv.nodes.models import Node
from dlv.pagination import keyset

# Below every backend's bound-parameter limit, with room for a second IN list.
CHUNK = 5_000


@dataclass(frozen=True)
class DashboardFilter:
    owner: str | None = None
    tags: Sequence[str] = field(default_factory=tuple)
    q: str | None = None


@dataclass(frozen=True)
class NodeRow:
    pk: int
    id: uuid.UUID
    kind: str
    namespace: str
    name: str
    owner: str | None
    status: str
    status_message: str | None


def get(session: Session, dashboard_id: uuid.UUID, *, for_update: bool = False) -> Dashboard | None:
    """One dashboard; ``for_update`` locks its row until commit (PostgreSQL; SQLite's writer
    lock is already exclusive), so a version check and the write after it cannot interleave."""
    stmt = select(Dashboard).where(Dashboard.id == dashboard_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def get_by_name(session: Session, name: str, *, for_update: bool = False) -> Dashboard | None:
    stmt = select(Dashboard).where(Dashboard.name == name)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def names_taken(session: Session, names: Collection[str]) -> set[str]:
    return set(session.scalars(select(Dashboard.name).where(Dashboard.name.in_(list(names)))))


def _contains(column: Any, text: str) -> ColumnElement[bool]:
    return func.lower(column).contains(text.lower(), autoescape=True)


def sort_value(dashboard: Dashboard, sort: DashboardSortField) -> Any:
    return getattr(dashboard, sort.value)


def search(
    session: Session,
    where: DashboardFilter,
    *,
    sort: DashboardSortField,
    descending: bool,
    cursor: str | None,
    limit: int,
) -> Sequence[Dashboard]:
    # A list shows summaries: layouts can be large and are left unloaded.
    stmt = select(Dashboard).options(defer(Dashboard.layout))
    if where.owner is not None:
        stmt = stmt.where(Dashboard.owner == where.owner)
    for tag in where.tags:
        stmt = stmt.where(
            exists().where(DashboardTag.dashboard_id == Dashboard.id, DashboardTag.tag == tag)
        )
    if where.q:
        tag_match = exists().where(
            DashboardTag.dashboard_id == Dashboard.id, _contains(DashboardTag.tag, where.q)
        )
        stmt = stmt.where(
            or_(
                _contains(Dashboard.name, where.q),
                _contains(func.coalesce(Dashboard.description, ""), where.q),
                _contains(func.coalesce(Dashboard.owner, ""), where.q),
                tag_match,
            )
        )
    column = getattr(Dashboard, sort.value)
    stmt = keyset(stmt, [column, Dashboard.id], descending=descending, cursor=cursor, limit=limit)
    return session.scalars(stmt).all()


def layouts(session: Session, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The stored layouts of these dashboards (a list page leaves them unloaded)."""
    stmt = select(Dashboard.id, Dashboard.layout).where(Dashboard.id.in_(list(ids)))
    return {row.id: row.layout for row in session.execute(stmt)}


def nodes_in_status(
    session: Session, ids: Collection[uuid.UUID], statuses: Collection[str]
) -> dict[uuid.UUID, str]:
    """Those of these node ids whose catalog status is one of ``statuses``, with it."""
    items = list(ids)
    found: dict[uuid.UUID, str] = {}
    for i in range(0, len(items), CHUNK):
        stmt = select(Node.id, Node.status).where(
            Node.id.in_(items[i : i + CHUNK]), Node.status.in_(list(statuses))
        )
        found.update((node_id, str(status)) for node_id, status in session.execute(stmt))
    return found


def after_name(session: Session, name: str | None, limit: int) -> Sequence[Dashboard]:
    """Dashboards by name, after ``name``: the export's batches."""
    stmt = select(Dashboard).order_by(Dashboard.name).limit(limit)
    if name is not None:
        stmt = stmt.where(Dashboard.name > name)
    return session.scalars(stmt).all()


def add(session: Session, dashboard: Dashboard) -> None:
    session.add(dashboard)
    session.flush()


def set_tags(session: Session, dashboard: Dashboard, tags: Sequence[str]) -> None:
    if dashboard.tags != list(tags):
        dashboard.tag_rows = [DashboardTag(dashboard_id=dashboard.id, tag=t) for t in tags]
    session.flush()


def delete_dashboard(session: Session, dashboard: Dashboard) -> None:
    session.execute(delete(Dashboard).where(Dashboard.id == dashboard.id))
    session.expunge(dashboard)


_NODE_COLUMNS = (
    Node.pk,
    Node.id,
    Node.kind,
    Node.namespace,
    Node.name,
    Node.owner,
    Node.status,
    Node.status_message,
)


def nodes_by_id(session: Session, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, NodeRow]:
    """The catalog rows of these node ids (deleted ones are simply absent)."""
    items = list(ids)
    found: dict[uuid.UUID, NodeRow] = {}
    for i in range(0, len(items), CHUNK):
        stmt = select(*_NODE_COLUMNS).where(Node.id.in_(items[i : i + CHUNK]))
        found.update((row[1], NodeRow(*row)) for row in session.execute(stmt))
    return found


def nodes_by_key(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], NodeRow]:
    """The catalog rows of these (namespace, name) keys."""
    items = list(keys)
    found: dict[tuple[str, str], NodeRow] = {}
    for i in range(0, len(items), CHUNK // 2):
        stmt = select(*_NODE_COLUMNS).where(
            tuple_(Node.namespace, Node.name).in_(items[i : i + CHUNK // 2])
        )
        found.update(((row[3], row[4]), NodeRow(*row)) for row in session.execute(stmt))
    return found


def edges_among(session: Session, pks: Collection[int]) -> list[tuple[uuid.UUID, int, int]]:
    """Catalog edges with both ends in ``pks``, as (id, source pk, target pk)."""
    members = set(pks)
    items = sorted(members)
    found: list[tuple[uuid.UUID, int, int]] = []
    for i in range(0, len(items), CHUNK):
        # The target is filtered here, not in SQL: with two IN lists SQLite probes the
        # (source, target) index once per pair of values (12.5M probes for 5,000 nodes).
        stmt = select(Edge.id, Edge.source_pk, Edge.target_pk).where(
            Edge.source_pk.in_(items[i : i + CHUNK])
        )
        found.extend((e, s, t) for e, s, t in session.execute(stmt) if t in members)
    return found


def existing_edges(session: Session, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    items = list(ids)
    found: set[uuid.UUID] = set()
    for i in range(0, len(items), CHUNK):
        found.update(session.scalars(select(Edge.id).where(Edge.id.in_(items[i : i + CHUNK]))))
    return found


def edge_keys(
    session: Session, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, tuple[tuple[str, str], tuple[str, str]]]:
    """``{edge id: ((source namespace, name), (target namespace, name))}``."""
    source, target = aliased(Node), aliased(Node)
    items = list(ids)
    found: dict[uuid.UUID, tuple[tuple[str, str], tuple[str, str]]] = {}
    for i in range(0, len(items), CHUNK):
        stmt = (
            select(Edge.id, source.namespace, source.name, target.namespace, target.name)
            .join(source, source.pk == Edge.source_pk)
            .join(target, target.pk == Edge.target_pk)
            .where(Edge.id.in_(items[i : i + CHUNK]))
        )
        found.update(((e, ((sn, s), (tn, t))) for e, sn, s, tn, t in session.execute(stmt)))
    return found


def edge_ids_by_ends(
    session: Session, pairs: Collection[tuple[int, int]]
) -> dict[tuple[int, int], uuid.UUID]:
    """``{(source pk, target pk): edge id}`` for the pairs that are edges."""
    wanted = set(pairs)
    sources = sorted({s for s, _ in wanted})
    found: dict[tuple[int, int], uuid.UUID] = {}
    for i in range(0, len(sources), CHUNK):
        stmt = select(Edge.source_pk, Edge.target_pk, Edge.id).where(
            Edge.source_pk.in_(sources[i : i + CHUNK])
        )
        found.update(((s, t), e) for s, t, e in session.execute(stmt) if (s, t) in wanted)
    return found
