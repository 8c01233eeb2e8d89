"""``dlv runs``: housekeeping of the runs and raw events OpenLineage producers send."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from dlv.cli.context import instance_url
from dlv.config import get_settings
from dlv.db import make_engine, make_sessionmaker
from dlv.ingestion import retention

app = typer.Typer(help="Job runs reported through OpenLineage.", no_args_is_help=True)


@app.callback()
def runs() -> None:
    """Job runs reported through OpenLineage."""


@app.command("prune")
def prune(
    older_than_days: Annotated[
        int | None,
        typer.Option(min=1, help="Keep this many days (default: DLV_RUNS_RETENTION_DAYS, 30)"),
    ] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, max=100_000, help="Rows deleted per transaction")
    ] = retention.BATCH,
) -> None:
    """Delete raw events and runs older than the retention period (never nodes or edges)."""
    settings = get_settings()
    days = older_than_days or settings.runs_retention_days
    engine = make_engine(instance_url())
    try:
        pruned = retention.prune(make_sessionmaker(engine), timedelta(days=days), batch=batch_size)
    finally:
        engine.dispose()
    typer.echo(
        f"Pruned {pruned.events} raw events and {pruned.runs} runs "
        f"older than {pruned.cutoff:%Y-%m-%d %H:%M} UTC ({days} days)"
    )
