"""A dataset's data quality as OpenLineage facets report it: each report's assertions and
metrics (bounded history per node) and the status bookkeeping of the latest assertions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dlv.db import Base, UTCDateTime

# Reports kept per node and kind; older ones are pruned as new ones arrive.
KEEP_PER_NODE = 100


class QualityAssertions(Base):
    """One report's assertions (a dbt test run, a Great Expectations validation)."""

    __tablename__ = "quality_assertions"
    __table_args__ = (
        Index("uq_quality_assertions_node_pk", "node_pk", "report_key", unique=True),
        Index("ix_quality_assertions_node_pk_observed_at", "node_pk", "observed_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_pk: Mapped[int] = mapped_column(ForeignKey("nodes.pk", ondelete="CASCADE"))
    # The run's id, or the event's time for an event without a run.
    report_key: Mapped[str] = mapped_column(String(64))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    job: Mapped[str] = mapped_column(Text)  # "namespace/name" of the job that reported it
    integration: Mapped[str | None] = mapped_column(String(64), nullable=True)
    assertions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    failed: Mapped[int] = mapped_column(Integer)  # how many failed and block (not warn)


class QualityMetrics(Base):
    """One report's metrics: row count, bytes, per-column counts and ranges."""

    __tablename__ = "quality_metrics"
    __table_args__ = (
        Index("uq_quality_metrics_node_pk", "node_pk", "report_key", unique=True),
        Index("ix_quality_metrics_node_pk_observed_at", "node_pk", "observed_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_pk: Mapped[int] = mapped_column(ForeignKey("nodes.pk", ondelete="CASCADE"))
    report_key: Mapped[str] = mapped_column(String(64))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    job: Mapped[str] = mapped_column(Text)
    row_count: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    columns: Mapped[dict[str, Any]] = mapped_column(JSON)


class QualityState(Base):
    """A node's latest assertions and what they did to its status."""

    __tablename__ = "quality_states"

    node_pk: Mapped[int] = mapped_column(
        ForeignKey("nodes.pk", ondelete="CASCADE"), primary_key=True
    )
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the latest report's time
    # The latest report's blocking failures ([] when it passed).
    failed: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # The error message quality set, while the node's status is that error (None: quality
    # does not hold the status: it passed, or the node was in error for another reason).
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The status before quality set the error, given back when the assertions pass again.
    restore_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    restore_message: Mapped[str | None] = mapped_column(Text, nullable=True)
