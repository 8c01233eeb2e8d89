"""A node's SLA: how fresh it must be and/or by when each day it must be done, and whether
it is late now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dlv.db import Base, UTCDateTime, utcnow


class NodeSla(Base):
    """One row per node that has an SLA; the node's last success is ``nodes.last_success_at``."""

    __tablename__ = "node_slas"

    node_pk: Mapped[int] = mapped_column(
        ForeignKey("nodes.pk", ondelete="CASCADE"), primary_key=True
    )
    # Freshness: at most this long since the last success. None: no freshness SLA.
    max_age_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Deadline: done by this local time ("HH:MM") in this IANA zone on these weekdays.
    deadline_time: Mapped[str | None] = mapped_column(String(5), nullable=True)
    deadline_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    deadline_days: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # Set while the SLA is breached: since when, and why (what the node's status says).
    late_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    late_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The node's status before the SLA made it late, and its message: what meeting the SLA
    # again gives back (ok, unknown or at_risk; ``late`` never overwrites ``error``).
    restore_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    restore_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Deadlines that fell due before this are not held against the node (a new SLA starts now).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(120))
