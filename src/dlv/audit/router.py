"""HTTP routes of the audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from dlv.audit import service
from dlv.audit.schemas import AuditRead
from dlv.auth.dependencies import Admin
from dlv.db import SessionDep
from dlv.pagination import CursorQuery, LimitQuery, Page, page_of
from dlv.types import IsoDateTime

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit", response_model=Page[AuditRead], operation_id="listAudit")
def list_audit(
    session: SessionDep,
    _: Admin,
    actor: Annotated[str | None, Query(max_length=120)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    target_type: Annotated[
        str | None, Query(max_length=32, description="What was changed: user, token, node...")
    ] = None,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    since: IsoDateTime | None = None,
    until: Annotated[
        IsoDateTime | None, Query(description="Records before this time (since <= at < until)")
    ] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[AuditRead]:
    """The audit trail, newest first, filtered by who, what and when."""
    rows = service.search(
        session,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )
    items, next_cursor = page_of(rows, limit, lambda r: [r.id])
    return Page(items=[AuditRead.model_validate(r) for r in items], next_cursor=next_cursor)
