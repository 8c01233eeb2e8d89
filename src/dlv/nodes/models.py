"""Catalog nodes, their tags and annotations."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dlv.db import Base, UTCDateTime, new_id, utcnow

# Every owner, in order: JSONB on PostgreSQL so the owner filter can ask "contains".
OwnerList = JSON().with_variant(JSONB(), "postgresql")


class NodeKind(StrEnum):
    postgres = "postgres"
    airflow = "airflow"
    spark = "spark"
    dataset = "dataset"
    job = "job"


SYSTEM_KINDS = frozenset({NodeKind.postgres, NodeKind.airflow, NodeKind.spark})


class NodeStatus(StrEnum):
    unknown = "unknown"
    ok = "ok"
    error = "error"
    # A dataset whose producer's latest run failed: what it holds is stale (ingestion).
    at_risk = "at_risk"
    # A node that missed its SLA (dlv.sla): no success within its maximum age, or not done by
    # its deadline. Worse than at_risk, never set over error (see docs/adr/0016-slas.md).
    late = "late"


class Node(Base):
    __tablename__ = "nodes"
    __table_args__ = (
        UniqueConstraint("namespace", "name"),
        Index("ix_nodes_kind_name", "kind", "name"),
        Index("ix_nodes_parent_pk", "parent_pk"),
        # The monitoring loop's one query: what is due, soonest first (dlv.monitor).
        Index("ix_nodes_next_check_at", "next_check_at"),
    )

    # Compact integer key: edges and the in-memory lineage index use it; the UUID is public.
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(unique=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    namespace: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(String(1000))
    parent_pk: Mapped[int | None] = mapped_column(
        ForeignKey("nodes.pk", ondelete="RESTRICT"), nullable=True
    )
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The first of ``owners``: what lists sort by, and a one-line answer to "who owns it".
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    owners: Mapped[list[str]] = mapped_column(OwnerList, default=list)
    connection: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    connection_secrets: Mapped[str | None] = mapped_column(Text, nullable=True)
    secret_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=NodeStatus.unknown, index=True)
    status_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Seconds between scheduled checks; None: checked only when someone asks (dlv.monitor).
    check_interval_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Whether a scheduled check also runs the node's collector (dlv.collectors), when it has one.
    collect_on_schedule: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # When the loop next checks it: None unless it has a connection and an interval.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set while a scheduled check of it runs: never two at once, and GET /monitor counts them.
    check_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The node's last successful run or update: a job's COMPLETE run, a dataset's producer's,
    # or what a collector reported (dlv.sla.service.record_success). What its SLA measures.
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    parent: Mapped[Node | None] = relationship(remote_side=[pk], lazy="joined", innerjoin=False)
    tag_rows: Mapped[list[NodeTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="NodeTag.tag"
    )
    annotations: Mapped[list[Annotation]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Annotation.created_at"
    )

    @property
    def tags(self) -> list[str]:
        return [t.tag for t in self.tag_rows]

    @property
    def parent_id(self) -> uuid.UUID | None:
        return self.parent.id if self.parent is not None else None


class NodeTag(Base):
    __tablename__ = "node_tags"

    node_pk: Mapped[int] = mapped_column(
        ForeignKey("nodes.pk", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Annotation(Base):
    __tablename__ = "annotations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    node_pk: Mapped[int] = mapped_column(ForeignKey("nodes.pk", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
