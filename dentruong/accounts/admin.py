from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from dentruong.accounts import services
from dentruong.accounts.forms import InitialPasswordForm
from dentruong.accounts.models import LoginAttempt, Membership, TOTPDevice, User


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    fk_name = "user"
    extra = 0
    raw_id_fields = ["unit", "school_class"]


@admin.register(User)
class DenTruongUserAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "full_name", "is_active", "is_staff", "must_change_password"]
    search_fields = ["username", "full_name"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Đến Trường", {"fields": ("full_name", "phone", "must_change_password")}),
    )
    inlines = [MembershipInline]
    change_password_form = InitialPasswordForm
    actions = ["reset_two_factor", "unlock_login"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.must_change_password = True  # an initial password, chosen by the admin
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Reset the authenticator app (lost phone)"))
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.reset_two_factor(user=user)
        messages.success(request, _("They will set up the app again at their next login."))

    @admin.action(description=_("Lift the login lock"))
    def unlock_login(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.unlock_login(username=user.get_username())
        messages.success(request, _("Login lock lifted."))


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["at", "username", "ip", "stage", "outcome"]
    list_filter = ["outcome", "stage"]
    search_fields = ["username", "ip"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Who has set up an app, and when; the secret is never shown (only deleting it, which
    is the same as "reset": the user sets up the app again)."""

    list_display = ["user", "created_at", "confirmed_at"]
    search_fields = ["user__username", "user__full_name"]
    fields = ["user", "created_at", "confirmed_at"]
    readonly_fields = ["user", "created_at", "confirmed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
