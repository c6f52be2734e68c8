"""Who is in which class, when. A status changes only through `services`, which writes
an `EnrollmentEvent` in the same transaction (the event is the history; `Enrollment`
is the current state, kept for fast roster queries)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dentruong.enrollment.codes import (
    Destination,
    DropoutReason,
    EventKind,
    Period,
    TransferStatus,
    Whereabouts,
)
from dentruong.enrollment.periods import status_code

__all__ = [
    "Enrollment",
    "EnrollmentEvent",
    "EnrollmentQuerySet",
    "EventKind",
    "GraduateDestination",
    "Transfer",
]


class EnrollmentQuerySet(models.QuerySet["Enrollment"]):
    def on(self, day: dt.date) -> EnrollmentQuerySet:
        """Enrollments in force on `day` (start inclusive, end exclusive)."""
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gt=day), start_date__lte=day)

    def current(self) -> EnrollmentQuerySet:
        return self.filter(end_date__isnull=True)


class Enrollment(models.Model):
    student = models.ForeignKey(
        "people.Student", on_delete=models.CASCADE, related_name="enrollments"
    )
    school_class = models.ForeignKey(
        "orgs.SchoolClass", on_delete=models.PROTECT, related_name="enrollments"
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text=_("First day no longer enrolled"))

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            models.UniqueConstraint(
                fields=["student"], condition=Q(end_date__isnull=True), name="one_open_enrollment"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=F("start_date")),
                name="enrollment_dates_in_order",
            ),
        ]
        indexes = [
            models.Index(fields=["school_class", "end_date"], name="enrollment_class_open"),
            # Enrolments that begin or end inside a range (a term report's few students
            # not there for the whole term: attendance.selectors).
            models.Index(fields=["start_date"], name="enrollment_start"),
            models.Index(
                fields=["end_date"], condition=Q(end_date__isnull=False), name="enrollment_end"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.student_id} → {self.school_class_id} ({self.start_date}–{self.end_date or ''})"
        )


class EnrollmentEvent(models.Model):
    """One change of a student's enrolment, written by `services` in the same transaction
    as the `Enrollment` change it explains.

    `school_class` is the class entered (opening kinds) or left (closing kinds);
    `from_class` is the class an opening event closed (a class change, a repeat, a move
    to another school through `enroll_student`), so that each class's head count can be
    reconciled from its events (`selectors.headcount_check`).
    """

    student = models.ForeignKey("people.Student", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    date = models.DateField()
    school_class = models.ForeignKey(
        "orgs.SchoolClass", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_class = models.ForeignKey(
        "orgs.SchoolClass", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # db_default: rows written raw (the demo builder's COPY) get them too.
    period = models.CharField(
        max_length=6, choices=Period.choices, blank=True, default="", db_default=""
    )
    after_tet = models.BooleanField(default=False, db_default=False)
    reason_code = models.CharField(
        _("reason for leaving"),
        max_length=2,
        choices=DropoutReason.choices,
        blank=True,
        default="",
        db_default="",
    )
    reason = models.CharField(max_length=255, blank=True)
    whereabouts = models.CharField(
        _("where the student went"),
        max_length=2,
        choices=Whereabouts.choices,
        blank=True,
        default="",
        db_default="",
    )
    other_school_name = models.CharField(
        _("school outside the system"), max_length=200, blank=True, default="", db_default=""
    )
    eligible_to_continue = models.BooleanField(null=True, blank=True)
    eligibility_note = models.CharField(max_length=255, blank=True, default="", db_default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("enrollment event")
        verbose_name_plural = _("enrollment events")
        indexes = [
            models.Index(fields=["school_class", "date"], name="event_class_date"),
            models.Index(fields=["from_class", "date"], name="event_from_class_date"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="event_kind_valid"),
            models.CheckConstraint(
                condition=Q(reason_code="") | Q(reason_code__in=DropoutReason.values),
                name="event_reason_code_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EventKind.DROPPED_OUT) | ~Q(reason_code=""),
                name="event_dropout_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EventKind.LEFT_LOCALITY) | Q(whereabouts__in=Whereabouts.values),
                name="event_left_locality_has_whereabouts",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EventKind.RETURNED) | Q(eligible_to_continue__isnull=False),
                name="event_return_has_eligibility",
            ),
            models.CheckConstraint(
                condition=Q(period="") | Q(period__in=Period.values), name="event_period_valid"
            ),
            models.CheckConstraint(
                condition=Q(after_tet=False) | Q(period=Period.TERM2),
                name="event_after_tet_in_term2",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.kind} ({self.student_id})"

    @property
    def status_code(self) -> str | None:
        return status_code(self.kind, self.period)


class Transfer(models.Model):
    """A move between two schools of the system: the sending school records it (a
    'transferred_out' event closes the enrolment), the receiving school confirms the
    arrival (a 'transferred_in' event opens one in its class) or declines it.

    While pending, the student is in transit: the sending school still holds them
    (`Student.school`), the receiving school sees them waiting. One pending transfer per
    student (a constraint). Pending longer than `settings.TRANSFER_CONFIRM_DAYS`: "lost
    between schools" for the units of both ends (`selectors.lost_transfers`).
    """

    student = models.ForeignKey(
        "people.Student", on_delete=models.CASCADE, related_name="transfers"
    )
    from_school = models.ForeignKey(
        "orgs.School", on_delete=models.PROTECT, related_name="transfers_out"
    )
    from_class = models.ForeignKey("orgs.SchoolClass", on_delete=models.PROTECT, related_name="+")
    to_school = models.ForeignKey(
        "orgs.School", on_delete=models.PROTECT, related_name="transfers_in"
    )
    date = models.DateField(help_text=_("First day no longer at the sending school"))
    status = models.CharField(
        max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING
    )
    out_event = models.OneToOneField(
        EnrollmentEvent, on_delete=models.PROTECT, related_name="transfer_out"
    )
    in_event = models.OneToOneField(
        EnrollmentEvent,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfer_in",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        indexes = [
            models.Index(fields=["status", "date"], name="transfer_status_date"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=Q(status=TransferStatus.PENDING),
                name="one_pending_transfer",
            ),
            models.CheckConstraint(
                condition=~Q(from_school=F("to_school")), name="transfer_between_two_schools"
            ),
            models.CheckConstraint(
                condition=Q(status__in=TransferStatus.values), name="transfer_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=TransferStatus.PENDING, decided_at__isnull=True)
                | (~Q(status=TransferStatus.PENDING) & Q(decided_at__isnull=False)),
                name="transfer_decided_when_not_pending",
            ),
            models.CheckConstraint(
                condition=~Q(status=TransferStatus.CONFIRMED) | Q(in_event__isnull=False),
                name="transfer_confirmed_has_arrival",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student_id}: {self.from_school_id} → {self.to_school_id} ({self.status})"


class GraduateDestination(models.Model):
    """Where a lower-secondary graduate went (one row per 'completed' event of grade 9)."""

    event = models.OneToOneField(
        EnrollmentEvent, on_delete=models.CASCADE, related_name="destination"
    )
    student = models.ForeignKey(
        "people.Student", on_delete=models.CASCADE, related_name="destinations"
    )
    destination = models.CharField(max_length=16, choices=Destination.choices)
    note = models.CharField(max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("graduate destination")
        verbose_name_plural = _("graduate destinations")
        constraints = [
            models.CheckConstraint(
                condition=Q(destination__in=Destination.values), name="destination_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.student_id}: {self.destination}"
