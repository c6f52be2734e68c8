"""The per-student-per-term absence tallies: `whole_terms` (pure), the student-based rate
read from the tallies equal to the one counted absence by absence, and `rebuild`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from dentruong.attendance import selectors, tallies
from dentruong.attendance.models import AbsenceTally, ClassTermSummary
from dentruong.attendance.tests.test_selectors import END, row
from dentruong.attendance.tests.test_selectors import rates_world as rates_world
from dentruong.orgs.models import MON_TO_FRI, BreakKind, CalendarBreak, SchoolClass
from tests.cast import Cast

from .conftest import TODAY, D, add_students, submit
from .test_selectors import move


@dataclass
class Cal:
    school_year_id: int
    term1_start: dt.date = D(2026, 9, 5)
    term1_end: dt.date = D(2027, 1, 16)
    term2_start: dt.date = D(2027, 1, 18)
    term2_end: dt.date = D(2027, 5, 29)


def test_whole_terms_holds_terms_the_range_covers() -> None:
    cal = Cal(1)
    whole = tallies.whole_terms
    assert whole([cal], D(2026, 9, 5), D(2027, 1, 16), D(2027, 3, 17)) == {(1, 1)}
    assert whole([cal], D(2026, 9, 1), D(2027, 5, 31), D(2027, 3, 17)) == {(1, 1), (1, 2)}
    # Term 2 up to today: nothing is recorded after today.
    assert whole([cal], D(2027, 1, 18), D(2027, 3, 17), D(2027, 3, 17)) == {(1, 2)}
    assert whole([cal], D(2027, 1, 17), D(2027, 4, 1), D(2027, 3, 17)) == {(1, 2)}
    # A range that cuts a term: no tallies.
    assert whole([cal], D(2027, 1, 18), D(2027, 3, 16), D(2027, 3, 17)) is None
    assert whole([cal], D(2026, 9, 6), D(2027, 1, 16), D(2027, 3, 17)) is None
    # Nothing in the range but the summer: no term held, nothing to count.
    assert whole([cal], D(2027, 6, 1), D(2027, 8, 1), D(2027, 8, 17)) == set()


def test_whole_terms_needs_calendars_of_a_year_to_agree() -> None:
    late = Cal(1, term2_start=D(2027, 1, 25))
    both = [Cal(1), late]
    assert tallies.whole_terms(both, D(2027, 1, 18), D(2027, 5, 29), D(2027, 3, 17)) == {(1, 2)}
    assert tallies.whole_terms(both, D(2027, 1, 20), D(2027, 5, 29), D(2027, 3, 17)) is None


def counted_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "whole_terms", lambda *args, **kwargs: None)


@pytest.mark.parametrize("whole_year", [False, True])
@pytest.mark.parametrize("group_by", [None, "commune", "school", "class"])
def test_whole_term_rates_from_tallies_equal_the_absences(
    cast: Cast,
    rates_world: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    group_by: str | None,
    whole_year: bool,
) -> None:
    # The world's holiday was declared by hand: recount as the calendar's admin does.
    tallies.rebuild(school_year_ids=[cast.calendar.school_year_id])
    start = cast.calendar.term1_start if whole_year else D(2027, 1, 18)  # two terms, or one
    term2 = {"date_from": start, "date_to": D(2027, 5, 29), "today": TODAY}
    options: dict[str, Any] = term2 | {"group_by": group_by, "max_absences": 2}
    read = selectors.attendance_rates(cast.province, **options)
    counted_one_by_one(monkeypatch)
    counted = selectors.attendance_rates(cast.province, **options)
    assert [row(r) for r in [read.total, *read.groups]] == [
        row(r) for r in [counted.total, *counted.groups]
    ]
    # The hand-counted world (tests/test_selectors.py) is all of term 2 so far.
    assert read.total.students is not None and read.total.students.students == 7


def test_tallies_follow_corrections_and_rebuild_agrees(cast: Cast) -> None:
    (x1,) = add_students(cast, cast.class_3a, 1)
    anh = cast.student
    submit(cast, {anh.pk: ("K", "", ""), x1.pk: ("P", "sick", "")}, date=D(2027, 3, 8))
    submit(cast, {anh.pk: ("T", "", "")}, date=D(2027, 3, 9))
    submit(cast, {anh.pk: ("P", "sick", "")}, date=D(2027, 3, 8))  # a correction
    submit(cast, {anh.pk: ("K", "", "")}, date=D(2026, 10, 5))  # term 1
    fields = ("student_id", "term", "excused", "unexcused", "late")
    kept = sorted(AbsenceTally.objects.values_list(*fields))
    assert kept == sorted([(anh.pk, 2, 1, 0, 1), (x1.pk, 2, 0, 0, 0), (anh.pk, 1, 0, 1, 0)])
    assert tallies.rebuild(school_year_ids=[cast.calendar.school_year_id]) == 2
    assert sorted(AbsenceTally.objects.values_list(*fields)) == [k for k in kept if any(k[2:])]


def test_rebuild_leaves_out_days_declared_holidays(cast: Cast) -> None:
    submit(cast, {cast.student.pk: ("K", "", "")}, date=D(2027, 3, 10))
    submit(cast, {cast.student.pk: ("K", "", "")}, date=D(2027, 3, 11))
    CalendarBreak.objects.create(
        calendar=cast.calendar, kind=BreakKind.HOLIDAY, name="Ngày hội", start=END, end=END
    )
    CalendarBreak.objects.create(
        calendar=cast.calendar,
        kind=BreakKind.HOLIDAY,
        name="Ngày hội",
        start=D(2027, 3, 10),
        end=D(2027, 3, 10),
    )
    tallies.rebuild(school_year_ids=[cast.calendar.school_year_id])
    assert list(AbsenceTally.objects.values_list("student_id", "term", "unexcused")) == [
        (cast.student.pk, 2, 1)
    ]


@pytest.mark.parametrize("group_by", [None, "school", "class"])
def test_a_move_dated_back_leaves_stray_tallies_counted_exactly(
    cast: Cast,
    rates_world: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    group_by: str | None,
) -> None:
    """Ánh, absent twice in 3A in March, is recorded afterwards as having changed to 4A on
    the first day of term 2: in 4A for the whole term, with absences recorded by 3A. Her
    3A tallies are marked stray, and she counts once, in 4A, with both absences."""
    tallies.rebuild(school_year_ids=[cast.calendar.school_year_id])
    anh = cast.student
    submit(
        cast, {rates_world["x1"].pk: ("P", "sick", ""), anh.pk: ("K", "", "")}, date=D(2027, 3, 2)
    )
    submit(cast, {anh.pk: ("K", "", "")}, date=D(2027, 3, 4))
    move(anh, cast.class_4a, D(2027, 1, 18))
    assert AbsenceTally.objects.get(student=anh, school_class=cast.class_3a).stray
    options: dict[str, Any] = {
        "date_from": D(2027, 1, 18),
        "date_to": D(2027, 5, 29),
        "today": TODAY,
        "group_by": group_by,
        "max_absences": 1,
    }
    read = selectors.attendance_rates(cast.province, **options)
    counted_one_by_one(monkeypatch)
    counted = selectors.attendance_rates(cast.province, **options)
    assert [row(r) for r in [read.total, *read.groups]] == [
        row(r) for r in [counted.total, *counted.groups]
    ]
    if group_by == "class":
        in_4a = next(g for g in read.groups if g.id == cast.class_4a.pk)
        assert in_4a.students is not None
        # An, T1 (until 8 March) and now Ánh: Ánh (2) and T1 (2 K in 4A) above 1.
        assert (in_4a.students.students, in_4a.students.within) == (3, 1)


def test_term_summaries_follow_a_change_of_the_class_school_days(cast: Cast) -> None:
    """3A had Saturday classes and took the roll on Saturday 6 March; its school days are
    then set back to Monday–Friday: the term summary no longer counts that roll call,
    as the day-by-day rates do not."""
    SchoolClass.objects.filter(pk=cast.class_3a.pk).update(weekdays=MON_TO_FRI | 0b0100000)
    submit(cast, {cast.student.pk: ("K", "", "")}, date=D(2027, 3, 6))
    submit(cast, {}, date=D(2027, 3, 8))
    term = ClassTermSummary.objects.get(school_class=cast.class_3a, term=2)
    assert (term.roll_calls, term.unexcused) == (2, 1)
    SchoolClass.objects.filter(pk=cast.class_3a.pk).update(weekdays=MON_TO_FRI)
    tallies.recount_terms(school_class_ids=[cast.class_3a.pk])
    term = ClassTermSummary.objects.get(school_class=cast.class_3a, term=2)
    assert (term.roll_calls, term.unexcused) == (1, 0)
