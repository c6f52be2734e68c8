"""Submissions: frozen figures, versions, refusals that write nothing, roll-up = sum of
the parts, completeness at 10:01, reminders and overdue notices through the outbox."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from dentruong.attendance.services import submit_roll_call
from dentruong.enrollment.services import record_event
from dentruong.enrollment.tests.factories import second_school
from dentruong.notices.models import Notice
from dentruong.orgs.models import SchoolClass
from dentruong.reports import selectors, services
from dentruong.reports.deadlines import VN_TZ
from dentruong.reports.figures import Figures
from dentruong.reports.models import DeadlineAlert, Submission
from dentruong.reports.services import ReportError
from dentruong.reports.tests.factories import MONDAY, weekly_schedule
from tests.cast import Cast

WEEK = [dt.date(2026, 9, 28) + dt.timedelta(days=i) for i in range(5)]  # Mon 28/9 – Fri 2/10


def roll_calls(cast: Cast) -> None:
    """3A (Ánh): five mornings, K on Tuesday, P on Wednesday. 4A (An): Monday only."""
    for day in WEEK:
        marks = {}
        if day == WEEK[1]:
            marks = {cast.student.pk: ("K", "", "")}
        if day == WEEK[2]:
            marks = {cast.student.pk: ("P", "", "")}
        submit_roll_call(
            school_class=SchoolClass.objects.select_related("school__unit", "school_year").get(
                pk=cast.class_3a.pk
            ),
            date=day,
            session="am",
            marks=marks,
            by=cast.teacher,
            client_id=uuid.uuid4(),
        )
    submit_roll_call(
        school_class=SchoolClass.objects.select_related("school__unit", "school_year").get(
            pk=cast.class_4a.pk
        ),
        date=WEEK[0],
        session="am",
        marks={},
        by=cast.school_leader,
        client_id=uuid.uuid4(),
    )


def submit(cast: Cast, minutes: int = -1, **kwargs: object) -> Submission:
    return services.submit(
        schedule=weekly_schedule(cast),
        unit=cast.school.unit,
        due_at=MONDAY,
        by=cast.school_leader,
        assessment="Tốt",
        now=MONDAY + dt.timedelta(minutes=minutes),
        **kwargs,  # type: ignore[arg-type]
    )


def total(sub: Submission, section: str = "attendance_total") -> dict[str, int]:
    s = Figures.from_json(sub.figures).section(section)
    assert s is not None
    return s.total


def test_submission_freezes_the_figures(cast: Cast) -> None:
    roll_calls(cast)
    sub = submit(cast)
    assert sub.status == "on_time"
    assert (sub.period_start, sub.period_end) == (dt.date(2026, 9, 28), dt.date(2026, 10, 4))
    # 3A: 5 roll calls × 1 student; 4A: 1 roll call × 1 student. 10 class-sessions due
    # (2 classes × 5 school days, mornings), 6 taken.
    t = total(sub)
    assert t["roll_calls"] == 6
    assert t["sessions_due"] == 10
    assert (t["due"], t["present"], t["excused"], t["unexcused"]) == (6, 4, 1, 1)
    assert sub.definition_version == 1 and sub.version == 1
    # later data changes do not alter the frozen figures
    submit_roll_call(
        school_class=SchoolClass.objects.select_related("school__unit", "school_year").get(
            pk=cast.class_4a.pk
        ),
        date=WEEK[1],
        session="am",
        marks={cast.student_4a.pk: ("K", "", "")},
        by=cast.school_leader,
        client_id=uuid.uuid4(),
    )
    sub.refresh_from_db()
    assert total(sub)["roll_calls"] == 6
    again = submit(cast, minutes=5, reason="Bổ sung điểm danh lớp 4A")
    assert again.version == 2 and again.status == "late"
    assert total(again)["roll_calls"] == 7 and total(again)["unexcused"] == 2
    assert total(Submission.objects.get(pk=sub.pk))["roll_calls"] == 6


def test_late_at_1001(cast: Cast) -> None:
    assert submit(cast, minutes=1).status == "late"


def test_bad_input_writes_nothing(cast: Cast) -> None:
    schedule = weekly_schedule(cast)
    cases = [
        # the period (5/10 – 11/10) has not ended on Sunday 11/10
        (
            {
                "due_at": dt.datetime(2026, 10, 12, 10, tzinfo=VN_TZ),
                "now": dt.datetime(2026, 10, 11, 20, tzinfo=VN_TZ),
            },
            "period_not_ended",
        ),
        ({"due_at": dt.datetime(2026, 10, 6, 10, tzinfo=VN_TZ)}, "not_a_deadline"),
        ({"unit": cast.other_school.unit}, "not_a_reporter"),
        ({"unit": cast.commune}, "not_a_reporter"),
    ]
    for change, code in cases:
        kwargs = {
            "schedule": schedule,
            "unit": cast.school.unit,
            "due_at": MONDAY,
            "by": cast.school_leader,
            "now": MONDAY,
        } | change
        with pytest.raises(ReportError) as error:
            services.submit(**kwargs)  # type: ignore[arg-type]
        assert error.value.code == code
    submit(cast)
    with pytest.raises(ReportError) as error:
        submit(cast)
    assert error.value.code == "reason_required"
    schedule.lock_after_minutes = 60
    schedule.save()
    with pytest.raises(ReportError) as error:
        submit(cast, minutes=61, reason="Sửa")
    assert error.value.code == "locked"
    assert Submission.objects.count() == 1


def test_schedule_refusals(cast: Cast) -> None:
    base = {
        "by": cast.commune_officer,
        "name": "Báo cáo",
        "report": "attendance",
        "unit": cast.commune,
        "reporter_kind": "school",
        "recurrence": "fixed",
        "due_time": dt.time(10),
        "start_date": dt.date(2027, 1, 1),
    }
    # only date in Tết (the cast's calendar: 1/2 – 14/2/2027)
    for change, code in [
        ({"fixed_dates": [dt.datetime(2027, 2, 3, 10)]}, "no_occurrence"),
        ({"fixed_dates": []}, "fixed"),
        ({"report": "horoscope"}, "unknown_report"),
        ({"reporter_kind": "commune"}, "reporter_kind"),
    ]:
        with pytest.raises(ReportError) as error:
            services.create_schedule(**(base | change))  # type: ignore[arg-type]
        assert error.value.code == code
    province = services.create_schedule(
        **(
            base
            | {
                "unit": cast.province,
                "reporter_kind": "commune",
                "recurrence": "weekly",
                "weekday": 0,
                "due_time": dt.time(15),
                "start_date": dt.date(2026, 9, 7),
            }
        )
    )
    weekly = base | {"recurrence": "weekly", "weekday": 0, "start_date": dt.date(2026, 9, 7)}
    with pytest.raises(ReportError) as error:
        services.create_schedule(**(weekly | {"due_time": dt.time(16), "parent": province}))  # type: ignore[arg-type]
    assert error.value.code == "cascade"
    ok = services.create_schedule(**(weekly | {"parent": province}))  # type: ignore[arg-type]
    assert ok.parent == province


def test_rollup_is_the_sum_of_the_parts_and_completeness_at_1001(cast: Cast) -> None:
    roll_calls(cast)
    thcs = second_school(cast)
    sixth = SchoolClass.objects.select_related("school__unit", "school_year").get(
        school=thcs, name="6A"
    )
    submit_roll_call(
        school_class=sixth,
        date=WEEK[0],
        session="am",
        marks={},
        by=cast.school_leader,
        client_id=uuid.uuid4(),
    )
    schedule = weekly_schedule(cast)
    a = submit(cast)
    status = selectors.deadline_status(schedule, MONDAY, now=MONDAY + dt.timedelta(minutes=1))
    by_unit = {u.unit.name: u.status for u in status.units}
    assert by_unit == {"Trường THCS Bát Xát": "missing", "Trường Tiểu học Bát Xát": "on_time"}
    assert status.counts == {"missing": 1, "on_time": 1}
    b = services.submit(
        schedule=schedule,
        unit=thcs.unit,
        due_at=MONDAY,
        by=cast.commune_officer,
        now=MONDAY + dt.timedelta(minutes=1),
    )
    status = selectors.deadline_status(schedule, MONDAY, now=MONDAY + dt.timedelta(minutes=2))
    assert status.counts == {"late": 1, "on_time": 1}
    rolled = status.rolled_up
    assert rolled is not None
    for key in ("attendance_total", "attendance_by_level"):
        section = rolled.section(key)
        assert section is not None
        expected = {c: total(a, key).get(c, 0) + total(b, key).get(c, 0) for c in section.columns}
        assert section.total == expected
    by_unit_section = rolled.section("attendance_by_unit")
    assert by_unit_section is not None
    assert [r.label for r in by_unit_section.rows] == [
        "Trường THCS Bát Xát",
        "Trường Tiểu học Bát Xát",
    ]
    assert rolled.section("attendance_total").total["roll_calls"] == 7  # type: ignore[union-attr]
    # the commune's own figures from records equal the roll-up
    from dentruong.reports.definitions import get

    live = get("attendance").compute(cast.commune, *status.period, dt.date(2026, 10, 5))
    assert live.section("attendance_total").total == rolled.section("attendance_total").total  # type: ignore[union-attr]


def test_dropout_figures(cast: Cast) -> None:
    record_event(
        student=cast.student,
        kind="dropped_out",
        on=WEEK[2],
        by=cast.school_leader,
        reason_code="01",
    )
    sub = services.submit(
        schedule=weekly_schedule(cast, "dropouts"),
        unit=cast.school.unit,
        due_at=MONDAY,
        by=cast.school_leader,
        now=MONDAY,
    )
    fig = Figures.from_json(sub.figures)
    assert fig.section("dropouts_in_period").total == {  # type: ignore[union-attr]
        "dropped_out": 1,
        "left_locality": 0,
        "total": 1,
        "still_out": 1,
    }
    assert fig.section("dropouts_by_reason").rows[0].key == "01"  # type: ignore[union-attr]
    assert fig.section("dropouts_by_period").total == {"total": 1}  # type: ignore[union-attr]
    assert [n["full_name"] for n in fig.names] == [cast.student.full_name]


def test_reminders_and_overdue_notices(cast: Cast) -> None:
    weekly_schedule(cast)
    cast.school_leader.email = "lan@example.vn"
    cast.school_leader.save()
    before = MONDAY - dt.timedelta(minutes=90)
    assert services.queue_deadline_alerts(now=before) == 1  # the commune's one school
    assert services.queue_deadline_alerts(now=before) == 0  # once
    notice = Notice.objects.get(recipient=cast.school_leader, kind="deadline")
    assert notice.deadline_alert is not None and notice.deadline_alert.kind == "reminder"
    assert "10:00 05/10/2026" in notice.text and notice.channel == "email"
    assert services.queue_deadline_alerts(now=MONDAY + dt.timedelta(minutes=1)) == 1
    overdue = Notice.objects.get(recipient=cast.school_leader, deadline_alert__kind="overdue")
    assert "has not been submitted" in overdue.text or "chưa" in overdue.text
    assert DeadlineAlert.objects.filter(kind="overdue").count() == 1
    # a submission before the deadline: no reminder for that unit
    assert services.queue_deadline_alerts(now=MONDAY + dt.timedelta(days=7, minutes=-60)) == 1
    services.submit(
        schedule=weekly_schedule(cast),
        unit=cast.school.unit,
        due_at=MONDAY + dt.timedelta(days=7),
        by=cast.school_leader,
        now=MONDAY + dt.timedelta(days=7, minutes=-30),
    )
    assert services.queue_deadline_alerts(now=MONDAY + dt.timedelta(days=7, minutes=1)) == 0


def test_mobilization_plugs_in_as_a_definition(cast: Cast) -> None:
    from dentruong.reports.definitions import REGISTRY

    fig = REGISTRY["mobilization"].compute(
        cast.school.unit, WEEK[0], WEEK[-1], dt.date(2026, 10, 5)
    )
    section = fig.section("mobilization_by_grade")
    assert section is not None
    assert {r.key: r.values["enrolled"] for r in section.rows} == {"3": 1, "4": 1}
    assert section.total["enrolled"] == 2


def test_report_deadlines_command(cast: Cast) -> None:
    import io

    import time_machine
    from django.core.management import call_command

    weekly_schedule(cast)
    out = io.StringIO()
    with time_machine.travel(MONDAY + dt.timedelta(minutes=1), tick=False):
        call_command("report_deadlines", stdout=out)
    assert out.getvalue().strip() == "1 alerts queued"
    assert DeadlineAlert.objects.get().kind == "overdue"


def test_destinations_of_the_communes_add_up_to_the_province(cast: Cast) -> None:
    """A graduate of Bát Xát's lower-secondary school who lives in Y Tý counts once: in
    Bát Xát (where they studied), not also in Y Tý."""
    from dentruong.enrollment.services import enroll_student, record_destination
    from dentruong.people.models import Student
    from dentruong.reports.definitions import get

    c9 = SchoolClass.objects.get(school=second_school(cast), name="9A")
    Student.objects.filter(pk=cast.student_4a.pk).update(village=cast.other_village)
    enroll_student(student=cast.student_4a, school_class=c9, on=dt.date(2026, 10, 1), by=None)
    done = record_event(student=cast.student_4a, kind="completed", on=dt.date(2026, 11, 2), by=None)
    record_destination(event=done, destination="vocational_in", by=None)

    def figures(unit: object) -> dict[str, int]:
        fig = get("destinations").compute(
            unit, dt.date(2027, 5, 1), dt.date(2027, 5, 31), dt.date(2027, 6, 1)
        )
        section = fig.section("destinations")
        assert section is not None
        return {r.key: r.values["count"] for r in section.rows if r.values["count"]}

    assert figures(cast.commune) == {"vocational_in": 1}
    assert figures(cast.other_commune) == {}
    assert figures(cast.province) == {"vocational_in": 1}


def test_two_reports_due_the_same_day_are_two_notices(cast: Cast) -> None:
    """The attendance and the dropout reports both fall due on Monday at 10:00: the school's
    leader gets a reminder for each, and running the queue again adds none."""
    weekly_schedule(cast)
    weekly_schedule(cast, "dropouts")
    cast.school_leader.email = "lan@example.vn"
    cast.school_leader.save()
    before = MONDAY - dt.timedelta(minutes=90)
    assert services.queue_deadline_alerts(now=before) == 2
    assert services.queue_deadline_alerts(now=before) == 0
    notices = Notice.objects.filter(recipient=cast.school_leader, kind="deadline")
    assert notices.count() == 2
    assert {n.deadline_alert.schedule.report for n in notices} == {"attendance", "dropouts"}  # type: ignore[union-attr]
