"""The lineage change log: every graph write appends here, in the writer's transaction.

Each process's in-memory index replays the rows it has not seen before answering a query,
which gives read-your-writes in one process and across processes sharing a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

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


def last_seq(session: Session) -> int:
    """The newest change's number (0 for none): one indexed lookup, cheap to poll."""
    return session.scalar(select(func.max(LineageChange.seq))) or 0


def since(session: Session, seq: int, limit: int) -> Sequence[tuple[int, str, int, int]]:
    """Changes after ``seq``, oldest first."""
    stmt = (
        select(LineageChange.seq, LineageChange.op, LineageChange.a, LineageChange.b)
        .where(LineageChange.seq > seq)
        .order_by(LineageChange.seq)
        .limit(limit)
    )
    return [tuple(row) for row in session.execute(stmt)]  # type: ignore[misc]
