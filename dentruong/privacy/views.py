"""Pages of the guardians' requests about a child's data: register one (from the student
or the register child), the queue with its clock, one request with its history and the
action that answers it, the export given. Thin: access helpers, a form, a service."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dentruong.accounts.models import User
from dentruong.notices.models import NoticeConsent
from dentruong.people.access import get_resident_child_for_user, get_student_for_user
from dentruong.people.models import Guardian, ResidentChild, Student
from dentruong.privacy import services
from dentruong.privacy.access import (
    can_handle_requests,
    get_rights_request_for_user,
    may_register_for_child,
    may_register_for_student,
    rights_requests_for_user,
)
from dentruong.privacy.forms import ANSWER_OF, ActForm, Action, RightsRequestForm
from dentruong.privacy.models import OPEN_STATUSES, RightsRequest
from dentruong.privacy.services import PrivacyError

CLOSED_SHOWN = 50


def _user(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise Http404
    return request.user


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "front/forbidden.html", status=403)


@login_required
def rights_requests(request: HttpRequest) -> HttpResponse:
    """The queue: open requests by due date (overdue ones flagged), then the last
    answered ones."""
    if not can_handle_requests(request.user):
        return _forbidden(request)
    qs = rights_requests_for_user(request.user).select_related("student__village", "child__village")
    today = timezone.localdate()
    open_rows = list(qs.filter(status__in=OPEN_STATUSES).order_by("due_on", "received_at"))
    for r in open_rows:
        r.days_left = services.working_days_left(r, today)  # type: ignore[attr-defined]
        r.overdue = today > r.due_on  # type: ignore[attr-defined]
    closed = qs.exclude(status__in=OPEN_STATUSES).order_by("-closed_at")[:CLOSED_SHOWN]
    ctx = {"open_rows": open_rows, "closed_rows": closed, "today": today}
    return render(request, "privacy/queue.html", ctx)


def _register(
    request: HttpRequest, *, student: Student | None, child: ResidentChild | None
) -> HttpResponse:
    form = RightsRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created = services.register_request(
                    student=student, child=child, by=_user(request), **form.cleaned_data
                )
            except PrivacyError as refused:
                field = None if refused.field == "__all__" else refused.field
                form.add_error(field, refused.message)
            else:
                return redirect("rights-request-detail", pk=created.pk)
    ctx = {"form": form, "student": student, "child": child}
    return render(request, "privacy/register.html", ctx, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def student_rights_request(request: HttpRequest, pk: int) -> HttpResponse:
    student = get_student_for_user(request.user, pk)
    if not may_register_for_student(request.user, student):
        return _forbidden(request)
    return _register(request, student=student, child=None)


@login_required
@require_http_methods(["GET", "POST"])
def child_rights_request(request: HttpRequest, pk: int) -> HttpResponse:
    child = get_resident_child_for_user(request.user, pk)
    if not may_register_for_child(request.user, child):
        return _forbidden(request)
    return _register(request, student=None, child=child)


def _detail(request: HttpRequest, rr: RightsRequest, form: ActForm, status: int) -> HttpResponse:
    today = timezone.localdate()
    steps = list(rr.steps.select_related("by").order_by("at", "pk"))
    for step in steps:
        erased = step.details.get("erased", {})
        step.erased_labels = [  # type: ignore[attr-defined]
            label for key, label in services.ERASED_LABELS.items() if erased.get(key)
        ]
    ctx = {
        "rr": rr,
        "steps": steps,
        "form": form,
        "answer_action": ANSWER_OF[rr.kind],  # type: ignore[index]
        "days_left": services.working_days_left(rr, today) if rr.is_open else None,
        "overdue": rr.is_open and today > rr.due_on,
        "kept": services.KEPT,
    }
    return render(request, "privacy/detail.html", ctx, status=status)


@login_required
def rights_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rr = get_rights_request_for_user(request.user, pk)
    return _detail(request, rr, ActForm(), 200)


ACTIONS: dict[str, Callable[..., RightsRequest]] = {
    Action.ANSWER_ACCESS: services.answer_access,
    Action.CORRECT: services.record_correction,
    Action.ERASE: services.erase_child_data,
    Action.WITHDRAW: services.withdraw_child_consents,
}


@login_required
@require_POST
def rights_request_act(request: HttpRequest, pk: int) -> HttpResponse:
    rr = get_rights_request_for_user(request.user, pk)
    user = _user(request)
    form = ActForm(request.POST)
    if not form.is_valid():
        return _detail(request, rr, form, 400)
    action, note = form.cleaned_data["action"], form.cleaned_data["note"]
    try:
        if action == Action.START:
            services.start_request(request=rr, by=user)
        elif action == Action.REFUSE:
            services.refuse_request(request=rr, by=user, reason=note)
        elif action == Action.ANSWER_ACCESS:
            services.answer_access(request=rr, by=user)
        else:
            ACTIONS[action](request=rr, by=user, note=note)
    except PrivacyError as refused:
        form.add_error("note" if refused.field in ("note", "reason") else None, refused.message)
        rr.refresh_from_db()
        return _detail(request, rr, form, 400)
    return redirect("rights-request-detail", pk=rr.pk)


@login_required
def rights_request_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The export given for a request to see the data (until the retention rule
    removes it)."""
    rr = get_rights_request_for_user(request.user, pk)
    if rr.export is None:
        raise Http404
    body = json.dumps(rr.export, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="du-lieu-tre-em-{rr.pk}.json"'
    return response


def privacy_panel(request: HttpRequest, student: Student) -> dict[str, Any]:
    """For the student page: the notice consents of the guardians (who, when, scope,
    withdrawn by whom and when) and the link to register a guardian's request."""
    consents: dict[int, list[NoticeConsent]] = {}
    if student.household_id is not None:
        for c in (
            NoticeConsent.objects.filter(guardian__household_id=student.household_id)
            .select_related("recorded_by", "withdrawn_by")
            .order_by("recorded_at", "pk")
        ):
            consents.setdefault(c.guardian_id, []).append(c)
    guardians: list[Guardian] = (
        list(Guardian.objects.filter(household_id=student.household_id).order_by("pk"))
        if student.household_id
        else []
    )
    return {
        "guardian_consents": [(g, consents.get(g.pk, [])) for g in guardians],
        "may_register_request": may_register_for_student(request.user, student),
    }
