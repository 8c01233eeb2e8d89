"""How times are bound on SQLite: stored text must sort and compare as it always has."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from dlv.db import UTCDateTime, sqlite_utc_text

SQLITE = sqlite.dialect()


def as_before(value: datetime | None) -> object:
    """The two steps sqlite_utc_text stands for: the decorator's UTC, then SQLAlchemy's text."""
    sqlalchemys = DateTime(timezone=True).dialect_impl(SQLITE).bind_processor(SQLITE)
    assert sqlalchemys is not None
    return sqlalchemys(UTCDateTime().process_bind_param(value, SQLITE))


DAY = timedelta(hours=23)
zones: st.SearchStrategy[tzinfo | None] = st.one_of(
    st.none(),
    st.just(UTC),
    st.builds(timezone, st.timedeltas(min_value=-DAY, max_value=DAY)),
)


@settings(max_examples=500, deadline=None)
@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)), zones)
def test_a_time_is_stored_as_sqlalchemy_stored_it(naive: datetime, zone: tzinfo | None) -> None:
    value = naive.replace(tzinfo=zone)
    assert sqlite_utc_text(value) == as_before(value)


def test_sqlite_columns_bind_times_in_one_step() -> None:
    processor = UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert processor is sqlite_utc_text
    assert processor(None) is None
    other_zone = datetime(2026, 11, 28, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert processor(other_zone) == "2026-11-27 23:30:00.000000"
