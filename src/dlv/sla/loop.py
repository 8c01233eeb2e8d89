"""The SLA evaluator: a round every few seconds in each server process, of which only the
lease holder judges (one transition per breach however many processes share the database)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from dlv.db import utcnow
from dlv.monitor import lease
from dlv.sla import service

log = logging.getLogger("dlv.sla")


class SlaEvaluator:
    """``tick`` runs one round in its own transaction; ``clock`` is injectable for tests."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        interval_seconds: float,
        *,
        holder: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.factory = factory
        self.holder = holder or lease.holder_name()
        self.clock = clock
        # A leader that stops renewing is replaced after a few missed rounds.
        self.ttl = timedelta(seconds=max(3 * interval_seconds, 5))

    def tick(self) -> int | None:
        """One round: how many SLAs changed state, None when another process leads or the
        round failed (logged; the next round tries again)."""
        try:
            with self.factory() as session:
                changed = service.evaluate(session, self.holder, self.clock(), self.ttl)
                session.commit()
        except Exception:
            log.exception("sla: an evaluation round failed")
            return None
        return changed

    def release(self) -> None:
        """Hand the lease on at once (a clean shutdown)."""
        try:
            with self.factory() as session:
                lease.release(session, service.LEASE, self.holder, self.clock())
                session.commit()
        except Exception:
            log.exception("sla: releasing the evaluator lease failed")
