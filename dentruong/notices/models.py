"""Notices to guardians and teachers: consents as rows, an outbox of messages, and the
history of every attempt to send one. Why: docs/decisions/0007-guardian-notices.md.

- `NoticeConsent`: a guardian agreed to be told, on one channel, at one address. Recording
  and withdrawing are rows with who and when; a new consent after a withdrawal is a new
  row. At most one active consent per guardian and channel (a database constraint).
- `Notice`: one message to send (the outbox). An absence notice is at most one per
  student per day (a unique constraint, not a prior check); a roll-call reminder at most
  one per teacher per day and session. `status` is where it stands now; the attempts are
  `NoticeAttempt` rows.

Rows are written only by `dentruong.notices.services`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dentruong.orgs.models import Session


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    ZALO = "zalo", _("Zalo")
    EMAIL = "email", _("E-mail")


class ConsentScope(models.TextChoices):
    """What a consent covers (Law 91/2025: consent names its purpose; vn_domain §7.3)."""

    ABSENCE = "absence", _("Absence notices")
    ALL = "all", _("All notices to the family")

    @classmethod
    def covering(cls, kind: str) -> list[str]:
        """Scopes under which a notice of `kind` may be sent to a family."""
        return [cls.ALL, kind] if kind in cls.values else [cls.ALL]


class NoticeConsent(models.Model):
    """A guardian's consent to receive notices on `channel` at `address` (a phone in
    E.164 for SMS, a Zalo user id for Zalo, an e-mail address), for the notices of
    `scope`, until withdrawn (who and when: `withdrawn_by`, `withdrawn_at`)."""

    guardian = models.ForeignKey(
        "people.Guardian",
        on_delete=models.CASCADE,
        related_name="notice_consents",
        verbose_name=_("guardian"),
    )
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    scope = models.CharField(
        _("what it covers"),
        max_length=8,
        choices=ConsentScope.choices,
        default=ConsentScope.ABSENCE,
        db_default=ConsentScope.ABSENCE,
    )
    evidence = models.CharField(
        _("how consent was given"),
        max_length=200,
        blank=True,
        help_text=_("For instance: signed form at the parents' meeting of 5/9/2026"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("notice consent")
        verbose_name_plural = _("notice consents")
        constraints = [
            models.UniqueConstraint(
                fields=["guardian", "channel"],
                condition=Q(withdrawn_at__isnull=True),
                name="consent_one_active_per_channel",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["sms", "zalo", "email"]), name="consent_channel"
            ),
            models.CheckConstraint(condition=Q(scope__in=["absence", "all"]), name="consent_scope"),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=F("recorded_at")),
                name="consent_withdrawn_after_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guardian_id} {self.channel} {self.address}"


class NoticeKind(models.TextChoices):
    ABSENCE = "absence", _("Unexcused absence")
    REMINDER = "reminder", _("Roll call reminder")
    RISK = "risk", _("Dropout risk rose")  # a digest to a homeroom teacher (decision 0008)
    DEADLINE = "deadline", _("Report deadline")  # to a unit's leader: due soon, or overdue


class NoticeStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")  # waiting for its first try, or for a retry
    SENDING = "sending", _("Sending")  # claimed by a worker
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")  # refused for good (4xx, bad address): no retry
    GAVE_UP = "gave_up", _("Gave up")  # retried too often, or its day is over
    SKIPPED = "skipped", _("Not sent")  # channel not configured, no address: never tried
    UNKNOWN = "unknown", _("Delivery unknown")  # a worker stopped while sending
    CANCELLED = "cancelled", _("Cancelled")  # the absence was corrected before sending


# Statuses after which a worker never touches the notice again.
FINAL_STATUSES = (
    NoticeStatus.SENT,
    NoticeStatus.FAILED,
    NoticeStatus.GAVE_UP,
    NoticeStatus.SKIPPED,
    NoticeStatus.UNKNOWN,
    NoticeStatus.CANCELLED,
)


class Notice(models.Model):
    """One message of the outbox.

    An absence notice names the student and the guardian (through the consent used); a
    reminder names the teacher (`recipient`); a deadline notice its leader and the report
    deadline's alert (`deadline_alert`: one notice per alert and leader). `reference` is
    this notice's own id, sent to the gateways (request id, Message-ID) so that a provider
    able to deduplicate can.
    """

    kind = models.CharField(_("kind"), max_length=8, choices=NoticeKind.choices)
    day = models.DateField(_("day"))
    # A deadline notice belongs to no session ('').
    session = models.CharField(_("session"), max_length=2, choices=Session.choices, blank=True)
    student = models.ForeignKey(
        "people.Student",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the unique constraint (kind, student, day) serves it
    )
    school_class = models.ForeignKey(
        "orgs.SchoolClass",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    roll_call = models.ForeignKey(
        "attendance.RollCall", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    consent = models.ForeignKey(
        NoticeConsent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    deadline_alert = models.ForeignKey(
        "reports.DeadlineAlert",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
        db_index=False,  # the unique constraint (deadline_alert, recipient) serves it
    )
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices, blank=True)
    address = models.CharField(_("address"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=150, blank=True)
    text = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=9, choices=NoticeStatus.choices, default=NoticeStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"))
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_id = models.CharField(_("provider message id"), max_length=100, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            # "At most one per student per day", whatever the session or the corrections.
            # Reminders have no student (NULLs never clash).
            models.UniqueConstraint(
                fields=["kind", "student", "day"], name="notice_absence_once_per_student_day"
            ),
            # Absence notices have no recipient user.
            models.UniqueConstraint(
                fields=["kind", "recipient", "day", "session"],
                condition=Q(kind__in=["reminder", "risk"]),
                name="notice_reminder_once_per_teacher_session",
            ),
            # Two reports due the same day are two notices to the same leader.
            models.UniqueConstraint(
                fields=["deadline_alert", "recipient"],
                condition=Q(deadline_alert__isnull=False),
                name="notice_deadline_once_per_leader",
            ),
            models.CheckConstraint(
                condition=(Q(kind="absence") & Q(student__isnull=False))
                | (Q(kind__in=["reminder", "risk", "deadline"]) & Q(recipient__isnull=False)),
                name="notice_kind_has_its_subject",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "queued",
                        "sending",
                        "sent",
                        "failed",
                        "gave_up",
                        "skipped",
                        "unknown",
                        "cancelled",
                    ]
                ),
                name="notice_status",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["", "sms", "zalo", "email"]), name="notice_channel"
            ),
        ]
        indexes = [
            # The worker: what is due.
            models.Index(fields=["status", "next_attempt_at"], name="notice_due"),
            # The roll call page and the API: a class's notices of a day.
            models.Index(fields=["school_class", "day"], name="notice_class_day"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.day} {self.channel} {self.status}"


class NoticeAttempt(models.Model):
    """One try to send a notice: claimed by a worker, then its outcome."""

    class Outcome(models.TextChoices):
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        RETRY = "retry", _("Failed, will retry")
        FAILED = "failed", _("Failed")
        INTERRUPTED = "interrupted", _("Interrupted")  # no answer: delivery unknown

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveSmallIntegerField()
    worker = models.CharField(max_length=100)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=11, choices=Outcome.choices, default=Outcome.SENDING)
    error = models.CharField(max_length=300, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["notice", "number"]
        verbose_name = _("notice attempt")
        verbose_name_plural = _("notice attempts")
        constraints = [
            models.UniqueConstraint(fields=["notice", "number"], name="noticeattempt_number")
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} #{self.number} {self.outcome}"
