"""incident truth: every owner of a node, edges that age, what events set and derived

- ``nodes.owners``: every owner, in order (``owner`` stays: the first, for sorting); jsonb on
  PostgreSQL so that the owner filter can ask "contains". The facts trigger (0006) also
  watches it, so lineage answers show a change at once.
- ``edges.first_seen_at``, ``last_seen_at``, ``last_run_id``, ``stale_since``: when events
  first and last reported an observed edge, which run last did, and since when a job's
  successful runs no longer report it (kept, hidden from lineage by default).
- ``runs.lineage``: whether any event of the run named a dataset (only such a run ages edges).
- ``openlineage_nodes``: ``owners`` (the list events last wrote, was ``owner``), ``tags``
  (the tags events set), ``derived`` (the node was read off a job's SQL or column lineage).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_FACTS = ("kind", "namespace", "name", "owner", "status", "status_message")
NEW_FACTS = (*OLD_FACTS, "owners")


def _postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def _trigger(facts: Sequence[str]) -> None:
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in facts)
    if _postgres():
        op.execute("DROP TRIGGER IF EXISTS nodes_facts_changed ON nodes")
        op.execute(
            "CREATE TRIGGER nodes_facts_changed AFTER UPDATE ON nodes FOR EACH ROW "
            f"WHEN ({changed}) EXECUTE FUNCTION dlv_log_node_facts()"
        )
        return
    op.execute("DROP TRIGGER IF EXISTS nodes_facts_changed")
    op.execute(
        "CREATE TRIGGER nodes_facts_changed AFTER UPDATE ON nodes FOR EACH ROW "  # noqa: S608
        f"WHEN {changed.replace('IS DISTINCT FROM', 'IS NOT')} "
        "BEGIN INSERT INTO lineage_changes (op, a, b, at) "
        "VALUES ('node~', NEW.pk, -1, strftime('%Y-%m-%d %H:%M:%f000', 'now')); END"
    )


def upgrade() -> None:
    pg = _postgres()
    owners_type = postgresql.JSONB() if pg else sa.JSON()
    empty = sa.text("'[]'::jsonb") if pg else sa.text("'[]'")
    # The backfill below must not log a change per node: the trigger comes back after it.
    op.execute("DROP TRIGGER IF EXISTS nodes_facts_changed" + (" ON nodes" if pg else ""))
    op.add_column("nodes", sa.Column("owners", owners_type, nullable=False, server_default=empty))
    array = "jsonb_build_array(owner)" if pg else "json_array(owner)"
    op.execute(f"UPDATE nodes SET owners = {array} WHERE owner IS NOT NULL")  # noqa: S608
    _trigger(NEW_FACTS)

    for column in ("first_seen_at", "last_seen_at", "stale_since"):
        op.add_column("edges", sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    op.add_column("edges", sa.Column("last_run_id", sa.Uuid(), nullable=True))
    op.execute("UPDATE edges SET first_seen_at = created_at")
    op.execute("UPDATE edges SET last_seen_at = created_at WHERE origin = 'openlineage'")

    # Runs so far are taken to have named datasets: their jobs' edges may age as before.
    op.add_column(
        "runs", sa.Column("lineage", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column("openlineage_nodes", sa.Column("owners", sa.JSON(), nullable=True))
    op.add_column("openlineage_nodes", sa.Column("tags", sa.JSON(), nullable=True))
    op.add_column("openlineage_nodes", sa.Column("derived", sa.JSON(), nullable=True))
    array = "json_build_array(owner)" if pg else "json_array(owner)"
    op.execute(f"UPDATE openlineage_nodes SET owners = {array} WHERE owner IS NOT NULL")  # noqa: S608
    op.execute("ALTER TABLE openlineage_nodes DROP COLUMN owner")


def downgrade() -> None:
    pg = _postgres()
    op.add_column("openlineage_nodes", sa.Column("owner", sa.String(200), nullable=True))
    first = "owners->>0" if pg else "json_extract(owners, '$[0]')"
    op.execute(f"UPDATE openlineage_nodes SET owner = {first}")  # noqa: S608
    for column in ("derived", "tags", "owners"):
        op.execute(f"ALTER TABLE openlineage_nodes DROP COLUMN {column}")
    op.execute("ALTER TABLE runs DROP COLUMN lineage")
    for column in ("stale_since", "last_run_id", "last_seen_at", "first_seen_at"):
        op.execute(f"ALTER TABLE edges DROP COLUMN {column}")
    op.execute("DROP TRIGGER IF EXISTS nodes_facts_changed" + (" ON nodes" if pg else ""))
    op.execute("ALTER TABLE nodes DROP COLUMN owners")
    _trigger(OLD_FACTS)
