"""compute_risk, the incremental update, history, notices and flags on the cast's world
(Wednesday 17 March 2027, 09:00 in Việt Nam; Tết break 1–14 February 2027)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dentruong.attendance.services import VN_TZ, submit_roll_call
from dentruong.enrollment.services import enroll_student, record_event
from dentruong.lib.national_id import make_national_id
from dentruong.notices.models import Notice, NoticeKind
from dentruong.people.models import Student
from dentruong.people.services import create_student
from dentruong.risk import selectors, services
from dentruong.risk.models import RiskAssessment, TeacherFlag
from tests.cast import Cast

D = dt.date
NOW = dt.datetime(2027, 3, 17, 9, 0, tzinfo=VN_TZ)
TODAY = D(2027, 3, 17)


@pytest.fixture(autouse=True)
def _vietnam_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def roll(cast: Cast, day: dt.date, marks: dict[int, str], school_class: object = None) -> None:
    submit_roll_call(
        school_class=school_class or cast.class_3a,  # type: ignore[arg-type]
        date=day,
        session="am",
        marks={sid: (code, "", "") for sid, code in marks.items()},
        by=cast.teacher,
        client_id=uuid.uuid4(),
    )


def absent_three_days(cast: Cast) -> None:
    for day in (D(2027, 3, 15), D(2027, 3, 16), TODAY):
        roll(cast, day, {cast.student.pk: "K"})


def extra_student(cast: Cast, serial: int, **kw: object) -> Student:
    s = create_student(
        national_id=make_national_id(province=10, birth_year=2018, gender="M", serial=serial),
        family_and_middle_name="Lò Văn",
        given_name=f"Em{serial}",
        birth_date=D(2018, 5, 5),
        gender="M",
        ethnicity="01",
        village=cast.village,
        **kw,  # type: ignore[arg-type]
    )
    enroll_student(student=s, school_class=cast.class_3a, on=D(2026, 9, 5), by=None)
    return s


def test_three_unexcused_days_make_a_high_risk_with_reasons(cast: Cast) -> None:
    absent_three_days(cast)
    result = services.compute_risk(path=cast.commune.path, day=TODAY)
    assert (result.students, result.written, result.rose) == (2, 1, 1)
    row = RiskAssessment.objects.get()
    assert (row.student_id, row.level, row.date, row.valid_until) == (
        cast.student.pk,
        "high",
        TODAY,
        None,
    )
    # consecutive 3 + chronic 3/20 = 15 % (2) + three K sessions (1) + rising (3 in the
    # later half of the window, 0 in the earlier: 1) = 7.
    assert row.points == 7
    assert [r["code"] for r in row.reasons] == [
        "consecutive",
        "absence_chronic",
        "unexcused",
        "trend",
    ]
    assert (row.school_class_id, row.unit_path) == (cast.class_3a.pk, cast.school.unit.path)


def test_the_homeroom_teacher_is_told_once(cast: Cast) -> None:
    absent_three_days(cast)
    services.compute_risk(path=cast.commune.path, day=TODAY)
    notice = Notice.objects.get(kind=NoticeKind.RISK)
    assert notice.recipient_id == cast.teacher.pk
    assert "Đặng Thị Ánh" in notice.text and "cao" in notice.text
    assert RiskAssessment.objects.get().notice_id == notice.pk
    # Again the same day, and the next day with nothing new: no second notice.
    services.compute_risk(path=cast.commune.path, day=TODAY)
    services.update_after_roll_calls(path=cast.commune.path, day=TODAY)
    assert Notice.objects.filter(kind=NoticeKind.RISK).count() == 1
    assert RiskAssessment.objects.count() == 1


def test_a_back_dated_run_tells_nobody(cast: Cast) -> None:
    absent_three_days(cast)
    services.compute_risk(path=cast.commune.path, day=TODAY)
    Notice.objects.all().delete()
    RiskAssessment.objects.all().delete()
    services.compute_risk(path=cast.commune.path, day=D(2027, 3, 16))
    assert not Notice.objects.exists()
    assert RiskAssessment.objects.get().rose  # the rise is kept for the next digest


def test_history_shows_the_list_as_it_was(cast: Cast) -> None:
    absent_three_days(cast)
    services.compute_risk(path=cast.commune.path, day=TODAY)
    later = D(2027, 3, 19)
    services.add_flag(student=cast.student, kind="academic", by=cast.teacher, start=later)
    services.compute_risk(path=cast.commune.path, day=later, notify=False)
    first, second = RiskAssessment.objects.order_by("date")
    assert (first.date, first.valid_until, second.date, second.valid_until) == (
        TODAY,
        later,
        later,
        None,
    )
    assert "academic" in [r["code"] for r in second.reasons]
    assert not second.rose  # high → high
    then = selectors.class_list(cast.class_3a.pk, day=D(2027, 3, 18))
    now = selectors.class_list(cast.class_3a.pk)
    assert [r["code"] for r in then[0].reasons] == [r["code"] for r in first.reasons]
    assert now[0].reasons == second.reasons
    assert selectors.class_list(cast.class_3a.pk, day=D(2027, 3, 16)) == []


def test_coming_back_lowers_and_closes(cast: Cast) -> None:
    roll(cast, TODAY, {cast.student.pk: "P"})
    roll(cast, D(2027, 3, 16), {cast.student.pk: "P"})
    services.compute_risk(path=cast.commune.path, day=TODAY, notify=False)
    assert RiskAssessment.objects.get().level == "medium"  # 2/20 = 10 %
    # A correction takes both marks back: the same day's row goes (low, no reason).
    roll(cast, TODAY, {})
    roll(cast, D(2027, 3, 16), {})
    services.update_after_roll_calls(path=cast.commune.path, day=TODAY, notify=False)
    assert not RiskAssessment.objects.exists()


def test_incremental_update_reads_only_changed_students(cast: Cast) -> None:
    others = [extra_student(cast, 10 + i) for i in range(3)]
    services.compute_risk(path=cast.commune.path, day=TODAY, notify=False)
    assert not RiskAssessment.objects.exists()
    roll(cast, TODAY, {others[0].pk: "P", others[1].pk: "P"})
    only = services.changed_students(TODAY)
    loaded = selectors.load_facts(cast.commune.path, TODAY, only=only)
    assert sorted(row.facts.student_id for row in loaded) == sorted([others[0].pk, others[1].pk])


def test_load_facts_takes_a_fixed_number_of_queries(cast: Cast) -> None:
    absent_three_days(cast)
    with CaptureQueriesContext(connection) as small:
        assert len(selectors.load_facts(cast.province.path, TODAY)) == 3
    for i in range(5):
        extra_student(cast, 20 + i)
    with CaptureQueriesContext(connection) as big:
        assert len(selectors.load_facts(cast.province.path, TODAY)) == 8
    assert len(small.captured_queries) == len(big.captured_queries) == 7


def test_sibling_dropout_repeat_and_flags_reach_the_facts(cast: Cast) -> None:
    sibling = extra_student(cast, 30, household=cast.household)
    record_event(student=sibling, kind="dropped_out", on=D(2027, 3, 1), by=None, reason_code="01")
    services.add_flag(student=cast.student, kind="marriage", by=cast.teacher, start=TODAY)
    (row,) = [
        r
        for r in selectors.load_facts(cast.commune.path, TODAY)
        if r.facts.student_id == cast.student.pk
    ]
    assert row.facts.sibling_dropped_out
    assert row.facts.flags == frozenset({"marriage"})
    assert row.facts.break_name == "Tết Đinh Mùi"
    assert row.facts.window[0] == D(2027, 2, 18) and len(row.facts.window) == 20
    services.compute_risk(path=cast.commune.path, day=TODAY, notify=False)
    a = RiskAssessment.objects.get(student=cast.student)
    assert [r["code"] for r in a.reasons] == ["marriage", "sibling"]
    assert (a.level, a.points) == ("high", 4)


def test_a_student_who_left_has_their_row_closed(cast: Cast) -> None:
    absent_three_days(cast)
    services.compute_risk(path=cast.commune.path, day=TODAY, notify=False)
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        record_event(
            student=cast.student, kind="dropped_out", on=D(2027, 3, 18), by=None, reason_code="02"
        )
    result = services.compute_risk(path=cast.commune.path, day=D(2027, 3, 18), notify=False)
    assert result.closed == 1
    assert RiskAssessment.objects.get().valid_until == D(2027, 3, 18)


def test_flags_refuse_bad_input_and_duplicates(cast: Cast) -> None:
    with pytest.raises(services.RiskError) as bad:
        services.add_flag(student=cast.student, kind="ethnicity", by=cast.teacher, start=TODAY)
    assert bad.value.code == "invalid_kind"
    flag = services.add_flag(student=cast.student, kind="working", by=cast.teacher, start=TODAY)
    with pytest.raises(services.RiskError) as dup:
        services.add_flag(student=cast.student, kind="working", by=cast.teacher, start=TODAY)
    assert dup.value.code == "already_flagged"
    services.clear_flag(flag=flag, by=cast.teacher, day=TODAY)
    with pytest.raises(services.RiskError):
        services.clear_flag(flag=flag, by=cast.teacher, day=TODAY)
    assert TeacherFlag.objects.count() == 1
