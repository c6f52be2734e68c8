from __future__ import annotations

from django.contrib import admin

from dentruong.enrollment.models import Enrollment, EnrollmentEvent


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: enrollment changes go through the services, which write the events."""

    list_display = ["student", "school_class", "start_date", "end_date"]
    raw_id_fields = ["student", "school_class"]

    def has_add_permission(self, request: object) -> bool:  # type: ignore[override]
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:  # type: ignore[override]
        return False


@admin.register(EnrollmentEvent)
class EnrollmentEventAdmin(EnrollmentAdmin):
    list_display = ["student", "kind", "date", "school_class", "recorded_by"]
    raw_id_fields = ["student", "school_class", "recorded_by"]
