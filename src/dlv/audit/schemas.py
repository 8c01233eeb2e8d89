"""Audit trail responses."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from dlv import urlsecrets


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_kind: str
    actor_id: uuid.UUID | None
    actor: str
    action: str
    target_type: str
    target_id: str | None
    changes: dict[str, Any]

    @field_validator("changes")
    @classmethod
    def _mask_urls(cls, changes: dict[str, Any]) -> dict[str, Any]:
        # Records written before URLs were refused credentials may hold one (a connection's
        # URL); new records are masked when written.
        masked: dict[str, Any] = urlsecrets.mask_all(changes)
        return masked
