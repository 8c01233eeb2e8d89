"""Response bodies of the monitoring loop."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from dlv.nodes.models import NodeKind


class LeaseRead(BaseModel):
    holder: str = Field(description="The process that schedules checks (host:pid:random)")
    since: datetime = Field(description="When it took the lease")
    expires_at: datetime = Field(description="When another process may take over")


class MonitorFailure(BaseModel):
    node_id: uuid.UUID
    kind: NodeKind
    name: str
    message: str
    checked_at: datetime


class CollectionFailure(BaseModel):
    node_id: uuid.UUID
    kind: NodeKind
    name: str
    message: str
    started_at: datetime


class MonitorState(BaseModel):
    """The monitoring loop: who schedules, how much is due, running and late."""

    mode: str = Field(default="embedded", description="DLV_MONITOR of the server answering")
    leader: LeaseRead | None = Field(description="null: no live scheduler")
    scheduled: int = Field(description="Nodes with a schedule")
    due: int = Field(description="Checks due now and not started")
    running: int = Field(description="Scheduled checks in flight")
    late: int = Field(description="Checks due more than one interval ago")
    last_failures: list[MonitorFailure] = Field(
        description="The loop's latest failed checks, newest first"
    )
    last_collection_failures: list[CollectionFailure] = Field(
        default_factory=list, description="The loop's latest failed collections, newest first"
    )
