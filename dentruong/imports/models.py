"""An upload between its preview and its confirmation.

`ImportBatch` keeps the file's SHA-256 and the parsed rows (JSON) so that confirming
does not read the file again; confirming re-validates those rows against the database
as it is then, and writes everything in one transaction or nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    CLASS_LIST = "class_list", _("Class list")
    STUDENTS = "students", _("Student records of a school")
    CHILDREN = "children", _("Resident children register")


class BatchStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Imported")
    CANCELLED = "cancelled", _("Cancelled")


class ImportBatch(models.Model):
    kind = models.CharField(max_length=12, choices=ImportKind.choices)
    school_class = models.ForeignKey(
        "orgs.SchoolClass", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    school = models.ForeignKey(
        "orgs.School", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    school_year = models.ForeignKey(
        "orgs.SchoolYear", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    commune = models.ForeignKey(
        "orgs.OrgUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    survey_year = models.PositiveSmallIntegerField(null=True, blank=True)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    file_size = models.PositiveIntegerField()
    sheet = models.CharField(max_length=100, blank=True)
    columns = models.JSONField(default=dict, help_text=_("Field of each recognised column"))
    rows = models.JSONField(default=list, help_text=_("Parsed rows: [row number, values]"))
    problems = models.JSONField(default=list)
    summary = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=BatchStatus.choices, default=BatchStatus.PREVIEWED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="class_list", school_class__isnull=False)
                    | Q(kind="students", school__isnull=False, school_year__isnull=False)
                    | Q(kind="children", commune__isnull=False, survey_year__isnull=False)
                ),
                name="importbatch_has_its_target",
            ),
            models.CheckConstraint(
                condition=Q(status="confirmed", confirmed_at__isnull=False)
                | ~Q(status="confirmed"),
                name="importbatch_confirmed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.file_name}"
