"""How times are bound on SQLite: stored text must sort and compare as it always has."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import DateTime, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from dlv import db
from dlv.db import UTCDateTime, make_engine, sqlite_utc_text

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


def test_a_statement_error_never_shows_its_parameters(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (a TEXT UNIQUE)"))
            conn.execute(text("INSERT INTO t VALUES (:a)"), {"a": "hash-of-a-secret"})
        with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (:a)"), {"a": "hash-of-a-secret"})
        assert "hash-of-a-secret" not in str(caught.value)
    finally:
        engine.dispose()


def test_connecting_to_a_server_that_never_answers_gives_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A local listener that accepts and stays silent, like a host that drops packets.
    monkeypatch.setattr(db, "CONNECT_TIMEOUT", 1)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        engine = make_engine(f"postgresql+psycopg://u@127.0.0.1:{port}/x")
        started = time.monotonic()
        try:
            with pytest.raises(OperationalError):
                engine.connect()
        finally:
            engine.dispose()
    assert time.monotonic() - started < 30  # not the ~2 minutes of TCP's own timeout
