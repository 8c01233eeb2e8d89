"""Alembic, driven from code: ``dlv db upgrade``, ``dlv serve`` and the tests use it."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from dlv.db import make_engine

SCRIPT_LOCATION = str(Path(__file__).parent / "migrations")


def alembic_config(url: str) -> Config:
    """An Alembic config for ``url`` without any alembic.ini on disk."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    # Migration files start with their date, so they list in the order they were written.
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Apply every pending migration."""
    command.upgrade(alembic_config(url), revision)


def current(url: str) -> str | None:
    """The revision(s) the database is at (None for an empty database)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            heads = MigrationContext.configure(conn).get_current_heads()
            return ", ".join(sorted(heads)) or None
    finally:
        engine.dispose()
