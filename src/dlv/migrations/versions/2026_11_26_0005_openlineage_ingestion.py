"""openlineage ingestion: raw events, runs, node facts, column lineage

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-26 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "openlineage_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("event_type", sa.String(length=16), nullable=True),
        sa.Column("run_id", sa.Uuid(), nullable=True),
        sa.Column("namespace", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("sender_kind", sa.String(length=16), nullable=False),
        sa.Column("sender_id", sa.Uuid(), nullable=True),
        sa.Column("sender", sa.String(length=120), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openlineage_events")),
    )
    with op.batch_alter_table("openlineage_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_openlineage_events_pending",
            ["id"],
            unique=False,
            sqlite_where=sa.text("processed_at IS NULL"),
            postgresql_where=sa.text("processed_at IS NULL"),
        )
        batch_op.create_index("ix_openlineage_events_received_at", ["received_at"], unique=False)
        batch_op.create_index("ix_openlineage_events_run_id", ["run_id"], unique=False)

    op.create_table(
        "runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_pk", sa.Integer(), nullable=True),
        sa.Column("job_namespace", sa.String(length=500), nullable=False),
        sa.Column("job_name", sa.String(length=1000), nullable=False),
        sa.Column("parent_run_id", sa.Uuid(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("first_event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_pk"], ["nodes.pk"], name=op.f("fk_runs_job_pk_nodes"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index("ix_runs_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_runs_job_pk_created_at", ["job_pk", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_runs_state"), ["state"], unique=False)
        batch_op.create_index("ix_runs_updated_at", ["updated_at"], unique=False)

    op.create_table(
        "openlineage_nodes",
        sa.Column("node_pk", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("parent_pk", sa.Integer(), nullable=True),
        sa.Column("field_times", sa.JSON(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=True),
        sa.Column("sql", sa.Text(), nullable=True),
        sa.Column("sql_dialect", sa.String(length=64), nullable=True),
        sa.Column("job_type", sa.JSON(), nullable=True),
        sa.Column("health_run_id", sa.Uuid(), nullable=True),
        sa.Column("health_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("health_state", sa.String(length=16), nullable=True),
        sa.Column("health_message", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_pk"],
            ["nodes.pk"],
            name=op.f("fk_openlineage_nodes_node_pk_nodes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("node_pk", name=op.f("pk_openlineage_nodes")),
    )

    op.create_table(
        "column_lineages",
        sa.Column("edge_id", sa.Uuid(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("dataset", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["edge_id"],
            ["edges.id"],
            name=op.f("fk_column_lineages_edge_id_edges"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("edge_id", name=op.f("pk_column_lineages")),
    )


def downgrade() -> None:
    op.drop_table("column_lineages")
    op.drop_table("openlineage_nodes")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_updated_at")
        batch_op.drop_index(batch_op.f("ix_runs_state"))
        batch_op.drop_index("ix_runs_job_pk_created_at")
        batch_op.drop_index("ix_runs_created_at_id")
    op.drop_table("runs")
    with op.batch_alter_table("openlineage_events", schema=None) as batch_op:
        batch_op.drop_index("ix_openlineage_events_run_id")
        batch_op.drop_index("ix_openlineage_events_received_at")
        batch_op.drop_index("ix_openlineage_events_pending")
    op.drop_table("openlineage_events")
