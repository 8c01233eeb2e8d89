"""The one pagination shape every list endpoint shares: bounded ``limit``, opaque ``cursor``.

Keyset pagination (``WHERE (sort, id) > (last_sort, last_id)``) instead of OFFSET: pages stay
stable while rows are inserted, and page 1,000 costs the same as page 1.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import QueryableAttribute

from dlv.errors import FieldError, InvalidInput

T = TypeVar("T")
SortKey = ColumnElement[Any] | QueryableAttribute[Any]
Row = TypeVar("Row")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}")
]
CursorQuery = Annotated[
    str | None,
    Query(max_length=1000, description="Opaque cursor from the previous page's next_cursor"),
]


class Page(BaseModel, Generic[T]):
    """A page of results; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[T]
    next_cursor: str | None = None


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"uuid": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return datetime.fromisoformat(str(value["dt"]))
        if "uuid" in value:
            return uuid.UUID(str(value["uuid"]))
        raise ValueError("unknown cursor value")
    if value is None or isinstance(value, str | int | float):
        return value
    raise ValueError("unknown cursor value")


def encode_cursor(values: Sequence[Any]) -> str:
    """Opaque text for the sort values of the last row of a page."""
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    """The sort values in ``cursor``; a cursor from another query or a forged one is a 422."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != width:
            raise ValueError("wrong cursor width")
        return [_decode_value(v) for v in values]
    except (ValueError, binascii.Error, UnicodeDecodeError, TypeError) as exc:
        raise InvalidInput(
            "The cursor is not valid for this list",
            errors=[FieldError("query.cursor", "not a cursor returned by this list")],
        ) from exc


def keyset(
    stmt: Select[Any],
    keys: Sequence[SortKey],
    *,
    descending: bool,
    cursor: str | None,
    limit: int,
) -> Select[Any]:
    """Order ``stmt`` by ``keys`` (the last one unique), start after ``cursor``, fetch limit+1."""
    if cursor is not None:
        values = decode_cursor(cursor, len(keys))
        stmt = stmt.where(_after(keys, values, descending))
    order = [k.desc() if descending else k.asc() for k in keys]
    return stmt.order_by(*order).limit(limit + 1)


def _after(keys: Sequence[SortKey], values: Sequence[Any], descending: bool) -> ColumnElement[bool]:
    # Expanded row comparison: (a, b) > (x, y)  <=>  a > x OR (a = x AND b > y).
    # Portable across SQLite and PostgreSQL, and still uses the index on (a, b).
    clauses = []
    for i, key in enumerate(keys):
        equal = [keys[j] == values[j] for j in range(i)]
        step = key < values[i] if descending else key > values[i]
        clauses.append(and_(*equal, step))
    return or_(*clauses)


def page_of(rows: Sequence[Row], limit: int, sort_values: Any) -> tuple[list[Row], str | None]:
    """Cut the extra row fetched by ``keyset`` and make the next cursor from the last kept row."""
    kept = list(rows[:limit])
    if len(rows) > limit and kept:
        return kept, encode_cursor(sort_values(kept[-1]))
    return kept, None
