"""Alert channels and rules, incidents keyed by their root cause, and the delivery outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from dlv.db import Base, UTCDateTime, new_id, utcnow


class ChannelKind(StrEnum):
    webhook = "webhook"
    slack = "slack"
    email = "email"


class AlertEvent(StrEnum):
    error = "error"
    late = "late"
    recovered = "recovered"


class IncidentStatus(StrEnum):
    open = "open"
    resolved = "resolved"


class DeliveryKind(StrEnum):
    alert = "alert"
    recovery = "recovery"


class DeliveryStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    delivered = "delivered"
    failed = "failed"


class AlertChannel(Base):
    __tablename__ = "alert_channels"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The public part of the config; the secrets are sealed apart (ADR 4), like connections'.
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    secrets: Mapped[str | None] = mapped_column(Text, nullable=True)
    secret_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AlertRule(Base):
    __tablename__ = "alert_rules"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    events: Mapped[list[str]] = mapped_column(JSON)
    # The selector: every field set must hold for one node among the root and what it
    # affects downstream; none set selects everything.
    tag: Mapped[str | None] = mapped_column(String(64), nullable=True)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    namespace: Mapped[str | None] = mapped_column(String(500), nullable=True)
    dashboard_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    downstream_of: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    # Channel ids as strings; a deleted channel is taken out of every rule in its transaction.
    channel_ids: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        # One open incident per root, whichever process saw the failure first.
        Index(
            "uq_incidents_open_root",
            "root_node_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_incidents_opened_at_id", "opened_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # By public id, no foreign key: an incident outlives the node it names.
    root_node_id: Mapped[uuid.UUID] = mapped_column()
    root_name: Mapped[str] = mapped_column(String(1000))
    event: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=IncidentStatus.open)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    affected_count: Mapped[int] = mapped_column(Integer, default=0)
    # Status changes of nodes this root explains, folded into it instead of alerting.
    grouped_count: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    recovery_channel_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AlertDelivery(Base):
    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_status_due", "status", "next_attempt_at"),)

    # The integer key orders the log; the UUID is public (and the receivers' idempotency key).
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(unique=True, default=new_id)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("alert_channels.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # While ``sending``: when another worker may take it over (the sender died mid-send).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DeliveryAttempt(Base):
    __tablename__ = "alert_delivery_attempts"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_pk: Mapped[int] = mapped_column(
        ForeignKey("alert_deliveries.pk", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
