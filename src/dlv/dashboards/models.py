"""Dashboards: saved canvas layouts of a flow."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dlv.db import Base, UTCDateTime, new_id, utcnow


class Dashboard(Base):
    __tablename__ = "dashboards"
    __table_args__ = (
        Index("ix_dashboards_updated_at_id", "updated_at", "id"),
        Index("ix_dashboards_created_at_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    # Catalog nodes are referenced by public UUID inside the JSON (not by foreign key): a
    # node deleted from the catalog must leave the dashboard loadable, shown as missing.
    layout: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Kept beside the layout so a list page need not load every layout to count its nodes.
    node_count: Mapped[int] = mapped_column(Integer, default=0)
    # Optimistic concurrency: every write names the version it was based on.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tag_rows: Mapped[list[DashboardTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="DashboardTag.tag"
    )

    @property
    def tags(self) -> list[str]:
        return [t.tag for t in self.tag_rows]


class DashboardTag(Base):
    __tablename__ = "dashboard_tags"

    dashboard_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dashboards.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
