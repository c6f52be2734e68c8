"""Deadline arithmetic of report schedules: pure functions, no database.

Every deadline is a wall-clock time in Asia/Ho_Chi_Minh (UTC+7, no daylight saving),
compared to the minute: due at 10:00 means on time at 09:59 (and at 10:00:59), late at
10:01. DHIS2's `timelyDays` / `expiryDays` are whole days; ours are minutes
(docs/decisions/0009 and emis_anchors.md).

A `Rule` is one of:

- ``weekly``: every `weekday` at `time` (e.g. every Monday by 10:00), from `start`;
- ``biweekly``: every second `weekday` at `time`, counted from `start` (the first
  occurrence is the first such weekday on or after `start`);
- ``monthly``: every month by day `day_of_month` at `time` (a day past the month's end
  means its last day: "by the 31st" is 28 February);
- ``fixed``: a list of dates and times.

Occurrences falling inside a break (Tết, given as date ranges) are dropped: nobody
reports from an empty school, and the next occurrence's period then covers the break.

The **period** an occurrence reports on runs from the previous occurrence's date to the
day before this one's (weekly on Monday: the previous Monday to Sunday); a monthly
report covers the previous calendar month; the first occurrence of a rule covers the
interval's length before it (7 or 14 days), or for a fixed list from `start`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_noop

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
RECURRENCES = ("weekly", "biweekly", "monthly", "fixed")
HORIZON_DAYS = 800  # how far ahead an occurrence is looked for
ONE_DAY = dt.timedelta(days=1)


class ScheduleError(ValueError):
    """A schedule that cannot be: `code` machine-readable, `field` the input at fault."""

    def __init__(self, code: str, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Rule:
    recurrence: str
    time: dt.time
    start: dt.date
    end: dt.date | None = None
    weekday: int | None = None  # 0 = Monday
    day_of_month: int | None = None
    fixed: tuple[dt.datetime, ...] = ()  # local (naive) or aware
    breaks: tuple[tuple[dt.date, dt.date], ...] = field(default=())


def local(value: dt.datetime) -> dt.datetime:
    """`value` as an aware datetime in Việt Nam (a naive one is taken as Việt Nam time)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=VN_TZ)
    return value.astimezone(VN_TZ)


def at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time.replace(second=0, microsecond=0), tzinfo=VN_TZ)


def in_break(day: dt.date, breaks: Sequence[tuple[dt.date, dt.date]]) -> bool:
    return any(start <= day <= end for start, end in breaks)


def _month_day(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _raw(rule: Rule) -> Iterator[dt.datetime]:
    """Every occurrence from `start`, breaks not yet applied, in order."""
    if rule.recurrence in ("weekly", "biweekly"):
        assert rule.weekday is not None
        day = rule.start + dt.timedelta(days=(rule.weekday - rule.start.weekday()) % 7)
        step = dt.timedelta(days=7 if rule.recurrence == "weekly" else 14)
        while True:
            yield at(day, rule.time)
            day += step
    elif rule.recurrence == "monthly":
        assert rule.day_of_month is not None
        year, month = rule.start.year, rule.start.month
        while True:
            day = _month_day(year, month, rule.day_of_month)
            if day >= rule.start:
                yield at(day, rule.time)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    else:
        yield from sorted(local(x).replace(second=0, microsecond=0) for x in rule.fixed)


def occurrences(
    rule: Rule, *, after: dt.datetime | None = None, until: dt.datetime | None = None
) -> Iterator[dt.datetime]:
    """Deadlines of `rule` (aware, Việt Nam) in order, breaks dropped, strictly after
    `after` and at most `until`; never past `end` nor HORIZON_DAYS beyond `after`/start."""
    horizon = local(after).date() if after else rule.start
    horizon += dt.timedelta(days=HORIZON_DAYS)
    last = rule.end
    for due in _raw(rule):
        day = due.date()
        if (last is not None and day > last) or day > horizon:
            return
        if until is not None and due > local(until):
            return
        if day < rule.start or in_break(day, rule.breaks):
            continue
        if after is not None and due <= local(after):
            continue
        yield due


def validate(rule: Rule) -> None:
    """Refuse a rule with bad parts or no valid occurrence (ScheduleError)."""
    if rule.recurrence not in RECURRENCES:
        raise ScheduleError("recurrence", gettext_noop("Unknown recurrence."), "recurrence")
    if rule.recurrence in ("weekly", "biweekly") and (
        rule.weekday is None or not 0 <= rule.weekday <= 6
    ):
        raise ScheduleError(
            "weekday", gettext_noop("Choose a weekday (Monday to Sunday)."), "weekday"
        )
    if rule.recurrence == "monthly" and (
        rule.day_of_month is None or not 1 <= rule.day_of_month <= 31
    ):
        raise ScheduleError(
            "day_of_month", gettext_noop("The day of the month must be 1 to 31."), "day_of_month"
        )
    if rule.recurrence == "fixed" and not rule.fixed:
        raise ScheduleError("fixed", gettext_noop("Give at least one date and time."), "fixed")
    if rule.end is not None and rule.end < rule.start:
        raise ScheduleError("end", gettext_noop("The end date is before the start date."), "end")
    if next(occurrences(rule), None) is None:
        raise ScheduleError(
            "no_occurrence",
            gettext_noop(
                "This schedule has no deadline: every date falls outside its dates or in a break."
            ),
        )


def previous_due(rule: Rule, due: dt.datetime) -> dt.datetime | None:
    before = None
    for x in occurrences(rule, until=due - dt.timedelta(minutes=1)):
        before = x
    return before


def period_of(rule: Rule, due: dt.datetime) -> tuple[dt.date, dt.date]:
    """The days (first, last) the occurrence due at `due` reports on."""
    end = local(due).date() - ONE_DAY
    if rule.recurrence == "monthly":
        last = local(due).date().replace(day=1) - ONE_DAY
        return last.replace(day=1), last
    prev = previous_due(rule, due)
    if prev is not None:
        return local(prev).date(), end
    if rule.recurrence == "weekly":
        return end - dt.timedelta(days=6), end
    if rule.recurrence == "biweekly":
        return end - dt.timedelta(days=13), end
    return min(rule.start, end), end


def next_due(rule: Rule, now: dt.datetime) -> dt.datetime | None:
    """The first deadline not yet passed at `now` (due at 10:00: still 10:00 at 10:00:59)."""
    minute = local(now).replace(second=0, microsecond=0)
    return next(occurrences(rule, after=minute - dt.timedelta(minutes=1)), None)


def last_due(rule: Rule, now: dt.datetime) -> dt.datetime | None:
    """The latest deadline already passed at `now` (strictly before this minute)."""
    minute = local(now).replace(second=0, microsecond=0)
    return previous_due(rule, minute)


def is_on_time(submitted_at: dt.datetime, due: dt.datetime) -> bool:
    """On time up to and including the deadline's minute: 09:59 and 10:00 are on time
    for 10:00, 10:01 is late."""
    return local(submitted_at).replace(second=0, microsecond=0) <= local(due)


def lock_at(due: dt.datetime, lock_after_minutes: int | None) -> dt.datetime | None:
    """When submissions close (None: never)."""
    if lock_after_minutes is None:
        return None
    return local(due) + dt.timedelta(minutes=lock_after_minutes)


def is_locked(now: dt.datetime, due: dt.datetime, lock_after_minutes: int | None) -> bool:
    closes = lock_at(due, lock_after_minutes)
    return closes is not None and local(now).replace(second=0, microsecond=0) > closes


def submission_status(submitted_at: dt.datetime | None, due: dt.datetime, now: dt.datetime) -> str:
    """'on_time', 'late', 'missing' (deadline passed, nothing in) or 'open' (not yet due)."""
    if submitted_at is not None:
        return "on_time" if is_on_time(submitted_at, due) else "late"
    return "missing" if not is_on_time(now, due) else "open"


def cascade_problem(child: Rule, parent: Rule, *, count: int = 12) -> dt.datetime | None:
    """A cascade holds when, for each of the parent's first `count` deadlines, the child
    has a deadline strictly before it and after the parent's previous one (a school
    reports before its commune, once per commune report). Returns the first parent
    deadline without one, or None when the cascade holds."""
    previous: dt.datetime | None = None
    children = list(occurrences(child))
    for i, due in enumerate(occurrences(parent)):
        if i >= count:
            break
        if not any((previous is None or c > previous) and c < due for c in children):
            return due
        previous = due
    return None
