"""The upload form: a file, and for some kinds the school year or the survey year."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dentruong.orgs.models import SchoolYear


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx or .xls)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls"}),
    )
    sheet = forms.CharField(
        label=_("Sheet"),
        required=False,
        max_length=100,
        help_text=_("Leave empty: the sheet with a recognisable header is used."),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_FILE_BYTES
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": limit // 2**20}, code="too_large"
            )
        return upload


class SchoolUploadForm(UploadForm):
    school_year = forms.ModelChoiceField(
        label=_("School year"), queryset=SchoolYear.objects.all(), empty_label=None
    )


class ChildrenUploadForm(UploadForm):
    survey_year = forms.IntegerField(label=_("Survey year"), min_value=2000, max_value=2100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survey_year"].initial = timezone.localdate().year
