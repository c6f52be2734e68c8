"""Deadline arithmetic (pure): Asia/Ho_Chi_Minh to the minute, months, Tết, refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from dentruong.reports import deadlines as d
from dentruong.reports.deadlines import VN_TZ, Rule, ScheduleError

MONDAY_10 = Rule("weekly", dt.time(10, 0), dt.date(2026, 9, 7), weekday=0)
TET = ((dt.date(2027, 2, 1), dt.date(2027, 2, 14)),)


def vn(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN_TZ)


def test_on_time_at_0959_late_at_1001() -> None:
    due = vn(2026, 10, 5, 10, 0)
    assert d.is_on_time(vn(2026, 10, 5, 9, 59), due)
    assert d.is_on_time(vn(2026, 10, 5, 10, 0, 59), due)
    assert not d.is_on_time(vn(2026, 10, 5, 10, 1), due)
    # 03:01 UTC is 10:01 in Việt Nam (UTC+7 all year, no daylight saving)
    assert not d.is_on_time(dt.datetime(2026, 10, 5, 3, 1, tzinfo=dt.UTC), due)
    assert d.is_on_time(dt.datetime(2026, 10, 5, 2, 59, tzinfo=dt.UTC), due)
    assert d.submission_status(None, due, vn(2026, 10, 5, 10, 0)) == "open"
    assert d.submission_status(None, due, vn(2026, 10, 5, 10, 1)) == "missing"


def test_weekly_occurrences_and_periods_across_a_month() -> None:
    dues = list(d.occurrences(MONDAY_10, until=vn(2026, 10, 12, 10, 0)))
    assert [x.date() for x in dues] == [
        dt.date(2026, 9, 7),
        dt.date(2026, 9, 14),
        dt.date(2026, 9, 21),
        dt.date(2026, 9, 28),
        dt.date(2026, 10, 5),
        dt.date(2026, 10, 12),
    ]
    assert all(
        x.hour == 10 and x.minute == 0 and x.utcoffset() == dt.timedelta(hours=7) for x in dues
    )
    # the week of 28/9 – 4/10 (Monday to Sunday) is reported on Monday 5/10
    assert d.period_of(MONDAY_10, vn(2026, 10, 5, 10, 0)) == (
        dt.date(2026, 9, 28),
        dt.date(2026, 10, 4),
    )
    assert d.period_of(MONDAY_10, vn(2026, 9, 7, 10, 0)) == (
        dt.date(2026, 8, 31),
        dt.date(2026, 9, 6),
    )
    assert d.next_due(MONDAY_10, vn(2026, 10, 5, 10, 0, 30)) == vn(2026, 10, 5, 10, 0)
    assert d.next_due(MONDAY_10, vn(2026, 10, 5, 10, 1)) == vn(2026, 10, 12, 10, 0)
    assert d.last_due(MONDAY_10, vn(2026, 10, 5, 10, 1)) == vn(2026, 10, 5, 10, 0)
    assert d.last_due(MONDAY_10, vn(2026, 10, 5, 10, 0)) == vn(2026, 9, 28, 10, 0)


def test_biweekly_friday_from_a_start_date() -> None:
    rule = Rule("biweekly", dt.time(15, 0), dt.date(2025, 4, 4), weekday=4)
    dues = list(d.occurrences(rule, until=vn(2025, 5, 31)))
    assert [x.date() for x in dues] == [
        dt.date(2025, 4, 4),
        dt.date(2025, 4, 18),
        dt.date(2025, 5, 2),
        dt.date(2025, 5, 16),
        dt.date(2025, 5, 30),
    ]
    assert d.period_of(rule, vn(2025, 4, 18, 15)) == (dt.date(2025, 4, 4), dt.date(2025, 4, 17))
    assert d.period_of(rule, vn(2025, 4, 4, 15)) == (dt.date(2025, 3, 21), dt.date(2025, 4, 3))


def test_monthly_by_the_5th_and_month_ends() -> None:
    rule = Rule("monthly", dt.time(17, 0), dt.date(2026, 11, 1), day_of_month=5)
    dues = list(d.occurrences(rule, until=vn(2027, 3, 1)))
    assert [x.date() for x in dues] == [
        dt.date(2026, 11, 5),
        dt.date(2026, 12, 5),
        dt.date(2027, 1, 5),
        dt.date(2027, 2, 5),
    ]
    # January's report (due 5/2) covers January; December's covers December, across the year
    assert d.period_of(rule, vn(2027, 1, 5, 17)) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    end_of_month = Rule("monthly", dt.time(8, 0), dt.date(2027, 1, 1), day_of_month=31)
    assert [x.date() for x in d.occurrences(end_of_month, until=vn(2027, 4, 1))] == [
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 31),
    ]


def test_tet_drops_deadlines_and_the_next_period_covers_the_break() -> None:
    rule = Rule("weekly", dt.time(10, 0), dt.date(2027, 1, 4), weekday=0, breaks=TET)
    dues = [x.date() for x in d.occurrences(rule, until=vn(2027, 2, 22, 23))]
    assert dues == [
        dt.date(2027, 1, 4),
        dt.date(2027, 1, 11),
        dt.date(2027, 1, 18),
        dt.date(2027, 1, 25),
        dt.date(2027, 2, 15),
        dt.date(2027, 2, 22),
    ]
    assert d.period_of(rule, vn(2027, 2, 15, 10)) == (dt.date(2027, 1, 25), dt.date(2027, 2, 14))


def test_fixed_dates() -> None:
    rule = Rule(
        "fixed",
        dt.time(10, 0),
        dt.date(2021, 9, 27),
        fixed=(dt.datetime(2021, 10, 11, 10), dt.datetime(2021, 10, 4, 10)),
    )
    assert list(d.occurrences(rule)) == [vn(2021, 10, 4, 10), vn(2021, 10, 11, 10)]
    assert d.period_of(rule, vn(2021, 10, 4, 10)) == (dt.date(2021, 9, 27), dt.date(2021, 10, 3))
    assert d.period_of(rule, vn(2021, 10, 11, 10)) == (dt.date(2021, 10, 4), dt.date(2021, 10, 10))


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        (Rule("fixed", dt.time(10), dt.date(2027, 1, 1)), "fixed"),
        (
            Rule(
                "fixed",
                dt.time(10),
                dt.date(2027, 1, 1),
                fixed=(dt.datetime(2027, 2, 3, 10),),
                breaks=TET,
            ),
            "no_occurrence",
        ),
        (
            Rule("fixed", dt.time(10), dt.date(2027, 1, 1), fixed=(dt.datetime(2026, 12, 3, 10),)),
            "no_occurrence",
        ),
        (
            Rule("weekly", dt.time(10), dt.date(2027, 2, 2), end=dt.date(2027, 2, 6), weekday=0),
            "no_occurrence",
        ),
        (
            Rule(
                "weekly",
                dt.time(10),
                dt.date(2027, 2, 2),
                end=dt.date(2027, 2, 14),
                weekday=0,
                breaks=TET,
            ),
            "no_occurrence",
        ),
        (Rule("weekly", dt.time(10), dt.date(2027, 2, 2)), "weekday"),
        (Rule("monthly", dt.time(10), dt.date(2027, 2, 2), day_of_month=0), "day_of_month"),
        (Rule("daily", dt.time(10), dt.date(2027, 2, 2)), "recurrence"),
        (
            Rule("weekly", dt.time(10), dt.date(2027, 2, 2), end=dt.date(2027, 1, 1), weekday=1),
            "end",
        ),
    ],
)
def test_a_schedule_without_a_valid_occurrence_is_refused(rule: Rule, code: str) -> None:
    with pytest.raises(ScheduleError) as error:
        d.validate(rule)
    assert error.value.code == code


def test_cascade_school_before_commune() -> None:
    school = Rule("weekly", dt.time(10, 0), dt.date(2026, 9, 7), weekday=0)  # Monday 10:00
    commune = Rule("weekly", dt.time(15, 0), dt.date(2026, 9, 7), weekday=0)  # Monday 15:00
    assert d.cascade_problem(school, commune) is None
    late_school = Rule("weekly", dt.time(16, 0), dt.date(2026, 9, 7), weekday=0)
    assert d.cascade_problem(late_school, commune) == vn(2026, 9, 7, 15, 0)
    same_time = Rule("weekly", dt.time(15, 0), dt.date(2026, 9, 7), weekday=0)
    assert d.cascade_problem(same_time, commune) is not None


def test_lock() -> None:
    due = vn(2026, 10, 5, 10, 0)
    assert not d.is_locked(vn(2026, 10, 12, 10, 0), due, None)
    assert not d.is_locked(vn(2026, 10, 5, 12, 0), due, 120)
    assert d.is_locked(vn(2026, 10, 5, 12, 1), due, 120)
