"""Deadline arithmetic: weekdays, zones, daylight saving time. Pure, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from dlv.sla.calendar import Deadline, Weekday, fmt_duration

WEEKDAYS = frozenset({Weekday.mon, Weekday.tue, Weekday.wed, Weekday.thu, Weekday.fri})
EVERY_DAY = frozenset(Weekday)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def berlin(at: str, days: frozenset[Weekday] = WEEKDAYS) -> Deadline:
    return Deadline(time.fromisoformat(at), "Europe/Berlin", days)


def test_a_winter_deadline_in_berlin_is_an_hour_before_in_utc() -> None:
    # Monday 2026-12-07, CET (+01:00)
    assert berlin("06:00").due_on(date(2026, 12, 7)) == utc(2026, 12, 7, 5, 0)


def test_a_summer_deadline_in_berlin_is_two_hours_before_in_utc() -> None:
    assert berlin("06:00").due_on(date(2026, 7, 6)) == utc(2026, 7, 6, 4, 0)


def test_a_weekend_day_has_no_deadline_on_a_weekday_calendar() -> None:
    assert berlin("06:00").due_on(date(2026, 12, 5)) is None  # Saturday


def test_over_the_weekend_the_latest_deadline_is_fridays() -> None:
    sunday_evening = utc(2026, 12, 6, 20, 0)
    assert berlin("06:00").latest(sunday_evening) == utc(2026, 12, 4, 5, 0)


def test_before_todays_time_the_latest_deadline_is_yesterdays() -> None:
    tuesday_early = utc(2026, 12, 8, 4, 59)
    assert berlin("06:00").latest(tuesday_early) == utc(2026, 12, 7, 5, 0)


def test_the_deadline_itself_counts_as_fallen_due() -> None:
    assert berlin("06:00").latest(utc(2026, 12, 8, 5, 0)) == utc(2026, 12, 8, 5, 0)


def test_the_next_deadline_skips_the_weekend() -> None:
    friday_noon = utc(2026, 12, 4, 12, 0)
    assert berlin("06:00").next(friday_noon) == utc(2026, 12, 7, 5, 0)


def test_a_time_skipped_by_spring_forward_falls_due_one_gap_later() -> None:
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist, it falls due at
    # 03:30 CEST = 01:30 UTC.
    assert berlin("02:30", EVERY_DAY).due_on(date(2026, 3, 29)) == utc(2026, 3, 29, 1, 30)


def test_a_time_repeated_by_fall_back_falls_due_the_first_time() -> None:
    # 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens at 00:30 and 01:30 UTC.
    assert berlin("02:30", EVERY_DAY).due_on(date(2026, 10, 25)) == utc(2026, 10, 25, 0, 30)


def test_the_day_after_a_transition_uses_the_new_offset() -> None:
    assert berlin("02:30", EVERY_DAY).due_on(date(2026, 3, 30)) == utc(2026, 3, 30, 0, 30)


def test_the_day_is_the_zones_local_day() -> None:
    # 12:00 UTC on Monday is already 01:00 on Tuesday in Auckland (NZDT, +13:00).
    auckland = Deadline(time(6, 0), "Pacific/Auckland", frozenset({Weekday.tue}))
    assert auckland.latest(utc(2026, 12, 7, 12, 0)) == utc(2026, 11, 30, 17, 0)
    assert auckland.next(utc(2026, 12, 7, 12, 0)) == utc(2026, 12, 7, 17, 0)


def test_a_days_successes_count_from_its_local_midnight() -> None:
    due = berlin("06:00").due_on(date(2026, 12, 7))
    assert due is not None
    assert berlin("06:00").day_start(due) == utc(2026, 12, 6, 23, 0)


def test_local_midnight_on_a_spring_forward_day() -> None:
    due = berlin("06:00", EVERY_DAY).due_on(date(2026, 3, 29))
    assert due == utc(2026, 3, 29, 4, 0)
    assert berlin("06:00", EVERY_DAY).day_start(due) == utc(2026, 3, 28, 23, 0)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(59, "0 min"), (45 * 60, "45 min"), (7200, "2 h"), (11520, "3 h 12 min"), (90000, "1 d 1 h")],
)
def test_durations_read_like_a_person_writes_them(seconds: int, text: str) -> None:
    assert fmt_duration(seconds) == text
