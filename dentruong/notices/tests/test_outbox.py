"""Which absences queue a notice: K only, same day only, with an active consent only, at
most one per student per day whatever the resubmissions, corrections and sessions; and
the database constraints that hold those rules."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from dentruong.notices.models import Notice, NoticeConsent, NoticeKind, NoticeStatus
from dentruong.notices.services import NoticeError, record_consent, withdraw_consent
from tests.cast import Cast

from .conftest import TODAY, YESTERDAY, Gateway, consent, guardian, roll, run_worker

pytestmark = pytest.mark.usefixtures("clock")


def notices() -> list[Notice]:
    return list(Notice.objects.filter(kind=NoticeKind.ABSENCE).order_by("pk"))


def test_k_with_consent_queues_one_notice_in_vietnamese(cast: Cast) -> None:
    cast.teacher.phone = "0987 654 321"
    cast.teacher.save()
    chosen = consent(cast)
    roll(cast, {cast.student.pk: "K"})
    [notice] = notices()
    assert (notice.student_id, notice.day, notice.session) == (cast.student.pk, TODAY, "am")
    assert (notice.channel, notice.address, notice.consent_id) == ("sms", "+84912345678", chosen.pk)
    assert notice.status == NoticeStatus.QUEUED and notice.attempts == 0
    assert notice.school_class_id == cast.class_3a.pk
    assert notice.text == (
        "Trường Tiểu học Bát Xát: em Đặng Thị Ánh (lớp 3A) vắng không phép buổi sáng "
        "ngày 17/03/2027. Xin liên hệ GVCN Vàng Thị Tâm, 0987654321."
    )
    assert notice.subject == "Học sinh Đặng Thị Ánh vắng ngày 17/03/2027"


def test_at_most_one_per_student_per_day(cast: Cast, channels: object, gateway: Gateway) -> None:
    consent(cast)
    client_id = uuid.uuid4()
    roll(cast, {cast.student.pk: "K"}, client_id=client_id)
    roll(cast, {cast.student.pk: "K"}, client_id=client_id)  # the same submission again
    roll(cast, {cast.student.pk: "K"})  # a correction that keeps the K
    roll(cast, {cast.student.pk: "K"}, session="pm")  # K again in the afternoon
    assert len(notices()) == 1
    assert run_worker().sent == 1
    roll(cast, {cast.student.pk: "K"}, session="pm")  # a correction after it was sent
    assert run_worker().sent == 0
    assert len(gateway.to("/sms")) == 1
    assert notices()[0].status == NoticeStatus.SENT


def test_a_correction_that_adds_a_k_queues_one(cast: Cast) -> None:
    consent(cast)
    roll(cast, {})  # everyone present
    assert notices() == []
    roll(cast, {cast.student.pk: "K"})
    assert len(notices()) == 1


def test_a_correction_that_removes_the_k_cancels_it_and_a_new_k_revives_it(cast: Cast) -> None:
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    roll(cast, {cast.student.pk: "P"})  # it was an excused absence after all
    [notice] = notices()
    assert notice.status == NoticeStatus.CANCELLED
    roll(cast, {cast.student.pk: "K"}, session="pm")
    [notice] = notices()
    assert (notice.status, notice.session) == (NoticeStatus.QUEUED, "pm")
    assert "buổi chiều" in notice.text


def test_an_afternoon_p_does_not_cancel_the_morning_notice(cast: Cast) -> None:
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    roll(cast, {cast.student.pk: "P"}, session="pm")
    assert notices()[0].status == NoticeStatus.QUEUED


@pytest.mark.parametrize("code", ["P", "T"])
def test_excused_or_late_queues_nothing(cast: Cast, code: str) -> None:
    consent(cast)
    roll(cast, {cast.student.pk: code})
    assert notices() == []


def test_no_consent_queues_nothing(cast: Cast) -> None:
    roll(cast, {cast.student.pk: "K"})
    assert notices() == []


def test_withdrawn_consent_queues_nothing(cast: Cast) -> None:
    given = consent(cast)
    withdraw_consent(consent=given, by=cast.teacher)
    roll(cast, {cast.student.pk: "K"})
    assert notices() == []


def test_withdrawing_cancels_what_is_still_queued(cast: Cast) -> None:
    given = consent(cast)
    roll(cast, {cast.student.pk: "K"})
    withdraw_consent(consent=given, by=cast.school_leader)
    assert notices()[0].status == NoticeStatus.CANCELLED
    given.refresh_from_db()
    assert given.withdrawn_by_id == cast.school_leader.pk and given.withdrawn_at is not None


def test_a_roll_call_for_an_earlier_day_queues_nothing(cast: Cast) -> None:
    consent(cast)
    roll(cast, {cast.student.pk: "K"}, day=YESTERDAY)
    assert notices() == []


def test_the_preferred_configured_channel_is_used(cast: Cast, channels: object) -> None:
    consent(cast, "email", "su.dang@example.vn")
    consent(cast, "zalo", "4821093375512")
    roll(cast, {cast.student.pk: "K"})
    assert notices()[0].channel == "zalo"  # NOTICE_CHANNEL_ORDER: zalo, sms, email


def test_a_configured_channel_wins_over_a_preferred_unconfigured_one(
    cast: Cast, settings: object
) -> None:
    settings.EMAIL_HOST = "127.0.0.1"  # type: ignore[attr-defined]
    settings.NOTICE_ZALO_URL = ""  # type: ignore[attr-defined]
    consent(cast, "zalo", "4821093375512")
    consent(cast, "email", "su.dang@example.vn")
    roll(cast, {cast.student.pk: "K"})
    assert notices()[0].channel == "email"


def test_a_notice_still_queued_at_the_end_of_its_day_is_given_up(
    cast: Cast, clock: time_machine.Coordinates
) -> None:
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    clock.move_to(dt.datetime(2027, 3, 18, 7, 0, tzinfo=timezone.get_current_timezone()))
    tally = run_worker()
    assert tally.expired == 1 and tally.sent == 0
    assert notices()[0].status == NoticeStatus.GAVE_UP


# --- consents ------------------------------------------------------------------------------


def test_consent_addresses_are_checked_and_normalised(cast: Cast) -> None:
    assert consent(cast, "sms", "(+84) 912-345-678").address == "+84912345678"
    with pytest.raises(NoticeError) as bad:
        consent(cast, "email", "not an address")
    assert (bad.value.code, bad.value.field) == ("invalid_address", "address")
    with pytest.raises(NoticeError) as bad:
        consent(cast, "zalo", "Đặng Văn Sử")
    assert bad.value.code == "invalid_address"
    with pytest.raises(NoticeError) as bad:
        consent(cast, "fax", "024 3826 1234")
    assert (bad.value.code, bad.value.field) == ("invalid_channel", "channel")
    assert NoticeConsent.objects.count() == 1


def test_one_active_consent_per_guardian_and_channel(cast: Cast) -> None:
    first = consent(cast)
    with pytest.raises(NoticeError) as twice:
        consent(cast, address="0987 000 111")
    assert twice.value.code == "already_consented"
    withdraw_consent(consent=first, by=cast.teacher)
    with pytest.raises(NoticeError) as again:
        withdraw_consent(consent=first, by=cast.teacher)
    assert again.value.code == "already_withdrawn"
    second = consent(cast, address="0987 000 111")  # a new row; the old one stays
    assert NoticeConsent.objects.count() == 2 and second.withdrawn_at is None


def test_the_database_refuses_a_second_active_consent(cast: Cast) -> None:
    consent(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        NoticeConsent.objects.create(
            guardian=guardian(cast),
            channel="sms",
            address="+84987000111",
            recorded_at=timezone.now(),
        )


def test_the_database_refuses_a_second_absence_notice_the_same_day(cast: Cast) -> None:
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.create(
            kind=NoticeKind.ABSENCE,
            day=TODAY,
            session="pm",
            student=cast.student,
            channel="sms",
            address="+84912345678",
            text="x",
            created_at=timezone.now(),
            next_attempt_at=timezone.now(),
        )


def test_evidence_is_kept(cast: Cast) -> None:
    given = record_consent(
        guardian=guardian(cast),
        channel="sms",
        address="0912345678",
        by=cast.teacher,
        evidence="Phiếu đồng ý ký  ngày 5/9/2026",
    )
    assert given.evidence == "Phiếu đồng ý ký ngày 5/9/2026"
    assert given.recorded_by_id == cast.teacher.pk
