"""Rates, completeness and lists against hand-computed cases (the cast's calendar: term 2
from 18 January 2027, Tết break 1–14 February 2027; the clock is Wednesday 17 March 2027,
09:00). Every expected number below is worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dentruong.attendance import selectors
from dentruong.attendance.models import RollCall
from dentruong.attendance.services import VN_TZ
from dentruong.enrollment.models import EventKind
from dentruong.enrollment.services import enroll_student
from dentruong.orgs.models import BreakKind, CalendarBreak, SchoolClass
from dentruong.people.access import students_for_user
from dentruong.people.models import Student
from tests.cast import Cast

from .conftest import TODAY, D, add_students, submit

START = D(2027, 3, 1)  # Monday
END = D(2027, 3, 12)  # Friday
HOLIDAY = D(2027, 3, 10)  # Wednesday, declared a holiday
# School days in [START, END]: 1–5 and 8, 9, 11, 12 March = 9 (weekends, the holiday out).


def take(
    cast: Cast,
    school_class: SchoolClass,
    day: dt.date,
    marks: dict[Student, str] | None = None,
    session: str = "am",
) -> None:
    submit(
        cast,
        {s.pk: (code, "", "") for s, code in (marks or {}).items()},
        school_class=school_class,
        date=day,
        session=session,
    )


def full_day(school_class: SchoolClass) -> SchoolClass:
    SchoolClass.objects.filter(pk=school_class.pk).update(has_afternoon=True)
    school_class.refresh_from_db()
    return school_class


def holiday(cast: Cast, day: dt.date = HOLIDAY) -> None:
    CalendarBreak.objects.create(
        calendar=cast.calendar, kind=BreakKind.HOLIDAY, name="Ngày hội", start=day, end=day
    )


def move(student: Student, to: SchoolClass, on: dt.date) -> None:
    enroll_student(student=student, school_class=to, on=on, by=None, kind=EventKind.CLASS_CHANGED)


def queries(fn: Callable[[], Any]) -> tuple[Any, int]:
    """fn's result and the number of statements that read data (not savepoints or
    settings such as PostgreSQL's SET LOCAL jit)."""
    with CaptureQueriesContext(connection) as ctx:
        out = fn()
    skip = ("SAVEPOINT", "RELEASE SAVEPOINT", "SET LOCAL")
    return out, sum(1 for q in ctx.captured_queries if not q["sql"].startswith(skip))


# --- Rates --------------------------------------------------------------------------------


@pytest.fixture
def rates_world(cast: Cast) -> dict[str, Any]:
    """3A (mornings): Ánh, X1, X2 from the start of the year; M1 enrolled mid-term on
    Monday 8 March; T1 transferred from 4A on Monday 8 March. 4A (mornings and afternoons):
    An and T1. Y Tý's 3A: Páo. A roll call of 3A taken on Wednesday 10 March, declared a
    holiday afterwards; 3A's roll call of Thursday 4 March and 4A's of Friday 12 March
    afternoon never taken."""
    c3, c4 = cast.class_3a, full_day(cast.class_4a)
    x1, x2 = add_students(cast, c3, 2)
    (t1,) = add_students(cast, c4, 1)
    (m1,) = add_students(cast, c3, 1, start=D(2027, 3, 8))
    move(t1, c3, D(2027, 3, 8))
    anh, an, pao = cast.student, cast.student_4a, cast.other_student
    marks_3a = {
        D(2027, 3, 1): {x1: "K"},
        D(2027, 3, 2): {x1: "P"},
        D(2027, 3, 3): {anh: "T"},
        D(2027, 3, 5): {x1: "K"},
        D(2027, 3, 8): {m1: "K"},
        D(2027, 3, 9): {m1: "K", t1: "P"},
        D(2027, 3, 10): {x2: "K"},  # the day that becomes a holiday
        D(2027, 3, 11): {m1: "K"},
        D(2027, 3, 12): {x2: "K"},
    }
    for day, marks in marks_3a.items():
        take(cast, c3, day, marks)
    marks_4a = {(D(2027, 3, 2), "am"): {t1: "K"}, (D(2027, 3, 2), "pm"): {t1: "K"}}
    marks_4a[(D(2027, 3, 3), "am")] = {an: "P"}
    for day in [D(2027, 3, d) for d in (1, 2, 3, 4, 5, 8, 9, 11, 12)]:
        for session in ("am", "pm"):
            if (day, session) != (END, "pm"):
                take(cast, c4, day, marks_4a.get((day, session), {}), session)
    take(cast, cast.other_class, START, {pao: "K"})
    holiday(cast)
    return {"x1": x1, "x2": x2, "t1": t1, "m1": m1}


def rates(unit: Any, **kwargs: Any) -> selectors.RateReport:
    options = {"date_from": START, "date_to": END, "today": TODAY, "max_absences": 2} | kwargs
    return selectors.attendance_rates(unit, **options)


def row(rate: selectors.GroupRate) -> dict[str, Any]:
    s, c, st = rate.sessions, rate.coverage, rate.students
    return {
        "classes": rate.classes,
        "sessions_due": c.sessions_due,
        "roll_calls": c.roll_calls,
        "missing": c.missing,
        "due": s.due,
        "present": s.present,
        "late": s.late,
        "P": s.excused,
        "K": s.unexcused,
        "students": st.students,
        "within": st.within,
        "within_K": st.within_unexcused,
        "headcount": rate.headcount,
    }


# 3A: 8 roll calls (9 school days; Thu 4 never taken, Wed 10 a holiday), 3 enrolled on
# 1–5 March and 5 from 8 March: due 4×3 + 4×5 = 32; P: X1 2/3, T1 9/3; K: X1 1/3 and 5/3,
# M1 8, 9, 11/3, X2 12/3 (X2's K of the 10th is on the holiday): present 32 − 2 − 6 = 24.
# Students (max 2 absences, P + K of any class): Ánh 0, X1 3, X2 1, M1 3, T1 3 (2 K in 4A)
# → 2 within; K only: Ánh 0, X1 2, X2 1, M1 3, T1 2 → 4 within. Sĩ số on 12/3: 5.
C3A = dict(classes=1, sessions_due=9, roll_calls=8, missing=1, due=32, present=24, late=1)
C3A |= dict(P=2, K=6, students=5, within=2, within_K=4, headcount=5)
# 4A: 9 days × 2 sessions = 18 due, 17 taken (Fri 12 pm missing); enrolled 2 on 1–5 March
# (10 sessions) and 1 from the 8th (7 sessions): due 27; P: An 3/3; K: T1 2/3 am and pm.
C4A = dict(classes=1, sessions_due=18, roll_calls=17, missing=1, due=27, present=24, late=0)
C4A |= dict(P=1, K=2, students=2, within=1, within_K=2, headcount=1)
# The school: T1 counts once among its 6 students (Ánh, X1, X2, M1, An, T1): within 2
# absences Ánh, X2, An; within 2 K: all but M1. Sĩ số: 6.
SCHOOL = {k: C3A[k] + C4A[k] for k in C3A} | dict(students=6, within=3, within_K=5, headcount=6)


@pytest.fixture(params=["lists and lookups", "subqueries and scans"])
def access_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways the selectors may reach the rows must give the same answers."""
    if request.param == "subqueries and scans":
        monkeypatch.setattr(selectors, "MAX_ID_PARAMS", 2)  # chunks of 2 ids, subqueries
        monkeypatch.setattr(selectors, "SCAN_ABSENCES_ABOVE_CLASSES", 0)
    return str(request.param)


def test_school_rates_per_class(cast: Cast, rates_world: dict[str, Any], access_path: str) -> None:
    report = rates(cast.school.unit, group_by="class")
    assert report.until == END and report.school_days == 9
    by_class = {r.id: row(r) for r in report.groups}
    assert by_class == {cast.class_3a.pk: C3A, cast.class_4a.pk: C4A}
    assert row(report.total) | {"classes": 2} == SCHOOL
    assert report.total.sessions.rate == round(48 / 59, 4) == 0.8136
    assert report.total.sessions.excused_rate == 0.0508  # 3 / 59
    assert report.total.sessions.unexcused_rate == 0.1356  # 8 / 59
    assert report.total.coverage.rate == round(25 / 27, 4)
    assert report.total.students.rate == 0.5 and report.total.students.unexcused_rate == 0.8333


def test_province_rates_per_commune_and_school(cast: Cast, rates_world: dict[str, Any]) -> None:
    # Y Tý: 9 sessions due, 1 taken (Páo K, his only absence: within 2).
    y_ty = dict(classes=1, sessions_due=9, roll_calls=1, missing=8, due=1, present=0, late=0)
    y_ty |= dict(P=0, K=1, students=1, within=1, within_K=1, headcount=1)
    by_commune = {r.id: row(r) for r in rates(cast.province, group_by="commune").groups}
    assert by_commune == {cast.commune.pk: SCHOOL, cast.other_commune.pk: y_ty}
    by_school = {r.id: row(r) for r in rates(cast.province, group_by="school").groups}
    assert by_school == {cast.school.pk: SCHOOL, cast.other_school.pk: y_ty}
    total = rates(cast.province).total
    assert row(total) == {k: SCHOOL[k] + y_ty[k] for k in SCHOOL}


@pytest.mark.parametrize("group_by", [None, "commune", "school", "class"])
def test_rates_without_the_student_based_part(
    cast: Cast, rates_world: dict[str, Any], group_by: str | None
) -> None:
    full = rates(cast.province, group_by=group_by)
    light, n = queries(lambda: rates(cast.province, group_by=group_by, students=False))
    assert n == 5
    for a, b in zip([light.total, *light.groups], [full.total, *full.groups], strict=True):
        assert a.students is None and b.students is not None
        assert (a.id, a.sessions, a.coverage, a.headcount) == (
            b.id,
            b.sessions,
            b.coverage,
            b.headcount,
        )


def test_level_and_grade_filters(cast: Cast, rates_world: dict[str, Any]) -> None:
    assert row(rates(cast.commune, grade=3).total) == C3A
    assert row(rates(cast.commune, level="TH", grade=4).total) == C4A
    assert row(rates(cast.commune, level="TH").total) == SCHOOL
    nothing = rates(cast.commune, level="THCS").total
    assert (nothing.classes, nothing.sessions.due, nothing.students.students) == (0, 0, 0)


def test_range_reaching_past_today_counts_nothing_after_today(cast: Cast) -> None:
    take(cast, cast.class_3a, D(2027, 3, 15))
    take(cast, cast.class_3a, D(2027, 3, 16), {cast.student: "K"})
    report = rates(cast.school.unit, date_from=D(2027, 3, 15), date_to=D(2027, 3, 26))
    # Due up to today (Mon 15, Tue 16, Wed 17) for 3A (am) and 4A (am): 6; 2 taken.
    assert report.until == TODAY
    assert (report.total.coverage.sessions_due, report.total.coverage.missing) == (6, 4)
    assert (report.total.sessions.due, report.total.sessions.unexcused) == (2, 1)


def test_rates_take_a_fixed_number_of_queries(cast: Cast, rates_world: dict[str, Any]) -> None:
    _, grouped = queries(lambda: rates(cast.province, group_by="school"))
    _, alone = queries(lambda: rates(cast.province))
    for k in range(5):  # five more classes, each with students and a roll call
        extra = SchoolClass.objects.create(
            school=cast.school, school_year=cast.year, grade=5, name=f"5{'ABCDE'[k]}"
        )
        add_students(cast, extra, 2)
        take(cast, extra, START)
    _, grouped_more = queries(lambda: rates(cast.province, group_by="class"))
    _, alone_more = queries(lambda: rates(cast.province))
    # classes, calendars + breaks, summaries, students (one statement); by class, T1 moved
    # from 4A to 3A: one more statement places the students who changed group.
    assert grouped == alone == alone_more == 5
    assert grouped_more == 6


def test_range_across_tet_counts_school_days_only(cast: Cast) -> None:
    report = rates(cast.school.unit, date_from=D(2027, 1, 25), date_to=D(2027, 2, 26))
    # 25–29 January, then 15–19 and 22–26 February: 15 school days, 3A and 4A mornings.
    assert report.school_days == 15 and report.total.coverage.sessions_due == 30


def test_several_calendars_and_study_weeks(cast: Cast) -> None:
    """Y Tý's school has its own calendar with a holiday on Friday 5 March; 3A and 4A
    studied on Saturday 6 March, then 4A stopped studying on Saturdays: each roll call is
    judged by its own class's calendar and weekdays."""
    from dentruong.orgs.models import YearCalendar

    c = cast.calendar
    own = YearCalendar.objects.create(
        school_year=cast.year,
        unit=cast.other_school.unit,
        term1_start=c.term1_start,
        term1_end=c.term1_end,
        term2_start=c.term2_start,
        term2_end=c.term2_end,
    )
    six_days = SchoolClass.objects.filter(pk__in=[cast.class_3a.pk, cast.class_4a.pk])
    six_days.update(weekdays=0b0111111)
    take(cast, cast.class_4a, D(2027, 3, 6), {cast.student_4a: "K"})  # a Saturday
    take(cast, cast.class_3a, D(2027, 3, 6), {cast.student: "P"})
    SchoolClass.objects.filter(pk=cast.class_4a.pk).update(weekdays=0b0011111)
    for school_class in (cast.class_3a, cast.other_class):
        take(cast, school_class, D(2027, 3, 5), {})
    take(cast, cast.other_class, D(2027, 3, 4), {cast.other_student: "P"})
    CalendarBreak.objects.create(
        calendar=own, kind=BreakKind.HOLIDAY, name="Lễ hội", start=D(2027, 3, 5), end=D(2027, 3, 5)
    )
    by_school = {r.id: r for r in rates(cast.province, group_by="school").groups}
    ours, theirs = by_school[cast.school.pk], by_school[cast.other_school.pk]
    # Ours: 3A's Friday and Saturday count, 4A's Saturday does not (no longer a study
    # day); due: 3A 10 weekdays + Saturday 6, 4A 10 (no holiday in this calendar).
    assert (ours.coverage.roll_calls, ours.sessions.excused, ours.sessions.unexcused) == (2, 1, 0)
    assert ours.coverage.sessions_due == 21
    # Theirs: Thursday counts, Friday is their holiday: 9 school days due.
    assert (theirs.coverage.roll_calls, theirs.sessions.excused) == (1, 1)
    assert theirs.coverage.sessions_due == 9


# --- Completeness ---------------------------------------------------------------------------


def test_completeness_today_this_session_and_this_week(cast: Cast) -> None:
    c3, c4 = cast.class_3a, full_day(cast.class_4a)
    take(cast, c3, D(2027, 3, 15))
    take(cast, c3, TODAY)
    take(cast, c4, D(2027, 3, 15), session="am")
    take(cast, c4, D(2027, 3, 15), session="pm")
    take(cast, c4, D(2027, 3, 16), session="am")
    found, n = queries(
        lambda: selectors.roll_call_completeness(cast.commune.path, day=TODAY, session="am")
    )
    assert n == 4  # classes with teachers, calendars + breaks, the week's roll calls
    assert found.week_start == D(2027, 3, 15)
    gaps = {g.info.name: g for g in found.classes}
    assert set(gaps) == {"3A", "4A"}
    a, b = gaps["3A"], gaps["4A"]
    assert a.info.teacher_name == "Vàng Thị Tâm" and b.info.teacher_id is None
    assert (a.session_missing, a.today_missing, a.week_due) == (False, (), 3)
    assert a.week_missing == ((D(2027, 3, 16), "am"),)
    assert (b.session_missing, b.today_missing, b.week_due) == (True, ("am", "pm"), 6)
    assert b.week_missing == ((D(2027, 3, 16), "pm"), (TODAY, "am"), (TODAY, "pm"))
    province = selectors.roll_call_completeness(cast.province.path, day=TODAY, session="am")
    other = next(g for g in province.classes if g.info.id == cast.other_class.pk)
    assert len(other.week_missing) == 3 and other.session_missing


def test_no_school_day_nothing_due(cast: Cast) -> None:
    sunday = D(2027, 3, 14)
    found = selectors.roll_call_completeness(cast.commune.path, day=sunday, session="am")
    # The week of Sunday 14 March: Monday 8 to Friday 12 are all due, nothing today.
    assert all(not g.today_due and g.week_due == 5 for g in found.classes)


def test_reminder_lists_teachers_without_the_morning_roll_call(cast: Cast) -> None:
    take(cast, cast.class_4a, TODAY)
    out = StringIO()
    call_command("remind_roll_call", stdout=out)
    text = out.getvalue()
    assert "Vàng Thị Tâm — Trường Tiểu học Bát Xát: 3A" in text
    assert "Trường PTDTBT Tiểu học Y Tý: 3A" in text  # no homeroom teacher
    assert "4A" not in text
    out = StringIO()
    call_command("remind_roll_call", "--unit", cast.other_commune.path, stdout=out)
    assert "Vàng Thị Tâm" not in out.getvalue()
    with time_machine.travel(dt.datetime(2027, 3, 17, 8, 0, tzinfo=VN_TZ), tick=False):
        out = StringIO()
        call_command("remind_roll_call", stdout=out)
        assert "Tâm" not in out.getvalue() and "08:30" in out.getvalue()


# --- Consecutive unexcused absences ---------------------------------------------------------


@pytest.fixture
def runs_world(cast: Cast) -> dict[str, Student]:
    """1–12 March; Wednesday 10 a holiday (declared before). 3A (mornings): its roll call
    of Wednesday 3 March never taken. 4A (mornings and afternoons): every session taken.
    T moves from 4A to 3A on Monday 8 March."""
    holiday(cast)
    c3, c4 = cast.class_3a, full_day(cast.class_4a)
    c, w, f, g, h = add_students(cast, c3, 5)
    e, d, t = add_students(cast, c4, 3)
    move(t, c3, D(2027, 3, 8))
    k3: dict[int, dict[Student, str]] = {
        1: {f: "K"},
        2: {c: "K", f: "K"},
        # 3: not taken
        4: {c: "K", g: "K"},
        5: {c: "K", w: "K", g: "P"},
        8: {w: "K", g: "K", t: "K"},
        9: {w: "K", g: "K", t: "K", h: "K"},
        11: {h: "K"},
        12: {h: "K"},
    }
    for day in (1, 2, 4, 5, 8, 9, 11, 12):
        take(cast, c3, D(2027, 3, day), k3[day])
    k4 = {(5, "pm"): {e: "K", t: "K"}, (8, "am"): {e: "K", d: "K"}, (8, "pm"): {e: "K", d: "K"}}
    k4[(9, "am")] = {d: "P"}
    for day in (1, 2, 3, 4, 5, 8, 9, 11, 12):
        for session in ("am", "pm"):
            take(cast, c4, D(2027, 3, day), k4.get((day, session), {}), session)
    return dict(c=c, w=w, f=f, g=g, h=h, e=e, d=d, t=t)


def consecutive(cast: Cast, n: int, visible: Any = None) -> dict[int, tuple[Any, ...]]:
    items = selectors.consecutive_unexcused(
        cast.commune.path,
        visible=Student.objects.all() if visible is None else visible,
        date_from=START,
        date_to=END,
        n=n,
    )
    return {i.student.id: (i.sessions, i.first, i.last, i.ongoing) for i in items}


def am(day: int) -> tuple[dt.date, str]:
    return D(2027, 3, day), "am"


def pm(day: int) -> tuple[dt.date, str]:
    return D(2027, 3, day), "pm"


def test_consecutive_unexcused_absences(
    cast: Cast, runs_world: dict[str, Student], access_path: str
) -> None:
    s = runs_world
    assert consecutive(cast, 3) == {
        # K Tue 2, (Wed 3 not taken: skipped), K Thu 4, K Fri 5; present Mon 8.
        s["c"].pk: (3, am(2), am(5), False),
        # Fri K + Mon K + Tue K: the weekend is not school days.
        s["w"].pk: (3, am(5), am(9), False),
        # K Tue 9, (Wed 10 holiday), K Thu 11, K Fri 12: still absent at the window's end.
        s["h"].pk: (3, am(9), am(12), True),
        # Sessions: Fri 5 afternoon, Mon 8 morning and afternoon.
        s["e"].pk: (3, pm(5), pm(8), False),
        # Across a class change: 4A Fri 5 afternoon, then 3A Mon 8 and Tue 9.
        s["t"].pk: (3, pm(5), am(9), False),
    }
    # Longest 2: F (K K, then present; the untaken Wednesday does not join Thursday),
    # G (K Thu, P Fri breaks, K Mon, K Tue), D (K Mon am+pm, P Tue).
    assert set(consecutive(cast, 2)) - set(consecutive(cast, 3)) == {
        s["f"].pk,
        s["g"].pk,
        s["d"].pk,
    }
    assert consecutive(cast, 4) == {}


def test_consecutive_list_is_limited_to_visible_students(
    cast: Cast, runs_world: dict[str, Student]
) -> None:
    s = runs_world
    # The homeroom teacher of 3A sees the students now in 3A (T moved in), not E of 4A.
    mine = consecutive(cast, 3, students_for_user(cast.teacher))
    assert set(mine) == {s["c"].pk, s["w"].pk, s["h"].pk, s["t"].pk}
    assert consecutive(cast, 3, students_for_user(cast.outsider)) == {}


def test_consecutive_list_takes_a_fixed_number_of_queries(
    cast: Cast, runs_world: dict[str, Student]
) -> None:
    # scope's classes, candidates, names, enrolments, calendars + breaks, roll calls, K marks
    found, n = queries(lambda: consecutive(cast, 3))
    assert len(found) == 5 and n == 8
    extra = SchoolClass.objects.create(
        school=cast.school, school_year=cast.year, grade=5, name="5A"
    )
    students = add_students(cast, extra, 4)
    for day in (1, 2, 3):
        take(cast, extra, D(2027, 3, day), dict.fromkeys(students, "K"))
    found, n = queries(lambda: consecutive(cast, 3))
    assert len(found) == 9 and n == 8


# --- Not back after Tết ---------------------------------------------------------------------

AFTER_TET = D(2027, 2, 15)  # Monday, first school day after the break of 1–14 February


def test_not_back_after_tet(cast: Cast, access_path: str) -> None:
    c3, c4 = cast.class_3a, full_day(cast.class_4a)
    x1, x2 = add_students(cast, c3, 2)
    (b1,) = add_students(cast, c4, 1)
    anh, an = cast.student, cast.student_4a
    take(cast, c3, D(2027, 1, 29))  # before Tết, everyone present
    (n1,) = add_students(cast, c3, 1, start=D(2027, 2, 16))  # new on Tuesday
    take(cast, c3, AFTER_TET, {anh: "K", x1: "K", x2: "P"})
    take(cast, c3, D(2027, 2, 16), {anh: "K", x2: "K", n1: "K"})
    # 3A's roll call of Wednesday 17 February is never taken.
    for day, session in [(15, "am"), (15, "pm"), (16, "am"), (16, "pm"), (17, "am")]:
        marks = {an: "P", b1: "K" if (day, session) != (17, "am") else "T"}
        take(cast, c4, D(2027, 2, day), marks, session)

    def listed(day: dt.date, n: int = 3) -> dict[int, tuple[int, int, int]]:
        items = selectors.not_back_after_break(
            cast.commune.path, visible=Student.objects.all(), day=day, n=n
        )
        assert all(i.break_end == D(2027, 2, 14) for i in items)
        return {i.student.id: (i.sessions, i.excused, i.unexcused) for i in items}

    expected = {
        anh.pk: (2, 0, 2),  # K Mon, K Tue; Wednesday not taken
        x2.pk: (2, 1, 1),  # P Mon, K Tue
        n1.pk: (1, 0, 1),  # due from Tuesday only
        an.pk: (5, 5, 0),  # P at all five sessions of 4A
        # X1 came on Tuesday; B1 came late (T) on Wednesday morning: both back.
    }
    found, n = queries(lambda: listed(D(2027, 2, 17)))
    assert found == expected
    # classes, calendars + breaks, marks, names, enrolments, roll calls
    assert n == 7 or access_path != "lists and lookups"
    assert listed(D(2027, 2, 17), n=4) == {}  # only 3 school days since the break
    assert listed(D(2027, 2, 19)) == expected  # nothing taken since: still not back
    # A break shorter than 5 days is not a reference: the list still looks back to Tết.
    CalendarBreak.objects.create(
        calendar=cast.calendar,
        kind=BreakKind.OTHER,
        name="Nghỉ lũ",
        start=D(2027, 3, 1),
        end=D(2027, 3, 4),
    )
    assert listed(D(2027, 3, 16)) == expected


# --- Near the 45-absence limit --------------------------------------------------------------


def school_days(cast: Cast, count: int, start: dt.date) -> list[dt.date]:
    from dentruong.orgs.calendar import calendar_for_class

    spec = calendar_for_class(
        SchoolClass.objects.select_related("school__unit").get(pk=cast.class_3a.pk)
    )
    return spec.school_days(start, TODAY - dt.timedelta(days=1))[:count]


def test_near_the_45_absence_limit(cast: Cast, access_path: str) -> None:
    c3, c4 = cast.class_3a, cast.class_4a
    (x2,) = add_students(cast, c3, 1)
    (x1,) = add_students(cast, c4, 1)
    days = school_days(cast, 40, D(2027, 1, 4))
    assert len(days) == 40 and days[10] == D(2027, 1, 18)
    for day in days[:10]:  # X1 in 4A: absent without leave on the first 10 days
        take(cast, c4, day, {x1: "K"})
    move(x1, c3, days[10])
    for i, day in enumerate(days):
        marks: dict[Student, str] = {x2: "T"}  # late every day: never absent
        if i < 20:
            marks[cast.student] = "P"
        elif i < 36:
            marks[cast.student] = "K"
        if 10 <= i < 34:
            marks[x1] = "K"
        take(cast, c3, day, marks)

    def listed(threshold: int) -> dict[int, tuple[int, int, int, int]]:
        items, count = selectors.near_absence_limit(
            cast.commune.path, visible=Student.objects.all(), day=TODAY, threshold=threshold
        )
        assert count == len(items)
        return {i.student.id: (i.absences, i.excused, i.unexcused, i.left) for i in items}

    found, n = queries(lambda: listed(35))
    # Ánh: 20 P + 16 K = 36, 9 left before 45. X1: 10 K in 4A + 24 in 3A = 34.
    assert found == {cast.student.pk: (36, 20, 16, 9)}
    # classes, calendars + breaks, counts, names, enrolments
    assert n == 6 or access_path != "lists and lookups"
    assert listed(30) == {cast.student.pk: (36, 20, 16, 9), x1.pk: (34, 0, 34, 11)}
    for user, expected in ((cast.outsider, 0), (cast.teacher, 2)):
        items, count = selectors.near_absence_limit(
            cast.commune.path, visible=students_for_user(user), day=TODAY, threshold=30, limit=1
        )
        assert count == expected and len(items) == min(expected, 1)
    assert RollCall.objects.count() == 50


# --- The API --------------------------------------------------------------------------------

RATES = "api-v1:unit_attendance_rates"
COMPLETENESS = "api-v1:unit_roll_call_completeness"
LISTS = "api-v1:unit_absence_lists"


def api_get(client: Client, user: Any, name: str, unit: Any, **params: Any) -> Any:
    client.force_login(user)
    return client.get(reverse(name, kwargs={"unit_id": unit.pk}), params)


def test_api_rates(cast: Cast, client: Client, rates_world: dict[str, Any]) -> None:
    response = api_get(
        client,
        cast.commune_officer,
        RATES,
        cast.commune,
        date_from="2027-03-01",
        date_to="2027-03-12",
        group_by="class",
        max_absences=2,
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["unit"]["id"] == cast.commune.pk and data["school_days"] == 9
    assert data["students"] is True
    totals = data["totals"]
    assert (totals["due"], totals["present"], totals["excused"], totals["unexcused"]) == (
        59,
        48,
        3,
        8,
    )
    assert (totals["sessions_due"], totals["roll_calls"], totals["missing"]) == (27, 25, 2)
    assert (totals["rate"], totals["students"], totals["student_rate"]) == (0.8136, 6, 0.5)
    assert totals["headcount"] == 6
    assert {g["name"] for g in data["groups"]} == {
        "3A · Trường Tiểu học Bát Xát",
        "4A · Trường Tiểu học Bát Xát",
    }
    light = api_get(client, cast.commune_officer, RATES, cast.commune, students="false")
    assert light.json()["totals"]["student_rate"] is None
    assert light.json()["totals"]["headcount"] == 6
    # Head counts only: a partner who sees the commune may read them.
    assert api_get(client, cast.partner, RATES, cast.commune).status_code == 200


def test_api_rates_query_count_does_not_grow(cast: Cast, client: Client) -> None:
    def count() -> int:
        client.force_login(cast.province_officer)
        url = reverse(RATES, kwargs={"unit_id": cast.province.pk})
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, {"group_by": "school"}).status_code == 200
        return len(ctx.captured_queries)

    take(cast, cast.class_3a, D(2027, 3, 15))
    before = count()
    for name in ("5A", "5B", "5C"):
        extra = SchoolClass.objects.create(
            school=cast.other_school, school_year=cast.year, grade=5, name=name
        )
        add_students(cast, extra, 3)
        take(cast, extra, D(2027, 3, 15))
    assert count() == before


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"date_from": "2027-03-12", "date_to": "2027-03-01"}, "date_from", "invalid_range"),
        ({"date_from": "2026-01-01", "date_to": "2027-03-01"}, "date_from", "range_too_long"),
        ({"date_from": "12/03/2027"}, "date_from", None),
        ({"group_by": "village"}, "group_by", "invalid_choice"),
        ({"level": "ĐH"}, "level", "invalid_choice"),
        ({"grade": 13}, "grade", "out_of_range"),
        ({"max_absences": -1}, "max_absences", "out_of_range"),
    ],
)
def test_api_rates_refuses_bad_parameters(
    cast: Cast, client: Client, params: dict[str, Any], field: str, code: str | None
) -> None:
    response = api_get(client, cast.commune_officer, RATES, cast.commune, **params)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert set(errors[field][0]) == {"message", "code"}
    if code:
        assert errors[field][0]["code"] == code


def test_api_units_out_of_scope_do_not_exist(cast: Cast, client: Client) -> None:
    for name in (RATES, COMPLETENESS, LISTS):
        assert api_get(client, cast.outsider, name, cast.commune).status_code == 404
        assert api_get(client, cast.school_leader, name, cast.commune).status_code == 404
        # A homeroom teacher holds a class, not a unit: their class has its own endpoints.
        assert api_get(client, cast.teacher, name, cast.school.unit).status_code == 404
        assert api_get(client, cast.school_leader, name, cast.school.unit).status_code == 200
        client.logout()
        assert client.get(reverse(name, kwargs={"unit_id": cast.commune.pk})).status_code == 401


def test_api_completeness(cast: Cast, client: Client) -> None:
    take(cast, cast.class_4a, TODAY)
    response = api_get(client, cast.commune_officer, COMPLETENESS, cast.commune)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["date"], data["session"], data["week_start"]) == ("2027-03-17", "am", "2027-03-15")
    assert data["totals"]["session_missing"] == 1 and data["totals"]["week_missing"] == 5
    (school,) = data["schools"]
    (missing,) = [c for c in school["missing_classes"] if c["session_missing"]]
    assert missing["name"] == "3A"
    assert missing["teacher"] == {"id": cast.teacher.pk, "name": "Vàng Thị Tâm"}
    assert data["communes"][0]["id"] == cast.commune.pk
    bad = api_get(client, cast.commune_officer, COMPLETENESS, cast.commune, session="night")
    assert bad.status_code == 422 and bad.json()["errors"]["session"][0]["code"] == "invalid_choice"
    future = api_get(client, cast.commune_officer, COMPLETENESS, cast.commune, date="2027-03-18")
    assert future.status_code == 422 and "date" in future.json()["errors"]


def test_api_absence_lists(cast: Cast, client: Client) -> None:
    for day in (D(2027, 3, 12), D(2027, 3, 15), D(2027, 3, 16)):
        take(cast, cast.class_3a, day, {cast.student: "K"})
    response = api_get(client, cast.commune_officer, LISTS, cast.commune)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["kind"], data["n"], data["date"], data["date_from"]) == (
        "consecutive",
        3,
        "2027-03-17",
        "2027-02-18",
    )
    (item,) = data["items"]
    assert (item["student_id"], item["sessions"], item["ongoing"]) == (cast.student.pk, 3, True)
    assert (item["first"], item["last"]) == (
        {"date": "2027-03-12", "session": "am"},
        {"date": "2027-03-16", "session": "am"},
    )
    assert item["class_name"] == "3A" and item["school_name"] == "Trường Tiểu học Bát Xát"
    near = api_get(client, cast.commune_officer, LISTS, cast.commune, kind="near_limit", n=3)
    assert [i["absences"] for i in near.json()["items"]] == [3]
    assert near.json()["items"][0]["left"] == 42
    after = api_get(client, cast.commune_officer, LISTS, cast.commune, kind="after_break")
    # 3A took no roll call between Tết and 12 March: as far as the register shows, Ánh
    # has missed every session since the break (untaken sessions prove nothing).
    assert [(i["student_id"], i["sessions"], i["unexcused"]) for i in after.json()["items"]] == [
        (cast.student.pk, 3, 3)
    ]
    # Children's attendance: not for a partner-only user.
    assert api_get(client, cast.partner, LISTS, cast.commune).status_code == 403


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"kind": "truant"}, "kind", "invalid_choice"),
        ({"n": 0}, "n", "out_of_range"),
        ({"kind": "near_limit", "n": 501}, "n", "out_of_range"),
        ({"date": "2027-03-18"}, "date", "future_date"),
        ({"date_from": "2027-03-18"}, "date_from", "invalid_range"),
        ({"date_from": "2025-01-01"}, "date_from", "range_too_long"),
    ],
)
def test_api_absence_lists_refuses_bad_parameters(
    cast: Cast, client: Client, params: dict[str, Any], field: str, code: str
) -> None:
    response = api_get(client, cast.commune_officer, LISTS, cast.commune, **params)
    assert response.status_code == 422
    assert response.json() == {"errors": {field: [{"message": ANY_TEXT, "code": code}]}}


class _AnyText(str):
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and bool(other)

    __hash__ = str.__hash__


ANY_TEXT = _AnyText()
