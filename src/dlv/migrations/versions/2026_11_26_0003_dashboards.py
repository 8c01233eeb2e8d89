"""dashboards

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 15:57:55.435297
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboards",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("layout", sa.JSON(), nullable=False),
        sa.Column("node_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboards")),
        sa.UniqueConstraint("name", name=op.f("uq_dashboards_name")),
    )
    with op.batch_alter_table("dashboards", schema=None) as batch_op:
        batch_op.create_index("ix_dashboards_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dashboards_owner"), ["owner"], unique=False)
        batch_op.create_index("ix_dashboards_updated_at_id", ["updated_at", "id"], unique=False)

    op.create_table(
        "dashboard_tags",
        sa.Column("dashboard_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["dashboard_id"],
            ["dashboards.id"],
            name=op.f("fk_dashboard_tags_dashboard_id_dashboards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dashboard_id", "tag", name=op.f("pk_dashboard_tags")),
    )
    with op.batch_alter_table("dashboard_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dashboard_tags_tag"), ["tag"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dashboard_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_tags_tag"))

    op.drop_table("dashboard_tags")
    with op.batch_alter_table("dashboards", schema=None) as batch_op:
        batch_op.drop_index("ix_dashboards_updated_at_id")
        batch_op.drop_index(batch_op.f("ix_dashboards_owner"))
        batch_op.drop_index("ix_dashboards_created_at_id")

    op.drop_table("dashboards")
