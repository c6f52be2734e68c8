"""Mobilization (huy động): the number of students each school must mobilise per grade
and school year (`GradeTarget`, seeds/000: khối 1: 104 … toàn trường: 706), and the
review queue of the matching of the commune's register of resident children to the
student records (`MatchCandidate`: a pair the matcher was not sure of, decided by a
person — never merged silently).

Write through `dentruong.mobilization.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class GradeTarget(models.Model):
    """Chỉ tiêu huy động: students a school must have in a grade in a school year."""

    school = models.ForeignKey("orgs.School", on_delete=models.CASCADE, related_name="targets")
    school_year = models.ForeignKey(
        "orgs.SchoolYear", on_delete=models.PROTECT, related_name="targets"
    )
    grade = models.PositiveSmallIntegerField(_("grade"))
    target = models.PositiveIntegerField(_("target"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["school_year", "school", "grade"]
        verbose_name = _("mobilization target")
        verbose_name_plural = _("mobilization targets")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_year", "grade"], name="target_unique_per_grade"
            ),
            models.CheckConstraint(condition=Q(grade__lte=12), name="target_grade_range"),
            models.CheckConstraint(condition=Q(target__lte=100000), name="target_size_range"),
        ]

    def __str__(self) -> str:
        return f"{self.school_id} · {self.school_year_id} · {self.grade}: {self.target}"


class MatchStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    ACCEPTED = "accepted", _("Accepted: same child")
    REJECTED = "rejected", _("Rejected: not the same child")


class MatchCandidate(models.Model):
    """A resident child and a student record that may be the same child. Written by the
    matcher (`services.match_residents`) when it is not certain; a commune officer accepts
    (the register entry is linked to the student) or rejects it. A rejected pair is never
    proposed again (the unique constraint keeps it)."""

    child = models.ForeignKey(
        "people.ResidentChild", on_delete=models.CASCADE, related_name="match_candidates"
    )
    student = models.ForeignKey(
        "people.Student", on_delete=models.CASCADE, related_name="match_candidates"
    )
    score = models.PositiveSmallIntegerField(_("score"))
    reasons = models.CharField(_("why"), max_length=255, blank=True)
    status = models.CharField(
        max_length=10, choices=MatchStatus.choices, default=MatchStatus.PENDING
    )
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-score", "id"]
        verbose_name = _("match to review")
        verbose_name_plural = _("matches to review")
        indexes = [models.Index(fields=["status", "child"], name="match_status_child")]
        constraints = [
            models.UniqueConstraint(fields=["child", "student"], name="match_pair_unique"),
            models.CheckConstraint(
                condition=Q(status__in=MatchStatus.values), name="match_status_valid"
            ),
            models.CheckConstraint(condition=Q(score__lte=100), name="match_score_range"),
            models.CheckConstraint(
                condition=Q(status=MatchStatus.PENDING, decided_at__isnull=True)
                | (~Q(status=MatchStatus.PENDING) & Q(decided_at__isnull=False)),
                name="match_decided_when_not_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.child_id} ~ {self.student_id} ({self.score}, {self.status})"
