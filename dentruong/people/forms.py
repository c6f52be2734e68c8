"""Forms for the people registers: parse, validate (with clear Vietnamese messages via
gettext), and hand clean values to the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dentruong.lib import vntext
from dentruong.lib.national_id import (
    InvalidNationalId,
    normalize_national_id,
    validate_national_id,
)
from dentruong.lib.phone import InvalidPhone, normalize_phone
from dentruong.orgs.models import OrgUnit
from dentruong.people.ethnicity import ETHNIC_GROUPS
from dentruong.people.models import Gender, Poverty, Relationship, Student

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
MIN_AGE, MAX_AGE = 2, 25

NATIONAL_ID_ERRORS = {
    "format": _("The personal identification number must have exactly 12 digits."),
    "province": _("The first three digits are not a valid province code."),
    "century": _("The fourth digit (century and gender) must be between 0 and 5."),
    "birth_year": _("The identification number does not match the year of birth."),
    "gender": _("The identification number does not match the gender."),
}
PHONE_ERRORS = {
    "empty": _("Enter a phone number."),
    "characters": _("A phone number may contain only digits, spaces, dots, dashes and '+'."),
    "format": _("This is not a Vietnamese phone number (e.g. 0912 345 678)."),
}


class NameField(forms.CharField):
    def to_python(self, value: Any) -> str:
        return vntext.clean(super().to_python(value))


def clean_phone(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except InvalidPhone as e:
        raise forms.ValidationError(PHONE_ERRORS[str(e)], code="phone") from None


class StudentForm(forms.Form):
    national_id = forms.CharField(label=_("Personal identification number"), max_length=20)
    family_and_middle_name = NameField(label=_("Family and middle name"), max_length=100)
    given_name = NameField(label=_("Given name"), max_length=50)
    birth_date = forms.DateField(
        label=_("Date of birth"), input_formats=DATE_INPUT_FORMATS, help_text=_("dd/mm/yyyy")
    )
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices)
    ethnicity = forms.ChoiceField(label=_("Ethnicity"), choices=ETHNIC_GROUPS, initial="01")
    village = forms.ModelChoiceField(
        label=_("Village of residence"), queryset=OrgUnit.objects.none()
    )
    boarding = forms.BooleanField(label=_("Boarding"), required=False)
    distance_km = forms.DecimalField(
        label=_("Distance to school (km)"),
        required=False,
        min_value=0,
        max_value=200,
        decimal_places=1,
    )
    poverty = forms.ChoiceField(
        label=_("Household poverty"), choices=Poverty.choices, initial=Poverty.NONE
    )
    disability = forms.CharField(label=_("Disability"), required=False, max_length=200)

    def __init__(
        self,
        *args: Any,
        villages: QuerySet[OrgUnit],
        sensitive: bool,
        instance: Student | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["village"].queryset = villages  # type: ignore[attr-defined]
        if not sensitive:
            del self.fields["poverty"], self.fields["disability"]

    def clean_given_name(self) -> str:
        value: str = self.cleaned_data["given_name"]
        if " " in value:
            raise forms.ValidationError(
                _("The given name (tên) is one word; put the rest in the family and middle name.")
            )
        return value

    def clean_birth_date(self) -> dt.date:
        born: dt.date = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError(_("The date of birth is in the future."))
        age = today.year - born.year
        if not MIN_AGE <= age <= MAX_AGE:
            raise forms.ValidationError(
                _("A student must be between %(min)s and %(max)s years old.")
                % {"min": MIN_AGE, "max": MAX_AGE}
            )
        return born

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw_id = data.get("national_id")
        if raw_id:
            try:
                nid = validate_national_id(
                    raw_id, birth_date=data.get("birth_date"), gender=data.get("gender")
                )
            except InvalidNationalId as e:
                self.add_error("national_id", NATIONAL_ID_ERRORS[e.code])
            else:
                taken = Student.objects.filter(national_id=nid)
                if self.instance is not None:
                    taken = taken.exclude(pk=self.instance.pk)
                if taken.exists():
                    self.add_error("national_id", _("Another student already has this number."))
                data["national_id"] = nid
        return data


class GuardianForm(forms.Form):
    full_name = NameField(label=_("Full name"), max_length=150)
    relationship = forms.ChoiceField(label=_("Relationship"), choices=Relationship.choices)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)

    def clean_phone(self) -> str:
        raw: str = self.cleaned_data["phone"]
        return clean_phone(raw) if raw.strip() else ""


class StudentFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    school = forms.TypedChoiceField(label=_("School"), required=False, coerce=int, empty_value=None)
    grade = forms.TypedChoiceField(
        label=_("Grade"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(g, str(g)) for g in range(1, 13)],
    )
    village = forms.TypedChoiceField(
        label=_("Village"), required=False, coerce=int, empty_value=None
    )
    gender = forms.ChoiceField(
        label=_("Gender"), required=False, choices=[("", "—"), *Gender.choices]
    )
    ethnicity = forms.ChoiceField(
        label=_("Ethnicity"), required=False, choices=[("", "—"), *ETHNIC_GROUPS]
    )

    def __init__(
        self,
        *args: Any,
        schools: list[tuple[int, str]],
        villages: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = [("", "—"), *schools]  # type: ignore[attr-defined]
        self.fields["village"].choices = [("", "—"), *villages]  # type: ignore[attr-defined]


class LinkChildForm(forms.Form):
    national_id = forms.CharField(label=_("Student's identification number"), max_length=20)

    def __init__(
        self,
        *args: Any,
        students: QuerySet[Student] | None = None,
        birth_year: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.students = students if students is not None else Student.objects.none()
        self.birth_year = birth_year

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = data.get("national_id", "")
        student = self.students.filter(national_id=normalize_national_id(raw)).first()
        if raw and student is None:
            self.add_error("national_id", _("No student with this identification number."))
        elif student and student.birth_date and student.birth_date.year != self.birth_year:
            self.add_error(
                "national_id",
                _("This student was born in %(student)s, the register says %(child)s.")
                % {"student": student.birth_date.year, "child": self.birth_year},
            )
        data["student"] = student
        return data
