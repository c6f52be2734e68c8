"""The parameters of the unit reports (rates, roll-call completeness, lists of students to
follow up), checked once for the API (dentruong/attendance/api.py) and the leaders' pages
(dentruong/attendance/pages.py): the same defaults, limits, messages and codes.

Each check raises `ParamError(code, message, field)`; the API turns it into a 422
`{"errors": {field: [{message, code}]}}`, a page into a message next to its filters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from dentruong.attendance.rates import NEAR_LIMIT_DEFAULT
from dentruong.attendance.selectors import GROUPS
from dentruong.orgs.models import LEVEL_GRADES, Session

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 31
CONSECUTIVE_WINDOW_DAYS = 28  # default window of the consecutive-absence list: 4 weeks
MAX_ABSENCES_DEFAULT = 3
# kind → (default n, lowest, highest)
LIST_N = {
    "consecutive": (3, 1, 200),
    "after_break": (3, 1, 60),
    "near_limit": (NEAR_LIMIT_DEFAULT, 1, 500),
}


class ParamError(ValueError):
    def __init__(self, code: str, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def choice(field: str, value: str, choices: list[str]) -> ParamError:
    return ParamError(
        "invalid_choice",
        _("“%(value)s” is not one of: %(choices)s.")
        % {"value": value, "choices": ", ".join(choices)},
        field,
    )


def check_between(field: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ParamError(
            "out_of_range",
            _("%(field)s must be between %(low)d and %(high)d.")
            % {"field": field, "low": low, "high": high},
            field,
        )


def window(
    date_from: dt.date | None, date_to: dt.date | None, *, today: dt.date
) -> tuple[dt.date, dt.date]:
    """[date_from, date_to], by default the last 31 days up to `date_to` (default today)."""
    end = date_to or today
    start = date_from or end - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if start > end:
        raise ParamError("invalid_range", _("The start date is after the end date."), "date_from")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise ParamError(
            "range_too_long",
            _("The date range is longer than %(max)d days.") % {"max": MAX_RANGE_DAYS},
            "date_from",
        )
    return start, end


def not_future(day: dt.date, today: dt.date, field: str = "date") -> dt.date:
    if day > today:
        raise ParamError(
            "future_date", _("%(date)s is in the future.") % {"date": f"{day:%d/%m/%Y}"}, field
        )
    return day


# --- the three reports ------------------------------------------------------------------------


@dataclass(frozen=True)
class RateQuery:
    date_from: dt.date
    date_to: dt.date
    group_by: str | None
    level: str | None
    grade: int | None
    max_absences: int


def rate_query(
    *,
    date_from: dt.date | None,
    date_to: dt.date | None,
    group_by: str | None,
    level: str | None,
    grade: int | None,
    max_absences: int,
    today: dt.date,
) -> RateQuery:
    start, end = window(date_from, date_to, today=today)
    if group_by is not None and group_by not in GROUPS:
        raise choice("group_by", group_by, list(GROUPS))
    levels = [str(value) for value in LEVEL_GRADES]
    if level is not None and level not in levels:
        raise choice("level", level, levels)
    if grade is not None:
        check_between("grade", grade, 0, 12)
    check_between("max_absences", max_absences, 0, 1000)
    return RateQuery(start, end, group_by, level, grade, max_absences)


def current_session(now: dt.datetime) -> str:
    """The session under way at `now` (Việt Nam time): morning until noon, then afternoon."""
    return Session.MORNING if now.hour < 12 else Session.AFTERNOON


def completeness_query(
    *, date: dt.date | None, session: str | None, today: dt.date, now: dt.datetime
) -> tuple[dt.date, str]:
    """(day, session): default today and the session under way (a past day: morning)."""
    day = not_future(date or today, today)
    if session is not None and session not in Session.values:
        raise choice("session", session, list(Session.values))
    return day, session or (current_session(now) if day == today else Session.MORNING)


@dataclass(frozen=True)
class ListQuery:
    kind: str
    n: int
    day: dt.date
    date_from: dt.date | None  # the consecutive list's window only


def list_query(
    *,
    kind: str,
    n: int | None,
    date: dt.date | None,
    date_from: dt.date | None,
    today: dt.date,
) -> ListQuery:
    if kind not in LIST_N:
        raise choice("kind", kind, list(LIST_N))
    default, low, high = LIST_N[kind]
    count = default if n is None else n
    check_between("n", count, low, high)
    day = not_future(date or today, today)
    start = None
    if kind == "consecutive":
        start = window(
            date_from or day - dt.timedelta(days=CONSECUTIVE_WINDOW_DAYS - 1), day, today=today
        )[0]
    return ListQuery(kind, count, day, start)


# --- raw query-string values (the pages' GET forms) ------------------------------------------


def parse_date(raw: str | None, field: str) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ParamError(
            "invalid_date", _("“%(value)s” is not a date.") % {"value": raw[:20]}, field
        ) from None


def parse_int(raw: str | None, field: str) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ParamError(
            "invalid_number", _("“%(value)s” is not a number.") % {"value": raw[:20]}, field
        ) from None
