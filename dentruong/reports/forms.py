"""The schedule form: parses the input with Vietnamese messages; the service refuses what
makes no sense (no valid deadline, a broken cascade) with its own reasons."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dentruong.reports.definitions import choices
from dentruong.reports.models import Recurrence, ReporterKind, ReportSchedule

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
WEEKDAYS = [
    ("", "—"),
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class ScheduleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    report = forms.ChoiceField(label=_("Report"), choices=[])
    reporter_kind = forms.ChoiceField(label=_("Reporting units"), choices=ReporterKind.choices)
    recurrence = forms.ChoiceField(label=_("Recurrence"), choices=Recurrence.choices)
    weekday = forms.TypedChoiceField(
        label=_("Weekday"), choices=WEEKDAYS, coerce=int, required=False, empty_value=None
    )
    day_of_month = forms.IntegerField(
        label=_("Day of the month"), min_value=1, max_value=31, required=False
    )
    due_time = forms.TimeField(label=_("Due time"), input_formats=["%H:%M"], help_text="10:00")
    start_date = forms.DateField(
        label=_("From"), input_formats=DATE_INPUT_FORMATS, help_text=_("dd/mm/yyyy")
    )
    end_date = forms.DateField(label=_("Until"), input_formats=DATE_INPUT_FORMATS, required=False)
    fixed_dates = forms.CharField(
        label=_("Fixed dates"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line: dd/mm/yyyy hh:mm"),
    )
    lock_after_minutes = forms.IntegerField(
        label=_("Locked after (minutes)"), min_value=0, required=False
    )
    remind_before_minutes = forms.IntegerField(
        label=_("Reminder before (minutes)"), min_value=0, initial=120
    )
    parent = forms.ModelChoiceField(
        label=_("Reports to the schedule"), queryset=ReportSchedule.objects.none(), required=False
    )

    def __init__(self, *args: Any, parents: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["report"].choices = choices()  # type: ignore[attr-defined]
        if parents is not None:
            self.fields["parent"].queryset = parents  # type: ignore[attr-defined]

    def clean_fixed_dates(self) -> list[dt.datetime]:
        out = []
        for line in self.cleaned_data["fixed_dates"].splitlines():
            if not line.strip():
                continue
            try:
                out.append(dt.datetime.strptime(line.strip(), "%d/%m/%Y %H:%M"))
            except ValueError:
                raise forms.ValidationError(
                    _("Not a date and time: %(line)s (dd/mm/yyyy hh:mm)"), params={"line": line}
                ) from None
        return out
