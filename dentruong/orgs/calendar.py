"""Is this a school day for this class, and how many school days lie between two dates.

Every rate in the product counts school days through this module. The rules are pure
functions over a `CalendarSpec`; `calendar_for_class()` builds the spec from the
database in two queries (the nearest calendar on the school's path, with its breaks).

A busy writer (the roll call API, a province's morning burst) may ask for a spec up to
`max_age` seconds old instead: each process keeps a copy of every calendar of a school
year, so a calendar edited in the admin reaches every process within that delay
(`settings.CALENDAR_CACHE_SECONDS`; `forget_calendars()` empties this process's copy).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, replace

from django.db.models import Prefetch
from django.db.models.functions import Length

from dentruong.orgs.models import CalendarBreak, SchoolClass, YearCalendar

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class CalendarSpec:
    term1: tuple[dt.date, dt.date]
    term2: tuple[dt.date, dt.date]
    breaks: tuple[tuple[dt.date, dt.date], ...]
    weekdays: int  # bit 0 = Monday

    def in_term(self, day: dt.date) -> bool:
        return any(start <= day <= end for start, end in (self.term1, self.term2))

    def on_break(self, day: dt.date) -> bool:
        return any(start <= day <= end for start, end in self.breaks)

    def is_school_day(self, day: dt.date) -> bool:
        return (
            bool(self.weekdays >> day.weekday() & 1)
            and self.in_term(day)
            and not self.on_break(day)
        )

    def school_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """School days in [start, end], both inclusive."""
        days = []
        day = start
        while day <= end:
            if self.is_school_day(day):
                days.append(day)
            day += ONE_DAY
        return days

    def count_school_days(self, start: dt.date, end: dt.date) -> int:
        return len(self.school_days(start, end))

    def term_of(self, day: dt.date) -> int | None:
        """1 or 2, or None outside both terms (summer, the gap between terms)."""
        if self.term1[0] <= day <= self.term1[1]:
            return 1
        if self.term2[0] <= day <= self.term2[1]:
            return 2
        return None


class NoCalendar(LookupError):
    """No calendar is set for this school year on the school's path."""


def resolve_calendar(school_year_id: int, unit_path_ancestors: list[str]) -> YearCalendar:
    found = (
        YearCalendar.objects.filter(
            school_year_id=school_year_id, unit__path__in=unit_path_ancestors
        )
        .order_by(Length("unit__path").desc())
        .prefetch_related(Prefetch("breaks", queryset=CalendarBreak.objects.order_by("start")))
        .first()
    )
    if found is None:
        raise NoCalendar(school_year_id)
    return found


def spec_from(calendar: YearCalendar, weekdays: int) -> CalendarSpec:
    return CalendarSpec(
        term1=(calendar.term1_start, calendar.term1_end),
        term2=(calendar.term2_start, calendar.term2_end),
        breaks=tuple((b.start, b.end) for b in calendar.breaks.all()),
        weekdays=weekdays,
    )


_recent: dict[int, tuple[float, dict[str, CalendarSpec]]] = {}
_recent_lock = threading.Lock()
_clock = time.monotonic


def _year_calendars(school_year_id: int) -> dict[str, CalendarSpec]:
    """Every calendar of a school year by unit path (weekdays left 0): two queries."""
    found = YearCalendar.objects.filter(school_year_id=school_year_id).select_related("unit")
    found = found.prefetch_related(
        Prefetch("breaks", queryset=CalendarBreak.objects.order_by("start"))
    )
    return {calendar.unit.path: spec_from(calendar, 0) for calendar in found}


def calendar_for_class(school_class: SchoolClass, *, max_age: float = 0) -> CalendarSpec:
    """The class's calendar. With `max_age` > 0, this process's copy of all the school
    year's calendars, read at most that many seconds ago, answers instead (two queries
    per school year and per `max_age`, whatever the number of schools)."""
    ancestors = school_class.school.unit.ancestor_paths()
    if max_age <= 0:
        return spec_from(
            resolve_calendar(school_class.school_year_id, ancestors), school_class.weekdays
        )
    now = _clock()
    with _recent_lock:
        kept = _recent.get(school_class.school_year_id)
    if kept is None or now - kept[0] > max_age:
        kept = (now, _year_calendars(school_class.school_year_id))
        with _recent_lock:
            _recent[school_class.school_year_id] = kept
    for path in reversed(ancestors):  # the nearest calendar on the path wins
        if path in kept[1]:
            return replace(kept[1][path], weekdays=school_class.weekdays)
    raise NoCalendar(school_class.school_year_id)


def forget_calendars() -> None:
    """Empty this process's copies (after a calendar is edited here, and in tests)."""
    with _recent_lock:
        _recent.clear()


def is_school_day(school_class: SchoolClass, day: dt.date) -> bool:
    return calendar_for_class(school_class).is_school_day(day)


def count_school_days(school_class: SchoolClass, start: dt.date, end: dt.date) -> int:
    return calendar_for_class(school_class).count_school_days(start, end)
