"""Report schedules, frozen submissions and deadline alerts (decision 0009).

- `ReportSchedule`: which report (a key of `definitions.REGISTRY`), from which units
  (every unit of `reporter_kind` inside `unit`: every school of a commune), by when
  (a `deadlines.Rule`: weekly, every two weeks, monthly, or fixed dates), the on-time
  cut-off (the deadline itself, to the minute) and a lock (`lock_after_minutes` past the
  deadline, none = never). `parent`: the level above's schedule this one feeds (a
  school's deadline comes before its commune's; checked when created).
- `Submission`: one version of one unit's report for one deadline, frozen: the figures
  as JSON with the definition's version, the leader's assessment and proposals. A
  resubmission is a new row (version + 1) with a reason; nothing is ever updated.
- `DeadlineAlert`: a reminder before a deadline or a notice after it, once per
  schedule, deadline, unit and kind (a unique constraint); the message itself is a
  `notices.Notice`.

Rows are written only by `dentruong.reports.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dentruong.reports import deadlines


class Recurrence(models.TextChoices):
    WEEKLY = "weekly", _("Every week")
    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY = "monthly", _("Every month")
    FIXED = "fixed", _("On fixed dates")


class ReporterKind(models.TextChoices):
    SCHOOL = "school", _("Schools")
    COMMUNE = "commune", _("Communes")


class ReportSchedule(models.Model):
    name = models.CharField(_("name"), max_length=200)
    report = models.CharField(_("report"), max_length=40)
    unit = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.PROTECT, related_name="report_schedules"
    )
    reporter_kind = models.CharField(
        _("reporting units"), max_length=10, choices=ReporterKind.choices
    )
    recurrence = models.CharField(_("recurrence"), max_length=10, choices=Recurrence.choices)
    weekday = models.PositiveSmallIntegerField(_("weekday"), null=True, blank=True)
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), null=True, blank=True)
    due_time = models.TimeField(_("due time"))
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    fixed_dates = models.JSONField(_("fixed dates"), default=list, blank=True)
    lock_after_minutes = models.PositiveIntegerField(_("locked after (minutes)"), null=True)
    remind_before_minutes = models.PositiveIntegerField(_("reminder before (minutes)"), default=120)
    skip_breaks = models.BooleanField(_("no deadline during Tết and holidays"), default=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        constraints = [
            models.CheckConstraint(
                condition=Q(recurrence__in=["weekly", "biweekly", "monthly", "fixed"]),
                name="schedule_recurrence",
            ),
            models.CheckConstraint(
                condition=~Q(recurrence__in=["weekly", "biweekly"])
                | Q(weekday__isnull=False, weekday__lte=6),
                name="schedule_weekly_has_weekday",
            ),
            models.CheckConstraint(
                condition=~Q(recurrence="monthly") | Q(day_of_month__gte=1, day_of_month__lte=31),
                name="schedule_monthly_has_day",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="schedule_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def rule(self, breaks: tuple[tuple[object, object], ...] = ()) -> deadlines.Rule:
        import datetime as dt

        return deadlines.Rule(
            recurrence=self.recurrence,
            time=self.due_time,
            start=self.start_date,
            end=self.end_date,
            weekday=self.weekday,
            day_of_month=self.day_of_month,
            fixed=tuple(dt.datetime.fromisoformat(x) for x in self.fixed_dates),
            breaks=breaks if self.skip_breaks else (),  # type: ignore[arg-type]
        )


class SubmissionStatus(models.TextChoices):
    ON_TIME = "on_time", _("On time")
    LATE = "late", _("Late")


class Submission(models.Model):
    schedule = models.ForeignKey(
        ReportSchedule, on_delete=models.PROTECT, related_name="submissions"
    )
    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(_("deadline"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    version = models.PositiveSmallIntegerField(_("version"))
    report = models.CharField(max_length=40)
    definition_version = models.PositiveSmallIntegerField()
    figures = models.JSONField()
    assessment = models.TextField(_("assessment (đánh giá)"), blank=True)
    proposals = models.TextField(_("proposals (kiến nghị)"), blank=True)
    reason = models.CharField(_("reason for resubmitting"), max_length=500, blank=True)
    status = models.CharField(max_length=7, choices=SubmissionStatus.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    number = models.CharField(_("document number"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("report submission")
        verbose_name_plural = _("report submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "unit", "due_at", "version"], name="submission_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(reason=""), name="resubmission_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["on_time", "late"]), name="submission_status"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="submission_period"
            ),
        ]
        indexes = [models.Index(fields=["schedule", "due_at"], name="submission_due")]

    def __str__(self) -> str:
        return f"{self.report} {self.unit_id} {self.due_at:%Y-%m-%d %H:%M} v{self.version}"


class AlertKind(models.TextChoices):
    REMINDER = "reminder", _("Reminder before the deadline")
    OVERDUE = "overdue", _("Deadline passed")


class DeadlineAlert(models.Model):
    schedule = models.ForeignKey(ReportSchedule, on_delete=models.CASCADE, related_name="alerts")
    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField()
    kind = models.CharField(max_length=8, choices=AlertKind.choices)
    created_at = models.DateTimeField()
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "due_at", "unit", "kind"], name="alert_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.schedule_id} {self.unit_id} {self.due_at}"
