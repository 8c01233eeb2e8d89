"""An SLA as written (PUT) and as read (GET), with the checks that name the bad field."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dlv.sla.calendar import WEEKDAYS, Weekday

# Below a minute the evaluator (every few seconds) and clock skew between the systems
# reporting runs would make a node flap; nobody promises data fresher than that anyway.
MIN_MAX_AGE_SECONDS = 60
MAX_MAX_AGE_SECONDS = 366 * 24 * 3600
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    # tzdata's list: ZoneInfo() alone would also accept file paths under the zone directory.
    return frozenset(available_timezones())


class Freshness(BaseModel):
    """At most ``max_age_seconds`` since the node's last successful run or update."""

    model_config = ConfigDict(extra="forbid")

    max_age_seconds: int = Field(ge=MIN_MAX_AGE_SECONDS, le=MAX_MAX_AGE_SECONDS)


class DeadlineSpec(BaseModel):
    """Done by ``time`` (24 h, local) in ``zone`` on each of ``days``, e.g. 06:00
    Europe/Berlin, mon-fri: a success on that local day before the time."""

    model_config = ConfigDict(extra="forbid")

    time: str = Field(
        examples=["06:00"],
        description="HH:MM, 24-hour local time",
        json_schema_extra={"pattern": _TIME.pattern},  # checked below, in plain words
    )
    zone: str = Field(examples=["Europe/Berlin"], description="IANA time zone")
    days: list[Weekday] = Field(
        min_length=1, max_length=7, examples=[["mon", "tue", "wed", "thu", "fri"]]
    )

    @field_validator("time")
    @classmethod
    def _time(cls, value: str) -> str:
        if not _TIME.match(value):
            raise ValueError("must be a 24-hour time HH:MM, e.g. 06:00")
        return value

    @field_validator("zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value not in _zones():
            raise ValueError("unknown time zone; use an IANA name such as Europe/Berlin or UTC")
        ZoneInfo(value)
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[Weekday]) -> list[Weekday]:
        # Stored and shown in week order, each once.
        return [d for d in WEEKDAYS if d in set(value)]


class SlaWrite(BaseModel):
    """A node's SLA: freshness, deadline or both (DELETE removes it)."""

    model_config = ConfigDict(extra="forbid")

    freshness: Freshness | None = None
    deadline: DeadlineSpec | None = None

    @model_validator(mode="after")
    def _something(self) -> SlaWrite:
        if self.freshness is None and self.deadline is None:
            raise ValueError("set freshness, deadline or both; DELETE removes an SLA")
        return self


class SlaRead(BaseModel):
    """A node's SLA and where it stands now."""

    node_id: uuid.UUID
    freshness: Freshness | None
    deadline: DeadlineSpec | None
    state: Literal["met", "late"]
    late_since: datetime | None
    reason: str | None = Field(description="Why it is late (what the node's status says)")
    last_success_at: datetime | None = Field(description="The node's last successful run or update")
    next_deadline_at: datetime | None = Field(description="When the deadline next falls due")
    updated_at: datetime
    updated_by: str
