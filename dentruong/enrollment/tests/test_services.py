"""The lifecycle services: what they write, every refusal (nothing written), transfers
(including lost between schools), back-dated changes recount attendance, and the
head-count check finding a unit changed behind the events' back."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from dentruong.attendance.models import ClassDaySummary
from dentruong.attendance.services import submit_roll_call
from dentruong.enrollment import selectors
from dentruong.enrollment.access import transfers_for_user
from dentruong.enrollment.models import Enrollment, EnrollmentEvent, Transfer
from dentruong.enrollment.services import (
    EnrollmentError,
    confirm_transfer,
    decline_transfer,
    enroll_student,
    record_destination,
    record_event,
)
from dentruong.orgs.models import SchoolClass
from dentruong.people.access import students_for_user
from tests.cast import Cast

from .factories import TRANSFER_DAY, pending_transfer, second_school

D = dt.date
VN = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = D(2027, 3, 20)  # a Saturday in term 2, after Tết


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2027, 3, 20, 9, 0, tzinfo=VN), tick=False):
        yield


def counts() -> tuple[int, ...]:
    return (
        EnrollmentEvent.objects.count(),
        Enrollment.objects.count(),
        Enrollment.objects.current().count(),
        Transfer.objects.count(),
    )


def refused(code: str, **kwargs: Any) -> EnrollmentError:
    before = counts()
    with pytest.raises(EnrollmentError) as caught:
        record_event(**kwargs)
    assert caught.value.code == code, caught.value.message
    assert counts() == before
    return caught.value


def test_a_dropout_closes_the_enrolment_with_its_event(cast: Cast) -> None:
    event = record_event(
        student=cast.student,
        kind="dropped_out",
        on=D(2027, 2, 17),
        by=cast.teacher,
        reason_code="01",
        reason="  Nhà   khó khăn ",
    )
    enrollment = Enrollment.objects.get(student=cast.student)
    assert enrollment.end_date == D(2027, 2, 17)
    assert (event.school_class, event.period, event.after_tet) == (cast.class_3a, "term2", True)
    assert (event.status_code, event.reason, event.recorded_by) == (
        "09",
        "Nhà khó khăn",
        cast.teacher,
    )
    assert cast.student.pk not in Enrollment.objects.on(D(2027, 2, 17)).values_list(
        "student_id", flat=True
    )


def test_left_the_locality_in_term_1(cast: Cast) -> None:
    event = record_event(
        student=cast.student_4a,
        kind="left_locality",
        on=D(2026, 11, 2),
        by=None,
        whereabouts="02",
    )
    assert (event.period, event.after_tet, event.whereabouts, event.status_code) == (
        "term1",
        False,
        "02",
        "05",
    )


def test_refusals(cast: Cast) -> None:
    s, leader = cast.student, cast.school_leader
    base = {"student": s, "by": leader}
    err = refused("future_date", kind="dropped_out", on=D(2027, 3, 21), reason_code="01", **base)
    assert err.field == "date" and "21/03/2027" in err.message
    refused("before_start", kind="dropped_out", on=D(2026, 9, 1), reason_code="01", **base)
    refused("before_start", kind="dropped_out", on=D(2026, 9, 5), reason_code="01", **base)
    refused("reason_required", kind="dropped_out", on=D(2026, 10, 1), **base)
    refused("invalid_reason", kind="dropped_out", on=D(2026, 10, 1), reason_code="11", **base)
    refused("whereabouts_required", kind="left_locality", on=D(2026, 10, 1), **base)
    refused(
        "already_enrolled",
        kind="returned",
        on=D(2026, 10, 1),
        school_class=cast.class_3a,
        eligible_to_continue=True,
        eligibility_note="x",
        **base,
    )
    refused(
        "already_enrolled", kind="enrolled", on=D(2026, 10, 1), school_class=cast.class_4a, **base
    )
    refused("wrong_grade", kind="completed", on=D(2026, 10, 1), **base)
    refused(
        "same_class", kind="class_changed", on=D(2026, 10, 1), school_class=cast.class_3a, **base
    )
    refused(
        "other_school_class",
        kind="class_changed",
        on=D(2026, 10, 1),
        school_class=cast.other_class,
        **base,
    )
    refused(
        "repeat_other_grade", kind="repeated", on=D(2026, 10, 1), school_class=cast.class_4a, **base
    )
    refused("same_school", kind="transferred_out", on=D(2026, 10, 1), to_school=cast.school, **base)
    refused("destination_required", kind="transferred_out", on=D(2026, 10, 1), **base)
    refused(
        "whereabouts_required",
        kind="transferred_out",
        on=D(2026, 10, 1),
        other_school_name="Trường TH Kim Đồng",
        **base,
    )
    refused("invalid_kind", kind="vanished", on=D(2026, 10, 1), **base)
    # Once gone: dropping out again is refused with the date it happened.
    record_event(kind="dropped_out", on=D(2026, 10, 5), reason_code="03", **base)
    err = refused("already_left", kind="dropped_out", on=D(2026, 10, 6), reason_code="01", **base)
    assert "05/10/2026" in err.message
    refused("already_left", kind="left_locality", on=D(2026, 10, 6), whereabouts="01", **base)
    refused(
        "eligibility_required",
        kind="returned",
        on=D(2026, 10, 20),
        school_class=cast.class_3a,
        **base,
    )
    refused(
        "eligibility_note_required",
        kind="returned",
        on=D(2026, 10, 20),
        school_class=cast.class_3a,
        eligible_to_continue=False,
        **base,
    )
    refused(
        "before_exit",
        kind="returned",
        on=D(2026, 10, 4),
        school_class=cast.class_3a,
        eligible_to_continue=True,
        eligibility_note="Đã vận động",
        **base,
    )
    refused(
        "class_required",
        kind="returned",
        on=D(2026, 10, 20),
        eligible_to_continue=True,
        eligibility_note="Đã vận động",
        **base,
    )


def test_a_return_is_recorded_eligible_or_not_with_why(cast: Cast) -> None:
    record_event(
        student=cast.student, kind="dropped_out", on=D(2026, 10, 5), by=None, reason_code="02"
    )
    event = record_event(
        student=cast.student,
        kind="returned",
        on=D(2026, 10, 20),
        by=cast.school_leader,
        school_class=cast.class_3a,
        eligible_to_continue=False,
        eligibility_note="Nghỉ quá 45 buổi",
    )
    assert (event.eligible_to_continue, event.eligibility_note, event.status_code) == (
        False,
        "Nghỉ quá 45 buổi",
        "03",
    )
    assert Enrollment.objects.current().get(student=cast.student).start_date == D(2026, 10, 20)


def test_class_change_and_completion(cast: Cast) -> None:
    school = second_school(cast)
    c9 = SchoolClass.objects.get(school=school, name="9A")
    enroll_student(student=cast.student_4a, school_class=c9, on=D(2026, 10, 1), by=None)
    moved = EnrollmentEvent.objects.filter(student=cast.student_4a).last()
    assert moved is not None and moved.from_class == cast.class_4a
    done = record_event(student=cast.student_4a, kind="completed", on=D(2027, 3, 1), by=None)
    assert done.school_class == c9
    dest = record_destination(event=done, destination="vocational_in", by=None)
    assert dest.destination == "vocational_in"
    assert record_destination(event=done, destination="working", by=None).pk == dest.pk
    with pytest.raises(EnrollmentError) as caught:
        record_destination(event=moved, destination="thpt", by=None)
    assert caught.value.code == "not_a_graduate"


def test_database_constraints_hold_without_the_services(cast: Cast) -> None:
    bare = {"student": cast.student, "date": D(2026, 10, 1), "school_class": cast.class_3a}
    for bad in (
        {"kind": "dropped_out"},  # no reason code
        {"kind": "left_locality"},  # nowhere
        {"kind": "returned"},  # no eligibility
        {"kind": "dropped_out", "reason_code": "11"},
        {"kind": "nonsense"},
        {"kind": "enrolled", "after_tet": True, "period": "term1"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            EnrollmentEvent.objects.create(**bare, **bad)
    transfer = pending_transfer(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(
            student=transfer.student,
            from_school=transfer.from_school,
            from_class=transfer.from_class,
            to_school=cast.other_school,
            date=TRANSFER_DAY,
            out_event=EnrollmentEvent.objects.filter(student=cast.student).first(),
        )  # a second pending transfer of the same student
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.filter(pk=transfer.pk).update(to_school=transfer.from_school)


# --- transfers ----------------------------------------------------------------------------


def test_transfer_waits_then_is_confirmed(cast: Cast) -> None:
    transfer = pending_transfer(cast)
    to_school = transfer.to_school
    assert (transfer.status, transfer.out_event.kind, transfer.out_event.whereabouts) == (
        "pending",
        "transferred_out",
        "01",
    )
    # In transit: the sending school still lists the student, the receiving one sees the
    # transfer waiting; nothing current in any class.
    assert not Enrollment.objects.current().filter(student=cast.student_4a).exists()
    assert students_for_user(cast.school_leader).filter(pk=cast.student_4a.pk).exists()
    incoming, outgoing = selectors.school_transfers(to_school.pk)
    assert [t.pk for t in incoming] == [transfer.pk]
    assert selectors.school_transfers(cast.school.pk) == ([], [transfer])
    assert transfers_for_user(cast.commune_officer).filter(pk=transfer.pk).exists()
    assert not transfers_for_user(cast.outsider).exists()
    refused(
        "transfer_pending",
        student=cast.student_4a,
        kind="returned",
        on=D(2026, 10, 2),
        by=None,
        school_class=cast.class_4a,
        eligible_to_continue=True,
        eligibility_note="x",
    )

    c6 = SchoolClass.objects.get(school=to_school, name="6A")
    for code, kwargs in (
        ("class_not_in_school", {"school_class": cast.class_3a, "on": D(2026, 10, 5)}),
        ("arrival_before_departure", {"school_class": c6, "on": D(2026, 9, 30)}),
        ("future_date", {"school_class": c6, "on": D(2027, 4, 1)}),
    ):
        with pytest.raises(EnrollmentError) as caught:
            confirm_transfer(transfer=transfer, by=None, **kwargs)
        assert caught.value.code == code
    event = confirm_transfer(transfer=transfer, school_class=c6, on=D(2026, 10, 5), by=None)
    transfer.refresh_from_db()
    cast.student_4a.refresh_from_db()
    assert (transfer.status, transfer.in_event, cast.student_4a.school) == (
        "confirmed",
        event,
        to_school,
    )
    assert (event.kind, event.status_code) == ("transferred_in", "02")
    assert Enrollment.objects.current().get(student=cast.student_4a).school_class == c6
    with pytest.raises(EnrollmentError) as caught:
        decline_transfer(transfer=transfer, by=None, reason="muộn")
    assert caught.value.code == "transfer_not_pending"


def test_a_declined_transfer_goes_back_to_the_sending_school(cast: Cast) -> None:
    transfer = pending_transfer(cast)
    with pytest.raises(EnrollmentError) as caught:
        decline_transfer(transfer=transfer, by=None, reason="  ")
    assert caught.value.code == "reason_required"
    decline_transfer(transfer=transfer, by=None, reason="Không có học sinh này")
    assert selectors.school_transfers(transfer.to_school_id) == ([], [])
    assert [t.status for t in selectors.school_transfers(cast.school.pk)[1]] == ["declined"]
    # The sending school records what really happened.
    record_event(
        student=cast.student_4a,
        kind="returned",
        on=D(2026, 10, 12),
        by=None,
        school_class=cast.class_4a,
        eligible_to_continue=True,
        eligibility_note="Gia đình không chuyển nữa",
    )


def test_lost_between_schools_after_the_confirmation_delay(cast: Cast, settings: Any) -> None:
    settings.TRANSFER_CONFIRM_DAYS = 15
    transfer = pending_transfer(cast, on=D(2027, 3, 1))
    paths = {
        "commune": cast.commune.path,
        "province": cast.province.path,
        "receiving school": transfer.to_school.unit.path,
    }
    with time_machine.travel(dt.datetime(2027, 3, 16, 9, tzinfo=VN), tick=False):
        for path in paths.values():
            assert selectors.lost_transfers(path, today=D(2027, 3, 16)) == []
    for path in paths.values():
        assert selectors.lost_transfers(path, today=D(2027, 3, 17)) == [transfer]
    assert selectors.lost_transfers(cast.other_commune.path, today=D(2027, 3, 17)) == []
    settings.TRANSFER_CONFIRM_DAYS = 30
    assert selectors.lost_transfers(cast.commune.path, today=D(2027, 3, 17)) == []


# --- attendance and head counts -------------------------------------------------------------


def test_a_back_dated_dropout_recounts_the_attendance_summaries(cast: Cast) -> None:
    monday = D(2027, 3, 15)
    submit_roll_call(
        school_class=cast.class_3a,
        date=monday,
        session="am",
        marks={},
        by=cast.teacher,
        client_id=uuid.uuid4(),
    )
    summary = ClassDaySummary.objects.get(school_class=cast.class_3a, date=monday)
    assert (summary.enrolled, summary.present) == (1, 1)
    record_event(
        student=cast.student, kind="dropped_out", on=D(2027, 3, 1), by=None, reason_code="01"
    )
    summary.refresh_from_db()
    assert (summary.enrolled, summary.present) == (0, 0)


def test_headcount_check_finds_the_broken_unit(
    cast: Cast, django_assert_num_queries: Any, capsys: Any
) -> None:
    record_event(
        student=cast.student, kind="dropped_out", on=D(2026, 10, 5), by=None, reason_code="01"
    )
    record_event(
        student=cast.student,
        kind="returned",
        on=D(2026, 11, 2),
        by=None,
        school_class=cast.class_3a,
        eligible_to_continue=True,
        eligibility_note="ok",
    )
    pending_transfer(cast)
    window = {"date_from": D(2026, 8, 1), "date_to": TODAY}
    with django_assert_num_queries(5):
        check = selectors.headcount_check(cast.province.path, **window)
    assert check.failing == []
    by_name = {u.name: u.balance.as_dict() for u in check.classes if u.school_id == cast.school.pk}
    assert by_name["3A"] | {} == {
        "start": 0,
        "first_entries": 1,
        "transfers_in": 0,
        "returns": 1,
        "repeats_in": 0,
        "class_changes_in": 0,
        "transfers_out": 0,
        "dropouts": 1,
        "left_locality": 0,
        "completed": 0,
        "moved_out": 0,
        "expected": 1,
        "end": 1,
    }
    assert (by_name["4A"]["transfers_out"], by_name["4A"]["end"]) == (1, 0)
    call_command("check_headcounts", "--unit", cast.province.path, "--from", "01/08/2026")

    # A raw import puts Páo in 3A and ends Ánh's enrolment without any event.
    Enrollment.objects.filter(student=cast.other_student).update(end_date=D(2026, 12, 1))
    Enrollment.objects.create(
        student=cast.other_student, school_class=cast.class_3a, start_date=D(2026, 12, 1)
    )
    with django_assert_num_queries(8):
        check = selectors.headcount_check(cast.province.path, **window)
    failing = {(u.kind, u.name, u.balance.gap) for u in check.failing}
    assert failing == {
        ("school", cast.school.name, 1),
        ("school", cast.other_school.name, -1),
        ("class", "3A", 1),
        ("class", "3A", -1),
    }
    ours = next(u for u in check.failing if u.kind == "class" and u.school_id == cast.school.pk)
    assert [(m.full_name, m.problem) for m in ours.students] == [
        ("Sùng A Páo", "enrolled_without_event")
    ]
    theirs = next(u for u in check.failing if u.kind == "class" and u.school_id != cast.school.pk)
    assert [(m.full_name, m.problem) for m in theirs.students] == [
        ("Sùng A Páo", "left_without_event")
    ]
    assert selectors.headcount_check(cast.commune.path, **window).failing[0].balance.gap == 1
    with pytest.raises(CommandError):
        call_command("check_headcounts", "--unit", "15", "--from", "01/08/2026")
    out = capsys.readouterr().out
    assert "Sùng A Páo: enrolled_without_event" in out and "4 do not reconcile" in out
