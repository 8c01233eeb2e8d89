"""collections: runs of a node's collectors, and the objects they found

``collections``: one row per run (counts, duration, the error if it failed), like
``health_checks``. ``collected_objects``: the dataset nodes a collector found in a system, with
the digest of what it wrote (so a run writes only what changed) and when it stopped finding
them (``gone_at``: marked, not deleted, until a run with ``prune``).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)
_COUNTS = (
    "discovered",
    "created",
    "updated",
    "gone",
    "pruned",
    "edges_added",
    "edges_removed",
    "duration_ms",
)


def upgrade() -> None:
    op.create_table(
        "collections",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("node_pk", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("started_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["node_pk"], ["nodes.pk"], name=op.f("fk_collections_node_pk_nodes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
    )
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.create_index("ix_collections_node_pk_id", ["node_pk", "id"], unique=False)
    op.create_table(
        "collected_objects",
        sa.Column("node_pk", sa.Integer(), nullable=False),
        sa.Column("source_pk", sa.Integer(), nullable=False),
        sa.Column("object_kind", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("row_estimate", sa.BigInteger(), nullable=True),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("seen_at", _TIME, nullable=False),
        sa.Column("gone_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["node_pk"],
            ["nodes.pk"],
            name=op.f("fk_collected_objects_node_pk_nodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_pk"],
            ["nodes.pk"],
            name=op.f("fk_collected_objects_source_pk_nodes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("node_pk", name=op.f("pk_collected_objects")),
    )
    with op.batch_alter_table("collected_objects", schema=None) as batch_op:
        batch_op.create_index("ix_collected_objects_source_pk", ["source_pk"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("collected_objects", schema=None) as batch_op:
        batch_op.drop_index("ix_collected_objects_source_pk")
    op.drop_table("collected_objects")
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.drop_index("ix_collections_node_pk_id")
    op.drop_table("collections")
