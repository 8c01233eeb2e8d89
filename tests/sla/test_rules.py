"""When an SLA is breached and what the reason says. Pure, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dlv.sla.rules import Rule, breach

SET = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
FRESH_2H = Rule.of(7200, None, None, None, SET)
BY_SIX = Rule.of(None, "06:00", "Europe/Berlin", ["mon", "tue", "wed", "thu", "fri"], SET)
MONDAY_DUE = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)  # 06:00 CET


def test_fresh_enough_is_met() -> None:
    now = SET + 10 * HOUR
    assert breach(FRESH_2H, now - 2 * HOUR, now) is None


def test_too_old_says_how_old_and_the_sla() -> None:
    now = SET + 10 * HOUR
    last = now - timedelta(hours=3, minutes=12)
    assert breach(FRESH_2H, last, now) == "no successful run for 3 h 12 min, SLA 2 h"


def test_never_succeeded_is_measured_from_when_the_sla_was_set() -> None:
    assert breach(FRESH_2H, None, SET + HOUR) is None
    assert breach(FRESH_2H, None, SET + 3 * HOUR) == (
        "no successful run since the SLA was set 3 h ago, SLA 2 h"
    )


def test_done_that_morning_meets_the_deadline() -> None:
    assert breach(BY_SIX, MONDAY_DUE - HOUR, MONDAY_DUE + HOUR) is None


def test_not_done_by_the_time_is_late() -> None:
    sunday = MONDAY_DUE - timedelta(days=1)
    reason = breach(BY_SIX, sunday, MONDAY_DUE + timedelta(seconds=1))
    assert reason == "not done by 06:00 Europe/Berlin on Mon 2026-12-07"


def test_before_the_time_nothing_is_late_yet() -> None:
    friday = MONDAY_DUE - timedelta(days=3)
    assert breach(BY_SIX, friday, MONDAY_DUE - timedelta(seconds=1)) is None


def test_done_after_the_time_meets_it_again() -> None:
    assert breach(BY_SIX, MONDAY_DUE + HOUR, MONDAY_DUE + 2 * HOUR) is None


def test_a_deadline_that_fell_due_before_the_sla_was_set_is_not_held_against_it() -> None:
    rule = Rule.of(None, "06:00", "Europe/Berlin", ["mon"], MONDAY_DUE + HOUR)
    assert breach(rule, None, MONDAY_DUE + 2 * HOUR) is None


def test_both_breached_give_both_reasons() -> None:
    rule = Rule.of(7200, "06:00", "Europe/Berlin", ["mon"], SET)
    reason = breach(rule, MONDAY_DUE - timedelta(days=1), MONDAY_DUE)
    assert reason == (
        "no successful run for 1 d, SLA 2 h; not done by 06:00 Europe/Berlin on Mon 2026-12-07"
    )
