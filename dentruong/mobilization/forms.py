"""Forms of the mobilization pages (labels and errors are English msgids, shown in
Vietnamese)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dentruong.enrollment.forms import ReportForm
from dentruong.mobilization.selectors import MEASURES
from dentruong.mobilization.services import MAX_TARGET

__all__ = ["NamesForm", "ReportForm", "TargetsForm"]


class TargetsForm(forms.Form):
    """One number per grade the school teaches; an empty box clears the grade's target."""

    school_year = forms.IntegerField(label=_("School year (start)"), min_value=2000, max_value=2100)

    def __init__(self, *args: Any, grades: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grades = grades
        for g in grades:
            self.fields[f"grade_{g}"] = forms.IntegerField(
                label=_("Grade %(grade)d") % {"grade": g},
                min_value=0,
                max_value=MAX_TARGET,
                required=False,
                error_messages={
                    "invalid": _("Enter a whole number of students."),
                    "min_value": _("A target cannot be negative."),
                    "max_value": _("A target is at most %(limit_value)s students."),
                },
            )

    def targets(self) -> dict[int, int | None]:
        return {g: self.cleaned_data.get(f"grade_{g}") for g in self.grades}


class NamesForm(forms.Form):
    measure = forms.ChoiceField(choices=[(m, m) for m in MEASURES], required=False)

    def clean_measure(self) -> str:
        return str(self.cleaned_data.get("measure") or "enrolled")

    grade = forms.IntegerField(min_value=1, max_value=12, required=False)
    level = forms.ChoiceField(
        choices=[("", ""), ("TH", "TH"), ("THCS", "THCS"), ("THPT", "THPT")], required=False
    )
    page = forms.IntegerField(min_value=1, max_value=10000, required=False)
