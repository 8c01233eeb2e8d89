"""Which producers are reporting: the events received per namespace, and how far mapping is
behind for each. Read by the administration's ingestion screen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from dlv.ingestion import repository
from dlv.ingestion.schemas import IngestionNamespaces, NamespaceActivity


def by_namespace(session: Session, since: datetime | None, limit: int) -> IngestionNamespaces:
    """Per namespace, the events received since ``since`` (every stored one when None),
    the namespace heard from last first; at most ``limit`` namespaces.

    Events are kept ``DLV_RUNS_RETENTION_DAYS``: a namespace silent for longer is not listed.
    Events still in SQLite's inbox (background mapping) are not yet counted here; the
    ingestion status counts them.
    """
    rows = repository.namespace_activity(session, since, limit + 1)
    return IngestionNamespaces(
        since=since,
        truncated=len(rows) > limit,
        namespaces=[
            NamespaceActivity(
                namespace=namespace,
                events=events,
                mapped=mapped,
                pending=pending,
                failed=failed,
                last_received_at=last_received,
                last_event_time=last_event_time,
                oldest_pending_received_at=oldest_pending,
            )
            for (
                namespace,
                events,
                mapped,
                pending,
                failed,
                last_received,
                last_event_time,
                oldest_pending,
            ) in rows[:limit]
        ],
    )
