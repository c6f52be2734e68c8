"""Who is in which class, when. A status changes only through `services`, which writes
an `EnrollmentEvent` in the same transaction (the event is the history; `Enrollment`
is the current state, kept for fast roster queries)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


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
        indexes = [models.Index(fields=["school_class", "end_date"], name="enrollment_class_open")]

    def __str__(self) -> str:
        return (
            f"{self.student_id} → {self.school_class_id} ({self.start_date}–{self.end_date or ''})"
        )


class EventKind(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    TRANSFERRED_IN = "transferred_in", _("Transferred in")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")
    CLASS_CHANGED = "class_changed", _("Changed class")


class EnrollmentEvent(models.Model):
    student = models.ForeignKey("people.Student", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    date = models.DateField()
    school_class = models.ForeignKey(
        "orgs.SchoolClass", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("enrollment event")
        verbose_name_plural = _("enrollment events")

    def __str__(self) -> str:
        return f"{self.date} {self.kind} ({self.student_id})"
