"""Core helpers the ingestion repositories share: dialect-aware inserts, writes in key order.

Every write goes in key order (``in_key_order``): two processes inserting the same new nodes
or edges in different orders each waited for a row the other held, and PostgreSQL killed one
as a deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dlv.db import dialect


def conn(session: Session) -> Connection:
    return session.connection()


def postgres(session: Session) -> bool:
    return dialect(session) == "postgresql"


def insert(session: Session, table: Any) -> Any:
    # ON CONFLICT is dialect syntax; both supported databases spell it the same way.
    return postgresql.insert(table) if postgres(session) else sqlite.insert(table)


def in_key_order(rows: Iterable[dict[str, Any]], *key: str) -> list[dict[str, Any]]:
    """The rows sorted by their unique key: the order every write takes its row locks in."""
    return sorted(rows, key=itemgetter(*key))


# Statements are built once: building one costs more than running it (every IN value
# would be an object of its own; an expanding parameter takes the list at execution).
_UPDATES: dict[tuple[Any, str, tuple[str, ...]], Any] = {}


def update_many(session: Session, table: Any, key: str, rows: Sequence[dict[str, Any]]) -> None:
    """One executemany UPDATE per set of changed columns (``rows`` carry ``key`` too)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in in_key_order(rows, key):
        groups.setdefault(tuple(sorted(c for c in row if c != key)), []).append(row)
    for columns, group in groups.items():
        stmt = _UPDATES.get((table, key, columns))
        if stmt is None:
            stmt = _UPDATES[(table, key, columns)] = (
                update(table)
                .where(getattr(table, key) == bindparam(f"b_{key}"))
                .values({c: bindparam(f"b_{c}") for c in columns})
            )
        conn(session).execute(stmt, [{"b_" + c: v for c, v in r.items()} for r in group])
