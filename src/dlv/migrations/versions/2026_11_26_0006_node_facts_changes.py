"""node facts changes: log every change of a node's shown facts to the lineage change log

Each process keeps the facts a lineage answer shows (kind, namespace, name, owner, status,
status message) in memory beside its index. A trigger logs a ``node~`` change whenever one of
them changes, whatever wrote it (the API, the health runner, OpenLineage ingestion, another
process), so every process refreshes exactly those nodes before its next answer.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 23:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACTS = ("kind", "namespace", "name", "owner", "status", "status_message")
CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in FACTS)

POSTGRESQL = [
    """
    CREATE FUNCTION dlv_log_node_facts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO lineage_changes (op, a, b, at) VALUES ('node~', NEW.pk, -1, now());
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE TRIGGER nodes_facts_changed AFTER UPDATE ON nodes FOR EACH ROW
    WHEN ({CHANGED}) EXECUTE FUNCTION dlv_log_node_facts()
    """,
]
# SQLite spells IS DISTINCT FROM as IS NOT; the timestamp matches SQLAlchemy's format.
SQLITE = [
    f"""
    CREATE TRIGGER nodes_facts_changed AFTER UPDATE ON nodes FOR EACH ROW
    WHEN {CHANGED.replace("IS DISTINCT FROM", "IS NOT")}
    BEGIN
        INSERT INTO lineage_changes (op, a, b, at)
        VALUES ('node~', NEW.pk, -1, strftime('%Y-%m-%d %H:%M:%f000', 'now'));
    END
    """,  # noqa: S608 - built from the constant FACTS above
]


def upgrade() -> None:
    statements = POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS nodes_facts_changed"
        + (" ON nodes" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS dlv_log_node_facts()")
