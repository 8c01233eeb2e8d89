"""When a node is next checked: pure functions, no I/O (the loop and the catalog share them)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

DEFAULT_INTERVAL_SECONDS = 300
MAX_INTERVAL_SECONDS = 7 * 24 * 3600


def next_due(
    now: datetime, interval: int, jitter: float, rng: random.Random | None = None
) -> datetime:
    """``interval`` seconds after ``now``, moved by up to ``jitter`` of it either way: nodes
    created together (an import, a migration) spread out instead of staying in lockstep."""
    spread = (rng or random).uniform(-jitter, jitter) if jitter else 0.0
    return now + timedelta(seconds=interval * (1 + spread))


def schedulable(has_connection: bool, interval: int | None) -> bool:
    """The loop checks a node only when it has a connection and an interval."""
    return has_connection and interval is not None
