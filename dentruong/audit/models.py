"""The audit log (nhật ký truy cập): who read a child's record, who exported a list,
who changed what — when, from where, and why when they had to say why.

Rows are only ever inserted (decision 0010): `save()` refuses an existing row, `delete()`
and the QuerySet's `update()` / `delete()` raise, the admin may only look, and database
triggers (migration 0002) refuse UPDATE and DELETE of the table on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditLogIsAppendOnly(Exception):
    """An attempt to change or delete an audit event."""


def _refuse(*args: Any, **kwargs: Any) -> NoReturn:
    raise AuditLogIsAppendOnly("the audit log is append-only")


class AuditAction(models.TextChoices):
    VIEW_CHILD = "view_child", _("Viewed the record")
    VIEW_LIST = "view_list", _("Viewed a shared list")
    EXPORT = "export", _("Exported")
    CHANGE = "change", _("Changed")
    VIEW_HISTORY = "view_history", _("Viewed the access history")


class ObjectType(models.TextChoices):
    """What an event is about. A child's history is (STUDENT | RESIDENT_CHILD, its id)."""

    STUDENT = "student", _("Student")
    RESIDENT_CHILD = "resident_child", _("Register child")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    update = _refuse
    delete = _refuse
    bulk_update = _refuse
    update_or_create = _refuse


class AuditEvent(models.Model):
    at = models.DateTimeField(_("when"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="audit_events",
        verbose_name=_("who"),
    )
    # The user's roles at the time, comma-separated (Role values), when known cheaply.
    roles = models.CharField(max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    # The resolved URL name ("student-edit", "api-v1:get_student") and its kwargs.
    view_name = models.CharField(max_length=150, blank=True)
    url_kwargs = models.JSONField(default=dict, blank=True)
    # What the event is about: a child ("student", 12), a class, a school, a unit …
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)  # exports, lists
    reason = models.TextField(_("purpose"), blank=True)  # when the user had to say why
    detail = models.CharField(max_length=200, blank=True)  # e.g. the file's format
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    ip = models.GenericIPAddressField(_("from (IP)"), null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"], name="audit_object_at"),
            models.Index(fields=["user", "at"], name="audit_user_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AuditAction.values), name="audit_action_known"
            ),
            # An event about a thing names which one.
            models.CheckConstraint(
                condition=Q(object_type="") | Q(object_id__isnull=False),
                name="audit_object_has_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.path}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            _refuse()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()

    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]
