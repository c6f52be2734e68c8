"""Forms of the enrollment pages: parse the input with Vietnamese messages and hand clean
values to the services (which refuse what makes no sense, with their own reasons)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from dentruong.enrollment.codes import Destination, DropoutReason, EventKind, Whereabouts
from dentruong.enrollment.services import EnrollmentError
from dentruong.orgs.models import School, SchoolClass

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
BLANK: list[tuple[str, Any]] = [("", "—")]
YES_NO = [("", "—"), ("yes", _("Eligible to continue")), ("no", _("Not eligible to continue"))]

# Service field → form field, to show a refusal next to the input at fault.
FIELD_OF = {
    "class_id": "school_class",
    "to_school_id": "to_school",
    "eligible_to_continue": "eligible",
}


class ClassChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.school.name} · {obj.school_year}"


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("Event"), choices=EventKind.choices)
    date = forms.DateField(
        label=_("Date"), input_formats=DATE_INPUT_FORMATS, help_text=_("dd/mm/yyyy")
    )
    school_class = ClassChoiceField(
        label=_("Class entered"), queryset=SchoolClass.objects.none(), required=False
    )
    reason_code = forms.ChoiceField(
        label=_("Reason for leaving"), choices=BLANK + DropoutReason.choices, required=False
    )
    whereabouts = forms.ChoiceField(
        label=_("Where the student went"), choices=BLANK + Whereabouts.choices, required=False
    )
    to_school = forms.ModelChoiceField(
        label=_("Receiving school"), queryset=School.objects.none(), required=False
    )
    other_school_name = forms.CharField(
        label=_("School outside the system"), max_length=200, required=False
    )
    eligible = forms.ChoiceField(label=_("Continuing"), choices=YES_NO, required=False)
    eligibility_note = forms.CharField(label=_("Why"), max_length=255, required=False)
    reason = forms.CharField(label=_("Notes"), max_length=255, required=False)

    def __init__(
        self,
        *args: Any,
        classes: QuerySet[SchoolClass],
        schools: QuerySet[School],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = classes  # type: ignore[attr-defined]
        self.fields["to_school"].queryset = schools  # type: ignore[attr-defined]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        eligible = {"yes": True, "no": False}.get(data["eligible"])
        return {
            "kind": data["kind"],
            "on": data["date"],
            "school_class": data["school_class"],
            "reason_code": data["reason_code"],
            "whereabouts": data["whereabouts"],
            "to_school": data["to_school"],
            "other_school_name": data["other_school_name"],
            "eligible_to_continue": eligible,
            "eligibility_note": data["eligibility_note"],
            "reason": data["reason"],
        }

    def refuse(self, exc: EnrollmentError) -> None:
        name = FIELD_OF.get(exc.field, exc.field)
        self.add_error(name if name in self.fields else None, exc.message)


class ConfirmForm(forms.Form):
    school_class = ClassChoiceField(label=_("Class"), queryset=SchoolClass.objects.none())
    date = forms.DateField(
        label=_("Arrival date"), input_formats=DATE_INPUT_FORMATS, help_text=_("dd/mm/yyyy")
    )

    def __init__(self, *args: Any, classes: QuerySet[SchoolClass], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = classes  # type: ignore[attr-defined]


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why decline"), max_length=255)


class DestinationForm(forms.Form):
    destination = forms.ChoiceField(label=_("Destination"), choices=Destination.choices)
    note = forms.CharField(label=_("Notes"), max_length=255, required=False)


class ReportForm(forms.Form):
    on = forms.DateField(
        label=_("On"), input_formats=DATE_INPUT_FORMATS, required=False, help_text=_("dd/mm/yyyy")
    )
    school_year = forms.IntegerField(
        label=_("School year (start)"), min_value=2000, max_value=2100, required=False
    )
