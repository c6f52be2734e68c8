"""The worker against real servers on 127.0.0.1: what each channel sends, retries with
back-off, permanent refusals, channels not configured, a worker that dies mid-send (at
most once), and a graceful stop on SIGTERM."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from dentruong.notices import services
from dentruong.notices.adapters import SmsHttpAdapter, ascii_text
from dentruong.notices.models import Notice, NoticeAttempt, NoticeStatus
from tests.cast import Cast

from .conftest import NOW, SMS_KEY, ZALO_TOKEN, Gateway, Mailbox, consent, roll, run_worker

pytestmark = pytest.mark.usefixtures("clock", "channels")
MINUTE = dt.timedelta(minutes=1)


def the_notice() -> Notice:
    return Notice.objects.get()


def test_sms_goes_to_the_gateway_once_unaccented(cast: Cast, gateway: Gateway) -> None:
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    tally = run_worker()
    assert (tally.sent, tally.retry, tally.failed) == (1, 0, 0)
    [request] = gateway.to("/sms")
    assert request.headers["x-api-key"] == SMS_KEY
    notice = the_notice()
    assert request.body == {
        "to": "+84912345678",
        "text": "Truong Tieu hoc Bat Xat: em Dang Thi Anh (lop 3A) vang khong phep buoi sang "
        "ngay 17/03/2027. Xin lien he GVCN Vang Thi Tam.",
        "sender": "",
        "unicode": False,
        "request_id": str(notice.reference),
    }
    assert (notice.status, notice.attempts, notice.provider_id) == ("sent", 1, "gw-1")
    assert notice.sent_at == NOW
    [attempt] = NoticeAttempt.objects.all()
    assert (attempt.outcome, attempt.provider_id, attempt.finished_at) == ("sent", "gw-1", NOW)
    assert run_worker().sent == 0 and len(gateway.received) == 1


def test_sms_unicode_when_asked(cast: Cast, gateway: Gateway, settings: object) -> None:
    settings.NOTICE_SMS_UNICODE = True  # type: ignore[attr-defined]
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    run_worker()
    assert gateway.to("/sms")[0].body["text"].startswith("Trường Tiểu học Bát Xát: em Đặng")


def test_zalo_message_cs_shape(cast: Cast, gateway: Gateway) -> None:
    answer = {"error": 0, "message": "Success", "data": {"message_id": "z9"}}
    gateway.script["/zalo"] = [(200, answer)]
    consent(cast, "zalo", "4821093375512")
    roll(cast, {cast.student.pk: "K"})
    assert run_worker().sent == 1
    [request] = gateway.to("/zalo")
    assert request.headers["access_token"] == ZALO_TOKEN
    assert request.body == {
        "recipient": {"user_id": "4821093375512"},
        "message": {"text": the_notice().text},
    }
    assert "Đặng Thị Ánh" in request.body["message"]["text"]  # Zalo keeps the diacritics
    assert the_notice().provider_id == "z9"


def test_zalo_error_in_a_200_answer_is_a_refusal(cast: Cast, gateway: Gateway) -> None:
    gateway.script["/zalo"] = [(200, {"error": -213, "message": "User has not followed OA"})]
    consent(cast, "zalo", "4821093375512")
    roll(cast, {cast.student.pk: "K"})
    assert run_worker().failed == 1
    notice = the_notice()
    assert notice.status == NoticeStatus.FAILED
    assert notice.last_error == "Zalo error -213: User has not followed OA"


def test_email_goes_through_smtp(cast: Cast, mailbox: Mailbox) -> None:
    consent(cast, "email", "su.dang@example.vn")
    roll(cast, {cast.student.pk: "K"})
    assert run_worker().sent == 1
    [message] = mailbox.messages
    assert mailbox.envelopes == [("noreply@dentruong.test", ["su.dang@example.vn"])]
    assert message["Subject"].strip() == "Học sinh Đặng Thị Ánh vắng ngày 17/03/2027"
    assert message.get_content().strip() == the_notice().text
    assert message["Message-ID"].strip() == the_notice().provider_id
    assert the_notice().provider_id == f"<{the_notice().reference}@dentruong.local>"


def test_smtp_550_fails_for_good_and_451_is_retried(cast: Cast, mailbox: Mailbox) -> None:
    consent(cast, "email", "su.dang@example.vn")
    roll(cast, {cast.student.pk: "K"})
    mailbox.rcpt_answer = "451 4.3.0 Try again later"
    assert run_worker().retry == 1
    assert the_notice().status == NoticeStatus.QUEUED
    assert the_notice().last_error.startswith("SMTP 451")


def test_smtp_550_is_permanent(cast: Cast, mailbox: Mailbox) -> None:
    consent(cast, "email", "nobody@example.vn")
    roll(cast, {cast.student.pk: "K"})
    mailbox.rcpt_answer = "550 5.1.1 No such user"
    assert run_worker().failed == 1
    assert the_notice().status == NoticeStatus.FAILED and mailbox.messages == []


def test_500_is_retried_after_back_off_and_sent_once(
    cast: Cast, gateway: Gateway, clock: time_machine.Coordinates
) -> None:
    gateway.script["/sms"] = [(500, {"error": "busy"}), (200, {"SMSID": "s-77"})]
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    assert run_worker().retry == 1
    notice = the_notice()
    assert (notice.status, notice.attempts) == ("queued", 1)
    assert notice.next_attempt_at == NOW + MINUTE  # the first back-off: 1 minute
    assert notice.last_error.startswith("HTTP 500")
    clock.shift(dt.timedelta(seconds=59))
    assert run_worker().sent == 0 and len(gateway.received) == 1  # not yet due
    clock.shift(dt.timedelta(seconds=1))
    assert run_worker().sent == 1
    assert run_worker().sent == 0
    notice = the_notice()
    assert (notice.status, notice.attempts, notice.provider_id) == ("sent", 2, "s-77")
    assert len(gateway.to("/sms")) == 2  # one refused, one accepted
    outcomes = list(NoticeAttempt.objects.values_list("number", "outcome"))
    assert outcomes == [(1, "retry"), (2, "sent")]


def test_back_off_doubles_then_gives_up(
    cast: Cast, gateway: Gateway, clock: time_machine.Coordinates, settings: object
) -> None:
    settings.NOTICE_MAX_ATTEMPTS = 4  # type: ignore[attr-defined]
    gateway.script["/sms"] = [(503, {})]
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    waits = []
    for _ in range(4):
        before = the_notice().next_attempt_at
        clock.move_to(before)
        run_worker()
        waits.append(the_notice().next_attempt_at - before)
    assert waits[:3] == [MINUTE, 2 * MINUTE, 4 * MINUTE]
    notice = the_notice()
    assert (notice.status, notice.attempts) == ("gave_up", 4)
    assert len(gateway.received) == 4


def test_400_fails_permanently(
    cast: Cast, gateway: Gateway, clock: time_machine.Coordinates
) -> None:
    gateway.script["/sms"] = [(400, {"error": "invalid phone"})]
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    assert run_worker().failed == 1
    clock.shift(dt.timedelta(hours=1))
    run_worker()
    notice = the_notice()
    assert (notice.status, notice.attempts) == ("failed", 1)
    assert notice.last_error == 'HTTP 400: {"error": "invalid phone"}'
    assert len(gateway.received) == 1


def test_a_refused_connection_is_retried(cast: Cast, settings: object) -> None:
    settings.NOTICE_SMS_URL = "http://127.0.0.1:9/sms"  # type: ignore[attr-defined]
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    assert run_worker().retry == 1
    assert the_notice().status == NoticeStatus.QUEUED


def test_no_answer_after_sending_is_delivery_unknown_not_a_retry(
    cast: Cast, gateway: Gateway, settings: object, clock: time_machine.Coordinates
) -> None:
    """The request reached the gateway but the answer never came: it may have sent the
    SMS. At most once: no second try."""
    settings.NOTICE_TIMEOUT_SECONDS = 0.3  # type: ignore[attr-defined]
    gateway.delay = 1.0
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    run_worker()
    notice = the_notice()
    assert (notice.status, notice.attempts) == (NoticeStatus.UNKNOWN, 1)
    assert notice.last_error.startswith("no answer after sending")
    assert NoticeAttempt.objects.get().outcome == "interrupted"
    gateway.delay = 0
    clock.shift(dt.timedelta(hours=1))
    run_worker()
    assert len(gateway.received) == 1


def test_a_channel_without_settings_is_skipped_visibly(
    cast: Cast, gateway: Gateway, settings: object
) -> None:
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    settings.NOTICE_SMS_URL = ""  # type: ignore[attr-defined]
    assert run_worker().skipped == 1
    notice = the_notice()
    assert (notice.status, notice.attempts, notice.last_error) == (
        "skipped",
        0,
        "channel not configured",
    )
    assert gateway.received == [] and not NoticeAttempt.objects.exists()


def test_a_worker_that_dies_mid_send_never_causes_a_second_message(
    cast: Cast, gateway: Gateway, clock: time_machine.Coordinates
) -> None:
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    # Worker A claims the notice, then dies before recording anything (it may or may
    # not have reached the gateway).
    claimed = services.claim_next(now=NOW, worker="host-a:1")
    assert claimed is not None and claimed.status == NoticeStatus.SENDING
    # Worker B, started right away, leaves it alone...
    assert run_worker().sent == 0
    assert the_notice().status == NoticeStatus.SENDING
    # ...and after NOTICE_SENDING_TIMEOUT_MINUTES marks it "delivery unknown": not resent.
    clock.shift(dt.timedelta(minutes=10, seconds=1))
    tally = run_worker()
    assert (tally.interrupted, tally.sent) == (1, 0)
    notice = the_notice()
    assert notice.status == NoticeStatus.UNKNOWN and notice.attempts == 1
    assert NoticeAttempt.objects.get().outcome == "interrupted"
    clock.shift(dt.timedelta(hours=1))
    run_worker()
    assert gateway.received == []


def test_a_slow_worker_still_records_the_truth(cast: Cast, gateway: Gateway) -> None:
    """A notice marked "delivery unknown" while its worker was still waiting for the
    gateway gets the real outcome when the answer comes."""
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    notice = services.claim_next(now=NOW, worker="host-a:1")
    assert notice is not None
    services.sweep(now=NOW + dt.timedelta(minutes=11))
    assert the_notice().status == NoticeStatus.UNKNOWN
    adapter = SmsHttpAdapter(url=f"{gateway.url}/sms", key=SMS_KEY)
    result = adapter.send(
        address=notice.address, subject="", text=notice.text, reference=str(notice.reference)
    )
    services.record_result(notice=notice, result=result, now=NOW, worker="host-a:1")
    assert the_notice().status == NoticeStatus.SENT


def test_sigterm_stops_the_worker_after_the_message_in_hand(cast: Cast, gateway: Gateway) -> None:
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    before = signal.getsignal(signal.SIGTERM)
    out = StringIO()
    timer.start()
    try:
        call_command("run_notices", "--poll", "0.05", stdout=out)
    finally:
        timer.cancel()
    assert "notice worker stopped" in out.getvalue()
    assert signal.getsignal(signal.SIGTERM) == before  # the handler is given back
    assert the_notice().status == NoticeStatus.SENT and len(gateway.received) == 1


def test_run_notices_once(cast: Cast, gateway: Gateway) -> None:
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    out = StringIO()
    call_command("run_notices", "--once", stdout=out)
    assert "sent=1" in out.getvalue()
    assert len(gateway.received) == 1


def test_ascii_text_keeps_case_and_punctuation() -> None:
    assert ascii_text("Đặng Thị Ánh (lớp 3A): vắng!") == "Dang Thi Anh (lop 3A): vang!"


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_claim_the_same_notice(cast: Cast) -> None:
    """PostgreSQL: FOR UPDATE SKIP LOCKED hands each due notice to exactly one worker."""
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises claims with IMMEDIATE transactions (one writer)")
    from dentruong.notices.models import NoticeKind

    for i in range(12):
        Notice.objects.create(
            kind=NoticeKind.REMINDER,
            day=NOW.date(),
            session="am" if i % 2 else "pm",
            recipient=cast.teacher if i < 2 else make_teacher(i),
            channel="sms",
            address="+84987654321",
            text="x",
            created_at=NOW,
            next_attempt_at=NOW,
        )
    claimed: dict[str, list[int]] = {"a": [], "b": []}

    def work(name: str) -> None:
        try:
            while (notice := services.claim_next(now=NOW, worker=name)) is not None:
                claimed[name].append(notice.pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    both = claimed["a"] + claimed["b"]
    assert sorted(both) == sorted(Notice.objects.values_list("pk", flat=True))
    assert len(set(both)) == 12


def make_teacher(i: int) -> object:
    from tests.cast import make_user

    return make_user(f"teacher{i}", f"Giáo viên {i}")
