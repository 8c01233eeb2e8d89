"""catalog nodes edges

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 15:42:44.099842
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "lineage_changes",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("a", sa.Integer(), nullable=False),
        sa.Column("b", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_lineage_changes")),
    )
    op.create_table(
        "nodes",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("namespace", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("parent_pk", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("connection", sa.JSON(), nullable=True),
        sa.Column("connection_secrets", sa.Text(), nullable=True),
        sa.Column("secret_fields", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_pk"], ["nodes.pk"], name=op.f("fk_nodes_parent_pk_nodes"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_nodes")),
        sa.UniqueConstraint("id", name=op.f("uq_nodes_id")),
        sa.UniqueConstraint("namespace", "name", name=op.f("uq_nodes_namespace_name")),
    )
    with op.batch_alter_table("nodes", schema=None) as batch_op:
        batch_op.create_index("ix_nodes_kind_name", ["kind", "name"], unique=False)
        batch_op.create_index(batch_op.f("ix_nodes_owner"), ["owner"], unique=False)
        batch_op.create_index("ix_nodes_parent_pk", ["parent_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_nodes_status"), ["status"], unique=False)

    op.create_table(
        "annotations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("node_pk", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_pk"], ["nodes.pk"], name=op.f("fk_annotations_node_pk_nodes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotations")),
    )
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_annotations_node_pk"), ["node_pk"], unique=False)

    op.create_table(
        "edges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_pk", sa.Integer(), nullable=False),
        sa.Column("target_pk", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_pk"], ["nodes.pk"], name=op.f("fk_edges_source_pk_nodes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target_pk"], ["nodes.pk"], name=op.f("fk_edges_target_pk_nodes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edges")),
        sa.UniqueConstraint("source_pk", "target_pk", name=op.f("uq_edges_source_pk_target_pk")),
    )
    with op.batch_alter_table("edges", schema=None) as batch_op:
        batch_op.create_index("ix_edges_target_pk", ["target_pk"], unique=False)

    op.create_table(
        "node_tags",
        sa.Column("node_pk", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_pk"], ["nodes.pk"], name=op.f("fk_node_tags_node_pk_nodes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("node_pk", "tag", name=op.f("pk_node_tags")),
    )
    with op.batch_alter_table("node_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_node_tags_tag"), ["tag"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("node_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_node_tags_tag"))

    op.drop_table("node_tags")
    with op.batch_alter_table("edges", schema=None) as batch_op:
        batch_op.drop_index("ix_edges_target_pk")

    op.drop_table("edges")
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_annotations_node_pk"))

    op.drop_table("annotations")
    with op.batch_alter_table("nodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nodes_status"))
        batch_op.drop_index("ix_nodes_parent_pk")
        batch_op.drop_index(batch_op.f("ix_nodes_owner"))
        batch_op.drop_index("ix_nodes_kind_name")

    op.drop_table("nodes")
    op.drop_table("lineage_changes")
