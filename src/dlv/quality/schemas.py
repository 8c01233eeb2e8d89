"""What the quality endpoint answers: the latest assertions and a page of metrics history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from dlv.pagination import Page


class AssertionRead(BaseModel):
    assertion: str = Field(description="the test's name, e.g. not_null (dbt) or an expectation")
    column: str | None = Field(description="the column tested; null: the whole dataset")
    success: bool
    severity: str | None = Field(description="as the producer sent it, e.g. error or warn")


class AssertionsRead(BaseModel):
    observed_at: datetime = Field(description="the reporting event's time")
    job: str = Field(description="namespace/name of the job that reported them")
    integration: str | None = Field(description="the job's integration, e.g. DBT")
    failed: int = Field(description="failed assertions that fail the data (not severity warn)")
    assertions: list[AssertionRead]


class MetricsRead(BaseModel):
    observed_at: datetime
    job: str
    row_count: int | None
    bytes: int | None
    columns: dict[str, dict[str, Any]] = Field(
        description=(
            "per column: nullCount, distinctCount, count, sum, min, max and quantiles "
            '({"0.5": value}), each only when reported'
        )
    )


class QualityRead(BaseModel):
    node_id: uuid.UUID
    failing: bool = Field(description="the latest assertions include a failure (not warn)")
    status_held: bool = Field(
        description="the node's status is the error these assertions set (false: passing, "
        "or the node was already in error for another reason)"
    )
    assertions: AssertionsRead | None = Field(description="the latest report's assertions")
    metrics: Page[MetricsRead] = Field(description="metrics history, newest first")
