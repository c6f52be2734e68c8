from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _

from dentruong.orgs.calendar import forget_calendars
from dentruong.orgs.models import (
    CalendarBreak,
    OrgUnit,
    School,
    SchoolClass,
    SchoolYear,
    YearCalendar,
)
from dentruong.orgs.services import place_unit


class OrgUnitForm(forms.ModelForm):  # type: ignore[type-arg]
    """`path` and `depth` follow from parent and code, so those two are frozen under children."""

    class Meta:
        model = OrgUnit
        fields = ["kind", "code_set", "code", "name", "parent", "valid_until"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        unit = self.instance
        moved = {"code", "parent"} & set(self.changed_data)
        if unit.pk and moved and unit.children.exists():
            raise forms.ValidationError(
                _(
                    "This unit has sub-units: its code and parent cannot change, because the "
                    "paths of the sub-units are built from them."
                ),
                code="has_children",
            )
        parent: OrgUnit | None = cleaned.get("parent")
        code: str | None = cleaned.get("code")
        if unit.pk and parent is not None and parent.path.startswith(unit.path):
            self.add_error("parent", _("A unit cannot be placed under itself."))
        elif code:
            path = OrgUnit.child_path(parent.path if parent else "", code)
            if OrgUnit.objects.filter(path=path).exclude(pk=unit.pk).exists():
                self.add_error(
                    "code", _("Another unit already has the path %(path)s.") % {"path": path}
                )
        return cleaned


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = OrgUnitForm
    list_display = ["name", "kind", "code", "code_set", "path", "valid_until"]
    list_filter = ["kind", "code_set"]
    search_fields = ["name", "code", "=path"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "depth"]
    ordering = ["path"]

    def save_model(self, request: HttpRequest, obj: OrgUnit, form: Any, change: bool) -> None:
        place_unit(obj, obj.parent)
        super().save_model(request, obj, form, change)


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "commune", "levels", "boarding_type"]
    list_filter = ["boarding_type"]
    search_fields = ["name", "unit__code"]
    raw_id_fields = ["unit", "commune"]
    list_select_related = ["commune"]


@admin.register(SchoolYear)
class SchoolYearAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["__str__", "start_year"]


class CalendarBreakInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CalendarBreak
    extra = 1


@admin.register(YearCalendar)
class YearCalendarAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["unit", "school_year", "term1_start", "term1_end", "term2_start", "term2_end"]
    list_filter = ["school_year"]
    search_fields = ["unit__name", "unit__code"]
    raw_id_fields = ["unit"]
    list_select_related = ["unit", "school_year"]
    inlines = [CalendarBreakInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """This process forgets its copies at once; the others within
        CALENDAR_CACHE_SECONDS (orgs/calendar.py)."""
        super().save_related(request, form, formsets, change)
        forget_calendars()
        # Term dates or breaks may have moved absences in or out of a term's tallies.
        from dentruong.attendance import tallies

        tallies.rebuild(school_year_ids=[form.instance.school_year_id])


@admin.register(SchoolClass)
class SchoolClassAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "school", "school_year", "grade", "homeroom_teacher"]
    list_filter = ["school_year", "grade"]
    search_fields = ["name", "school__name"]
    raw_id_fields = ["school", "homeroom_teacher"]
    list_select_related = ["school", "school_year", "homeroom_teacher"]

    def save_model(self, request: HttpRequest, obj: SchoolClass, form: Any, change: bool) -> None:
        """A change of the class's school days moves roll calls in or out of its term
        summaries: recount them (the day summaries stay)."""
        super().save_model(request, obj, form, change)
        if change and "weekdays" in form.changed_data:
            from dentruong.attendance import tallies

            tallies.recount_terms(school_class_ids=[obj.pk])
