"""What every CLI command shares: settings and a transaction on the configured database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.orm import Session

from dlv.config import get_settings
from dlv.db import make_engine, make_sessionmaker


@contextmanager
def transaction() -> Iterator[Session]:
    """A session committed when the block ends, rolled back if it raises."""
    engine = make_engine(get_settings().resolved_database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


def fail(message: str) -> typer.Exit:
    """Print ``message`` on stderr and return the exit to raise."""
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)
