"""The result of a collection and its stored history."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class CollectionStatus(StrEnum):
    ok = "ok"
    error = "error"


class CollectionResult(BaseModel):
    """What one run of a node's collectors found and wrote; ``error`` when it failed."""

    status: CollectionStatus
    message: str = Field(description="A summary, or what went wrong (never a secret)")
    discovered: int = Field(description="Objects the system holds now")
    created: int = Field(description="Dataset nodes added to the catalog")
    updated: int = Field(description="Nodes whose collected facts changed (or came back)")
    gone: int = Field(description="Nodes no longer found, marked gone by this run")
    pruned: int = Field(description="Gone nodes deleted (with prune=true)")
    edges_added: int
    edges_removed: int
    duration_ms: int
    started_at: datetime


class CollectionRead(CollectionResult):
    """A stored collection."""

    id: int
    node_id: uuid.UUID
    actor: str
