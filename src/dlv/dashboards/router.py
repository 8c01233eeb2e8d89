"""HTTP routes of dashboards."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status
from pydantic.json_schema import SkipJsonSchema

from dlv.auth.dependencies import Admin, Reader
from dlv.dashboards import service, versions
from dlv.dashboards.models import Dashboard
from dlv.dashboards.repository import DashboardFilter
from dlv.dashboards.schemas import (
    DashboardCreate,
    DashboardDuplicate,
    DashboardFromLineage,
    DashboardFromLineageRead,
    DashboardRead,
    DashboardReplace,
    DashboardSortField,
    DashboardSummary,
    DashboardUpdate,
)
from dlv.db import SessionDep
from dlv.errors import PROBLEM_JSON, PROBLEM_SCHEMA, FieldError, InvalidInput
from dlv.impact.router import Live
from dlv.nodes.schemas import normalize_tag
from dlv.pagination import CursorQuery, LimitQuery, Page, page_of

router = APIRouter(prefix="/api/v1", tags=["dashboards"])

_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,10})"\s*$')
ETAG_HEADER = {
    "ETag": {"description": 'The dashboard\'s version, e.g. "3"', "schema": {"type": "string"}}
}
WITH_ETAG: dict[int | str, dict[str, Any]] = {200: {"headers": ETAG_HEADER}}
CREATED_WITH_ETAG: dict[int | str, dict[str, Any]] = {201: {"headers": ETAG_HEADER}}
VERSIONED_WRITE: dict[int | str, dict[str, Any]] = {
    **WITH_ETAG,
    428: {
        "description": "Neither `version` nor If-Match says which version was edited",
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    },
}
# Optional, but never null: a header is absent or a string ("null" would be a bad ETag).
IfMatch = Annotated[
    str | SkipJsonSchema[None],
    Header(
        max_length=100,
        description='The ETag read with the dashboard, e.g. "3"',
        # parse_if_match's messages are clearer; HTTP trims the spaces it also allows
        json_schema_extra={"pattern": r'^(W/)?"[0-9]{1,10}"$', "examples": ['"3"']},
    ),
]
Text = Annotated[str | None, Query(max_length=200)]


def parse_if_match(value: str | None) -> int | None:
    """The version in an If-Match header (None when absent)."""
    if value is None:
        return None
    match = _ETAG.match(value)
    if match is None:
        raise InvalidInput(
            'If-Match must be the ETag of this dashboard, e.g. "3"',
            errors=[FieldError("header.If-Match", 'expected "<version>"')],
        )
    return int(match.group(1))


def _tagged(response: Response, dashboard: Dashboard) -> None:
    response.headers["ETag"] = versions.etag(dashboard.version)


@router.get("/dashboards", response_model=Page[DashboardSummary], operation_id="listDashboards")
def list_dashboards(
    session: SessionDep,
    _: Reader,
    owner: Text = None,
    tag: Annotated[list[str] | None, Query(max_length=20)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    sort: DashboardSortField = DashboardSortField.name,
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[DashboardSummary]:
    """Search dashboards; filters combine with AND, `q` searches name, description, owner, tags.

    Each comes with `nodes_in_error`: how many of its nodes are in error right now.
    """
    try:
        tags = [normalize_tag(t) for t in tag or []]
    except ValueError as exc:
        raise InvalidInput(str(exc), errors=[FieldError("query.tag", str(exc))]) from None
    where = DashboardFilter(owner=owner, tags=tags, q=q)
    rows = service.search(
        session, where, sort=sort, descending=order == "desc", cursor=cursor, limit=limit
    )
    items, next_cursor = page_of(rows, limit, lambda d: service.sort_values(d, sort))
    return Page(items=service.summaries(session, items), next_cursor=next_cursor)


@router.post(
    "/dashboards",
    response_model=DashboardRead,
    status_code=status.HTTP_201_CREATED,
    operation_id="createDashboard",
    responses=CREATED_WITH_ETAG,
)
def create_dashboard(
    session: SessionDep, actor: Admin, response: Response, body: DashboardCreate
) -> DashboardRead:
    """Save a new dashboard (version 1)."""
    dashboard = service.create(session, actor, body)
    _tagged(response, dashboard)
    return service.view(session, dashboard)


@router.post(
    "/dashboards/from-lineage",
    response_model=DashboardFromLineageRead,
    status_code=status.HTTP_201_CREATED,
    operation_id="createDashboardFromLineage",
    responses=CREATED_WITH_ETAG,
)
def create_from_lineage(
    session: SessionDep, actor: Admin, live: Live, response: Response, body: DashboardFromLineage
) -> DashboardFromLineageRead:
    """A new dashboard of a node's lineage, laid out in columns by distance."""
    dashboard, truncated = service.from_lineage(session, live, actor, body)
    _tagged(response, dashboard)
    view = service.view(session, dashboard)
    return DashboardFromLineageRead(**dict(view), truncated=truncated)


@router.get(
    "/dashboards/{dashboard_id}",
    response_model=DashboardRead,
    operation_id="getDashboard",
    responses=WITH_ETAG,
)
def get_dashboard(
    session: SessionDep, _: Reader, response: Response, dashboard_id: uuid.UUID
) -> DashboardRead:
    """A dashboard with its layout, each node's current status, and the edges to draw."""
    dashboard = service.get(session, dashboard_id)
    _tagged(response, dashboard)
    return service.view(session, dashboard)


@router.put(
    "/dashboards/{dashboard_id}",
    response_model=DashboardRead,
    operation_id="replaceDashboard",
    responses=VERSIONED_WRITE,
)
def replace_dashboard(
    session: SessionDep,
    actor: Admin,
    response: Response,
    dashboard_id: uuid.UUID,
    body: DashboardReplace,
    if_match: IfMatch = None,
) -> DashboardRead:
    """Replace a dashboard; 409 with `current_version` if someone saved since your version."""
    base = versions.base_version(body.version, parse_if_match(if_match))
    changes = body.model_dump(include={"name", "description", "owner", "tags"})
    dashboard = service.update(
        session, actor, dashboard_id, {**changes, "layout": body.layout}, base
    )
    _tagged(response, dashboard)
    return service.view(session, dashboard)


@router.patch(
    "/dashboards/{dashboard_id}",
    response_model=DashboardRead,
    operation_id="updateDashboard",
    responses=VERSIONED_WRITE,
)
def update_dashboard(
    session: SessionDep,
    actor: Admin,
    response: Response,
    dashboard_id: uuid.UUID,
    body: DashboardUpdate,
    if_match: IfMatch = None,
) -> DashboardRead:
    """Change the fields sent; 409 with `current_version` if someone saved since your version."""
    base = versions.base_version(body.version, parse_if_match(if_match))
    changes: dict[str, Any] = {
        field: getattr(body, field) for field in body.model_fields_set - {"version"}
    }
    if "tags" in changes:
        changes["tags"] = changes["tags"] or []
    dashboard = service.update(session, actor, dashboard_id, changes, base)
    _tagged(response, dashboard)
    return service.view(session, dashboard)


@router.delete(
    "/dashboards/{dashboard_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteDashboard",
)
def delete_dashboard(
    session: SessionDep, actor: Admin, dashboard_id: uuid.UUID, if_match: IfMatch = None
) -> Response:
    """Delete a dashboard (with If-Match, only if nobody saved it since)."""
    service.delete(session, actor, dashboard_id, parse_if_match(if_match))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/dashboards/{dashboard_id}/duplicate",
    response_model=DashboardRead,
    status_code=status.HTTP_201_CREATED,
    operation_id="duplicateDashboard",
    responses=CREATED_WITH_ETAG,
)
def duplicate_dashboard(
    session: SessionDep,
    actor: Admin,
    response: Response,
    dashboard_id: uuid.UUID,
    body: DashboardDuplicate | None = None,
) -> DashboardRead:
    """Copy a dashboard under a new name (default "<name> (copy)")."""
    dashboard = service.duplicate(session, actor, dashboard_id, body.name if body else None)
    _tagged(response, dashboard)
    return service.view(session, dashboard)
