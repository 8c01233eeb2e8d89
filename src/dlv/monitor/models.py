"""Named leases: which process runs the monitoring loop's schedule, or the SLA evaluator, now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from dlv.db import Base, UTCDateTime


class MonitorLease(Base):
    """One row per lease (``scheduler``, ``sla``: see dlv.monitor.lease)."""

    __tablename__ = "monitor_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    # When the current holder took it (kept across renewals).
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
