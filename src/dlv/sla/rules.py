"""Whether an SLA is breached at a moment, and the reason a person reads. Pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from dlv.sla.calendar import Deadline, Weekday, fmt_duration


@dataclass(frozen=True)
class Rule:
    """An SLA as the evaluator sees it; ``since``: when it was set (earlier deadlines and a
    missing first success are measured from then)."""

    max_age_seconds: int | None
    deadline: Deadline | None
    since: datetime

    @classmethod
    def of(
        cls,
        max_age_seconds: int | None,
        deadline_time: str | None,
        zone: str | None,
        days: list[str] | None,
        since: datetime,
    ) -> Rule:
        deadline = None
        if deadline_time and zone and days:
            deadline = Deadline(
                time.fromisoformat(deadline_time), zone, frozenset(Weekday(d) for d in days)
            )
        return cls(max_age_seconds, deadline, since)


def breach(rule: Rule, last_success: datetime | None, now: datetime) -> str | None:
    """Why the SLA is breached at ``now``, or None when it is met."""
    reasons = [r for r in (_stale(rule, last_success, now), _missed(rule, last_success, now)) if r]
    return "; ".join(reasons) or None


def _stale(rule: Rule, last_success: datetime | None, now: datetime) -> str | None:
    if rule.max_age_seconds is None:
        return None
    limit = fmt_duration(rule.max_age_seconds)
    if last_success is None:
        waited = (now - rule.since).total_seconds()
        if waited <= rule.max_age_seconds:
            return None
        return f"no successful run since the SLA was set {fmt_duration(waited)} ago, SLA {limit}"
    age = (now - last_success).total_seconds()
    if age <= rule.max_age_seconds:
        return None
    return f"no successful run for {fmt_duration(age)}, SLA {limit}"


def _missed(rule: Rule, last_success: datetime | None, now: datetime) -> str | None:
    deadline = rule.deadline
    if deadline is None:
        return None
    due = deadline.latest(now)
    if due is None or due <= rule.since:
        return None
    if last_success is not None and last_success >= deadline.day_start(due):
        return None
    local = due.astimezone(deadline.zone_info)
    return f"not done by {deadline.describe()} on {local:%a %Y-%m-%d}"
