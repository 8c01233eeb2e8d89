"""The stream's messages: what a client sends first, what the server sends."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dlv.events.service import EventKind

MAX_FILTER_ITEMS = 10_000


class StreamRequest(BaseModel):
    """A client's first message: its token (never in the URL: proxies log URLs), where to
    resume, and what it wants to hear about (every filter left out: everything)."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=4096)
    # A string, as sent: event ids are 64-bit, past what a JavaScript number holds exactly.
    last_event_id: str | None = Field(default=None, pattern=r"^[0-9]{1,19}$")
    node_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_FILTER_ITEMS)
    namespaces: list[str] = Field(default_factory=list, max_length=MAX_FILTER_ITEMS)
    dashboard_id: uuid.UUID | None = None
    kinds: list[EventKind] = Field(default_factory=list, max_length=len(EventKind))


class EventMessage(BaseModel):
    """One event as the stream sends it (``type: event``)."""

    type: Literal["event"] = "event"
    id: str
    kind: EventKind
    node_id: uuid.UUID | None
    created_at: datetime
    payload: dict[str, Any]


class HelloMessage(BaseModel):
    """The server's answer to a valid first message: events after ``last_event_id`` follow
    (what was missed first, then live ones); a client that has seen no event yet resumes
    from this id."""

    type: Literal["hello"] = "hello"
    last_event_id: str


class StaleMessage(BaseModel):
    """Events after the client's ``last_event_id`` are no longer kept: refetch the state."""

    type: Literal["stale"] = "stale"
    detail: str
