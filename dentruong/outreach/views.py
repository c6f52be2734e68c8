"""Pages of outreach: "my cases" (a phone-sized list by next deadline), a unit's open
cases (a page at a time), a case (steps, history, visits, support, forms to act),
opening a case for a student or a resident child, support programmes with their totals
and deliveries. Thin: access helpers, a form, a service or a selector, render.

"My cases" and the case pages carry static/js/visits.js: the service worker keeps them
on the phone, and a home visit recorded without network waits there (with its client
id) until it can be sent, exactly once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dentruong.accounts.models import User
from dentruong.attendance.services import local_today
from dentruong.audit.exports import export_stamp, record_export
from dentruong.audit.requests import record_list_read
from dentruong.orgs.access import get_unit_for_user
from dentruong.orgs.models import OrgUnit
from dentruong.outreach import selectors, services
from dentruong.outreach.access import (
    can_act,
    can_deliver,
    can_manage,
    can_manage_meetings,
    can_manage_programmes,
    can_open_for_child,
    can_open_for_student,
    can_pair,
    can_see_what_works,
    cases_in_unit,
    get_case_for_user,
    get_meeting_for_user,
    get_pair_for_user,
    get_partner_list_for_user,
    get_programme_for_user,
    programmes_for_user,
    sees_whole_case,
)
from dentruong.outreach.exports import meetings_xlsx
from dentruong.outreach.forms import (
    CaseSupportForm,
    CloseForm,
    DeliveryForm,
    MentorMeetingForm,
    StepForm,
    VillageMeetingForm,
    VisitForm,
)
from dentruong.outreach.models import Case, CaseStatus, SupportProgramme
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


def _visits_text() -> dict[str, str]:
    """What static/js/visits.js says, translated here (the pages carry it, also offline)."""
    return {
        "sending": _("Sending…"),
        "saved": _("Home visit recorded."),
        "queued": _("Saved on this phone; it will be sent when the network is back."),
        "sent": _("The home visit kept on this phone has been sent."),
        "keepFailed": _("No network, and this phone could not keep the visit: try again later."),
        "refused": _("Not sent (%(what)s): %(error)s"),
        "login": _("Log in again to send the home visits kept on this phone."),
        "pending": _("Kept on this phone, waiting to be sent:"),
        "visit": _("home visit, %(name)s, %(date)s"),
        "otherUser": _("Home visits of another account are waiting on this phone."),
        "required": _("This field is required."),
        "causes": _("Choose at least one cause."),
        "future": _("The date %(date)s is in the future."),
        "nextBefore": _("The next step cannot come before the visit."),
        "offlineReady": _(
            "Kept on this phone: these cases and their visit forms open without network."
        ),
    }


@login_required
@require_GET
def my_cases(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    ctx = {
        "rows": selectors.my_cases(user, local_today()),
        "alerts": list(selectors.unseen_alerts(user)),
        "visits_text": _visits_text(),
    }
    return render(request, "outreach/my_cases.html", ctx)


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


@login_required
@require_GET
def unit_cases(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_unit_for_user(request.user, pk)
    page = selectors.unit_cases(
        cases_in_unit(request.user, unit), unit, local_today(), page=_page_number(request)
    )
    return render(request, "outreach/unit_cases.html", {"unit": unit, "page": page})


def _support_form(user: User, case: Case, data: Any = None) -> CaseSupportForm | None:
    """The delivery form of the case page: for whoever records the commune's deliveries,
    while the case is open and a programme of the commune has something left."""
    if case.status != CaseStatus.OPEN or not can_manage_programmes(user, case.commune):
        return None
    programmes = SupportProgramme.objects.filter(
        commune=case.commune, delivered__lt=F("capacity")
    ).order_by("name")
    if data is None and not programmes.exists():
        return None
    initial = {"date": local_today()}
    return CaseSupportForm(data, programmes=programmes, initial=initial)


def _case_page(request: HttpRequest, case: Case, status: int = 200, **forms: Form) -> HttpResponse:
    """The case. `whole`: the child is in the user's scope; otherwise (an assignee from
    outside) the page leaves out what others' visits found and the support received."""
    user = _user(request)
    today = local_today()
    whole = sees_whole_case(user, case)
    may = can_act(user, case) and case.status == CaseStatus.OPEN
    visits = list(case.visits.prefetch_related("causes"))
    person = case.student or case.child
    assert person is not None
    born = person.birth_date.year if person.birth_date else getattr(person, "birth_year", None)
    ctx: dict[str, Any] = {
        "case": case,
        "person": person,
        "birth_year": born,
        "household": person.household,
        "whole": whole,
        "steps": list(case.steps.order_by("position")),
        "events": list(case.events.select_related("by")),
        "visits": [(v, whole or v.recorded_by_id == user.pk) for v in visits],
        "deliveries": list(case.deliveries.select_related("programme")) if whole else [],
        "assignments": list(case.assignments.filter(end__isnull=True).select_related("user")),
        "may": may,
        "may_close": may and can_manage(user, case),
        "step_form": forms.get("step_form") or StepForm(initial={"on": today}),
        "visit_form": forms.get("visit_form") or VisitForm(initial={"date": today}),
        "close_form": forms.get("close_form") or CloseForm(initial={"on": today}),
        "support_form": forms.get("support_form") or (_support_form(user, case) if whole else None),
        "visits_text": _visits_text(),
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
    allowed: Callable[[User, Case], bool] = can_act,
) -> HttpResponse:
    """Validate `form_class`, run the service `action` on the case; errors back on the
    case page (400) under `form_name`."""
    case = get_case_for_user(request.user, pk)
    if not allowed(_user(request), case):
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
    return _case_action(request, pk, CloseForm, services.close_case, "close_form", can_manage)


@login_required
@require_POST
def case_support(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a delivery to the case's child (a bicycle, a scholarship…), linked to the
    case."""
    user = _user(request)
    case = get_case_for_user(user, pk)
    form = _support_form(user, case, request.POST) if sees_whole_case(user, case) else None
    if form is None:
        return _forbidden(request)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.deliver(
                programme=data["programme"],
                student=case.student,
                child=case.child,
                case=case,
                date=data["date"],
                amount=data["amount"],
                delivered_by=data["delivered_by"],
                by=user,
            )
        except OutreachError as exc:
            _add(form, exc)
        else:
            return redirect("case-detail", pk=case.pk)
    return _case_page(request, case, 400, support_form=form)


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
    rows = selectors.what_works(cases_in_unit(request.user, unit), unit)
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
    stamp = export_stamp(request, object_type="unit", object_id=unit.pk, detail="xlsx", names=False)
    body = meetings_xlsx(title, selectors.unit_meetings(unit), stamp=stamp)
    record_export(stamp)
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
    rows = selectors.partner_rows(case_list, fields)
    record_list_read(
        request, object_type="partner_list", object_id=pk, rows=len(rows), reason=case_list.name
    )
    ctx = {"case_list": case_list, "rows": rows, "fields": fields}
    return render(request, "outreach/partner_list.html", ctx)
