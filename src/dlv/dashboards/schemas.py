"""Request and response bodies of dashboards."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from dlv.dashboards.canvas import MAX_NODES, Layout, LayoutDocument, no_nul
from dlv.impact.schemas import LineageDirection
from dlv.nodes.models import NodeKind, NodeStatus
from dlv.nodes.schemas import NO_CONTROL_PATTERN, Description, Owner, Tags, no_control_chars
from dlv.types import PatchBody, RequestBody

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    Field(json_schema_extra={"pattern": NO_CONTROL_PATTERN}),
    AfterValidator(no_control_chars),
]
Version = Annotated[
    int,
    Field(
        strict=True,
        ge=1,
        le=2**31 - 1,
        description="The version this change is based on (or send it as `If-Match`)",
    ),
]


class DashboardCreate(RequestBody):
    name: Name
    description: Description | None = None
    owner: Owner | None = None
    tags: Tags = Field(default_factory=list)
    layout: Layout = Field(default_factory=Layout)


class DashboardReplace(DashboardCreate):
    """Every field is replaced; ``version`` (or ``If-Match``) names the version edited."""

    layout: Layout
    version: Version | None = None


class DashboardUpdate(PatchBody):
    """Only the fields sent change (``layout`` as a whole); ``null`` clears an optional one."""

    required_when_sent = ("name", "layout")

    name: Name | None = None
    description: Description | None = None
    owner: Owner | None = None
    tags: Tags | None = None
    layout: Layout | None = None
    version: Version | None = None


class DashboardDuplicate(RequestBody):
    name: Name | None = Field(default=None, description='Default: "<name> (copy)"')


class DashboardFromLineage(RequestBody):
    root_id: uuid.UUID
    direction: LineageDirection = LineageDirection.both
    depth: Annotated[int, Field(strict=True, ge=0, le=100)] | None = Field(
        default=3, description="Hops from the root; null for unbounded"
    )
    limit: Annotated[int, Field(strict=True, ge=1, le=MAX_NODES)] = Field(
        default=500, description="Most nodes on the dashboard, nearest first"
    )
    name: Name
    description: Description | None = None
    owner: Owner | None = None
    tags: Tags = Field(default_factory=list)


class DashboardDocument(BaseModel):
    """A dashboard in the graph export: nodes by natural key, so it survives a move.

    Not a ``RequestBody``: an import reports problems as field errors instead of raising.
    """

    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Annotated[Description, AfterValidator(no_nul)] | None = None
    owner: Annotated[Owner, AfterValidator(no_control_chars)] | None = None
    tags: Tags = Field(default_factory=list)
    layout: LayoutDocument = Field(default_factory=LayoutDocument)


class NodeFacts(BaseModel):
    """A node on the dashboard as the catalog sees it now; ``missing`` once deleted."""

    node_id: uuid.UUID
    missing: bool
    kind: NodeKind | None
    namespace: str | None
    name: str | None
    owner: str | None
    status: NodeStatus | None
    status_message: str | None


class DashboardEdge(BaseModel):
    """A catalog edge between two nodes on the dashboard (hidden ones left out)."""

    id: uuid.UUID
    source_id: uuid.UUID
    target_id: uuid.UUID


class DashboardSummary(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    owner: str | None
    tags: list[str]
    node_count: int
    nodes_in_error: int = Field(description="How many of its nodes are in error right now")
    nodes_late: int = Field(
        default=0, description="How many of its nodes missed their SLA (status late) right now"
    )
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime


class DashboardRead(DashboardSummary):
    layout: Layout
    node_facts: list[NodeFacts] = Field(description="Aligned with layout.nodes")
    edges: list[DashboardEdge]


class DashboardFromLineageRead(DashboardRead):
    truncated: bool = Field(description="The lineage had more nodes than `limit`")


class DashboardSortField(StrEnum):
    """The fields the dashboard list may be sorted by (and only these)."""

    name = "name"
    created_at = "created_at"
    updated_at = "updated_at"
