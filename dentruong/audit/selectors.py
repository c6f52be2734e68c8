"""Reads of the audit log."""

from __future__ import annotations

from django.db.models import QuerySet

from dentruong.audit.models import AuditEvent


def history_of(object_type: str, object_id: int) -> QuerySet[AuditEvent]:
    """Every event about one thing (a child), newest first, with its user: one query per
    page (index audit_object_at)."""
    return (
        AuditEvent.objects.filter(object_type=object_type, object_id=object_id)
        .select_related("user")
        .order_by("-at", "-pk")
    )
