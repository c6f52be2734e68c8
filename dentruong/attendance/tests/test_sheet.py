"""The monthly attendance sheet against a hand-computed February 2027 of class 3A (the
cast's calendar: Tết break 1–14 February; the clock is Wednesday 17 March 2027).

February 2027 starts on a Monday. School days: 15–19 and 22–26 (10); 1–14 are Tết, the
weekends 20–21 and 27–28 are off. Students, in Vietnamese order (by given name):

- Đặng Thị Ánh — the whole month. 15: K; 16: T; 17: K corrected to P.
- Giàng A Dính — joined on Wednesday 17 February.
- Lò Văn Học 0 — the whole month. 15: P; 23: K.
- Lò Văn Học 1 — moved to another school on Monday 22 February (last day in 3A: 21).

Roll calls taken every school day except Thursday 18 February.
"""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_django import DjangoAssertNumQueries

from dentruong.attendance.sheet import (
    BadMonth,
    month_end,
    monthly_sheet,
    monthly_sheets,
    next_month,
    parse_month,
    previous_month,
)
from dentruong.enrollment.services import enroll_student
from dentruong.lib.national_id import make_national_id
from dentruong.orgs.models import SchoolClass
from dentruong.people.models import Student
from dentruong.people.services import create_student
from tests.cast import Cast

from .conftest import TODAY, D, add_students, fresh, submit

FEB = D(2027, 2, 1)
JOINED = D(2027, 2, 17)
MOVED = D(2027, 2, 22)
TAKEN = [D(2027, 2, d) for d in (15, 16, 17, 19, 22, 23, 24, 25, 26)]


def new_student(cast: Cast, family: str, given: str, serial: int) -> Student:
    return create_student(
        national_id=make_national_id(province=10, birth_year=2018, gender="M", serial=serial),
        family_and_middle_name=family,
        given_name=given,
        birth_date=D(2018, 5, 5),
        gender="M",
        ethnicity="02",
        village=cast.village,
    )


@pytest.fixture
def february(cast: Cast) -> dict[str, Student]:
    return build_february(cast)


def build_february(cast: Cast) -> dict[str, Student]:
    """The month of the module docstring; the students by short name."""
    hoc0, hoc1 = add_students(cast, cast.class_3a, 2)
    dinh = new_student(cast, "Giàng A", "Dính", 8001)
    enroll_student(student=dinh, school_class=cast.class_3a, on=JOINED, by=None)
    enroll_student(student=hoc1, school_class=cast.other_class, on=MOVED, by=None)
    anh = cast.student
    marks = {
        D(2027, 2, 15): {anh.pk: ("K", "", ""), hoc0.pk: ("P", "sick", "")},
        D(2027, 2, 16): {anh.pk: ("T", "", "")},
        D(2027, 2, 17): {anh.pk: ("K", "", "")},
        D(2027, 2, 23): {hoc0.pk: ("K", "", "")},
    }
    for day in TAKEN:
        submit(cast, marks.get(day, {}), date=day)
    submit(cast, {anh.pk: ("P", "family", "")}, date=D(2027, 2, 17))  # the correction
    return {"anh": anh, "dinh": dinh, "hoc0": hoc0, "hoc1": hoc1}


def cells_by_day(cells: list[str]) -> dict[int, str]:
    """Day of February → cell (one session: one column per day)."""
    return {i + 1: c for i, c in enumerate(cells)}


def test_month_parsing() -> None:
    assert parse_month("2027-02") == FEB
    assert month_end(FEB) == D(2027, 2, 28)
    assert month_end(D(2028, 2, 1)) == D(2028, 2, 29)
    assert previous_month(D(2027, 1, 1)) == D(2026, 12, 1)
    assert next_month(D(2026, 12, 1)) == D(2027, 1, 1)
    for bad in ("2027-13", "2027-00", "27-02", "2027-2", "1899-01", "", "2027-02-01", "abc"):
        with pytest.raises(BadMonth):
            parse_month(bad)


def test_february_by_hand(
    cast: Cast, february: dict[str, Student], django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    school_class = fresh(cast.class_3a)
    with django_assert_num_queries(6):  # calendars 2, teacher, roster, absences, summaries
        sheet = monthly_sheet(school_class, FEB, today=TODAY)
    assert sheet.class_name == "3A"
    assert sheet.school_name == "Trường Tiểu học Bát Xát"
    assert sheet.teacher_name == "Vàng Thị Tâm"
    assert sheet.school_year == "2026–2027"
    assert sheet.sessions == ("am",)
    assert len(sheet.columns) == 28
    assert sheet.school_days == 10
    assert (sheet.roll_calls_due, sheet.roll_calls_taken) == (10, 9)
    assert [r.full_name for r in sheet.rows] == [
        "Đặng Thị Ánh",
        "Giàng A Dính",
        "Lò Văn Học 0",
        "Lò Văn Học 1",
    ]
    anh, dinh, hoc0, hoc1 = (cells_by_day(r.cells) for r in sheet.rows)
    school_days = [15, 16, 17, 18, 19, 22, 23, 24, 25, 26]
    for day in range(1, 29):
        if day not in school_days:  # Tết and weekends
            assert {anh[day], dinh[day], hoc0[day], hoc1[day]} == {""}, day
    assert [anh[d] for d in school_days] == ["K", "T", "P", "?", "+", "+", "+", "+", "+", "+"]
    assert [dinh[d] for d in school_days] == ["-", "-", "+", "?", "+", "+", "+", "+", "+", "+"]
    assert [hoc0[d] for d in school_days] == ["P", "+", "+", "?", "+", "+", "K", "+", "+", "+"]
    assert [hoc1[d] for d in school_days] == ["+", "+", "+", "?", "+", "-", "-", "-", "-", "-"]
    rows = sheet.rows
    assert [(r.excused, r.unexcused, r.late) for r in rows] == [
        (1, 1, 1),
        (0, 0, 0),
        (1, 1, 0),
        (0, 0, 0),
    ]
    assert [(r.joined, r.left) for r in rows] == [
        (None, None),
        (JOINED, None),
        (None, None),
        (None, D(2027, 2, 21)),
    ]
    assert (sheet.excused, sheet.unexcused, sheet.late) == (2, 2, 1)
    col = {c.date.day: c for c in sheet.columns}
    # 15th: 3 enrolled (Dính not yet), Ánh K and Học 0 P absent → 1 present.
    assert (col[15].enrolled, col[15].present, col[15].excused, col[15].unexcused) == (3, 1, 1, 1)
    # 16th: Ánh late counts present.
    assert (col[16].enrolled, col[16].present, col[16].late) == (3, 3, 1)
    # 17th after the correction: Ánh P; Dính enrolled that day → 4.
    assert (col[17].enrolled, col[17].present, col[17].excused, col[17].unexcused) == (4, 3, 1, 0)
    # 18th: no roll call; sĩ số counted from the enrolments.
    assert (col[18].taken, col[18].enrolled, col[18].present) == (False, 4, None)
    assert (col[22].enrolled, col[22].present) == (3, 3)
    assert (col[23].enrolled, col[23].present) == (3, 2)
    assert (col[1].school_day, col[1].enrolled, col[20].school_day) == (False, None, False)


def test_current_month_leaves_the_future_blank(cast: Cast) -> None:
    submit(cast, {cast.student.pk: ("K", "", "")}, date=D(2027, 3, 16))
    sheet = monthly_sheet(fresh(cast.class_3a), D(2027, 3, 1), today=TODAY)
    (row,) = sheet.rows
    cells = cells_by_day(row.cells)
    # School days 1–5, 8–12, 15–17 up to today; nothing taken but the 16th.
    assert cells[16] == "K"
    assert cells[17] == "?" and cells[15] == "?"
    assert {cells[d] for d in range(18, 32)} == {""}  # the future, weekends included
    assert (sheet.roll_calls_due, sheet.roll_calls_taken) == (13, 1)
    assert sheet.school_days == 23  # March 2027: 23 weekdays, no break


def test_two_sessions_give_two_columns_per_day(cast: Cast) -> None:
    SchoolClass.objects.filter(pk=cast.class_3a.pk).update(has_afternoon=True)
    submit(cast, {cast.student.pk: ("P", "", "")}, date=D(2027, 3, 15), session="pm")
    sheet = monthly_sheet(fresh(cast.class_3a), D(2027, 3, 1), today=TODAY)
    assert len(sheet.columns) == 62
    monday = [c for c in sheet.columns if c.date == D(2027, 3, 15)]
    assert [(c.session, c.taken) for c in monday] == [("am", False), ("pm", True)]
    cells = sheet.rows[0].cells
    at = sheet.columns.index(monday[0])
    assert cells[at : at + 2] == ["?", "P"]
    assert sheet.rows[0].excused == 1
    assert len(sheet.days) == 31 and len(sheet.days[0][1]) == 2


def test_many_classes_in_constant_queries(
    cast: Cast, february: dict[str, Student], django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    add_students(cast, cast.class_4a, 3)
    submit(cast, {cast.student_4a.pk: ("K", "", "")}, school_class=cast.class_4a, date=TAKEN[0])
    classes = [fresh(cast.class_3a), fresh(cast.class_4a), fresh(cast.other_class)]
    with django_assert_num_queries(6):
        sheets = monthly_sheets(classes, FEB, today=TODAY)
    assert [s.class_name for s in sheets] == ["3A", "4A", "3A"]
    assert [len(s.rows) for s in sheets] == [4, 4, 2]  # Sùng A Páo and Học 1 from the 22nd
    four_a = sheets[1]
    assert four_a.teacher_name == ""
    assert cells_by_day(four_a.rows[0].cells)[15] == "K"  # Nguyễn Văn An sorts first
    other = sheets[2]
    moved = next(r for r in other.rows if r.student_id == february["hoc1"].pk)
    assert moved.joined == MOVED
    assert cells_by_day(moved.cells)[19] == "-" and cells_by_day(moved.cells)[22] == "?"


def test_no_calendar_means_no_school_day(cast: Cast) -> None:
    cast.calendar.delete()
    sheet = monthly_sheet(fresh(cast.class_3a), FEB, today=TODAY)
    assert sheet.no_calendar
    assert sheet.school_days == 0
    assert set(sheet.rows[0].cells) == {""}


def test_no_class_no_query(db: None, django_assert_num_queries: DjangoAssertNumQueries) -> None:
    with django_assert_num_queries(0):
        assert monthly_sheets([], FEB, today=dt.date(2027, 3, 17)) == []
