"""Writes of notices: consents, the outbox, the worker's claims and outcomes.

Delivery guarantee (docs/decisions/0007): **at most once**. A worker claims one notice
at a time (status "sending", an attempt row) in a short transaction, sends outside any
transaction, then records the outcome. A retryable failure puts the notice back in the
queue with a back-off; a notice left "sending" by a worker that died is never sent again:
after NOTICE_SENDING_TIMEOUT_MINUTES it becomes "delivery unknown", which the teacher sees.
SMS gateways mostly cannot deduplicate, and two identical texts to a parent about the same
absence do more harm than one the teacher is told may not have arrived.

Same day only: a roll call entered for an earlier date queues nothing (the parent would
learn of it days late), and a notice still queued when its day ends is given up.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Collection
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dentruong.accounts.models import User
from dentruong.attendance.models import RollCall
from dentruong.lib import vntext
from dentruong.lib.phone import InvalidPhone, normalize_phone
from dentruong.notices import texts
from dentruong.notices.adapters import SendResult, configured_channels
from dentruong.notices.models import (
    Channel,
    ConsentScope,
    Notice,
    NoticeAttempt,
    NoticeConsent,
    NoticeKind,
    NoticeStatus,
)
from dentruong.orgs.models import SchoolClass
from dentruong.people.models import Guardian, Student

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ADDRESS_MAX = 254
EVIDENCE_MAX = 200
NOT_CONFIGURED = "channel not configured"


def local_today(now: dt.datetime | None = None) -> dt.date:
    return timezone.localtime(now or timezone.now(), VN_TZ).date()


class NoticeError(Exception):
    """A consent was refused; nothing was written. `code` is machine-readable, `message`
    translated, `field` the input at fault."""

    def __init__(self, code: str, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


# --- consents ----------------------------------------------------------------------------


def clean_address(channel: str, raw: str) -> str:
    """The address in its stored form, or NoticeError('invalid_address')."""
    text = vntext.clean(raw)
    if channel == Channel.SMS:
        try:
            return normalize_phone(text)
        except InvalidPhone:
            raise NoticeError(
                "invalid_address",
                _("“%(value)s” is not a Vietnamese phone number.") % {"value": text[:40]},
                "address",
            ) from None
    if channel == Channel.ZALO:
        if not text.isdigit() or len(text) > 40:
            raise NoticeError(
                "invalid_address",
                _("A Zalo user id is a number given by the school's Zalo Official Account."),
                "address",
            )
        return text
    if channel == Channel.EMAIL:
        try:
            validate_email(text)
        except ValidationError:
            raise NoticeError(
                "invalid_address",
                _("“%(value)s” is not an e-mail address.") % {"value": text[:60]},
                "address",
            ) from None
        return text[:ADDRESS_MAX]
    raise NoticeError(
        "invalid_channel",
        _("“%(value)s” is not a channel: use sms, zalo or email.") % {"value": channel[:20]},
        "channel",
    )


@transaction.atomic
def record_consent(
    *,
    guardian: Guardian,
    channel: str,
    address: str,
    by: User,
    evidence: str = "",
    scope: str = ConsentScope.ABSENCE,
) -> NoticeConsent:
    """Record that `guardian` agreed to the notices of `scope` on `channel` at `address`.
    An active consent on that channel must be withdrawn first (NoticeError
    'already_consented'); the database constraint decides, not a prior check."""
    stored = clean_address(channel, address)
    if scope not in ConsentScope.values:
        raise NoticeError(
            "invalid_scope",
            _("“%(value)s” is not a consent scope: use absence or all.") % {"value": scope[:20]},
            "scope",
        )
    evidence = vntext.clean(evidence)
    if len(evidence) > EVIDENCE_MAX:
        raise NoticeError(
            "evidence_too_long",
            _("At most %(max)d characters.") % {"max": EVIDENCE_MAX},
            "evidence",
        )
    try:
        with transaction.atomic():
            return NoticeConsent.objects.create(
                guardian=guardian,
                channel=channel,
                address=stored,
                scope=scope,
                evidence=evidence,
                recorded_by=by,
                recorded_at=timezone.now(),
            )
    except IntegrityError:
        raise NoticeError(
            "already_consented",
            _("This guardian already has an active consent on this channel: withdraw it first."),
            "channel",
        ) from None


@transaction.atomic
def withdraw_consent(*, consent: NoticeConsent, by: User) -> NoticeConsent:
    """Withdraw an active consent (the row stays, with who and when). Notices still
    queued on it are cancelled. Withdrawing twice: NoticeError('already_withdrawn')."""
    now = timezone.now()
    changed = NoticeConsent.objects.filter(pk=consent.pk, withdrawn_at__isnull=True).update(
        withdrawn_at=now, withdrawn_by=by
    )
    if not changed:
        raise NoticeError("already_withdrawn", _("This consent was already withdrawn."))
    Notice.objects.filter(consent=consent, status=NoticeStatus.QUEUED).update(
        status=NoticeStatus.CANCELLED, last_error="consent withdrawn"
    )
    consent.refresh_from_db()
    return consent


# --- the outbox: absences ----------------------------------------------------------------


def _channel_rank(channel: str, configured: set[str]) -> tuple[int, int]:
    order = [c.strip() for c in settings.NOTICE_CHANNEL_ORDER]
    position = order.index(channel) if channel in order else len(order)
    return (0 if channel in configured else 1, position)


def _teacher_phone(user: User | None) -> str:
    if user is None or not user.phone:
        return ""
    try:
        return "0" + normalize_phone(user.phone).removeprefix("+84")
    except InvalidPhone:
        return ""


def queue_absence_notices(*, roll_call: RollCall, students: Collection[int]) -> int:
    """Queue a same-day notice to the guardian of each of `students` (those marked K at
    `roll_call`) who has an active consent; return how many were queued.

    Called by the roll call services inside the transaction that writes the marks. At
    most one absence notice per student per day (the unique constraint; a second K that
    day, in the afternoon or in a correction, finds it there). Notices of this roll call
    not sent yet for students no longer marked K are cancelled; a cancelled one comes
    back if the student is marked K again the same day. A roll call of an earlier day
    queues nothing and costs no query (its day's notices are over: `sweep`).
    """
    now = timezone.now()
    if roll_call.date != local_today(now):
        return 0
    with transaction.atomic():
        return _queue_absences(roll_call, set(students), now)


def _queue_absences(roll_call: RollCall, marked: set[int], now: dt.datetime) -> int:
    Notice.objects.filter(
        kind=NoticeKind.ABSENCE, roll_call=roll_call, status=NoticeStatus.QUEUED
    ).exclude(student_id__in=marked).update(
        status=NoticeStatus.CANCELLED, last_error="absence corrected"
    )
    if not marked:
        return 0
    existing = dict(
        Notice.objects.filter(
            kind=NoticeKind.ABSENCE, day=roll_call.date, student_id__in=marked
        ).values_list("student_id", "status")
    )
    wanted = {
        s for s in marked if existing.get(s, NoticeStatus.CANCELLED) == NoticeStatus.CANCELLED
    }
    if not wanted:
        return 0
    kids = list(
        Student.objects.filter(pk__in=wanted, household__isnull=False).only(
            "pk", "family_and_middle_name", "given_name", "household_id"
        )
    )
    if not kids:
        return 0
    configured = configured_channels()
    best: dict[int, NoticeConsent] = {}
    for consent in NoticeConsent.objects.filter(
        withdrawn_at__isnull=True,
        scope__in=ConsentScope.covering(NoticeKind.ABSENCE),
        guardian__household_id__in={k.household_id for k in kids},
    ).select_related("guardian"):
        household = consent.guardian.household_id
        key = (_channel_rank(consent.channel, configured), consent.guardian_id, consent.pk)
        current = best.get(household)
        if current is None or key < (
            _channel_rank(current.channel, configured),
            current.guardian_id,
            current.pk,
        ):
            best[household] = consent
    pairs = [(k, best[k.household_id]) for k in kids if k.household_id in best]
    if not pairs:
        return 0
    school_class = SchoolClass.objects.select_related("school", "homeroom_teacher").get(
        pk=roll_call.school_class_id
    )
    teacher = school_class.homeroom_teacher
    fresh: list[Notice] = []
    for kid, consent in pairs:
        message = texts.absence_message(
            school=school_class.school.name,
            student=kid.full_name,
            class_name=school_class.name,
            session=roll_call.session,
            day=roll_call.date,
            teacher=str(teacher) if teacher else "",
            teacher_phone=_teacher_phone(teacher),
        )
        values = {
            "session": roll_call.session,
            "school_class_id": school_class.pk,
            "roll_call": roll_call,
            "consent": consent,
            "channel": consent.channel,
            "address": consent.address,
            "subject": message.subject,
            "text": message.text,
            "status": NoticeStatus.QUEUED,
            "next_attempt_at": now,
            "last_error": "",
        }
        if kid.pk in existing:  # cancelled earlier today: marked K again
            Notice.objects.filter(
                kind=NoticeKind.ABSENCE,
                student_id=kid.pk,
                day=roll_call.date,
                status=NoticeStatus.CANCELLED,
            ).update(**values)
        else:
            fresh.append(
                Notice(
                    kind=NoticeKind.ABSENCE,
                    day=roll_call.date,
                    student_id=kid.pk,
                    created_at=now,
                    **values,
                )
            )
    # A concurrent roll call of the same student and day (the other session) may have
    # inserted its notice meanwhile: the constraint keeps one, this insert skips.
    Notice.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(pairs)


# --- the outbox: reminders to teachers ---------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    teacher_id: int
    teacher_name: str
    classes: tuple[tuple[str, str], ...]  # (school name, class name)
    channel: str
    address: str


def _reminder_address(user: User, configured: set[str]) -> tuple[str, str]:
    phone = ""
    if user.phone:
        try:
            phone = normalize_phone(user.phone)
        except InvalidPhone:
            phone = ""
    options = [(Channel.SMS, phone), (Channel.EMAIL, user.email)]
    for channel, address in options:
        if address and channel in configured:
            return channel, address
    for channel, address in options:
        if address:
            return channel, address
    return "", ""


def queue_roll_call_reminders(*, day: dt.date, session: str, path: str = "") -> list[Reminder]:
    """Queue a reminder to each homeroom teacher whose class (inside `path`) holds
    `session` on `day` and has not taken its roll call; at most one per teacher per day
    and session (the unique constraint: running this again queues nothing new). Returns
    the teachers reminded by this call or earlier ones."""
    from dentruong.attendance.selectors import roll_call_completeness

    gaps = roll_call_completeness(path, day=day, session=session).classes
    by_teacher: dict[int, list[tuple[str, str]]] = {}
    for gap in gaps:
        if gap.session_missing and gap.info.teacher_id:
            by_teacher.setdefault(gap.info.teacher_id, []).append(
                (gap.info.school_name, gap.info.name)
            )
    if not by_teacher:
        return []
    configured = configured_channels()
    now = timezone.now()
    reminders: list[Reminder] = []
    notices: list[Notice] = []
    for user in User.objects.filter(pk__in=by_teacher).order_by("pk"):
        classes = tuple(sorted(by_teacher[user.pk]))
        channel, address = _reminder_address(user, configured)
        message = texts.reminder_message(classes=classes, session=session, day=day)
        reminders.append(Reminder(user.pk, str(user), classes, channel, address))
        notices.append(
            Notice(
                kind=NoticeKind.REMINDER,
                day=day,
                session=session,
                recipient=user,
                channel=channel,
                address=address,
                subject=message.subject,
                text=message.text,
                status=NoticeStatus.QUEUED if channel else NoticeStatus.SKIPPED,
                last_error="" if channel else "no phone or e-mail",
                created_at=now,
                next_attempt_at=now,
            )
        )
    with transaction.atomic():
        Notice.objects.bulk_create(notices, ignore_conflicts=True)
    return reminders


# --- the worker's writes -----------------------------------------------------------------


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the `attempts`-th failure: 1, 2, 4, 8 … minutes, capped."""
    base = max(1, settings.NOTICE_RETRY_MINUTES)
    minutes = min(base * 2 ** max(0, attempts - 1), settings.NOTICE_RETRY_CAP_MINUTES)
    return dt.timedelta(minutes=minutes)


def sweep(*, now: dt.datetime) -> tuple[int, int]:
    """Give up notices still queued whose day is over; mark "delivery unknown" the ones a
    worker claimed more than NOTICE_SENDING_TIMEOUT_MINUTES ago and never finished (it
    died mid-send: they are not sent again). Returns (expired, interrupted).

    Reads first: a pass with nothing to sweep opens no write transaction (SQLite's lock)."""
    today = local_today(now)
    stale = now - dt.timedelta(minutes=settings.NOTICE_SENDING_TIMEOUT_MINUTES)
    old = Notice.objects.filter(status=NoticeStatus.QUEUED, day__lt=today)
    stuck = Notice.objects.filter(status=NoticeStatus.SENDING, claimed_at__lt=stale)
    expired_ids = list(old.values_list("pk", flat=True))
    stuck_ids = list(stuck.values_list("pk", flat=True))
    if not expired_ids and not stuck_ids:
        return 0, 0
    with transaction.atomic():
        expired = old.filter(pk__in=expired_ids).update(
            status=NoticeStatus.GAVE_UP, last_error="the day is over"
        )
        interrupted = stuck.filter(pk__in=stuck_ids).update(
            status=NoticeStatus.UNKNOWN,
            last_error="interrupted while sending: delivery unknown, not sent again",
        )
        NoticeAttempt.objects.filter(
            notice_id__in=stuck_ids, outcome=NoticeAttempt.Outcome.SENDING
        ).update(outcome=NoticeAttempt.Outcome.INTERRUPTED, finished_at=now)
    return expired, interrupted


def claim_next(*, now: dt.datetime, worker: str) -> Notice | None:
    """Claim the next due notice for `worker` in one short transaction: status
    "sending", one more attempt, an attempt row. None when nothing is due.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so that several workers never take the same row
    and never wait for each other. SQLite: the IMMEDIATE transaction serialises claims.
    """
    due = Notice.objects.filter(status=NoticeStatus.QUEUED, next_attempt_at__lte=now)
    if not due.exists():  # the usual pass: a read, no write transaction
        return None
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        notice = due.order_by("next_attempt_at", "pk").first()
        if notice is None:
            return None
        notice.status = NoticeStatus.SENDING
        notice.attempts += 1
        notice.claimed_at = now
        notice.claimed_by = worker
        notice.save(update_fields=["status", "attempts", "claimed_at", "claimed_by"])
        NoticeAttempt.objects.create(
            notice=notice, number=notice.attempts, worker=worker, started_at=now
        )
    return notice


@transaction.atomic
def record_result(*, notice: Notice, result: SendResult, now: dt.datetime, worker: str) -> str:
    """Record what sending `notice` gave; returns its new status. A notice that a sweep
    marked "delivery unknown" meanwhile (this worker was slow) still gets the truth."""
    if result.ok:
        status, outcome = NoticeStatus.SENT, NoticeAttempt.Outcome.SENT
    elif result.unsure:
        status, outcome = NoticeStatus.UNKNOWN, NoticeAttempt.Outcome.INTERRUPTED
    elif not result.retryable:
        status, outcome = NoticeStatus.FAILED, NoticeAttempt.Outcome.FAILED
    elif notice.attempts >= settings.NOTICE_MAX_ATTEMPTS or notice.day < local_today(now):
        status, outcome = NoticeStatus.GAVE_UP, NoticeAttempt.Outcome.FAILED
    else:
        status, outcome = NoticeStatus.QUEUED, NoticeAttempt.Outcome.RETRY
    changes: dict[str, object] = {"status": status, "last_error": result.error}
    if result.ok:
        changes |= {"sent_at": now, "provider_id": result.provider_id}
    if status == NoticeStatus.QUEUED:
        changes["next_attempt_at"] = now + backoff(notice.attempts)
    Notice.objects.filter(
        pk=notice.pk,
        claimed_by=worker,
        status__in=[NoticeStatus.SENDING, NoticeStatus.UNKNOWN],
    ).update(**changes)
    NoticeAttempt.objects.filter(notice=notice, number=notice.attempts).update(
        finished_at=now, outcome=outcome, error=result.error, provider_id=result.provider_id
    )
    return status


@transaction.atomic
def skip(*, notice: Notice, reason: str, now: dt.datetime, worker: str) -> None:
    """Nothing was sent and nothing will be: the channel is not configured (the claim
    and its attempt are undone: no try was made)."""
    Notice.objects.filter(pk=notice.pk, claimed_by=worker).update(
        status=NoticeStatus.SKIPPED,
        attempts=max(0, notice.attempts - 1),
        last_error=reason[:300],
    )
    NoticeAttempt.objects.filter(notice=notice, number=notice.attempts).delete()


# --- the outbox: a homeroom teacher's digest of risk rises (decision 0008) ---------------


def queue_risk_digests(*, day: dt.date, messages: dict[int, texts.Message]) -> dict[int, Notice]:
    """Queue one "risk rose" digest per teacher (user id → message) for `day`, by SMS or
    e-mail as reminders go. At most one per teacher and day (the reminder constraint,
    session "am"): a teacher who already has one that day gets none from this call.
    Returns the notices inserted, by teacher id."""
    if not messages:
        return {}
    configured = configured_channels()
    now = timezone.now()
    notices: dict[int, Notice] = {}
    for user in User.objects.filter(pk__in=messages).order_by("pk"):
        channel, address = _reminder_address(user, configured)
        message = messages[user.pk]
        notices[user.pk] = Notice(
            kind=NoticeKind.RISK,
            day=day,
            session="am",
            recipient=user,
            channel=channel,
            address=address,
            subject=message.subject,
            text=message.text,
            status=NoticeStatus.QUEUED if channel else NoticeStatus.SKIPPED,
            last_error="" if channel else "no phone or e-mail",
            created_at=now,
            next_attempt_at=now,
        )
    with transaction.atomic():
        # The constraint decides: a digest already there for the teacher keeps its place.
        Notice.objects.bulk_create(list(notices.values()), ignore_conflicts=True)
        fresh = Notice.objects.filter(
            kind=NoticeKind.RISK, day=day, recipient_id__in=notices, created_at=now
        )
        return {n.recipient_id: n for n in fresh if n.recipient_id is not None}
