"""Data quality: ``quality_assertions``, ``quality_metrics``, ``quality_states``

What OpenLineage data quality facets (dbt tests, Great Expectations) report per dataset: each
report's assertions and metrics (bounded history per node, pruned by ingestion) and the
latest assertions' effect on the node's status (ADR 0017).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = sa.DateTime(timezone=True)


def _node_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["node_pk"], ["nodes.pk"], name=f"fk_{table}_node_pk_nodes", ondelete="CASCADE"
    )


def _report(table: str, *columns: sa.Column[object]) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_pk", sa.Integer(), nullable=False),
        sa.Column("report_key", sa.String(64), nullable=False),
        sa.Column("observed_at", _UTC, nullable=False),
        sa.Column("job", sa.Text(), nullable=False),
        *columns,
        _node_fk(table),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    )
    op.create_index(f"uq_{table}_node_pk", table, ["node_pk", "report_key"], unique=True)
    op.create_index(f"ix_{table}_node_pk_observed_at", table, ["node_pk", "observed_at", "id"])


def upgrade() -> None:
    _report(
        "quality_assertions",
        sa.Column("integration", sa.String(64), nullable=True),
        sa.Column("assertions", sa.JSON(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
    )
    _report(
        "quality_metrics",
        sa.Column("row_count", sa.BigInteger(), nullable=True),
        sa.Column("bytes", sa.BigInteger(), nullable=True),
        sa.Column("columns", sa.JSON(), nullable=False),
    )
    op.create_table(
        "quality_states",
        sa.Column("node_pk", sa.Integer(), nullable=False),
        sa.Column("checked_at", _UTC, nullable=False),
        sa.Column("failed", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("restore_status", sa.String(16), nullable=True),
        sa.Column("restore_message", sa.Text(), nullable=True),
        _node_fk("quality_states"),
        sa.PrimaryKeyConstraint("node_pk", name="pk_quality_states"),
    )


def downgrade() -> None:
    op.drop_table("quality_states")
    op.drop_table("quality_metrics")
    op.drop_table("quality_assertions")
