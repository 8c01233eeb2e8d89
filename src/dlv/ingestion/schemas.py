"""Response bodies of ingestion and runs, and the OpenAPI shape of what the endpoints accept."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from dlv.ingestion.models import RunState
from dlv.nodes.schemas import MAX_NAME, MAX_NAMESPACE, name_schema


class IngestResult(BaseModel):
    id: int = Field(description="The stored event's number")


class EventError(BaseModel):
    field: str
    message: str


class BatchItem(BaseModel):
    index: int
    status: int = Field(description="201 stored, 400 rejected (see errors)")
    id: int | None = None
    errors: list[EventError] = Field(default_factory=list)


class BatchResult(BaseModel):
    accepted: int
    rejected: int
    results: list[BatchItem]


class RunRead(BaseModel):
    id: uuid.UUID
    job_id: uuid.UUID | None = Field(description="The job's catalog node (null once deleted)")
    job_namespace: str
    job_name: str
    parent_run_id: uuid.UUID | None
    state: RunState
    started_at: datetime | None
    ended_at: datetime | None
    duration_seconds: float | None
    error_message: str | None
    first_event_time: datetime
    last_event_time: datetime
    event_count: int
    created_at: datetime
    updated_at: datetime


class RunEventRead(BaseModel):
    id: int
    event_type: RunState | None
    event_time: datetime
    received_at: datetime
    sender: str
    mapped: bool
    error: str | None
    payload: dict[str, Any] = Field(
        description="The event as received, its secrets masked (docs/security.md)"
    )


class RunDetail(RunRead):
    events: list[RunEventRead]
    events_truncated: bool


class ColumnRead(BaseModel):
    name: str
    type: str | None = None
    description: str | None = None
    fields: list[ColumnRead] = Field(default_factory=list)


class JobTypeRead(BaseModel):
    processingType: str  # noqa: N815 - the facet's names
    integration: str
    jobType: str | None = None  # noqa: N815


class HealthRead(BaseModel):
    run_id: uuid.UUID
    state: RunState
    time: datetime
    message: str | None


class DerivedRead(BaseModel):
    job: str = Field(description="the job whose SQL or column lineage named it (namespace/name)")
    source: Literal["sql", "columnLineage"]


class NodeOpenLineage(BaseModel):
    """What OpenLineage events said about a node."""

    node_id: uuid.UUID
    owners: list[str] | None = Field(
        description="The owners events last set (the node may hold a person's)"
    )
    tags: list[str] | None = Field(description="The tags events last set")
    derived: DerivedRead | None = Field(
        description=(
            "Set when DLV made this node from a job's SQL or column lineage, not from an "
            "event's inputs or outputs"
        )
    )
    description: str | None
    columns: list[ColumnRead] | None
    sql: str | None
    sql_dialect: str | None
    job_type: JobTypeRead | None
    health: HealthRead | None = Field(description="The run the node's status follows")
    field_times: dict[str, datetime] = Field(description="Event time of each value held")


class InputFieldRead(BaseModel):
    namespace: str
    name: str
    field: str
    transformations: list[dict[str, Any]] = Field(default_factory=list)


class ColumnFieldsRead(BaseModel):
    inputFields: list[InputFieldRead]  # noqa: N815
    transformationDescription: str | None = None  # noqa: N815
    transformationType: str | None = None  # noqa: N815


class ColumnLineageRead(BaseModel):
    """Which input columns each output column of an edge's target is computed from."""

    edge_id: uuid.UUID
    fields: dict[str, ColumnFieldsRead]
    dataset: list[InputFieldRead]
    event_time: datetime | None


class IngestionStatus(BaseModel):
    pending: int = Field(description="Events stored but not yet mapped into the catalog")
    failed: int = Field(description="Events that could not be mapped (see their run's events)")
    oldest_pending_received_at: datetime | None


class NamespaceActivity(BaseModel):
    """The events one namespace (a producer: an Airflow deployment, a Spark app) sent."""

    namespace: str
    events: int = Field(description="Events received (in the window)")
    mapped: int = Field(description="Of those, mapped into the catalog")
    pending: int = Field(description="Of those, not mapped yet")
    failed: int = Field(description="Of those, that could not be mapped")
    last_received_at: datetime = Field(description="When its latest event arrived")
    last_event_time: datetime = Field(description="The latest eventTime its events carried")
    oldest_pending_received_at: datetime | None = Field(
        description="When its oldest event not mapped yet arrived: how far mapping is behind"
    )


class IngestionNamespaces(BaseModel):
    since: datetime | None = Field(description="The window's start; null: every stored event")
    namespaces: list[NamespaceActivity]
    truncated: bool = Field(description="More namespaces sent events than listed")


_NULLABLE_STRING = {"anyOf": [{"type": "string"}, {"type": "null"}]}
_FACETS = {"anyOf": [{"type": "object"}, {"type": "null"}]}
_DATASET = {
    "type": "object",
    "required": ["namespace", "name"],
    "properties": {
        "namespace": name_schema(MAX_NAMESPACE),
        "name": name_schema(MAX_NAME),
        "facets": _FACETS,
        "inputFacets": _FACETS,
        "outputFacets": _FACETS,
    },
}
_DATASETS = {"anyOf": [{"type": "array", "items": _DATASET}, {"type": "null"}]}

# RFC 3339, a subset of what the server reads (it takes any ISO 8601 date-time with a time,
# within the years 1000 to 9000 in UTC): every time this pattern admits is accepted, even
# with its offset (hence years 1100-8999, no February 29: not every year has one).
EVENT_TIME_PATTERN = (
    r"^(?:1[1-9]|[2-8][0-9])[0-9]{2}-"
    r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    r"|(?:0[13578]|1[02])-31)"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?"
    r"(?:Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9])$"
)

# What the single-event endpoint accepts, as OpenAPI: the union of the spec's RunEvent,
# JobEvent and DatasetEvent. Deliberately no looser than the validator (every body it
# rejects violates this too), and open: unknown fields and facets are kept.
EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An OpenLineage 2.x RunEvent, JobEvent or DatasetEvent",
    "required": ["eventTime"],
    "properties": {
        "eventTime": {
            "type": "string",
            "pattern": EVENT_TIME_PATTERN,
            "example": "2026-11-26T12:00:00.000Z",
        },
        "eventType": {
            "anyOf": [{"type": "string", "enum": [s.value for s in RunState]}, {"type": "null"}]
        },
        "producer": _NULLABLE_STRING,
        "schemaURL": _NULLABLE_STRING,
        "run": {
            "anyOf": [
                {
                    "type": "object",
                    "required": ["runId"],
                    "properties": {
                        "runId": {"type": "string", "format": "uuid"},
                        "facets": _FACETS,
                    },
                },
                {"type": "null"},
            ]
        },
        "job": {
            "anyOf": [
                {
                    "type": "object",
                    "required": ["namespace", "name"],
                    "properties": {
                        "namespace": name_schema(MAX_NAMESPACE),
                        "name": name_schema(MAX_NAME),
                        "facets": _FACETS,
                    },
                },
                {"type": "null"},
            ]
        },
        "dataset": {"anyOf": [_DATASET, {"type": "null"}]},
        "inputs": _DATASETS,
        "outputs": _DATASETS,
    },
    # Which of the three it is: a run event (a run or an eventType) names its run and job;
    # a job or dataset event names its job or dataset.
    "anyOf": [
        {
            "required": ["run", "job"],
            "properties": {"run": {"type": "object"}, "job": {"type": "object"}},
        },
        {
            "properties": {"run": {"type": "null"}, "eventType": {"type": "null"}},
            "anyOf": [
                {"required": ["job"], "properties": {"job": {"type": "object"}}},
                {"required": ["dataset"], "properties": {"dataset": {"type": "object"}}},
            ],
        },
    ],
}
