"""Dashboards: saved canvas layouts of a flow, with the live status of every node on them.

Writes are optimistic: each names the version it was based on, and a stale one is refused
with the current version, so of two editors the second is told instead of overwriting.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from dlv.audit import service as audit
from dlv.auth.principal import Principal
from dlv.dashboards import lineage_layout, references, repository, transfer, versions
from dlv.dashboards.canvas import At, Layout
from dlv.dashboards.models import Dashboard
from dlv.dashboards.repository import DashboardFilter
from dlv.dashboards.schemas import (
    DashboardCreate,
    DashboardDocument,
    DashboardFromLineage,
    DashboardRead,
    DashboardSortField,
    DashboardSummary,
)
from dlv.db import utcnow
from dlv.errors import Conflict, FieldError, InvalidInput, NotFound
from dlv.events import service as events
from dlv.events.service import EventKind
from dlv.lineage.live import LiveIndex
from dlv.nodes.models import NodeStatus

COPY_ATTEMPTS = 50
EXPORT_BATCH = 50
BODY_LAYOUT = At("body.layout")


class DashboardNotFound(NotFound):
    pass


class DashboardExists(Conflict):
    pass


def get(session: Session, dashboard_id: uuid.UUID, *, for_update: bool = False) -> Dashboard:
    """One dashboard, or DashboardNotFound."""
    dashboard = repository.get(session, dashboard_id, for_update=for_update)
    if dashboard is None:
        raise DashboardNotFound(f"No dashboard with id {dashboard_id}")
    return dashboard


def search(
    session: Session,
    where: DashboardFilter,
    *,
    sort: DashboardSortField = DashboardSortField.name,
    descending: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> Sequence[Dashboard]:
    """Dashboards matching ``where``; one more than ``limit`` when a page follows."""
    return repository.search(
        session, where, sort=sort, descending=descending, cursor=cursor, limit=limit
    )


def sort_values(dashboard: Dashboard, sort: DashboardSortField) -> list[Any]:
    """The cursor values of ``dashboard`` in a list sorted by ``sort``."""
    return [repository.sort_value(dashboard, sort), dashboard.id]


def node_ids(session: Session, dashboard_id: uuid.UUID) -> set[uuid.UUID]:
    """The catalog nodes a dashboard places (DashboardNotFound if there is none)."""
    return {n.node_id for n in Layout.model_validate(get(session, dashboard_id).layout).nodes}


def _saved(session: Session, dashboard: Dashboard) -> None:
    # So an editor learns that someone else saved (the stream's dashboard.saved).
    payload = {"dashboard_id": str(dashboard.id), "name": dashboard.name}
    events.emit(session, EventKind.dashboard_saved, {**payload, "version": dashboard.version})


def view(session: Session, dashboard: Dashboard) -> DashboardRead:
    """The full form: layout, each node's current catalog facts, and the edges to draw."""
    layout = Layout.model_validate(dashboard.layout)
    facts, edges = references.live_facts(session, layout)
    in_error = sum(1 for f in facts if f.status == NodeStatus.error)
    return DashboardRead(
        **summary(dashboard, in_error).model_dump(), layout=layout, node_facts=facts, edges=edges
    )


def summary(dashboard: Dashboard, nodes_in_error: int) -> DashboardSummary:
    """The list form: everything but the layout."""
    return DashboardSummary(
        id=dashboard.id,
        name=dashboard.name,
        description=dashboard.description,
        owner=dashboard.owner,
        tags=dashboard.tags,
        node_count=dashboard.node_count,
        nodes_in_error=nodes_in_error,
        version=dashboard.version,
        created_by=dashboard.created_by,
        created_at=dashboard.created_at,
        updated_at=dashboard.updated_at,
    )


def summaries(session: Session, dashboards: Sequence[Dashboard]) -> list[DashboardSummary]:
    """The list form of a page of dashboards, each with how many of its nodes are red now.

    Two queries for the page, whatever its size: its layouts, then which of their nodes
    are in error (a list page is at most MAX_LIMIT dashboards).
    """
    layouts = repository.layouts(session, [d.id for d in dashboards])
    members = {
        dashboard_id: {uuid.UUID(str(n["node_id"])) for n in layout.get("nodes", [])}
        for dashboard_id, layout in layouts.items()
    }
    everyone = set().union(*members.values()) if members else set()
    red = repository.nodes_in_status(session, everyone, NodeStatus.error)
    return [summary(d, len(members.get(d.id, set()) & red)) for d in dashboards]


def _ensure_name_free(session: Session, name: str, own_id: uuid.UUID | None) -> None:
    existing = repository.get_by_name(session, name)
    if existing is not None and existing.id != own_id:
        raise DashboardExists(
            f"A dashboard named {name!r} already exists",
            errors=[FieldError("body.name", "must be unique")],
            extra={"existing_id": str(existing.id)},
        )


def _digest(layout: Mapping[str, Any]) -> dict[str, Any]:
    # The audit trail records what changed, not a copy of a possibly 5,000-node layout.
    raw = json.dumps(layout, sort_keys=True, separators=(",", ":")).encode()
    return {
        "nodes": len(layout.get("nodes", [])),
        "groups": len(layout.get("groups", [])),
        "notes": len(layout.get("notes", [])),
        "hidden_edges": len(layout.get("hidden_edge_ids", [])),
        "sha256": hashlib.sha256(raw).hexdigest()[:16],
    }


def snapshot(dashboard: Dashboard) -> dict[str, Any]:
    """The audited fields of a dashboard (the layout as a digest)."""
    return {
        "name": dashboard.name,
        "description": dashboard.description,
        "owner": dashboard.owner,
        "tags": dashboard.tags,
        "layout": _digest(dashboard.layout),
    }


def _store(dashboard: Dashboard, layout: Layout) -> None:
    dashboard.layout = layout.model_dump(mode="json")
    dashboard.node_count = len(layout.nodes)


def create(
    session: Session,
    actor: Principal,
    data: DashboardCreate,
    *,
    origin: Mapping[str, Any] | None = None,
) -> Dashboard:
    """Save a new dashboard at version 1."""
    _ensure_name_free(session, data.name, None)
    references.check(session, data.layout, None, BODY_LAYOUT)
    dashboard = Dashboard(
        id=uuid.uuid4(),
        name=data.name,
        description=data.description,
        owner=data.owner,
        version=1,
        created_by=actor.label,
        created_at=(now := utcnow()),
        updated_at=now,
    )
    _store(dashboard, data.layout)
    repository.add(session, dashboard)
    repository.set_tags(session, dashboard, data.tags)
    _saved(session, dashboard)
    audit.record(
        session,
        actor,
        "dashboard.create",
        "dashboard",
        dashboard.id,
        {**snapshot(dashboard), **(origin or {})},
    )
    return dashboard


def update(
    session: Session,
    actor: Principal,
    dashboard_id: uuid.UUID,
    changes: Mapping[str, Any],
    base: int,
) -> Dashboard:
    """Apply ``changes`` (name, description, owner, tags, layout) if ``base`` is current."""
    dashboard = get(session, dashboard_id, for_update=True)
    versions.check(dashboard, base)
    _apply(session, actor, dashboard, changes, BODY_LAYOUT)
    return dashboard


def _apply(
    session: Session,
    actor: Principal,
    dashboard: Dashboard,
    changes: Mapping[str, Any],
    at: At,
    origin: Mapping[str, Any] | None = None,
) -> None:
    before = snapshot(dashboard)
    if "name" in changes and changes["name"] != dashboard.name:
        _ensure_name_free(session, changes["name"], dashboard.id)
        dashboard.name = changes["name"]
    for field in ("description", "owner"):
        if field in changes:
            setattr(dashboard, field, changes[field])
    if "layout" in changes:
        layout: Layout = changes["layout"]
        references.check(session, layout, Layout.model_validate(dashboard.layout), at)
        _store(dashboard, layout)
    if "tags" in changes:
        repository.set_tags(session, dashboard, changes["tags"])
    after = snapshot(dashboard)
    if after == before:
        return  # nothing changed: no new version, nothing to audit
    dashboard.version += 1
    dashboard.updated_at = utcnow()
    session.flush()
    _saved(session, dashboard)
    audit.record(
        session,
        actor,
        "dashboard.update",
        "dashboard",
        dashboard.id,
        {**audit.diff(before, after), "version": dashboard.version, **(origin or {})},
    )


def delete(session: Session, actor: Principal, dashboard_id: uuid.UUID, base: int | None) -> None:
    """Delete a dashboard; with ``base``, only if it is still at that version."""
    dashboard = get(session, dashboard_id, for_update=True)
    if base is not None:
        versions.check(dashboard, base)
    snap = snapshot(dashboard)
    repository.delete_dashboard(session, dashboard)
    payload = {"dashboard_id": str(dashboard_id), "name": snap["name"]}
    events.emit(session, EventKind.dashboard_deleted, payload)
    audit.record(session, actor, "dashboard.delete", "dashboard", dashboard_id, snap)


def _copy_name(session: Session, name: str) -> str:
    candidates = [f" (copy {n})" if n > 1 else " (copy)" for n in range(1, COPY_ATTEMPTS + 1)]
    names = [name[: 200 - len(suffix)] + suffix for suffix in candidates]
    taken = repository.names_taken(session, names)
    for candidate in names:
        if candidate not in taken:
            return candidate
    raise DashboardExists(
        "Every default copy name is taken; send a name",
        errors=[FieldError("body.name", "required here")],
    )


def duplicate(
    session: Session, actor: Principal, dashboard_id: uuid.UUID, name: str | None
) -> Dashboard:
    """A copy at version 1 (under ``name``, or "<name> (copy)")."""
    source = get(session, dashboard_id)
    name = name or _copy_name(session, source.name)
    _ensure_name_free(session, name, None)
    copy = Dashboard(
        id=uuid.uuid4(),
        name=name,
        description=source.description,
        owner=source.owner,
        version=1,
        created_by=actor.label,
        created_at=(now := utcnow()),
        updated_at=now,
    )
    _store(copy, Layout.model_validate(source.layout))
    repository.add(session, copy)
    repository.set_tags(session, copy, source.tags)
    _saved(session, copy)
    audit.record(
        session,
        actor,
        "dashboard.duplicate",
        "dashboard",
        copy.id,
        {**snapshot(copy), "source_id": source.id, "source_version": source.version},
    )
    return copy


def from_lineage(
    session: Session, live: LiveIndex, actor: Principal, data: DashboardFromLineage
) -> tuple[Dashboard, bool]:
    """A new dashboard of a node's lineage, laid out in columns by distance."""
    if not repository.nodes_by_id(session, {data.root_id}):
        raise InvalidInput(
            f"No node with id {data.root_id}", errors=[FieldError("body.root_id", "unknown node")]
        )
    _ensure_name_free(session, data.name, None)
    layout, truncated = lineage_layout.build(
        session, live, data.root_id, data.direction, data.depth, data.limit
    )
    body = DashboardCreate(
        name=data.name,
        description=data.description,
        owner=data.owner,
        tags=data.tags,
        layout=layout,
    )
    origin = {
        "from_lineage": {
            "root_id": data.root_id,
            "direction": data.direction,
            "depth": data.depth,
            "truncated": truncated,
        }
    }
    return create(session, actor, body, origin=origin), truncated


def export_documents(session: Session) -> Iterator[dict[str, Any]]:
    """Every dashboard in its portable form (nodes by ``{namespace, name}``), by name.

    Nodes deleted from the catalog have no natural key and are left out of the export.
    """
    last: str | None = None
    while True:
        batch = repository.after_name(session, last, EXPORT_BATCH)
        for dashboard in batch:
            yield {
                "name": dashboard.name,
                "description": dashboard.description,
                "owner": dashboard.owner,
                "tags": dashboard.tags,
                "layout": transfer.export_layout(session, Layout.model_validate(dashboard.layout)),
            }
        if len(batch) < EXPORT_BATCH:
            return
        last = batch[-1].name


def _validation_problems(exc: ValidationError, at: At) -> list[FieldError]:
    return [FieldError(at(*err["loc"]), str(err["msg"])) for err in exc.errors()]


def import_documents(
    session: Session, actor: Principal, docs: Iterable[dict[str, Any]]
) -> tuple[int, list[FieldError]]:
    """Upsert dashboards by name from their portable form; returns (applied, problems).

    Each document is applied whole or not at all; problems are returned, not raised, with
    paths like ``dashboards[3].layout.nodes[7].node``, and the caller decides whether they
    fail the whole import. Node keys resolve against the session, so nodes imported earlier
    in the same transaction are found.
    """
    applied, problems = 0, []
    seen: dict[str, int] = {}
    for i, raw in enumerate(docs):
        at = At(f"dashboards[{i}]", brackets=True)
        try:
            doc = DashboardDocument.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, at))
            continue
        if doc.name in seen:
            problems.append(FieldError(at("name"), f"same name as dashboards[{seen[doc.name]}]"))
            continue
        seen[doc.name] = i
        layout, found = transfer.import_layout(session, doc.layout, At(at("layout"), brackets=True))
        if layout is None:
            problems.extend(found)
            continue
        _upsert(session, actor, doc, layout, at)
        applied += 1
    return applied, problems


def _upsert(
    session: Session, actor: Principal, doc: DashboardDocument, layout: Layout, at: At
) -> None:
    existing = repository.get_by_name(session, doc.name, for_update=True)
    origin = {"via": "import"}
    if existing is None:
        body = DashboardCreate(
            name=doc.name,
            description=doc.description,
            owner=doc.owner,
            tags=doc.tags,
            layout=layout,
        )
        create(session, actor, body, origin=origin)
        return
    changes = {
        "description": doc.description,
        "owner": doc.owner,
        "tags": doc.tags,
        "layout": layout,
    }
    _apply(session, actor, existing, changes, At(at("layout"), brackets=True), origin)
