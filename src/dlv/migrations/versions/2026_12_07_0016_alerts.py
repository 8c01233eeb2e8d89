"""alerts: channels, rules, incidents keyed by root cause, the delivery outbox and its log

``alert_channels`` keep a channel's public config as JSON and its secrets sealed (ADR 4).
``incidents`` has a partial unique index: one open incident per root node, so that two
processes seeing the same failure open it once. ``alert_deliveries`` is the outbox the
delivery workers claim from (``status``, ``next_attempt_at``); every attempt is a row of
``alert_delivery_attempts``.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alert_channels",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("secrets", sa.Text(), nullable=True),
        sa.Column("secret_fields", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_channels")),
        sa.UniqueConstraint("name", name=op.f("uq_alert_channels_name")),
    )
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("namespace", sa.String(length=500), nullable=True),
        sa.Column("dashboard_id", sa.Uuid(), nullable=True),
        sa.Column("downstream_of", sa.Uuid(), nullable=True),
        sa.Column("channel_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_alert_rules_name")),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("root_node_id", sa.Uuid(), nullable=False),
        sa.Column("root_name", sa.String(length=1000), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("affected_count", sa.Integer(), nullable=False),
        sa.Column("grouped_count", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("recovery_channel_ids", sa.JSON(), nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
        sa.Column("resolved_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index(
        "uq_incidents_open_root",
        "incidents",
        ["root_node_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index("ix_incidents_opened_at_id", "incidents", ["opened_at", "id"])
    op.create_table(
        "alert_deliveries",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("lease_until", TZ, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("delivered_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_alert_deliveries_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["alert_channels.id"],
            name=op.f("fk_alert_deliveries_channel_id_alert_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_alert_deliveries")),
        sa.UniqueConstraint("id", name=op.f("uq_alert_deliveries_id")),
    )
    op.create_index(
        "ix_alert_deliveries_status_due", "alert_deliveries", ["status", "next_attempt_at"]
    )
    op.create_index(op.f("ix_alert_deliveries_incident_id"), "alert_deliveries", ["incident_id"])
    op.create_index(op.f("ix_alert_deliveries_channel_id"), "alert_deliveries", ["channel_id"])
    op.create_table(
        "alert_delivery_attempts",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("delivery_pk", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_pk"],
            ["alert_deliveries.pk"],
            name=op.f("fk_alert_delivery_attempts_delivery_pk_alert_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_alert_delivery_attempts")),
    )
    op.create_index(
        op.f("ix_alert_delivery_attempts_delivery_pk"),
        "alert_delivery_attempts",
        ["delivery_pk"],
    )


def downgrade() -> None:
    op.drop_table("alert_delivery_attempts")
    op.drop_table("alert_deliveries")
    op.drop_table("incidents")
    op.drop_table("alert_rules")
    op.drop_table("alert_channels")
