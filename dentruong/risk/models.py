"""Early warning of dropout (decision 0008): the teacher's flags, the assessments with
their history, the learned models with their cards.

Rows are written only by `dentruong.risk.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dentruong.risk.indicators import (
    FLAG_ACADEMIC,
    FLAG_EARLY_MARRIAGE,
    FLAG_FAMILY_MOVING,
    FLAG_WORKING,
)
from dentruong.risk.rules import HIGH, LOW, MEDIUM


class Level(models.TextChoices):
    LOW = LOW, _("Low")
    MEDIUM = MEDIUM, _("Medium")
    HIGH = HIGH, _("High")


class FlagKind(models.TextChoices):
    """The teacher's own reason codes (where no results are recorded, the teacher's word
    on learning difficulty stands in for course performance)."""

    ACADEMIC = FLAG_ACADEMIC, _("Learning difficulties")
    EARLY_MARRIAGE = FLAG_EARLY_MARRIAGE, _("Risk of early marriage")
    WORKING = FLAG_WORKING, _("Working away")
    FAMILY_MOVING = FLAG_FAMILY_MOVING, _("Family may move away")


class TeacherFlag(models.Model):
    """A teacher's flag on a student, in force from `start` until cleared (the row is
    kept: clearing sets `cleared_on`). One flag of a kind in force per student."""

    student = models.ForeignKey(
        "people.Student", on_delete=models.CASCADE, related_name="risk_flags"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=FlagKind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    start = models.DateField(_("from"))
    cleared_on = models.DateField(_("cleared on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("teacher's flag")
        verbose_name_plural = _("teacher's flags")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "kind"],
                condition=Q(cleared_on__isnull=True),
                name="riskflag_one_open_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["academic", "marriage", "working", "moving"]),
                name="riskflag_kind",
            ),
            models.CheckConstraint(
                condition=Q(cleared_on__isnull=True) | Q(cleared_on__gte=F("start")),
                name="riskflag_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} {self.kind} {self.start}–{self.cleared_on or ''}"


class RiskAssessment(models.Model):
    """A student's level and reasons from `date` until `valid_until` (exclusive; NULL:
    still in force). A new row only when the level or the reasons change, so that a list
    can be shown as it was on any date. A student with no row in force on a date was
    "low, no reason" that day: rows are kept only for a level above low or a reason.

    `unit_path` repeats the school's path (scope filters without joins); `school_class`
    is the class the student was in on `date`. `rose` marks a rise of level (low →
    medium/high, medium → high); `notice` is the digest that told the homeroom teacher.
    """

    student = models.ForeignKey(
        "people.Student", on_delete=models.CASCADE, related_name="risk_assessments"
    )
    date = models.DateField(_("date"))
    valid_until = models.DateField(null=True, blank=True)
    level = models.CharField(_("level"), max_length=6, choices=Level.choices)
    points = models.PositiveSmallIntegerField(default=0)
    reasons = models.JSONField(default=list)
    source = models.CharField(max_length=40, default="rules")  # "rules" or "model:<version>"
    probability = models.FloatField(null=True, blank=True)
    school_class = models.ForeignKey(
        "orgs.SchoolClass", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    unit_path = models.CharField(max_length=255)
    previous_level = models.CharField(max_length=6, choices=Level.choices, default=LOW)
    # School days not back after a break (0: none): such a student coming back changes
    # the assessment, so the incremental update reloads them (`changed_students`).
    not_back = models.PositiveSmallIntegerField(default=0)
    rose = models.BooleanField(default=False)
    notice = models.ForeignKey(
        "notices.Notice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        constraints = [
            models.UniqueConstraint(fields=["student", "date"], name="risk_one_per_student_date"),
            models.CheckConstraint(
                condition=Q(level__in=["low", "medium", "high"]), name="risk_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=F("date")),
                name="risk_dates_in_order",
            ),
        ]
        indexes = [
            # The lists: rows of a unit in force (valid_until NULL) or on a past date.
            models.Index(fields=["unit_path", "valid_until"], name="risk_unit_open"),
            models.Index(fields=["school_class", "valid_until"], name="risk_class_open"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} {self.date} {self.level}"


class RiskModel(models.Model):
    """A learned model, versioned, with its card (data, dates, metrics, groups) and the
    pickled estimator as bytes in the database (it travels with backups; a few hundred
    kilobytes). `active` for a scope (`unit_path`) only when forward validation there
    showed it beats the rules at the scope's capacity (`services.register_model`)."""

    version = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=20)  # "logreg" or "hgb"
    unit_path = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    card = models.JSONField(default=dict)
    estimator = models.BinaryField()
    beats_rules = models.BooleanField(default=False)
    active = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("risk model")
        verbose_name_plural = _("risk models")
        constraints = [
            models.UniqueConstraint(
                fields=["unit_path"], condition=Q(active=True), name="riskmodel_one_active"
            ),
            models.CheckConstraint(
                condition=Q(active=False) | Q(beats_rules=True), name="riskmodel_active_beats"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.kind}, {self.unit_path})"
