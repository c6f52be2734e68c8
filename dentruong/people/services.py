"""Writes to the people registers. Names are cleaned (NFC) here and the derived search
and sort columns are kept in step in the same transaction."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any, cast

from django.db import transaction

from dentruong.lib import crypto, vntext
from dentruong.orgs.models import OrgUnit
from dentruong.people.fields import EncryptedTextField
from dentruong.people.models import (
    Guardian,
    Household,
    NameToken,
    PersonName,
    ResidentChild,
    SensitiveFacts,
    Student,
)


def derived_name_fields(family_and_middle_name: str, given_name: str) -> dict[str, str]:
    """Cleaned names plus `sort_key` and `search_name` (shared by bulk loaders)."""
    family = vntext.clean(family_and_middle_name)
    given = vntext.clean(given_name)
    return {
        "family_and_middle_name": family,
        "given_name": given,
        "sort_key": vntext.roster_key(given, family),
        "search_name": vntext.fold(f"{family} {given}"),
    }


# Columns of a plain SensitiveFacts row, in the order of `sensitive_fact_row`.
SENSITIVE_FACT_FIELDS = ("student", "poverty", "disability", "health_notes")


def sensitive_fact_row(
    *, student_id: int, poverty: str = "none", disability: str = "", health_notes: str = ""
) -> tuple[int, str, str, str]:
    """A SensitiveFacts row for `dentruong.bulk.insert_rows(SensitiveFacts,
    SENSITIVE_FACT_FIELDS, rows)`, its values encrypted as the model field stores them
    (plain-row inserts bypass the fields; insert_rows refuses plain text)."""
    ring = crypto.keyring()
    p, d, h = _fact_contexts()
    return (
        student_id,
        ring.encrypt(str(poverty), p),
        ring.encrypt(disability, d),
        ring.encrypt(health_notes, h),
    )


@functools.cache
def _fact_contexts() -> tuple[str, str, str]:
    p, d, h = (
        cast(EncryptedTextField, SensitiveFacts._meta.get_field(n)).context
        for n in SENSITIVE_FACT_FIELDS[1:]
    )
    return p, d, h


def name_tokens(student: Student) -> list[NameToken]:
    """Unsaved NameToken rows for a student (distinct words of the folded name)."""
    words = dict.fromkeys(student.search_name.split(" "))
    return [NameToken(student_id=student.pk, token=w[:40]) for w in words if w]


def _apply_names(person: PersonName, family_and_middle_name: str, given_name: str) -> None:
    for name, value in derived_name_fields(family_and_middle_name, given_name).items():
        setattr(person, name, value)


def reindex_tokens(student: Student) -> None:
    NameToken.objects.filter(student=student).delete()
    NameToken.objects.bulk_create(name_tokens(student))


@transaction.atomic
def create_student(
    *,
    national_id: str,
    family_and_middle_name: str,
    given_name: str,
    birth_date: dt.date,
    gender: str,
    ethnicity: str,
    village: OrgUnit,
    household: Household | None = None,
    boarding: bool = False,
    distance_km: Decimal | None = None,
    poverty: str = "none",
    disability: str = "",
) -> Student:
    """Create a student with their sensitive facts row. Validation happens in the caller's
    form or schema (`dentruong.people.forms`); the database constraints back it up."""
    student = Student(
        national_id=national_id,
        birth_date=birth_date,
        gender=gender,
        ethnicity=ethnicity,
        village=village,
        household=household,
        boarding=boarding,
        distance_km=distance_km,
    )
    _apply_names(student, family_and_middle_name, given_name)
    student.save()
    SensitiveFacts.objects.create(student=student, poverty=poverty, disability=disability)
    reindex_tokens(student)
    return student


@transaction.atomic
def update_student(*, student: Student, **changes: Any) -> Student:
    """Change a student's register fields; names re-derive their search and sort columns."""
    facts = ("poverty", "disability", "health_notes")
    sensitive = {k: changes.pop(k) for k in facts if k in changes}
    family = changes.pop("family_and_middle_name", student.family_and_middle_name)
    given = changes.pop("given_name", student.given_name)
    for name, value in changes.items():
        setattr(student, name, value)
    renamed = (vntext.clean(family), vntext.clean(given)) != (
        student.family_and_middle_name,
        student.given_name,
    )
    _apply_names(student, family, given)
    student.save()
    if renamed:
        reindex_tokens(student)
    if sensitive:
        SensitiveFacts.objects.update_or_create(student=student, defaults=sensitive)
    return student


@transaction.atomic
def add_guardian(
    *, household: Household, full_name: str, relationship: str, phone: str = ""
) -> Guardian:
    """`phone` must already be normalised (dentruong.lib.phone.normalize_phone)."""
    return Guardian.objects.create(
        household=household,
        full_name=vntext.clean(full_name),
        relationship=relationship,
        phone=phone,
    )


@transaction.atomic
def create_resident_child(
    *,
    commune: OrgUnit,
    village: OrgUnit,
    family_and_middle_name: str,
    given_name: str,
    birth_year: int,
    gender: str,
    ethnicity: str,
    survey_year: int,
    schooling: str,
    birth_date: dt.date | None = None,
    national_id: str | None = None,
    household: Household | None = None,
    notes: str = "",
) -> ResidentChild:
    child = ResidentChild(
        commune=commune,
        village=village,
        birth_year=birth_year,
        birth_date=birth_date,
        gender=gender,
        ethnicity=ethnicity,
        survey_year=survey_year,
        schooling=schooling,
        national_id=national_id or None,
        household=household,
        notes=vntext.clean(notes),
    )
    _apply_names(child, family_and_middle_name, given_name)
    child.save()
    return child


@transaction.atomic
def link_resident_child(*, child: ResidentChild, student: Student | None) -> ResidentChild:
    """Link a census entry to a student record (or unlink it with None)."""
    child.student = student
    child.save(update_fields=["student"])
    return child
