"""Deadline arithmetic: "done by 06:00 Europe/Berlin, Monday to Friday". Pure, no I/O.

A deadline is a local time of day on some days of the week in an IANA zone. What counts as
having met it is a success on the deadline's local day, at or after its local midnight: a
run that finishes late on Monday does not also satisfy Tuesday's deadline.

Daylight saving time (zoneinfo's rules, PEP 495):
- a time that does not exist (02:30 on a spring-forward day in Europe/Berlin) falls due one
  gap later, at 03:30 local: the wall clock jumped past it, and the first instant it shows a
  later time is the fairest reading of "by 02:30";
- a time that happens twice (02:30 on a fall-back day) falls due the first time: a deadline
  is a promise, and the earlier reading is the one a reader of the clock would hold us to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

# Days looked back for the latest deadline: every weekly calendar has one within a week.
_LOOK_BACK_DAYS = 8


class Weekday(StrEnum):
    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"
    sat = "sat"
    sun = "sun"


WEEKDAYS = list(Weekday)  # date.weekday() order: Monday is 0


@dataclass(frozen=True)
class Deadline:
    """Done by ``at`` (local wall time) in ``zone`` on each of ``days``."""

    at: time
    zone: str
    days: frozenset[Weekday]

    @property
    def zone_info(self) -> ZoneInfo:
        return ZoneInfo(self.zone)  # cached by zoneinfo

    def due_on(self, day: date) -> datetime | None:
        """The UTC instant the deadline falls due on the local ``day``; None on other days."""
        if WEEKDAYS[day.weekday()] not in self.days:
            return None
        return local_instant(day, self.at, self.zone_info)

    def latest(self, now: datetime) -> datetime | None:
        """The latest instant at or before ``now`` (aware) that the deadline fell due."""
        zone = self.zone_info
        today = now.astimezone(zone).date()
        for back in range(_LOOK_BACK_DAYS):
            due = self.due_on(today - timedelta(days=back))
            if due is not None and due <= now:
                return due
        return None

    def next(self, now: datetime) -> datetime | None:
        """The first instant after ``now`` that the deadline falls due."""
        today = now.astimezone(self.zone_info).date()
        for ahead in range(_LOOK_BACK_DAYS):
            due = self.due_on(today + timedelta(days=ahead))
            if due is not None and due > now:
                return due
        return None

    def day_start(self, due: datetime) -> datetime:
        """Local midnight (as UTC) of the day ``due`` falls on: successes from then count."""
        zone = self.zone_info
        day = due.astimezone(zone).date()
        return local_instant(day, time(0, 0), zone)

    def describe(self) -> str:
        return f"{self.at:%H:%M} {self.zone}"


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of the wall time ``at`` on ``day`` in ``zone``, DST resolved as the
    module says: a skipped time one gap later, a repeated time its first occurrence."""
    # fold=0 reads a wall time with the offset in force before a transition: a repeated
    # time is its first occurrence, and a skipped one lands one gap later (02:30 CET on the
    # spring-forward day is 01:30 UTC, which the clocks show as 03:30 CEST).
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def fmt_duration(seconds: float) -> str:
    """``3 h 12 min``, ``45 min``, ``2 d 1 h``: what a reason shows a person."""
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"
