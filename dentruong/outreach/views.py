"""Pages of outreach: "my cases" (a phone-sized list by next deadline), a unit's open
cases, a case (steps, history, visits, forms to act), opening a case for a student or a
resident child, support programmes with their totals and deliveries. Thin: access
helpers, a form, a service or a selector, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dentruong.accounts.models import User
from dentruong.attendance.services import local_today
from dentruong.orgs.access import get_unit_for_user
from dentruong.orgs.models import OrgUnit
from dentruong.outreach import selectors, services
from dentruong.outreach.access import (
    can_act,
    can_deliver,
    can_manage_meetings,
    can_open_for_child,
    can_open_for_student,
    can_pair,
    can_see_what_works,
    cases_for_user,
    get_case_for_user,
    get_meeting_for_user,
    get_pair_for_user,
    get_partner_list_for_user,
    get_programme_for_user,
    programmes_for_user,
)
from dentruong.outreach.exports import meetings_xlsx
from dentruong.outreach.forms import (
    CloseForm,
    DeliveryForm,
    MentorMeetingForm,
    StepForm,
    VillageMeetingForm,
    VisitForm,
)
from dentruong.outreach.models import Case
from dentruong.outreach.services import OutreachError
from dentruong.people.access import (
    get_resident_child_for_user,
    get_student_for_user,
    partner_fields,
)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "front/forbidden.html", status=403)


def _add(form: Form, exc: OutreachError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


@login_required
@require_GET
def my_cases(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    ctx = {
        "rows": selectors.my_cases(user, local_today()),
        "alerts": list(selectors.unseen_alerts(user)),
    }
    return render(request, "outreach/my_cases.html", ctx)


@login_required
@require_GET
def unit_cases(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_unit_for_user(request.user, pk)
    rows = selectors.unit_cases(cases_for_user(request.user), unit, local_today())
    return render(request, "outreach/unit_cases.html", {"unit": unit, "rows": rows})


def _case_page(request: HttpRequest, case: Case, status: int = 200, **forms: Form) -> HttpResponse:
    today = local_today()
    ctx: dict[str, Any] = {
        "case": case,
        "person": case.student or case.child,
        "steps": list(case.steps.order_by("position")),
        "events": list(case.events.select_related("by")),
        "visits": list(case.visits.prefetch_related("causes")),
        "assignments": list(case.assignments.filter(end__isnull=True).select_related("user")),
        "may": can_act(request.user, case) and case.status == "open",
        "step_form": forms.get("step_form") or StepForm(initial={"on": today}),
        "visit_form": forms.get("visit_form") or VisitForm(initial={"date": today}),
        "close_form": forms.get("close_form") or CloseForm(initial={"on": today}),
        "today": today,
    }
    return render(request, "outreach/case_detail.html", ctx, status=status)


@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_page(request, get_case_for_user(request.user, pk))


def _open_case(request: HttpRequest, subject: dict[str, Any]) -> HttpResponse:
    """Open a case for `subject` ({"student": …} or {"child": …}); if one is already open,
    show it."""
    try:
        case = services.open_case(
            **subject, on=local_today(), by=_user(request), note=request.POST.get("note", "")
        )
    except OutreachError as exc:
        existing = Case.objects.filter(**subject, status="open").first()
        if exc.code == "already_open" and existing is not None:
            return redirect("case-detail", pk=existing.pk)
        return render(request, "outreach/error.html", {"message": exc.message}, status=400)
    return redirect("case-detail", pk=case.pk)


@login_required
@require_POST
def student_case_open(request: HttpRequest, pk: int) -> HttpResponse:
    student = get_student_for_user(request.user, pk)
    if not can_open_for_student(request.user, student):
        return _forbidden(request)
    return _open_case(request, {"student": student})


@login_required
@require_POST
def child_case_open(request: HttpRequest, pk: int) -> HttpResponse:
    child = get_resident_child_for_user(request.user, pk)
    if not can_open_for_child(request.user, child):
        return _forbidden(request)
    return _open_case(request, {"child": child})


def _case_action(
    request: HttpRequest,
    pk: int,
    form_class: type[Form],
    action: Callable[..., object],
    form_name: str,
) -> HttpResponse:
    """Validate `form_class`, run the service `action` on the case; errors back on the
    case page (400) under `form_name`."""
    case = get_case_for_user(request.user, pk)
    if not can_act(request.user, case):
        return _forbidden(request)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(case=case, by=_user(request), **form.cleaned_data)
        except OutreachError as exc:
            _add(form, exc)
        else:
            return redirect("case-detail", pk=case.pk)
    return _case_page(request, case, 400, **{form_name: form})


@login_required
@require_POST
def case_step(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_action(request, pk, StepForm, services.complete_step, "step_form")


@login_required
@require_POST
def case_visit(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_action(request, pk, VisitForm, services.record_visit, "visit_form")


@login_required
@require_POST
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_action(request, pk, CloseForm, services.close_case, "close_form")


@login_required
@require_GET
def programmes(request: HttpRequest) -> HttpResponse:
    rows = selectors.programme_totals(programmes_for_user(request.user))
    return render(request, "outreach/programmes.html", {"rows": rows})


@login_required
@require_POST
def programme_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    programme = get_programme_for_user(user, pk)
    if not can_deliver(user, programme):
        return _forbidden(request)
    form = DeliveryForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        student = get_student_for_user(user, data["student"]) if data["student"] else None
        child = get_resident_child_for_user(user, data["child"]) if data["child"] else None
        try:
            services.deliver(
                programme=programme,
                student=student,
                child=child,
                date=data["date"],
                amount=data["amount"],
                delivered_by=data["delivered_by"],
                by=user,
            )
        except OutreachError as exc:
            _add(form, exc)
        else:
            return redirect(reverse("outreach-programmes"))
    rows = selectors.programme_totals(programmes_for_user(user))
    ctx = {"rows": rows, "form": form, "programme": programme}
    return render(request, "outreach/programmes.html", ctx, status=400)


@login_required
@require_GET
def student_support(request: HttpRequest, pk: int) -> HttpResponse:
    student = get_student_for_user(request.user, pk)
    rows = selectors.support_history(student=student)
    return render(request, "outreach/support_history.html", {"student": student, "rows": rows})


# --- mentoring ---------------------------------------------------------------------------


@login_required
@require_GET
def my_mentees(request: HttpRequest) -> HttpResponse:
    rows = selectors.my_mentees(_user(request), local_today())
    form = MentorMeetingForm(initial={"date": local_today()})
    return render(request, "outreach/my_mentees.html", {"rows": rows, "form": form})


@login_required
@require_POST
def mentor_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    pair = get_pair_for_user(user, pk)
    if pair.mentor_id != user.pk:
        return _forbidden(request)
    form = MentorMeetingForm(request.POST)
    if form.is_valid():
        try:
            services.log_meeting(pair=pair, by=user, **form.cleaned_data)
        except OutreachError as exc:
            _add(form, exc)
        else:
            return redirect("my-mentees")
    rows = selectors.my_mentees(user, local_today())
    ctx = {"rows": rows, "form": form, "error_pair": pair.pk}
    return render(request, "outreach/my_mentees.html", ctx, status=400)


@login_required
@require_POST
def student_mentor(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    student = get_student_for_user(user, pk)
    if not can_pair(user, student):
        return _forbidden(request)
    mentor = User.objects.filter(username=request.POST.get("mentor", "").strip()).first()
    if mentor is None:
        msg = _("Unknown user.")
        return render(request, "outreach/error.html", {"message": msg}, status=400)
    try:
        services.pair_mentor(mentor=mentor, student=student, on=local_today(), by=user)
    except OutreachError as exc:
        return render(request, "outreach/error.html", {"message": exc.message}, status=400)
    return redirect("student-detail", pk=student.pk)


# --- "what works" ------------------------------------------------------------------------


@login_required
@require_GET
def unit_what_works(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_unit_for_user(request.user, pk)
    if not can_see_what_works(request.user, unit):
        return _forbidden(request)
    rows = selectors.what_works(cases_for_user(request.user), unit)
    return render(request, "outreach/what_works.html", {"unit": unit, "rows": rows})


# --- village meetings --------------------------------------------------------------------


def _meetings_page(
    request: HttpRequest, unit: OrgUnit, form: VillageMeetingForm | None = None, status: int = 200
) -> HttpResponse:
    may = can_manage_meetings(request.user, unit)
    if form is None and may:
        form = VillageMeetingForm(unit=unit)
    ctx = {
        "unit": unit,
        "meetings": list(selectors.unit_meetings(unit)),
        "form": form if may else None,
    }
    return render(request, "outreach/meetings.html", ctx, status=status)


@login_required
@require_GET
def unit_meetings(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_unit_for_user(request.user, pk)
    if partner_fields(request.user) is not None:
        raise Http404
    return _meetings_page(request, unit)


@login_required
@require_POST
def meeting_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    unit = get_unit_for_user(user, pk)
    if not can_manage_meetings(user, unit):
        return _forbidden(request)
    form = VillageMeetingForm(request.POST, unit=unit)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.plan_meeting(
                commune=unit,
                village=data["village"],
                starts_at=data["starts_at"],
                roles=data["roles"],
                households=data["households"],
                campaign=data["campaign"],
                notes=data["notes"],
                by=user,
            )
        except OutreachError as exc:
            _add(form, exc)
        else:
            return redirect("unit-meetings", pk=unit.pk)
    return _meetings_page(request, unit, form, 400)


@login_required
@require_POST
def meeting_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    meeting = get_meeting_for_user(user, pk)
    if not can_manage_meetings(user, meeting.commune):
        return _forbidden(request)
    try:
        came = [int(x) for x in request.POST.getlist("came")]
        services.record_attendance(meeting=meeting, came=came, notes=request.POST.get("notes"))
    except (ValueError, OutreachError) as exc:
        msg = exc.message if isinstance(exc, OutreachError) else _("Unknown household.")
        return render(request, "outreach/error.html", {"message": msg}, status=400)
    return redirect("unit-meetings", pk=meeting.commune_id)


@login_required
@require_GET
def unit_meetings_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_unit_for_user(request.user, pk)
    if partner_fields(request.user) is not None:
        raise Http404
    title = _("Schedule of village meetings · %(unit)s") % {"unit": unit.name}
    body = meetings_xlsx(title, selectors.unit_meetings(unit))
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="village-meetings-{unit.code}.xlsx"'
    return response


# --- partners ----------------------------------------------------------------------------


@login_required
@require_GET
def partner_list(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    case_list = get_partner_list_for_user(user, pk, local_today())
    services.log_partner_access(case_list=case_list, user=user, via="page")
    fields = set(case_list.membership.partner_field_list)
    ctx = {
        "case_list": case_list,
        "rows": selectors.partner_rows(case_list, fields),
        "fields": fields,
    }
    return render(request, "outreach/partner_list.html", ctx)
