"""Roll-call reminders: at ROLL_CALL_REMINDER_TIME the worker queues one per homeroom
teacher whose class has not taken the morning roll call (not to one whose class has),
sends it to the teacher's phone (or e-mail), once per teacher, day and session."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from dentruong.accounts.models import User
from dentruong.notices.models import Notice, NoticeKind, NoticeStatus
from dentruong.notices.services import VN_TZ
from dentruong.notices.worker import Worker
from tests.cast import Cast, make_user

from .conftest import Gateway, Mailbox, roll, run_worker

pytestmark = pytest.mark.usefixtures("clock", "channels")


def at(clock: time_machine.Coordinates, hh: int, mm: int) -> None:
    clock.move_to(dt.datetime(2027, 3, 17, hh, mm, tzinfo=VN_TZ))


def teachers(cast: Cast) -> tuple[User, User]:
    """Tâm (3A) with a phone; Hùng, now homeroom teacher of 4A, with an e-mail only."""
    tam = cast.teacher
    tam.phone = "0987 654 321"
    tam.save()
    hung = make_user("hung", "Lò Văn Hùng")
    hung.email = "hung@example.vn"
    hung.save()
    cast.class_4a.homeroom_teacher = hung
    cast.class_4a.save()
    return tam, hung


def reminders() -> list[Notice]:
    return list(Notice.objects.filter(kind=NoticeKind.REMINDER).order_by("pk"))


def test_reminder_at_the_configured_time_only_to_who_has_not_taken_it(
    cast: Cast, clock: time_machine.Coordinates, gateway: Gateway, mailbox: Mailbox
) -> None:
    tam, hung = teachers(cast)
    roll(cast, {}, school_class=cast.class_4a)  # Hùng's class has taken it
    at(clock, 8, 29)
    assert run_worker().reminders == 0 and reminders() == []
    at(clock, 8, 30)
    tally = run_worker()
    assert tally.reminders == 1 and tally.sent == 1
    [notice] = reminders()
    assert (notice.recipient_id, notice.day, notice.session) == (tam.pk, dt.date(2027, 3, 17), "am")
    assert (notice.channel, notice.address, notice.status) == ("sms", "+84987654321", "sent")
    [request] = gateway.to("/sms")
    assert request.body["to"] == "+84987654321"
    assert request.body["text"] == (
        "Den Truong: buoi sang 17/03/2027 chua diem danh: lop 3A, Truong Tieu hoc Bat Xat."
    )
    assert mailbox.messages == []  # Hùng took the roll call: no reminder


def test_once_per_teacher_day_and_session(
    cast: Cast, clock: time_machine.Coordinates, gateway: Gateway
) -> None:
    teachers(cast)
    at(clock, 8, 31)
    worker = Worker()
    worker.run_once()
    worker.run_once()
    run_worker()  # a restarted worker
    out = StringIO()
    call_command("remind_roll_call", stdout=out)  # and cron
    assert len(reminders()) == 2  # Tâm (3A) and Hùng (4A), once each
    assert len(gateway.to("/sms")) == 1
    assert "Reminders queued" in out.getvalue() or "nhắc" in out.getvalue()


def test_reminder_by_email_when_no_phone(
    cast: Cast, clock: time_machine.Coordinates, mailbox: Mailbox
) -> None:
    teachers(cast)
    roll(cast, {})  # 3A has taken it: only Hùng (4A) is reminded
    at(clock, 9, 0)
    assert run_worker().sent == 1
    [message] = mailbox.messages
    assert mailbox.envelopes[0][1] == ["hung@example.vn"]
    assert message["Subject"].strip() == "Nhắc điểm danh ngày 17/03/2027"
    assert "lớp 4A, Trường Tiểu học Bát Xát" in message.get_content()


def test_a_teacher_without_phone_or_email_is_recorded_as_not_sent(
    cast: Cast, clock: time_machine.Coordinates
) -> None:
    at(clock, 8, 45)
    run_worker()
    [notice] = reminders()  # Tâm has neither
    assert (notice.status, notice.last_error) == (NoticeStatus.SKIPPED, "no phone or e-mail")


def test_no_reminder_on_a_day_without_school(cast: Cast, clock: time_machine.Coordinates) -> None:
    teachers(cast)
    clock.move_to(dt.datetime(2027, 3, 14, 9, 0, tzinfo=VN_TZ))  # a Sunday
    assert run_worker().reminders == 0


def test_remind_roll_call_dry_run_queues_nothing(
    cast: Cast, clock: time_machine.Coordinates
) -> None:
    teachers(cast)
    at(clock, 8, 40)
    out = StringIO()
    call_command("remind_roll_call", "--dry-run", stdout=out)
    assert "Vàng Thị Tâm" in out.getvalue()
    assert reminders() == []
    call_command("remind_roll_call", "--session", "pm", stdout=StringIO())
    assert {n.session for n in reminders()} == {"pm"}
