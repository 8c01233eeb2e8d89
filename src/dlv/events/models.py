"""The event log: one row per change a client may want to hear about."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dlv.db import Base, UTCDateTime, utcnow


class Event(Base):
    __tablename__ = "events"
    # The id is the primary key, so "after id" is a range scan of it; pruning reads by time.
    __table_args__ = (Index("ix_events_created_at", "created_at"),)

    # The number a client resumes from: increasing, never reused (the newest row is kept).
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    node_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
