"""Pages of the enrollment lifecycle: the event form of the student page, a school's
transfers (confirm / decline), a unit's dropout report with the names behind each number.
Thin: access helpers, a form, a service or a selector, render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from dentruong.accounts.models import User
from dentruong.attendance.services import local_today
from dentruong.enrollment import selectors, services
from dentruong.enrollment.access import (
    can_decide_transfer,
    can_read_events,
    can_record_event,
    get_transfer_for_user,
    leads_school,
    teaches_class,
)
from dentruong.enrollment.codes import DropoutReason, Period, Whereabouts
from dentruong.enrollment.forms import ConfirmForm, DeclineForm, EventForm, ReportForm
from dentruong.enrollment.models import Enrollment
from dentruong.enrollment.periods import lost_before
from dentruong.enrollment.services import EnrollmentError
from dentruong.orgs.access import classes_for_user, get_school_for_user, get_unit_for_user
from dentruong.orgs.models import Level, School, SchoolClass
from dentruong.people.access import get_student_for_user
from dentruong.people.models import Student


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _forms_scope(request: HttpRequest, student: Student) -> tuple[Any, Any]:
    classes = classes_for_user(request.user).select_related("school", "school_year")
    if student.school_id:
        classes = classes.filter(school_id=student.school_id)
    schools: QuerySet[School] = School.objects.order_by("name")
    if student.school is not None:
        province = student.school.unit.ancestor_paths()[0]
        schools = schools.filter(unit__path__startswith=province).exclude(pk=student.school.pk)
    return classes.order_by("-school_year__start_year", "grade", "name"), schools


def student_panel(
    request: HttpRequest, student: Student, form: EventForm | None = None
) -> dict[str, Any]:
    """Context of the enrollment card of the student page (`enrollment/_student_panel.html`):
    whether the user may record an event, and the form."""
    current = Enrollment.objects.current().filter(student=student).first()
    may = bool(
        (student.school is not None and leads_school(request.user, student.school.unit.path))
        or (current is not None and teaches_class(request.user, current.school_class_id))
    )
    if may and form is None:
        classes, schools = _forms_scope(request, student)
        form = EventForm(classes=classes, schools=schools)
    return {"may_record": may, "event_form": form, "student": student}


@login_required
@require_http_methods(["POST"])
def student_event_add(request: HttpRequest, pk: int) -> HttpResponse:
    student = get_student_for_user(request.user, pk)
    classes, schools = _forms_scope(request, student)
    form = EventForm(request.POST, classes=classes, schools=schools)
    if form.is_valid():
        kwargs = form.service_kwargs()
        school_class: SchoolClass | None = kwargs["school_class"]
        if school_class is not None:
            school_class = SchoolClass.objects.select_related("school__unit", "school_year").get(
                pk=school_class.pk
            )
            kwargs["school_class"] = school_class
        if not can_record_event(request.user, student, kwargs["kind"], school_class):
            return render(request, "front/forbidden.html", status=403)
        try:
            services.record_event(student=student, by=_user(request), **kwargs)
        except EnrollmentError as exc:
            form.refuse(exc)
        else:
            return redirect("student-detail", pk=student.pk)
    ctx = student_panel(request, student, form)
    return render(request, "enrollment/event_form_page.html", ctx, status=400)


def _transfers_page(
    request: HttpRequest, school: School, status: int = 200, errors: dict[int, Any] | None = None
) -> HttpResponse:
    incoming, outgoing = selectors.school_transfers(school.pk)
    classes = (
        SchoolClass.objects.filter(school=school)
        .select_related("school", "school_year")
        .order_by("-school_year__start_year", "grade", "name")
    )
    leader = leads_school(request.user, school.unit.path)
    ctx = {
        "school": school,
        "incoming": incoming,
        "outgoing": outgoing,
        "leader": leader,
        "confirm_form": ConfirmForm(classes=classes),
        "decline_form": DeclineForm(),
        "errors": errors or {},
        "lost_before": lost_before(local_today(), _confirm_days()),
        "today": local_today(),
    }
    return render(request, "enrollment/school_transfers.html", ctx, status=status)


def _confirm_days() -> int:
    return int(settings.TRANSFER_CONFIRM_DAYS)


@login_required
def school_transfers(request: HttpRequest, pk: int) -> HttpResponse:
    school = get_school_for_user(request.user, pk)
    if not can_read_events(request.user):
        return render(request, "front/forbidden.html", status=403)
    return _transfers_page(request, school)


@login_required
@require_http_methods(["POST"])
def transfer_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = get_transfer_for_user(request.user, pk)
    if not can_decide_transfer(request.user, transfer):
        return render(request, "front/forbidden.html", status=403)
    school = transfer.to_school
    form = ConfirmForm(request.POST, classes=SchoolClass.objects.filter(school=school))
    if form.is_valid():
        try:
            services.confirm_transfer(
                transfer=transfer,
                school_class=form.cleaned_data["school_class"],
                on=form.cleaned_data["date"],
                by=_user(request),
            )
        except EnrollmentError as exc:
            return _transfers_page(request, school, 400, {transfer.pk: [exc.message]})
        return redirect("school-transfers", pk=school.pk)
    messages = [str(m) for errs in form.errors.values() for m in errs]
    return _transfers_page(request, school, 400, {transfer.pk: messages})


@login_required
@require_http_methods(["POST"])
def transfer_decline(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = get_transfer_for_user(request.user, pk)
    if not can_decide_transfer(request.user, transfer):
        return render(request, "front/forbidden.html", status=403)
    school = transfer.to_school
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.decline_transfer(
                transfer=transfer, reason=form.cleaned_data["reason"], by=_user(request)
            )
        except EnrollmentError as exc:
            return _transfers_page(request, school, 400, {transfer.pk: [exc.message]})
        return redirect("school-transfers", pk=school.pk)
    messages = [str(m) for errs in form.errors.values() for m in errs]
    return _transfers_page(request, school, 400, {transfer.pk: messages})


@login_required
def unit_dropouts(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_unit_for_user(request.user, pk)
    if not can_read_events(request.user):
        return render(request, "front/forbidden.html", status=403)
    form = ReportForm(request.GET or None)
    on = local_today()
    year = None
    if form.is_valid():
        on = form.cleaned_data["on"] or on
        year = form.cleaned_data["school_year"]
    report = selectors.dropout_report(unit.path, on=on, school_year=year)
    still = report.still_out
    levels = [Level.PRIMARY, Level.LOWER_SECONDARY, Level.UPPER_SECONDARY]
    periods = [(p.value, p.label) for p in Period]

    def named(pred: Any) -> list[Any]:
        return [r for r in still if pred(r)]

    groups = {
        "levels": [(lv.label, named(lambda r, lv=lv: r.level == lv)) for lv in levels],
        "periods": [(label, named(lambda r, p=p: r.period == p)) for p, label in periods],
        "after_tet": named(lambda r: r.after_tet),
        "reasons": [
            (label, named(lambda r, c=code: r.reason_code == c))
            for code, label in DropoutReason.choices
        ],
        "left": [
            (label, named(lambda r, c=code: r.kind == "left_locality" and r.whereabouts == c))
            for code, label in Whereabouts.choices
        ],
    }
    ctx = {
        "unit": unit,
        "form": form,
        "report": report,
        "tally": report.still_out_tally,
        "recorded_tally": report.recorded_tally,
        "groups": groups,
        "lost": selectors.lost_transfers(unit.path, today=local_today()),
    }
    return render(request, "enrollment/unit_dropouts.html", ctx)
