"""SLAs: ``node_slas`` and ``nodes.last_success_at``

A node's freshness and/or deadline SLA and whether it is breached now; the node's last
successful run or update, which ingestion and collectors move forward. Jobs start from their
latest COMPLETE run already stored, so an SLA set right after the upgrade measures from the
truth rather than from nothing.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    # A plain ADD COLUMN: batch mode would rebuild the table on SQLite (and drop its trigger).
    op.add_column("nodes", sa.Column("last_success_at", _UTC, nullable=True))
    op.execute(
        "UPDATE nodes SET last_success_at = (SELECT max(runs.state_time) FROM runs "
        "WHERE runs.job_pk = nodes.pk AND runs.state = 'COMPLETE') "
        "WHERE EXISTS (SELECT 1 FROM runs WHERE runs.job_pk = nodes.pk "
        "AND runs.state = 'COMPLETE')"
    )
    op.create_table(
        "node_slas",
        sa.Column("node_pk", sa.Integer(), nullable=False),
        sa.Column("max_age_seconds", sa.Integer(), nullable=True),
        sa.Column("deadline_time", sa.String(5), nullable=True),
        sa.Column("deadline_zone", sa.String(64), nullable=True),
        sa.Column("deadline_days", sa.JSON(), nullable=True),
        sa.Column("late_since", _UTC, nullable=True),
        sa.Column("late_reason", sa.Text(), nullable=True),
        sa.Column("restore_status", sa.String(16), nullable=True),
        sa.Column("restore_message", sa.Text(), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_pk"], ["nodes.pk"], name="fk_node_slas_node_pk_nodes", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("node_pk", name="pk_node_slas"),
    )


def downgrade() -> None:
    op.drop_table("node_slas")
    op.execute("ALTER TABLE nodes DROP COLUMN last_success_at")
