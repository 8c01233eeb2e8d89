"""the monitoring loop: check schedules on nodes, the scheduler's lease

``nodes.check_interval_seconds``: seconds between scheduled checks, null for manual only.
Existing systems with a connection get the default (300 s) and are due at once: the loop
works through them at its bounded concurrency. ``nodes.next_check_at`` (indexed) makes "what
is due" one index range scan; ``nodes.check_started_at`` marks a scheduled check in flight.

``monitor_leases``: the row a scheduler holds so that, with several processes on one
database, each due check runs once.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_INTERVAL = 300


def upgrade() -> None:
    with op.batch_alter_table("nodes") as batch:
        batch.add_column(sa.Column("check_interval_seconds", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("check_started_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_nodes_next_check_at", ["next_check_at"])
    nodes = sa.table(
        "nodes",
        sa.column("kind", sa.String),
        sa.column("connection", sa.JSON),
        sa.column("check_interval_seconds", sa.Integer),
        sa.column("next_check_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        nodes.update()
        .where(
            nodes.c.kind.in_(["postgres", "airflow", "spark"]),
            nodes.c.connection.is_not(None),
            sa.cast(nodes.c.connection, sa.Text) != "null",
        )
        .values(check_interval_seconds=DEFAULT_INTERVAL, next_check_at=sa.func.current_timestamp())
    )
    op.create_table(
        "monitor_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_monitor_leases")),
    )


def downgrade() -> None:
    op.drop_table("monitor_leases")
    with op.batch_alter_table("nodes") as batch:
        batch.drop_index("ix_nodes_next_check_at")
        batch.drop_column("check_started_at")
        batch.drop_column("next_check_at")
        batch.drop_column("check_interval_seconds")
