"""The rights workflow through its services: the clock, each answer with its status row,
what erasure removes and keeps, consents withdrawn through the notices service, and
refusals that write nothing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from dentruong.enrollment.services import record_event
from dentruong.notices import services as notices
from dentruong.notices.models import Notice, NoticeConsent
from dentruong.outreach.services import open_case
from dentruong.people.models import Guardian, NameToken, ResidentChild, SensitiveFacts, Student
from dentruong.people.services import link_resident_child, update_student
from dentruong.privacy import services
from dentruong.privacy.models import RequestKind, RequestStatus, RequestStep, RightsRequest
from dentruong.privacy.services import ERASED, PrivacyError, child_data
from dentruong.privacy.tests.factories import rights_request
from tests.cast import Cast

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def statuses(request: RightsRequest) -> list[str]:
    return list(request.steps.order_by("at", "pk").values_list("status", flat=True))


def test_registering_sets_the_two_working_day_clock(cast: Cast) -> None:
    received = dt.datetime(2026, 2, 13, 16, 30, tzinfo=VN)  # Friday before Tết
    request = services.register_request(
        student=cast.student,
        kind=RequestKind.ACCESS,
        requester_name="  Đặng Văn Sử ",
        requester_relationship="father",
        received_at=received,
        by=cast.school_leader,
    )
    assert request.due_on == dt.date(2026, 2, 24)
    assert request.requester_name == "Đặng Văn Sử"
    assert request.status == RequestStatus.RECEIVED
    step = request.steps.get()
    assert (step.status, step.at, step.by) == ("received", received, cast.school_leader)
    # Late evening in Việt Nam is still that day (UTC is the day before).
    evening = dt.datetime(2026, 3, 9, 23, 0, tzinfo=VN)  # Monday
    assert services.due_date(evening) == dt.date(2026, 3, 11)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"requester_name": "  "}, "requester_name"),
        ({"kind": "gossip"}, "kind"),
        ({"requester_relationship": "neighbour"}, "requester_relationship"),
        ({"received_at": timezone.now() + dt.timedelta(days=1)}, "received_at"),
    ],
)
def test_bad_requests_write_nothing(cast: Cast, changes: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "student": cast.student,
        "kind": "access",
        "requester_name": "Đặng Văn Sử",
        "requester_relationship": "father",
        "by": cast.school_leader,
    } | changes
    with pytest.raises(PrivacyError) as refused:
        services.register_request(**args)  # type: ignore[arg-type]
    assert refused.value.field == field
    assert not RightsRequest.objects.exists() and not RequestStep.objects.exists()


def test_access_export_holds_everything_and_sensitive_only_for_who_may_see(cast: Cast) -> None:
    update_student(student=cast.student, disability="Khiếm thị nhẹ", health_notes="Hen suyễn")
    link_resident_child(child=cast.child, student=cast.student)
    guardian = cast.household.guardians.get()
    notices.record_consent(guardian=guardian, channel="sms", address="0912345678", by=cast.teacher)
    request = rights_request(cast)
    services.start_request(request=request, by=cast.school_leader)
    services.answer_access(request=request, by=cast.school_leader)
    request.refresh_from_db()
    assert request.status == RequestStatus.ANSWERED and request.closed_at is not None
    assert statuses(request) == ["received", "in_progress", "answered"]
    data = request.export
    assert data is not None
    assert data["student"][0]["national_id"] == cast.student.national_id
    assert data["register"][0]["given_name"] == "Bình"
    assert data["guardians"] == [
        {"full_name": "Đặng Văn Sử", "relationship": "father", "phone": "+84912345678"}
    ]
    assert data["sensitive_facts"] == [
        {"poverty": "poor", "disability": "Khiếm thị nhẹ", "health_notes": "Hen suyễn"}
    ]
    assert [e["kind"] for e in data["enrollment_events"]] == ["enrolled"]
    assert data["consents"][0]["channel"] == "sms" and data["consents"][0]["scope"] == "absence"
    assert data["rights_requests"][0]["kind"] == "access"
    details = request.steps.last().details  # type: ignore[union-attr]
    assert details["sensitive_included"] is True
    # The administrator is not a role that sees sensitive facts.
    second = rights_request(cast)
    services.answer_access(request=second, by=cast.admin)
    second.refresh_from_db()
    assert second.export is not None
    assert "sensitive_facts" not in second.export
    assert second.export["sensitive_facts_withheld"] is True
    assert "Khiếm" not in str(second.export) and "Hen" not in str(second.export)


def test_child_data_without_sensitive_right_leaves_out_the_family_situation(cast: Cast) -> None:
    ResidentChild.objects.filter(pk=cast.child.pk).update(notes="Mồ côi cha")
    assert "Mồ côi" in str(child_data(child=cast.child, include_sensitive=True))
    assert "Mồ côi" not in str(child_data(child=cast.child, include_sensitive=False))


def test_a_correction_records_what_was_corrected(cast: Cast) -> None:
    request = rights_request(cast, RequestKind.CORRECT)
    with pytest.raises(PrivacyError) as refused:
        services.record_correction(request=request, by=cast.school_leader, note=" ")
    assert refused.value.field == "note"
    assert statuses(request) == ["received"]
    services.record_correction(
        request=request, by=cast.school_leader, note="Ngày sinh 02/03/2018 → 03/02/2018"
    )
    step = request.steps.last()
    assert step is not None and step.note == "Ngày sinh 02/03/2018 → 03/02/2018"
    assert step.status == "answered" and step.by == cast.school_leader


def test_each_action_answers_only_its_kind_and_only_once(cast: Cast) -> None:
    request = rights_request(cast, RequestKind.CORRECT)
    with pytest.raises(PrivacyError) as refused:
        services.erase_child_data(request=request, by=cast.school_leader)
    assert refused.value.code == "wrong_kind"
    assert SensitiveFacts.objects.get(student=cast.student).poverty == "poor"
    services.refuse_request(
        request=request, by=cast.school_leader, reason="Người yêu cầu không phải cha mẹ"
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.REFUSED
    with pytest.raises(PrivacyError) as closed:
        services.record_correction(request=request, by=cast.school_leader, note="x")
    assert closed.value.code == "closed"
    with pytest.raises(PrivacyError):
        services.refuse_request(request=rights_request(cast), by=cast.school_leader, reason="")


def test_withdrawing_consent_goes_through_the_notices_service(cast: Cast) -> None:
    guardian = cast.household.guardians.get()
    sms = notices.record_consent(
        guardian=guardian, channel="sms", address="0912345678", by=cast.teacher
    )
    mail = notices.record_consent(
        guardian=guardian, channel="email", address="su@example.vn", by=cast.teacher, scope="all"
    )
    notices.withdraw_consent(consent=mail, by=cast.teacher)
    request = rights_request(cast, RequestKind.OBJECT)
    services.withdraw_child_consents(request=request, by=cast.school_leader, note="Gọi điện")
    sms.refresh_from_db()
    assert sms.withdrawn_by == cast.school_leader and sms.withdrawn_at is not None
    mail.refresh_from_db()
    assert mail.withdrawn_by == cast.teacher  # already withdrawn: untouched
    step = request.steps.last()
    assert step is not None and step.details["consents_withdrawn"] == 1


def _everything_about_anh(cast: Cast) -> None:
    update_student(student=cast.student, disability="Khiếm thị nhẹ", health_notes="Hen suyễn")
    guardian = cast.household.guardians.get()
    notices.record_consent(guardian=guardian, channel="sms", address="0912345678", by=cast.teacher)
    cast.household.address = "Số 5, thôn Bản Vược"
    cast.household.save()
    now = timezone.now()
    Notice.objects.create(
        kind="absence",
        day=dt.date(2026, 11, 2),
        session="am",
        student=cast.student,
        channel="sms",
        address="+84912345678",
        text="Con Anh vang hoc sang nay",
        status="sent",
        created_at=now,
        next_attempt_at=now,
    )
    open_case(student=cast.student, on=dt.date(2026, 11, 2), by=cast.teacher, note="Hay nghỉ")


def test_erasing_an_enrolled_childs_data_keeps_the_register(cast: Cast) -> None:
    _everything_about_anh(cast)
    request = rights_request(cast, RequestKind.DELETE)
    services.erase_child_data(request=request, by=cast.school_leader)
    facts = SensitiveFacts.objects.get(student=cast.student)
    assert (facts.poverty, facts.disability, facts.health_notes) == ("poor", "", "")
    guardian = Guardian.objects.get(household=cast.household)
    assert guardian.phone == "" and guardian.full_name == "Đặng Văn Sử"
    consent = NoticeConsent.objects.get()
    assert consent.withdrawn_by == cast.school_leader and consent.address == ""
    notice = Notice.objects.get()
    assert (notice.text, notice.address, notice.status) == ("", "", "sent")
    cast.household.refresh_from_db()
    assert cast.household.address == ""
    student = Student.objects.get(pk=cast.student.pk)
    assert student.full_name == "Đặng Thị Ánh"  # enrolled: the school keeps its register
    assert student.national_id == cast.student.national_id
    step = request.steps.last()
    assert step is not None and step.details["identity_kept_while_enrolled"] is True
    assert "enrollment_events" in step.details["kept"]


def test_erasing_a_child_who_left_anonymises_but_keeps_statistics(cast: Cast) -> None:
    _everything_about_anh(cast)
    link_resident_child(child=cast.child, student=cast.student)
    record_event(
        student=cast.student,
        kind="dropped_out",
        on=dt.date(2026, 11, 10),
        by=cast.school_leader,
        reason_code="01",
    )
    request = rights_request(cast, RequestKind.DELETE)
    services.erase_child_data(request=request, by=cast.school_leader)
    student = Student.objects.get(pk=cast.student.pk)
    assert student.full_name.strip() == ERASED
    assert student.birth_date == dt.date(2018, 1, 1)  # the year stays for the age bands
    assert student.national_id == f"000{student.pk:09d}"
    assert (student.gender, student.ethnicity, student.village_id) == ("F", "09", cast.village.pk)
    assert set(NameToken.objects.filter(student=student).values_list("token", flat=True)) == {
        "da",
        "xoa",
    }
    assert [e.kind for e in student.events.all()] == ["enrolled", "dropped_out"]
    child = ResidentChild.objects.get(pk=cast.child.pk)
    assert (child.full_name.strip(), child.birth_date, child.birth_year) == (ERASED, None, 2020)
    # No other child in the household: the guardian's name goes too.
    assert Guardian.objects.get(household=cast.household).full_name == ERASED


def test_a_failing_action_leaves_everything_as_it_was(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    _everything_about_anh(cast)
    request = rights_request(cast, RequestKind.DELETE)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_erase_identity", boom)
    record_event(
        student=cast.student,
        kind="dropped_out",
        on=dt.date(2026, 11, 10),
        by=None,
        reason_code="01",
    )
    with pytest.raises(RuntimeError):
        services.erase_child_data(request=request, by=cast.school_leader)
    assert SensitiveFacts.objects.get(student=cast.student).disability == "Khiếm thị nhẹ"
    assert Guardian.objects.get(household=cast.household).phone == "+84912345678"
    assert NoticeConsent.objects.get().withdrawn_at is None
    request.refresh_from_db()
    assert request.status == RequestStatus.RECEIVED and statuses(request) == ["received"]
