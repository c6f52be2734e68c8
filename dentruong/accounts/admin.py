from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from dentruong.accounts.models import Membership, User


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    fk_name = "user"
    extra = 0
    raw_id_fields = ["unit", "school_class"]


@admin.register(User)
class DenTruongUserAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "full_name", "is_active", "is_staff"]
    search_fields = ["username", "full_name"]
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Đến Trường", {"fields": ("full_name", "phone")}))
    inlines = [MembershipInline]
