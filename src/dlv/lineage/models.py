"""Edges: data flows from ``source`` to ``target``."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dlv.db import Base, UTCDateTime, new_id, utcnow
from dlv.nodes.models import Node


class EdgeOrigin(StrEnum):
    manual = "manual"
    import_ = "import"
    # Read off a system's own catalog by a collector (view dependencies in PostgreSQL).
    collector = "collector"
    openlineage = "openlineage"
    # From OpenLineage too, but read off a job's SQL or column lineage, not its inputs/outputs.
    derived = "derived"


# Edges that events confirm run by run, and so can go stale.
OBSERVED_ORIGINS = frozenset({EdgeOrigin.openlineage.value, EdgeOrigin.derived.value})


class Edge(Base):
    __tablename__ = "edges"
    __table_args__ = (
        UniqueConstraint("source_pk", "target_pk"),
        Index("ix_edges_target_pk", "target_pk"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    source_pk: Mapped[int] = mapped_column(Integer, ForeignKey("nodes.pk", ondelete="CASCADE"))
    target_pk: Mapped[int] = mapped_column(Integer, ForeignKey("nodes.pk", ondelete="CASCADE"))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    origin: Mapped[str] = mapped_column(String(16), default=EdgeOrigin.manual)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Observed edges (OpenLineage): the event times that first and last reported them, and
    # the run that last did. ``stale_since``: the start of the job's successful run that
    # no longer reported it; a stale edge is kept (and shown when asked) but leaves the
    # lineage index. ``first_seen_at`` is ``created_at`` for a person's or an import's edge.
    first_seen_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, nullable=True, default=utcnow
    )
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_run_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    stale_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    source: Mapped[Node] = relationship(foreign_keys=[source_pk], lazy="joined")
    target: Mapped[Node] = relationship(foreign_keys=[target_pk], lazy="joined")

    @property
    def source_id(self) -> uuid.UUID:
        return self.source.id

    @property
    def target_id(self) -> uuid.UUID:
        return self.target.id


class LineageChange(Base):
    """Append-only log of graph changes; every process replays it into its in-memory index.

    ``op`` is ``edge+``/``edge-`` (a = source pk, b = target pk), ``parent`` (a = child pk,
    b = parent pk or -1), ``node-`` (a = node pk), ``node~`` (a = node pk: its name, owner,
    status... changed; written by a trigger) or ``reset`` (rebuild from the tables).
    """

    __tablename__ = "lineage_changes"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    op: Mapped[str] = mapped_column(String(8))
    a: Mapped[int] = mapped_column(Integer)
    b: Mapped[int] = mapped_column(Integer, default=-1)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
