"""When in the school year a day falls, and the sector database's status code of an event.
Pure functions: no database.

- **Term 1** (HK I): term1_start … term1_end; **term 2** (HK II): from the day after
  term 1 ends to term2_end (a student who stops coming between the terms never attended
  term 2); **summer** (trong hè): before term 1 starts or after term 2 ends.
- **After Tết** (sau Tết) is a reporting slice inside term 2, not a code: from the first
  day of the calendar's Tết break on (a child who did not come back after the holiday is
  recorded as gone from that break's first day or later). No Tết break in the calendar:
  nothing is "after Tết".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from dentruong.enrollment.codes import EventKind, Period


@dataclass(frozen=True)
class Terms:
    term1: tuple[dt.date, dt.date]
    term2: tuple[dt.date, dt.date]
    tet: tuple[dt.date, dt.date] | None = None  # the Tết break, inclusive


def period_of(day: dt.date, terms: Terms) -> Period:
    if terms.term1[0] <= day <= terms.term1[1]:
        return Period.TERM1
    if terms.term1[1] < day <= terms.term2[1]:
        return Period.TERM2
    return Period.SUMMER


def is_after_tet(day: dt.date, terms: Terms) -> bool:
    if terms.tet is None or period_of(day, terms) != Period.TERM2:
        return False
    return day >= terms.tet[0]


def tet_break(breaks: Iterable[tuple[str, dt.date, dt.date]]) -> tuple[dt.date, dt.date] | None:
    """The first break of kind 'tet' among (kind, start, end) triples."""
    found = sorted((start, end) for kind, start, end in breaks if kind == "tet")
    return found[0] if found else None


# DM_TRANG_THAI_HOC_SINH (vn_domain.md §2.3) by kind and period.
_STATUS: dict[str, dict[str, str]] = {
    EventKind.TRANSFERRED_IN: {Period.TERM1: "02", Period.TERM2: "06", Period.SUMMER: "10"},
    EventKind.RETURNED: {Period.TERM1: "03", Period.TERM2: "07", Period.SUMMER: "03"},
    EventKind.TRANSFERRED_OUT: {Period.TERM1: "04", Period.TERM2: "08", Period.SUMMER: "11"},
    EventKind.DROPPED_OUT: {Period.TERM1: "05", Period.TERM2: "09", Period.SUMMER: "12"},
    EventKind.LEFT_LOCALITY: {Period.TERM1: "05", Period.TERM2: "09", Period.SUMMER: "12"},
}
STUDYING = "01"  # đang học


def status_code(kind: str, period: str) -> str | None:
    """The sector database's status code after this event: '01' (studying) after an entry
    or a class change, the coded status of a transfer, a return or a dropout in its period,
    None for a completed level or an unknown period."""
    if kind in (EventKind.ENROLLED, EventKind.CLASS_CHANGED, EventKind.REPEATED):
        return STUDYING
    return _STATUS.get(kind, {}).get(period)


def lost_before(today: dt.date, confirm_days: int) -> dt.date:
    """A transfer still pending that is dated before this day is "lost between schools":
    it was not confirmed within `confirm_days` days (dated 1 March with 15 days: still
    waiting on 16 March, lost from 17 March)."""
    return today - dt.timedelta(days=confirm_days)
