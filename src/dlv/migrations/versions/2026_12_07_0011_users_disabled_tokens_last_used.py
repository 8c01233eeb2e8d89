"""users can be disabled, tokens remember their last use

``users.disabled_at``: a disabled user cannot sign in, their login tokens and the API tokens
that act for them stop working, and they do not count as an admin for the last-admin guard;
everything else about them (their audit trail, their tokens) is kept for when they come back.

``api_tokens.last_used_at``: when the token last authenticated a request, written by each
server process at most once a minute per token (``dlv.auth.usage``), so that an admin can
tell a token in use from a forgotten one before revoking it. Null: not used since this
version.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "api_tokens", sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("last_used_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled_at")
