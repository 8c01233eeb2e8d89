"""The history of connection checks, one row per check of a node."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dlv.db import Base, UTCDateTime, utcnow


class HealthCheck(Base):
    __tablename__ = "health_checks"
    __table_args__ = (Index("ix_health_checks_node_pk_id", "node_pk", "id"),)

    # An integer key orders the history even when two checks share a timestamp.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    # A node's history goes with it: checks of a deleted system help no one.
    node_pk: Mapped[int] = mapped_column(ForeignKey("nodes.pk", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    latency_ms: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    actor: Mapped[str] = mapped_column(String(120))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
