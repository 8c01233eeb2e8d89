"""events: the log the real-time stream reads, and the trigger that logs status changes

``events``: one row per change (``kind``, the node it concerns, a JSON payload), written in the
transaction of the change, so an event exists exactly when its change committed. Every server
process polls it for ids above the last it read and fans them out to its WebSocket clients.

A node's status is changed by many writers (checks, the monitoring loop, OpenLineage
ingestion, collectors, imports): a trigger logs ``node.status`` (old, new, message) whatever
wrote it, as migration 0006 does for the lineage change log.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PAYLOAD = (
    "'old', OLD.status, 'new', NEW.status, 'message', NEW.status_message, "
    "'namespace', NEW.namespace, 'name', NEW.name, 'kind', NEW.kind"
)
POSTGRESQL = [
    f"""
    CREATE FUNCTION dlv_event_node_status() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO events (kind, node_id, payload, created_at)
        VALUES ('node.status', NEW.id, json_build_object({_PAYLOAD}), now());
        RETURN NULL;
    END
    $$
    """,  # noqa: S608 - built from constants
    """
    CREATE TRIGGER nodes_status_event AFTER UPDATE OF status ON nodes FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION dlv_event_node_status()
    """,
]
# The timestamp matches SQLAlchemy's SQLite format (see migration 0006).
SQLITE = [
    f"""
    CREATE TRIGGER nodes_status_event AFTER UPDATE OF status ON nodes FOR EACH ROW
    WHEN OLD.status IS NOT NEW.status
    BEGIN
        INSERT INTO events (kind, node_id, payload, created_at)
        VALUES ('node.status', NEW.id, json_object({_PAYLOAD}),
                strftime('%Y-%m-%d %H:%M:%f000', 'now'));
    END
    """,  # noqa: S608 - built from constants
]


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("node_id", sa.Uuid(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index("ix_events_created_at", "events", ["created_at"])
    statements = POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute("DROP TRIGGER IF EXISTS nodes_status_event" + (" ON nodes" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS dlv_event_node_status()")
    op.drop_index("ix_events_created_at", table_name="events")
    op.drop_table("events")
