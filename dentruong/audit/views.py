"""Pages of the audit app: a child's access history, and the "why" form of exports."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from dentruong.accounts.models import Role, User
from dentruong.accounts.scopes import scope_for
from dentruong.audit.access import get_child_for_history, get_student_for_history
from dentruong.audit.exports import PURPOSE_PARAM, PurposeRequired
from dentruong.audit.models import AuditAction, AuditEvent, ObjectType
from dentruong.audit.requests import origin_of
from dentruong.audit.selectors import history_of
from dentruong.audit.services import REASON_CHARS, record_event

HISTORY_PAGE_SIZE = 50

# The purposes offered as one tap each; anything else is written in the box.
PURPOSES = [
    _("Report to the level above"),
    _("Check the list of the class or school"),
    _("Home visits and mobilization"),
    _("Census for universal education"),
]


def purpose_page(request: HttpRequest, refused: PurposeRequired) -> HttpResponse:
    """The small form that asks why, and sends the same URL again with `purpose=`."""
    keep = [
        (name, value)
        for name, values in request.GET.lists()
        if name != PURPOSE_PARAM
        for value in values
    ]
    ctx = {
        "keep": keep,
        "presets": [str(p) for p in PURPOSES],
        "error": "" if refused.code == "required" else refused.message,
        "max_chars": REASON_CHARS,
    }
    status = 200 if refused.code == "required" else 400
    return render(request, "audit/purpose.html", ctx, status=status)


def _rows(events: list[AuditEvent]) -> list[tuple[AuditEvent, list[str]]]:
    labels = dict(Role.choices)
    return [(e, [str(labels.get(r, r)) for r in e.role_list()]) for e in events]


def _history(request: HttpRequest, object_type: str, pk: int, ctx: dict[str, Any]) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    record_event(
        user=user,
        action=AuditAction.VIEW_HISTORY,
        origin=origin_of(request, scope=scope_for(user)),
        object_type=object_type,
        object_id=pk,
    )
    page = Paginator(history_of(object_type, pk), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    ctx |= {"page": page, "rows": _rows(list(page.object_list))}
    return render(request, "audit/history.html", ctx)


@login_required
@require_GET
def student_access(request: HttpRequest, pk: int) -> HttpResponse:
    """Who saw, exported or changed this student's record: the school leader's page."""
    student = get_student_for_history(request.user, pk)
    back = ("student-detail", student.pk)
    return _history(
        request, ObjectType.STUDENT, student.pk, {"name": student.full_name, "back": back}
    )


@login_required
@require_GET
def child_access(request: HttpRequest, pk: int) -> HttpResponse:
    """The same for a child of the commune register."""
    child = get_child_for_history(request.user, pk)
    back = ("child-detail", child.pk)
    return _history(
        request, ObjectType.RESIDENT_CHILD, child.pk, {"name": child.full_name, "back": back}
    )
