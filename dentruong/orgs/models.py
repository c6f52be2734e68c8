"""The organisation tree (province → commune → village, schools attached), the school
calendar and classes.

Scope checks compare materialised paths (`OrgUnit.path`), never walk the tree.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dentruong.orgs.fields import BinaryKeyField


class UnitKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District (before 2025)")
    COMMUNE = "commune", _("Commune / ward")
    VILLAGE = "village", _("Village")
    SCHOOL = "school", _("School")


class CodeSet(models.TextChoices):
    """Which code list an official code belongs to: codes were reused in 2025."""

    GSO_2025 = "GSO-2025", _("Administrative units from 1 July 2025")
    GSO_PRE2025 = "GSO-pre2025", _("Administrative units before 1 July 2025")
    MOET = "MOET", _("Education sector database (CSDL ngành)")
    LOCAL = "local", _("Local code")


class OrgUnitQuerySet(models.QuerySet["OrgUnit"]):
    def within(self, path: str) -> OrgUnitQuerySet:
        return self.filter(path__startswith=path)


class OrgUnit(models.Model):
    """A node of the organisation tree, of any depth.

    `path` is the codes from the root joined by '/', e.g. '15/02683/V03/': a unit is
    inside another exactly when its path starts with the other's.
    """

    kind = models.CharField(max_length=10, choices=UnitKind.choices)
    code = models.CharField(max_length=20)
    code_set = models.CharField(max_length=12, choices=CodeSet.choices)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = BinaryKeyField(max_length=255, unique=True)
    depth = models.PositiveSmallIntegerField()
    valid_until = models.DateField(null=True, blank=True, help_text=_("Set for abolished units"))

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        constraints = [
            models.UniqueConstraint(
                fields=["code_set", "kind", "code"],
                condition=~Q(code_set="local"),
                name="orgunit_official_code_unique",
            ),
            models.UniqueConstraint(
                fields=["parent", "code"], name="orgunit_code_unique_in_parent"
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Za-z0-9_-]+$"), name="orgunit_code_charset"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def child_path(parent_path: str, code: str) -> str:
        return f"{parent_path}{code}/"

    @classmethod
    def child_of(
        cls, parent: OrgUnit | None, *, kind: str, code: str, code_set: str, name: str
    ) -> OrgUnit:
        """An unsaved unit placed under `parent` (path and depth set from its code)."""
        return cls(
            kind=kind,
            code=code,
            code_set=code_set,
            name=name,
            parent=parent,
            path=cls.child_path(parent.path if parent else "", code),
            depth=parent.depth + 1 if parent else 0,
        )

    def contains(self, other: OrgUnit) -> bool:
        return other.path.startswith(self.path)

    def ancestor_paths(self) -> list[str]:
        """Paths of this unit and every ancestor, root first (no query)."""
        parts = self.path.rstrip("/").split("/")
        return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


class BoardingType(models.TextChoices):
    NONE = "none", _("Day school")
    SEMI = "semi", _("Semi-boarding (bán trú)")
    BOARDING = "boarding", _("Boarding (nội trú)")
    PTDTBT = "ptdtbt", _("Ethnic semi-boarding (PTDTBT)")


class Level(models.TextChoices):
    PRESCHOOL = "MN", _("Preschool (mầm non)")
    PRIMARY = "TH", _("Primary (tiểu học)")
    LOWER_SECONDARY = "THCS", _("Lower secondary (THCS)")
    UPPER_SECONDARY = "THPT", _("Upper secondary (THPT)")
    CONTINUING = "GDTX", _("Continuing education (GDTX)")


LEVEL_GRADES: dict[str, range] = {
    Level.PRESCHOOL: range(0, 1),
    Level.PRIMARY: range(1, 6),
    Level.LOWER_SECONDARY: range(6, 10),
    Level.UPPER_SECONDARY: range(10, 13),
}


def level_of_grade(grade: int) -> str:
    for level, grades in LEVEL_GRADES.items():
        if grade in grades:
            return level
    raise ValueError(grade)


class School(models.Model):
    """A school, attached to a commune; its own node in the tree (`unit`) carries the scope."""

    unit = models.OneToOneField(OrgUnit, on_delete=models.PROTECT, related_name="school")
    commune = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="schools")
    name = models.CharField(max_length=200)
    levels = models.CharField(
        max_length=40, help_text=_("Comma-separated level codes, e.g. 'TH,THCS'")
    )
    boarding_type = models.CharField(
        max_length=10, choices=BoardingType.choices, default=BoardingType.NONE
    )

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        constraints = [
            models.CheckConstraint(
                condition=Q(levels__regex=r"^(MN|TH|THCS|THPT|GDTX)(,(MN|TH|THCS|THPT|GDTX))*$"),
                name="school_levels_valid",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def level_list(self) -> list[str]:
        return self.levels.split(",")

    @property
    def is_multi_level(self) -> bool:
        """Liên cấp: more than one general-education level."""
        return len(self.level_list) > 1


class SchoolYear(models.Model):
    """A school year, e.g. 2026–2027 (start_year=2026)."""

    start_year = models.PositiveSmallIntegerField(unique=True)

    class Meta:
        ordering = ["-start_year"]
        verbose_name = _("school year")
        verbose_name_plural = _("school years")

    def __str__(self) -> str:
        return f"{self.start_year}–{self.start_year + 1}"


class YearCalendar(models.Model):
    """Terms of a school year for a unit: set per province, overridable per school.

    A class uses the calendar of the nearest unit on its school's path that has one.
    """

    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="calendars")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="calendars")
    term1_start = models.DateField()
    term1_end = models.DateField()
    term2_start = models.DateField()
    term2_end = models.DateField()

    class Meta:
        verbose_name = _("year calendar")
        verbose_name_plural = _("year calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["school_year", "unit"], name="calendar_unique_per_unit"
            ),
            models.CheckConstraint(
                condition=Q(term1_start__lte=F("term1_end"))
                & Q(term1_end__lt=F("term2_start"))
                & Q(term2_start__lte=F("term2_end")),
                name="calendar_terms_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school_year} · {self.unit}"


class BreakKind(models.TextChoices):
    TET = "tet", _("Tết holiday")
    HOLIDAY = "holiday", _("Public holiday")
    OTHER = "other", _("Other break")


class CalendarBreak(models.Model):
    """Days without school inside a calendar (inclusive dates)."""

    calendar = models.ForeignKey(YearCalendar, on_delete=models.CASCADE, related_name="breaks")
    kind = models.CharField(max_length=10, choices=BreakKind.choices)
    name = models.CharField(max_length=100)
    start = models.DateField()
    end = models.DateField()

    class Meta:
        ordering = ["start"]
        verbose_name = _("break")
        verbose_name_plural = _("breaks")
        constraints = [
            models.CheckConstraint(condition=Q(start__lte=F("end")), name="break_dates_in_order")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.start:%d/%m}–{self.end:%d/%m})"


class Session(models.TextChoices):
    MORNING = "am", _("Morning (sáng)")
    AFTERNOON = "pm", _("Afternoon (chiều)")


MON_TO_FRI = 0b0011111  # bit 0 = Monday … bit 6 = Sunday


class SchoolClass(models.Model):
    """A class (lớp) of a school in one school year."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="classes")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="classes")
    grade = models.PositiveSmallIntegerField(help_text=_("0 for preschool, 1–12"))
    name = models.CharField(max_length=30)
    homeroom_teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="homeroom_classes",
    )
    has_morning = models.BooleanField(default=True)
    has_afternoon = models.BooleanField(default=False)
    weekdays = models.PositiveSmallIntegerField(
        default=MON_TO_FRI, help_text=_("Bit mask of study days, bit 0 = Monday")
    )

    class Meta:
        ordering = ["grade", "name"]
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_year", "name"], name="class_name_unique_in_year"
            ),
            models.CheckConstraint(condition=Q(grade__lte=12), name="class_grade_range"),
            models.CheckConstraint(
                condition=Q(has_morning=True) | Q(has_afternoon=True), name="class_has_a_session"
            ),
            models.CheckConstraint(
                condition=Q(weekdays__gt=0, weekdays__lt=128), name="class_weekdays_mask"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.school}"

    @property
    def sessions(self) -> list[str]:
        return [
            s
            for s, on in (
                (Session.MORNING, self.has_morning),
                (Session.AFTERNOON, self.has_afternoon),
            )
            if on
        ]

    def studies_on(self, day: dt.date) -> bool:
        return bool(self.weekdays >> day.weekday() & 1)
