"""The audit log in the admin: to look, never to add, change or delete."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dentruong.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["at", "user", "action", "object_type", "object_id", "rows", "ip", "path"]
    list_filter = ["action", "object_type"]
    search_fields = ["user__username", "user__full_name", "path", "reason"]
    date_hierarchy = "at"
    list_select_related = ["user"]
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
