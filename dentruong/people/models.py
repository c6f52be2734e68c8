"""Registers of people: students, their households and guardians, sensitive facts kept
apart, and the commune's register of resident children (điều tra phổ cập).

Names are stored NFC with họ đệm and tên apart; `sort_key` orders rosters by tên then
họ đệm in Vietnamese collation; `search_name` is the folded full name for search.
Write through `dentruong.people.services`, which keeps these derived columns right.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dentruong.orgs.fields import BinaryKeyField
from dentruong.people.ethnicity import ETHNIC_GROUPS
from dentruong.people.fields import EncryptedTextField


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Household(models.Model):
    village = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="households")
    head_name = models.CharField(_("head of household"), max_length=150)
    address = models.CharField(_("address"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.head_name


class Relationship(models.TextChoices):
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Older sibling")
    OTHER = "other", _("Other guardian")


class Guardian(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="guardians")
    full_name = models.CharField(_("full name"), max_length=150)
    relationship = models.CharField(_("relationship"), max_length=12, choices=Relationship.choices)
    phone = models.CharField(_("phone"), max_length=16, blank=True, help_text=_("E.164, +84…"))

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        constraints = [
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=r"^\+84[0-9]{9,10}$"),
                name="guardian_phone_e164",
            )
        ]

    def __str__(self) -> str:
        return self.full_name


class PersonName(models.Model):
    """Name, birth and residence columns shared by students and resident children."""

    family_and_middle_name = models.CharField(_("family and middle name"), max_length=100)
    given_name = models.CharField(_("given name"), max_length=50)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, choices=ETHNIC_GROUPS)
    village = models.ForeignKey(
        "orgs.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("village of residence"),
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sort_key = BinaryKeyField(max_length=1200, db_index=True, editable=False)
    search_name = models.CharField(max_length=160, editable=False)

    class Meta:
        abstract = True

    @property
    def full_name(self) -> str:
        return f"{self.family_and_middle_name} {self.given_name}"


class Student(PersonName):
    national_id = models.CharField(_("personal identification number"), max_length=12, unique=True)
    school = models.ForeignKey(
        "orgs.School",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="students",
        help_text=_("The school the student attends now; set by enrollment services"),
    )
    boarding = models.BooleanField(_("boarding"), default=False)
    distance_km = models.DecimalField(
        _("distance to school (km)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        constraints = [
            models.CheckConstraint(
                condition=Q(national_id__regex=r"^[0-9]{12}$"), name="student_national_id_digits"
            ),
            models.CheckConstraint(
                condition=Q(distance_km__isnull=True) | Q(distance_km__gte=0),
                name="student_distance_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name


class Poverty(models.TextChoices):
    NONE = "none", _("Not poor")
    NEAR_POOR = "near_poor", _("Near-poor household")
    POOR = "poor", _("Poor household")


class SensitiveFacts(models.Model):
    """Facts shown only to roles that need them (see accounts.scopes.SENSITIVE_ROLES),
    encrypted at rest (people.fields.EncryptedTextField; docs/decisions/0012). Bulk
    inserts build their rows with `people.services.sensitive_fact_row`."""

    student = models.OneToOneField(Student, on_delete=models.CASCADE, related_name="sensitive")
    poverty = EncryptedTextField(
        _("household poverty"), max_length=10, choices=Poverty.choices, default=Poverty.NONE
    )
    disability = EncryptedTextField(_("disability"), max_length=200, blank=True)
    health_notes = EncryptedTextField(_("health notes"), blank=True)

    class Meta:
        verbose_name = _("sensitive facts")
        verbose_name_plural = _("sensitive facts")

    def __str__(self) -> str:
        return f"{self.student_id}"


class NameToken(models.Model):
    """One folded word of a student's name: the index behind diacritic-insensitive search."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="name_tokens")
    token = BinaryKeyField(max_length=40)

    class Meta:
        indexes = [models.Index(fields=["token", "student"], name="nametoken_token_student")]

    def __str__(self) -> str:
        return self.token


class SchoolingStatus(models.TextChoices):
    NOT_YET = "not_yet", _("Not yet of school age")
    IN_SCHOOL = "in_school", _("In school")
    DROPPED_OUT = "dropped_out", _("Dropped out")
    NEVER_ENROLLED = "never", _("Never enrolled")
    MOVED_AWAY = "moved", _("Moved away")
    COMPLETED = "completed", _("Completed schooling")


class ResidentChild(PersonName):
    """A child in the commune's census (điều tra phổ cập), by birth year and village."""

    commune = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.PROTECT, related_name="resident_children"
    )
    birth_year = models.PositiveSmallIntegerField(_("birth year"))
    national_id = models.CharField(
        _("personal identification number"), max_length=12, null=True, blank=True, unique=True
    )
    survey_year = models.PositiveSmallIntegerField(_("survey year"))
    schooling = models.CharField(_("schooling"), max_length=12, choices=SchoolingStatus.choices)
    student = models.OneToOneField(
        Student,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident_record",
        verbose_name=_("student record"),
    )
    notes = models.CharField(_("family situation"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("resident child")
        verbose_name_plural = _("resident children")
        indexes = [
            # Covering the mobilization report's reads: counts by birth year and schooling,
            # and the join to the enrolments, read from the index alone.
            models.Index(
                fields=["commune", "birth_year", "schooling", "student"],
                name="resident_commune_year",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_year__gte=1990, birth_year__lte=2100),
                name="resident_birth_year_range",
            )
        ]

    def __str__(self) -> str:
        return self.full_name
