"""Forms of the outreach pages (the API takes the same fields as JSON)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from dentruong.enrollment.codes import DropoutReason
from dentruong.orgs.models import OrgUnit
from dentruong.outreach.models import (
    NotBackReason,
    Outcome,
    ParticipantRole,
    StepKind,
    SupportProgramme,
)
from dentruong.people.models import Household

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


def date_input() -> forms.DateInput:
    """The phone's date picker (its value is always YYYY-MM-DD, what visits.js sends)."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StepForm(forms.Form):
    step = forms.ChoiceField(label=_("step"), choices=StepKind.choices)
    on = forms.DateField(label=_("date"), input_formats=DATE_FORMATS, widget=date_input())
    note = forms.CharField(label=_("note"), required=False, max_length=255)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("outcome"), choices=[("", "—"), *Outcome.choices], required=False
    )
    reason = forms.ChoiceField(
        label=_("why not back"), choices=[("", "—"), *NotBackReason.choices], required=False
    )
    on = forms.DateField(label=_("date"), input_formats=DATE_FORMATS, widget=date_input())
    note = forms.CharField(label=_("note"), required=False, max_length=255)


class VisitForm(forms.Form):
    client_id = forms.UUIDField(initial=uuid.uuid4, widget=forms.HiddenInput)
    date = forms.DateField(label=_("date"), input_formats=DATE_FORMATS, widget=date_input())
    visitors = forms.CharField(label=_("who went"), max_length=255)
    met = forms.CharField(label=_("who was met"), max_length=255)
    findings = forms.CharField(label=_("what they found"), widget=forms.Textarea, max_length=2000)
    causes = forms.MultipleChoiceField(
        label=_("causes"), choices=DropoutReason.choices, widget=forms.CheckboxSelectMultiple
    )
    family_wishes = forms.CharField(
        label=_("the family's wishes"), required=False, widget=forms.Textarea, max_length=2000
    )
    agreed = forms.CharField(
        label=_("what was agreed"), required=False, widget=forms.Textarea, max_length=2000
    )
    next_step = forms.CharField(label=_("next step"), required=False, max_length=255)
    next_step_on = forms.DateField(
        label=_("next step date"), required=False, input_formats=DATE_FORMATS, widget=date_input()
    )


class CaseSupportForm(forms.Form):
    """A delivery to the case's child from one of the commune's programmes."""

    programme = forms.ModelChoiceField(
        label=_("Programme"), queryset=SupportProgramme.objects.none()
    )
    date = forms.DateField(label=_("date"), input_formats=DATE_FORMATS, widget=date_input())
    amount = forms.IntegerField(label=_("value or quantity"), min_value=1)
    delivered_by = forms.CharField(label=_("delivered by"), max_length=150)

    def __init__(self, *args: Any, programmes: QuerySet[SupportProgramme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes  # type: ignore[attr-defined]


class DeliveryForm(forms.Form):
    student = forms.IntegerField(required=False, widget=forms.HiddenInput)
    child = forms.IntegerField(required=False, widget=forms.HiddenInput)
    date = forms.DateField(label=_("date"), input_formats=DATE_FORMATS)
    amount = forms.IntegerField(label=_("value or quantity"), min_value=1)
    delivered_by = forms.CharField(label=_("delivered by"), max_length=150)


class MentorMeetingForm(forms.Form):
    date = forms.DateField(label=_("date"), input_formats=DATE_FORMATS)
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea, max_length=2000
    )


class VillageMeetingForm(forms.Form):
    village = forms.ModelChoiceField(label=_("village"), queryset=OrgUnit.objects.none())
    starts_at = forms.DateTimeField(
        label=_("time"), input_formats=["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    campaign = forms.CharField(label=_("campaign"), required=False, max_length=150)
    roles = forms.MultipleChoiceField(
        label=_("participants"),
        choices=ParticipantRole.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    households = forms.ModelMultipleChoiceField(
        label=_("target families"), queryset=Household.objects.none(), required=False
    )
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea, max_length=2000
    )

    def __init__(self, *args: Any, unit: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        villages = OrgUnit.objects.filter(parent=unit, kind="village").order_by("name")
        self.fields["village"].queryset = villages  # type: ignore[attr-defined]
        self.fields["households"].queryset = (  # type: ignore[attr-defined]
            Household.objects.filter(village__parent=unit)
            .select_related("village")
            .order_by("village__name", "head_name")
        )
