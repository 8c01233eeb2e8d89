"""What feeds the alert engine: the event log's ``node.status`` events, read once.

Every status change (a check, the monitoring loop, OpenLineage ingestion, a collector, an SLA)
is logged by the database trigger of migration 0015, whoever wrote it. The feed reads them
with a durable cursor (``events.service.consume``) and hands them to ``on_status_changes`` in
the same transaction: an incident is opened, grouped or resolved exactly once per change,
whichever process reads it, and a crash before commit leaves the cursor where it was.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dlv.alerts.incidents import StatusChange, on_status_changes
from dlv.db import utcnow
from dlv.events import service as events
from dlv.events.repository import EventRow
from dlv.events.service import EventKind
from dlv.lineage.live import LiveIndex

log = logging.getLogger("dlv.alerts")

CURSOR = "alerts"


def status_change(row: EventRow) -> StatusChange | None:
    """The change a ``node.status`` event tells of; None for any other event."""
    _, kind, node_id, payload, created_at = row
    if kind != EventKind.node_status or node_id is None or not payload.get("new"):
        return None
    return StatusChange(
        node_id=uuid.UUID(str(node_id)),
        old=payload.get("old"),
        new=str(payload["new"]),
        message=payload.get("message"),
        at=created_at,
    )


class AlertFeed:
    """Reads new status changes and runs the alert engine on them (``tick``, in a thread)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        live: LiveIndex,
        *,
        public_url: str | None,
        grace_seconds: float,
        read_bind: Engine | None = None,
    ) -> None:
        self._factory, self._live, self._read_bind = factory, live, read_bind
        self._public_url = public_url
        self._grace = timedelta(seconds=grace_seconds)

    def tick(self) -> None:
        """``run_once`` until the log is read, its failures logged (a background loop's body)."""
        try:
            while self.run_once() == events.CONSUME_BATCH:
                pass
        except Exception:
            log.exception("alerts: reading status changes failed")

    def run_once(self, now: datetime | None = None) -> int:
        """Act on the next batch of events; how many were read."""
        now = now or utcnow()
        # Polled every second in every process: an idle poll is one read, so that on SQLite
        # it never queues behind (or holds up) a writer for the write lock.
        reader = self._factory(bind=self._read_bind) if self._read_bind else self._factory()
        with reader as session:
            if not events.unread(session, CURSOR):
                return 0
        with self._factory.begin() as session:
            rows = events.consume(session, CURSOR, now, grace=self._grace)
            changes = [c for c in map(status_change, rows) if c is not None]
            if changes:
                on_status_changes(
                    session, changes, now, live=self._live, public_url=self._public_url
                )
        return len(rows)
