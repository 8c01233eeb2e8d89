"""scheduled collections: ``nodes.collect_on_schedule``

Whether a scheduled check of a node also runs its collector. True by default, existing nodes
included: a system in the catalog is collected as it is checked unless someone turns it off.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 04:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, not batch mode: on SQLite batch mode may rebuild the table, which
    # drops its triggers (the node facts trigger of 0006).
    op.add_column(
        "nodes",
        sa.Column("collect_on_schedule", sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    op.drop_column("nodes", "collect_on_schedule")
