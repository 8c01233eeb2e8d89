"""Request and response bodies of edges and lineage queries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from dlv.lineage.models import EdgeOrigin
from dlv.types import RequestBody


class EdgeCreate(RequestBody):
    source_id: uuid.UUID
    target_id: uuid.UUID
    description: Annotated[str, StringConstraints(max_length=20_000)] | None = None


class EdgeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    source_id: uuid.UUID
    target_id: uuid.UUID
    description: str | None
    origin: EdgeOrigin
    created_at: datetime
    first_seen_at: datetime | None = Field(
        description="when an event first reported it (for others: when it was drawn)"
    )
    last_seen_at: datetime | None = Field(description="when an event last reported it")
    last_run_id: uuid.UUID | None = Field(description="the run that last reported it")
    stale_since: datetime | None = Field(
        description=(
            "set when the job's latest successful run (started then) no longer reported it: "
            "kept, and left out of lineage answers unless asked for"
        )
    )
