"""The migrations build the schema the models describe (a column added to one and not the
other would fail only on the path that uses it)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from dlv import migrate
from dlv.models import metadata


def test_the_migrated_schema_is_the_models_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_the_node_triggers_survive_every_migration(database_url: str) -> None:
    # SQLite's batch mode rebuilds a table and drops its triggers: the lineage index would
    # then stop learning node status changes (0014 did so once), the stream and the alerts
    # would hear of none.
    engine = create_engine(database_url)
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if engine.dialect.name == "sqlite"
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    )
    try:
        with engine.connect() as conn:
            triggers = set(conn.execute(text(query)).scalars())
    finally:
        engine.dispose()
    assert {"nodes_facts_changed", "nodes_status_event"} <= triggers


def test_the_migrations_have_one_head() -> None:
    # Two branches each adding a migration after the same one leave two heads; upgrading to
    # "heads" would apply both in an order nobody chose.
    assert len(migrate.code_heads()) == 1
