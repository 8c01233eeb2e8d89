"""Collections (one row per run of a node's collectors) and what collectors found."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dlv.db import Base, UTCDateTime, utcnow


class Collection(Base):
    __tablename__ = "collections"
    __table_args__ = (Index("ix_collections_node_pk_id", "node_pk", "id"),)

    # An integer key orders the history even when two runs share a timestamp.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    node_pk: Mapped[int] = mapped_column(ForeignKey("nodes.pk", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    discovered: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    gone: Mapped[int] = mapped_column(Integer, default=0)
    pruned: Mapped[int] = mapped_column(Integer, default=0)
    edges_added: Mapped[int] = mapped_column(Integer, default=0)
    edges_removed: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CollectedObject(Base):
    """A dataset node a collector found in a system, and what it found about it.

    ``digest`` covers everything written from the object (kind, comment, columns, row
    estimate): a collection compares digests and writes only objects whose digest moved.
    ``gone_at``: the collection that no longer found it; the node stays (people's annotations
    on it survive) until a collection with ``prune`` deletes it.
    """

    __tablename__ = "collected_objects"
    __table_args__ = (Index("ix_collected_objects_source_pk", "source_pk"),)

    node_pk: Mapped[int] = mapped_column(
        ForeignKey("nodes.pk", ondelete="CASCADE"), primary_key=True
    )
    # The system node (a PostgreSQL database) whose collector found it.
    source_pk: Mapped[int] = mapped_column(ForeignKey("nodes.pk", ondelete="CASCADE"))
    object_kind: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    row_estimate: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    digest: Mapped[str] = mapped_column(String(32))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
