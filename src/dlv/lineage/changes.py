"""The lineage change log: every graph write appends here, in the writer's transaction.

Each process's in-memory index replays the rows it has not seen before answering a query,
which gives read-your-writes in one process and across processes sharing a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from dlv.db import utcnow
from dlv.lineage.models import LineageChange

EDGE_ADDED = "edge+"
EDGE_REMOVED = "edge-"
PARENT_SET = "parent"
NODE_REMOVED = "node-"
# A node's shown facts (name, owner, status...) changed: logged by a database trigger on
# ``nodes`` (migration 0006), so no write path can forget it.
NODE_FACTS = "node~"
# A bulk write (graph import) logs this once instead of millions of rows: readers rebuild.
RESET = "reset"


def log(session: Session, op: str, a: int, b: int = -1) -> None:
    """Append one change."""
    session.execute(insert(LineageChange).values(op=op, a=a, b=b))


def log_many(session: Session, op: str, pairs: Iterable[tuple[int, int]]) -> None:
    """Append many changes of one kind in one statement."""
    rows = [{"op": op, "a": a, "b": b} for a, b in pairs]
    if rows:
        session.execute(insert(LineageChange), rows)


# Kept this long; a process that has not read the log for longer rebuilds its index.
RETENTION = timedelta(days=1)
PRUNE_BATCH = 10_000


def last_seq(session: Session) -> int:
    """The newest change's number (0 for none): one indexed lookup, cheap to poll."""
    return session.scalar(select(func.max(LineageChange.seq))) or 0


def bounds(session: Session) -> tuple[int, int]:
    """The oldest and the newest change's number still in the log ((0, 0) when empty)."""
    oldest, newest = session.execute(
        select(func.min(LineageChange.seq), func.max(LineageChange.seq))
    ).one()
    return oldest or 0, newest or 0


def prune(
    factory: sessionmaker[Session],
    older_than: timedelta = RETENTION,
    *,
    batch: int = PRUNE_BATCH,
    now: datetime | None = None,
) -> int:
    """Delete changes older than ``older_than``, ``batch`` rows per transaction; how many.

    The newest change is always kept: its number is what every process compares with, and
    on SQLite it keeps numbers from being handed out again.
    """
    cutoff = (now or utcnow()) - older_than
    total = 0
    while True:
        with factory() as session, session.begin():
            newest = last_seq(session)
            doomed = (
                select(LineageChange.seq)
                .where(LineageChange.at < cutoff, LineageChange.seq < newest)
                .order_by(LineageChange.seq)
                .limit(batch)
            )
            rows = list(session.scalars(doomed))
            if rows:
                session.execute(delete(LineageChange).where(LineageChange.seq.in_(rows)))
        total += len(rows)
        if len(rows) < batch:
            return total


def since(session: Session, seq: int, limit: int) -> Sequence[tuple[int, str, int, int]]:
    """Changes after ``seq``, oldest first."""
    stmt = (
        select(LineageChange.seq, LineageChange.op, LineageChange.a, LineageChange.b)
        .where(LineageChange.seq > seq)
        .order_by(LineageChange.seq)
        .limit(limit)
    )
    return [tuple(row) for row in session.execute(stmt)]  # type: ignore[misc]
