"""Retention: raw events and runs older than ``Settings.runs_retention_days`` are deleted in
batches.

Each batch is its own short transaction, so pruning millions of rows never holds a lock for
long and can stop anywhere. The catalog, its edges and column lineage are never pruned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from dlv.db import utcnow
from dlv.ingestion import repository

BATCH = 5_000


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
