"""All SQL of the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dlv.audit.models import AuditRecord
from dlv.pagination import keyset


def add(session: Session, record: AuditRecord) -> None:
    session.add(record)


def search(
    session: Session,
    *,
    actor: str | None,
    action: str | None,
    target_type: str | None,
    target_id: str | None,
    since: datetime | None,
    until: datetime | None,
    cursor: str | None,
    limit: int,
) -> Sequence[AuditRecord]:
    stmt = select(AuditRecord)
    if actor is not None:
        stmt = stmt.where(AuditRecord.actor == actor)
    if action is not None:
        stmt = stmt.where(AuditRecord.action == action)
    if target_type is not None:
        stmt = stmt.where(AuditRecord.target_type == target_type)
    if target_id is not None:
        stmt = stmt.where(AuditRecord.target_id == target_id)
    if since is not None:
        stmt = stmt.where(AuditRecord.at >= since)
    if until is not None:
        stmt = stmt.where(AuditRecord.at < until)
    stmt = keyset(stmt, [AuditRecord.id], descending=True, cursor=cursor, limit=limit)
    return session.scalars(stmt).all()
