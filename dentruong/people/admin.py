"""Admin screens for the registers (system administrators only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dentruong.people import services
from dentruong.people.models import Guardian, Household, ResidentChild, SensitiveFacts, Student


class GuardianInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Guardian
    extra = 0


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["head_name", "village"]
    search_fields = ["head_name"]
    raw_id_fields = ["village"]
    inlines = [GuardianInline]


class SensitiveInline(admin.StackedInline):  # type: ignore[type-arg]
    model = SensitiveFacts
    can_delete = False


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["family_and_middle_name", "given_name", "national_id", "birth_date", "school"]
    search_fields = ["search_name", "national_id"]
    list_filter = ["gender", "boarding"]
    raw_id_fields = ["village", "household", "school"]
    ordering = ["sort_key"]
    inlines = [SensitiveInline]

    def save_model(self, request: HttpRequest, obj: Student, form: Any, change: bool) -> None:
        for name, value in services.derived_name_fields(
            obj.family_and_middle_name, obj.given_name
        ).items():
            setattr(obj, name, value)
        obj.save()
        services.reindex_tokens(obj)


@admin.register(ResidentChild)
class ResidentChildAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["family_and_middle_name", "given_name", "birth_year", "village", "schooling"]
    search_fields = ["search_name"]
    list_filter = ["schooling", "birth_year"]
    raw_id_fields = ["commune", "village", "household", "student"]

    def save_model(self, request: HttpRequest, obj: ResidentChild, form: Any, change: bool) -> None:
        for name, value in services.derived_name_fields(
            obj.family_and_middle_name, obj.given_name
        ).items():
            setattr(obj, name, value)
        obj.save()
