"""Audit trail responses."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


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
