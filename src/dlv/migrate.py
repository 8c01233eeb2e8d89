"""Alembic, driven from code: ``dlv db upgrade``, ``dlv serve`` and the tests use it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

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


def heads(url: str) -> tuple[str, ...]:
    """The revisions the database is at (none for an empty database)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
    finally:
        engine.dispose()


def current(url: str) -> str | None:
    """The revision(s) the database is at (None for an empty database)."""
    return ", ".join(heads(url)) or None


@dataclass(frozen=True)
class Upgraded:
    """What ``upgrade_counted`` did: the revisions before and after, and how many it applied."""

    before: tuple[str, ...]
    after: tuple[str, ...]
    applied: int


def upgrade_counted(url: str) -> Upgraded:
    """``upgrade``, telling what it did."""
    before = heads(url)
    upgrade(url)
    after = heads(url)
    script = ScriptDirectory.from_config(alembic_config(url))

    def reached(revisions: tuple[str, ...]) -> set[str]:
        if not revisions:
            return set()
        return {r.revision for r in script.iterate_revisions(revisions, "base") if r is not None}

    return Upgraded(before, after, len(reached(after) - reached(before)))


@cache
def code_heads() -> tuple[str, ...]:
    """The head revision(s) of this code's migrations, sorted (read once: parsing the
    migration files takes tens of milliseconds)."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config("")).get_heads()))


def database_heads(conn: Connection) -> tuple[str, ...]:
    """The revision(s) the database is at, sorted; () when it has no migration history."""
    return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
