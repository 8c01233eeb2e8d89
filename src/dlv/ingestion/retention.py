"""Retention: raw events and runs older than ``runs_retention_days`` are deleted in batches.

Each batch is its own short transaction, so pruning millions of rows never holds a lock for
long and can stop anywhere. The catalog, its edges and column lineage are never pruned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from dlv.db import utcnow
from dlv.ingestion import repository

DEFAULT_RETENTION_DAYS = 30
DEFAULT_INTERVAL_SECONDS = 3600
BATCH = 5_000


def retention_days(settings: Any) -> int:
    """``Settings.runs_retention_days`` (30 until the setting exists)."""
    return int(getattr(settings, "runs_retention_days", DEFAULT_RETENTION_DAYS))


def interval_seconds(settings: Any) -> float:
    """``Settings.runs_prune_interval_seconds``: how often the server prunes."""
    return float(getattr(settings, "runs_prune_interval_seconds", DEFAULT_INTERVAL_SECONDS))


@dataclass(frozen=True)
class Pruned:
    events: int
    runs: int
    cutoff: datetime


def prune(
    factory: sessionmaker[Session],
    older_than: timedelta,
    *,
    batch: int = BATCH,
    now: datetime | None = None,
) -> Pruned:
    """Delete raw events and runs older than ``older_than``, ``batch`` rows per transaction."""
    cutoff = (now or utcnow()) - older_than
    totals = {}
    for name, step in (("events", repository.prune_events), ("runs", repository.prune_runs)):
        total = 0
        while True:
            with factory() as session, session.begin():
                deleted = step(session, cutoff, batch)
            total += deleted
            if deleted < batch:
                break
        totals[name] = total
    return Pruned(totals["events"], totals["runs"], cutoff)
