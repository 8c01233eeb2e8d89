"""Marquez's REST shapes (spec/openapi.yml of MarquezProject/marquez), camelCase on the wire.

Routes build plain dicts in these shapes (service); the models document them in DLV's OpenAPI
and the tests check the two agree. What DLV has and Marquez lacks (the node's DLV id, owners,
status) is under one extra key, ``dlv``, so no Marquez field changes meaning.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from dlv.nodes.models import NodeStatus


class Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class MarquezDlvExtras(Camel):
    """DLV's facts of a dataset or job, beside Marquez's."""

    id: uuid.UUID
    owners: list[str]
    status: NodeStatus
    status_message: str | None


class MarquezNamespace(Camel):
    name: str
    created_at: datetime
    updated_at: datetime
    owner_name: str
    description: str | None
    is_hidden: bool


class MarquezNamespaceList(Camel):
    namespaces: list[MarquezNamespace]
    total_count: int


class MarquezNodeName(Camel):
    """A DatasetId or JobId: namespace and name."""

    namespace: str
    name: str


class MarquezField(Camel):
    name: str
    type: str | None
    tags: list[str]
    description: str | None


class MarquezDataset(Camel):
    id: MarquezNodeName
    type: str
    name: str
    physical_name: str
    created_at: datetime
    updated_at: datetime
    namespace: str
    source_name: str
    fields: list[MarquezField]
    tags: list[str]
    last_modified_at: datetime | None
    last_lifecycle_state: str | None
    description: str | None
    facets: dict[str, Any]
    current_version: uuid.UUID | None
    column_lineage: None
    deleted: bool
    dlv: MarquezDlvExtras


class MarquezDatasetList(Camel):
    datasets: list[MarquezDataset]
    total_count: int


class MarquezRunState(StrEnum):
    NEW = "NEW"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    ABORTED = "ABORTED"


class MarquezRun(Camel):
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    nominal_start_time: datetime | None
    nominal_end_time: datetime | None
    state: MarquezRunState
    started_at: datetime | None
    ended_at: datetime | None
    duration_ms: int | None
    args: dict[str, Any]
    job_version: dict[str, Any] | None
    input_dataset_versions: list[dict[str, Any]]
    output_dataset_versions: list[dict[str, Any]]
    context: dict[str, Any]
    facets: dict[str, Any]


class MarquezRunList(Camel):
    runs: list[MarquezRun]
    total_count: int


class MarquezJob(Camel):
    id: MarquezNodeName
    type: str
    name: str
    simple_name: str
    parent_job_name: str | None
    parent_job_uuid: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    namespace: str
    inputs: list[MarquezNodeName]
    outputs: list[MarquezNodeName]
    location: str | None
    context: dict[str, Any]
    description: str | None
    latest_run: MarquezRun | None
    latest_runs: list[MarquezRun]
    facets: dict[str, Any]
    current_version: uuid.UUID | None
    tags: list[str]
    dlv: MarquezDlvExtras


class MarquezJobList(Camel):
    jobs: list[MarquezJob]
    total_count: int


class MarquezGraphEdge(Camel):
    origin: str
    destination: str


class MarquezGraphNode(Camel):
    id: str
    type: str
    data: dict[str, Any]
    in_edges: list[MarquezGraphEdge]
    out_edges: list[MarquezGraphEdge]


class MarquezLineageGraph(Camel):
    graph: list[MarquezGraphNode]


class MarquezSearchResult(Camel):
    type: str
    name: str
    updated_at: datetime
    namespace: str
    node_id: str


class MarquezSearchResultList(Camel):
    total_count: int
    results: list[MarquezSearchResult]


class MarquezTag(Camel):
    name: str
    description: str | None


class MarquezTagList(Camel):
    tags: list[MarquezTag]
