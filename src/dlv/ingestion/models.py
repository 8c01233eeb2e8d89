"""OpenLineage ingestion: raw events, runs, what events said about nodes, column lineage."""

from __future__ import annotations

import uuid
import zlib
from datetime import datetime
from enum import StrEnum
from typing import Any

import lz4.frame
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from dlv.db import Base, UTCDateTime, utcnow


class EventKind(StrEnum):
    run = "run"
    job = "job"
    dataset = "dataset"


class RunState(StrEnum):
    START = "START"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    ABORT = "ABORT"
    FAIL = "FAIL"
    OTHER = "OTHER"


TERMINAL_STATES = frozenset({RunState.COMPLETE, RunState.ABORT, RunState.FAIL})
FAILED_STATES = frozenset({RunState.ABORT, RunState.FAIL})


# An LZ4 frame starts with this magic number; rows stored before LZ4 are zlib streams.
_LZ4_MAGIC = b"\x04\x22\x4d\x18"


def compress(text: str) -> bytes:
    """An event's text as SQLite stores it (see ``EventText``): an LZ4 frame."""
    return bytes(lz4.frame.compress(text.encode()))


def decompress(stored: bytes) -> str:
    """The text of a stored event: an LZ4 frame, or zlib as stored before (ADR 7)."""
    if stored[:4] == _LZ4_MAGIC:
        return bytes(lz4.frame.decompress(stored)).decode()
    return zlib.decompress(stored).decode()


class EventText(TypeDecorator[str]):
    """An event's JSON text, stored LZ4-compressed on SQLite; PostgreSQL compresses it
    itself (lz4, migration 0007). A 7.5 KB event takes ~1.2 KB: no overflow pages, and marking
    it mapped rewrites a small row (SQLite rewrites a whole row, overflow pages included,
    when its size changes; ADR 7, third amendment). ``repository.NumberedInsert`` (the raw
    events' and the inbox's rows) binds with this before the statement that takes SQLite's
    write lock. Rows stored as text before read back as they are."""

    impl = Text
    cache_ok = True

    @staticmethod
    def compresses(dialect_name: str) -> bool:
        return dialect_name == "sqlite"

    def process_bind_param(self, value: str | bytes | None, dialect: Dialect) -> str | bytes | None:
        if isinstance(value, str) and self.compresses(dialect.name):
            return compress(value)
        return value

    def process_result_value(self, value: str | bytes | None, dialect: Dialect) -> str | None:
        return decompress(value) if isinstance(value, bytes) else value


class OpenLineageEvent(Base):
    """Every accepted event, exactly as received; ``processed_at`` is set once it is mapped."""

    __tablename__ = "openlineage_events"
    __table_args__ = (
        # Only unmapped events are in this index, so the drain query stays tiny.
        Index(
            "ix_openlineage_events_pending",
            "id",
            sqlite_where=text("processed_at IS NULL"),
            postgresql_where=text("processed_at IS NULL"),
        ),
        Index("ix_openlineage_events_run_id", "run_id"),
        Index("ix_openlineage_events_received_at", "received_at"),
    )

    # Integer key: insertion order, and the drain reads oldest first.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(8))
    event_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    run_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    namespace: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(String(1000))
    payload: Mapped[str] = mapped_column(EventText)
    sender_kind: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    sender: Mapped[str] = mapped_column(String(120))
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class Run(Base):
    """One job run, folded from its events so that their order does not matter."""

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_created_at_id", "created_at", "id"),
        Index("ix_runs_job_pk_created_at", "job_pk", "created_at"),
        Index("ix_runs_updated_at", "updated_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    job_pk: Mapped[int | None] = mapped_column(
        ForeignKey("nodes.pk", ondelete="SET NULL"), nullable=True
    )
    job_namespace: Mapped[str] = mapped_column(String(500))
    job_name: Mapped[str] = mapped_column(String(1000))
    parent_run_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    # Event time of the event that decided ``state`` (see mapping.state_key).
    state_time: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    duration_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    first_event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    last_event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    # Whether any of its events named a dataset (only such a run ages its job's edges).
    lineage: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OpenLineageNode(Base):
    """What events said about a catalog node, so a person's edits can be told apart.

    ``owners``, ``description`` and ``parent_pk`` hold the value an event last wrote to the
    node. An event may change a node's field only while the node still holds that value (or
    nothing): once a person edits it through the API, events leave it alone.
    """

    __tablename__ = "openlineage_nodes"

    node_pk: Mapped[int] = mapped_column(
        ForeignKey("nodes.pk", ondelete="CASCADE"), primary_key=True
    )
    owners: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    parent_pk: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The node's tags that events set (a person's own tags are never touched).
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # Set when DLV created the node from a job's SQL or column lineage rather than from an
    # event's inputs/outputs: {"job": namespace/name, "source": "sql" | "columnLineage"}.
    derived: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # {field: [ISO event time, digest] of the value held}: an older event never wins.
    field_times: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    columns: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    sql: Mapped[str | None] = mapped_column(Text, nullable=True)
    sql_dialect: Mapped[str | None] = mapped_column(String(64), nullable=True)
    job_type: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The run whose outcome the node's status shows: the terminal run with the latest time.
    health_run_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    health_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    health_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    health_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ColumnLineage(Base):
    """Column-level lineage of one job -> output edge, from the output's ``columnLineage``."""

    __tablename__ = "column_lineages"

    edge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("edges.id", ondelete="CASCADE"), primary_key=True
    )
    # {output column: [{"namespace", "name", "field", "transformations"}]}
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Inputs that affect the whole dataset (filters, joins, grouping).
    dataset: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Hash of fields + dataset: a batch compares it instead of loading the JSON.
    digest: Mapped[str] = mapped_column(String(32))
    event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
