"""Pages of reports: the schedules a user receives or reports under, one deadline's
completeness and roll-up, the review-and-submit page of a unit, a frozen submission
with its exports, and the dashboards. Thin: access helpers, a service or a selector,
render."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dentruong.accounts.models import User
from dentruong.audit.exports import export_stamp, record_export
from dentruong.enrollment.selectors import dropout_report
from dentruong.orgs.access import get_unit_for_user
from dentruong.orgs.models import OrgUnit
from dentruong.reports import charts, deadlines, documents, selectors, services
from dentruong.reports.access import (
    can_manage,
    can_see_status,
    can_see_status_path,
    can_submit,
    get_reporter_for_user,
    get_schedule_for_user,
    get_submission_for_user,
    schedules_for_user,
)
from dentruong.reports.definitions import PERIOD_LABELS, REGISTRY
from dentruong.reports.figures import Figures
from dentruong.reports.forms import ScheduleForm
from dentruong.reports.models import ReportSchedule, Submission

EXPORTS: dict[str, tuple[str, Callable[[Submission], bytes]]] = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", documents.xlsx),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        documents.docx,
    ),
    "pdf": ("application/pdf", documents.pdf),
}


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "front/forbidden.html", {"message": message}, status=403)


def _due(request: HttpRequest, rule: deadlines.Rule, now: dt.datetime) -> dt.datetime | None:
    """The deadline asked for (?due=2026-10-05T10:00), else the last one passed, else the
    next one; None when `due` is not a deadline of the rule."""
    raw = request.GET.get("due") or request.POST.get("due")
    if raw:
        try:
            due = deadlines.local(dt.datetime.fromisoformat(raw))
        except ValueError:
            return None
        return due if selectors.is_occurrence(rule, due) else None
    return deadlines.last_due(rule, now) or deadlines.next_due(rule, now)


def _own_unit_ids(request: HttpRequest) -> list[int]:
    from dentruong.accounts.models import Membership

    return list(
        Membership.objects.active()
        .filter(user_id=request.user.pk or 0, unit__isnull=False, school_class__isnull=True)
        .values_list("unit_id", flat=True)
    )


@login_required
def reports_home(request: HttpRequest) -> HttpResponse:
    """Schedules the user receives reports under (with completeness) or reports under."""
    now = timezone.now()
    rows = []
    own_units = list(OrgUnit.objects.filter(pk__in=_own_unit_ids(request)))
    own = [u for u in own_units if can_submit(request.user, u)]
    schedules = list(schedules_for_user(request.user).select_related("unit").order_by("name", "pk"))
    rules = selectors.rules_for(schedules)
    for schedule in schedules:
        rule = rules[schedule.pk]
        rows.append(
            {
                "schedule": schedule,
                "next": deadlines.next_due(rule, now),
                "last": deadlines.last_due(rule, now),
                "receiver": can_see_status(request.user, schedule),
                "mine": [
                    u
                    for u in own
                    if u.kind == schedule.reporter_kind and u.path.startswith(schedule.unit.path)
                ],
            }
        )
    managed = [u for u in own_units if u.kind in ("commune", "province")]
    return render(request, "reports/home.html", {"rows": rows, "now": now, "managed": managed})


@login_required
def schedule_status(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_schedule_for_user(request.user, pk)
    if not can_see_status(request.user, schedule):
        return _forbidden(request, _("Only the level receiving these reports sees who sent them."))
    now = timezone.now()
    rule = selectors.rule_of(schedule)
    due = _due(request, rule, now)
    if due is None:
        return render(
            request,
            "front/forbidden.html",
            {"message": _("This is not a deadline of the schedule.")},
            status=400,
        )
    status = selectors.deadline_status(schedule, due, now=now, rule=rule)
    recent = selectors.recent_deadlines(rule, now=now, past=6, ahead=1)
    return render(
        request,
        "reports/status.html",
        {
            "schedule": schedule,
            "status": status,
            "recent": recent,
            "tables": documents.tables(status.rolled_up) if status.rolled_up else [],
            "now": now,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_submit(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    schedule = get_schedule_for_user(request.user, pk)
    unit = get_reporter_for_user(request.user, schedule, unit_pk)
    if not can_submit(request.user, unit):
        return _forbidden(request, _("Only the unit's leader submits its report."))
    now = timezone.now()
    rule = selectors.rule_of(schedule)
    due = _due(request, rule, now)
    error = None
    if due is None:
        error = _("This is not a deadline of the schedule.")
    elif request.method == "POST":
        assert isinstance(request.user, User)
        try:
            submission = services.submit(
                schedule=schedule,
                unit=unit,
                due_at=due,
                by=request.user,
                assessment=request.POST.get("assessment", ""),
                proposals=request.POST.get("proposals", ""),
                reason=request.POST.get("reason", ""),
                now=now,
            )
        except services.ReportError as exc:
            error = exc.message
        else:
            return redirect("submission-detail", pk=submission.pk)
    figures = None
    previous = None
    if due is not None:
        start, end = deadlines.period_of(rule, due)
        figures = REGISTRY[schedule.report].compute(unit, start, end, deadlines.local(now).date())
        previous = schedule.submissions.filter(unit=unit, due_at=due).order_by("-version").first()
    return render(
        request,
        "reports/submit.html",
        {
            "schedule": schedule,
            "unit": unit,
            "due": due,
            "figures": figures,
            "tables": documents.tables(figures) if figures else [],
            "previous": previous,
            "error": error,
            "post": request.POST,
            "locked": due is not None
            and deadlines.is_locked(now, due, schedule.lock_after_minutes),
        },
        status=422 if error and request.method == "POST" else 200,
    )


@login_required
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = get_submission_for_user(request.user, pk)
    figures = Figures.from_json(submission.figures)
    versions = submission.schedule.submissions.filter(
        unit=submission.unit, due_at=submission.due_at
    ).order_by("version")
    return render(
        request,
        "reports/submission.html",
        {
            "submission": submission,
            "figures": figures,
            "tables": documents.tables(figures),
            "versions": versions,
            "definition": REGISTRY.get(submission.report),
        },
    )


@login_required
def submission_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in EXPORTS:
        raise Http404
    submission = get_submission_for_user(request.user, pk)
    content_type, make = EXPORTS[fmt]
    # The .xlsx lists the children behind the numbers, when there are: it needs a purpose
    # and names its exporter; the .docx / PDF báo cáo (figures only) is signed by the unit.
    xlsx = fmt == "xlsx"
    names = xlsx and bool(Figures.from_json(submission.figures).names)
    stamp = export_stamp(
        request, object_type="submission", object_id=submission.pk, detail=fmt, names=names
    )
    body = documents.xlsx(submission, stamp=stamp) if xlsx else make(submission)
    record_export(stamp, rows=stamp.rows if xlsx else None)
    response = HttpResponse(body, content_type=content_type)
    name = (
        f"bao-cao-{submission.report}-{submission.unit_id}-"
        f"{submission.period_end:%Y%m%d}-v{submission.version}.{fmt}"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def unit_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    """Charts of a unit: attendance over the weeks, dropouts by period, completeness of
    the reports it receives."""
    unit = get_unit_for_user(request.user, pk)
    if not can_see_status_path(request.user, unit.path):
        return _forbidden(request, _("Dashboards are for school leaders and officers."))
    now = timezone.now()
    today = deadlines.local(now).date()
    weeks = selectors.weekly_attendance(unit, weeks=10, today=today)
    attendance = charts.line(
        [(f"{w:%d/%m}", v) for w, v in weeks], title=_("Attendance rate by week (%)")
    )
    report = dropout_report(unit.path, on=today)
    tally = report.recorded_tally
    periods = [(str(PERIOD_LABELS[p]), [tally.by_period[p]]) for p in ("summer", "term1", "term2")]
    periods.append((str(PERIOD_LABELS["after_tet"]), [tally.after_tet]))
    dropouts = charts.bars(periods, title=_("Dropouts this school year by period"))
    completeness = []
    for schedule in (
        ReportSchedule.objects.filter(unit=unit).select_related("unit").order_by("name")[:5]
    ):
        rule = selectors.rule_of(schedule)
        dues = selectors.recent_deadlines(rule, now=now, past=6, ahead=0)
        series = selectors.completeness_series(schedule, dues, now=now)
        completeness.append(
            (
                schedule,
                charts.bars(
                    [(f"{d:%d/%m}", [a, b, c]) for d, a, b, c in series],
                    title=schedule.name,
                    legend=[_("On time"), _("Late"), _("Not submitted")],
                ),
            )
        )
    mobilization = None
    if "mobilization" in REGISTRY:
        section = (
            REGISTRY["mobilization"]
            .compute(unit, today, today, today)
            .section("mobilization_by_grade")
        )
        if section is not None and section.rows:
            mobilization = charts.bars(
                [(r.key, [r.values["enrolled"], r.values["to_mobilize"]]) for r in section.rows],
                title=_("Mobilization against targets by grade"),
                legend=[_("Enrolled"), _("Still to mobilise")],
            )
    context: dict[str, Any] = {
        "mobilization": mobilization,
        "unit": unit,
        "attendance": attendance,
        "dropouts": dropouts,
        "completeness": completeness,
        "dropout_total": tally.total,
    }
    return render(request, "reports/dashboard.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def schedule_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A schedule for the units under `pk` (a commune's schools, a province's communes)."""
    unit = get_unit_for_user(request.user, pk)
    if not can_manage(request.user, unit):
        return _forbidden(request, _("Only the unit's officers set report schedules."))
    parents = schedules_for_user(request.user).filter(
        unit__path__in=unit.ancestor_paths()[:-1], reporter_kind=unit.kind
    )
    form = ScheduleForm(request.POST or None, parents=parents)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            schedule = services.create_schedule(
                by=request.user if isinstance(request.user, User) else None,
                unit=unit,
                **{k: v for k, v in data.items() if k != "remind_before_minutes"},
                remind_before_minutes=data["remind_before_minutes"] or 0,
            )
        except services.ReportError as exc:
            error = exc.message
        else:
            return redirect("schedule-status", pk=schedule.pk)
    return render(
        request,
        "reports/schedule_form.html",
        {"unit": unit, "form": form, "error": error},
        status=422 if request.method == "POST" else 200,
    )


def home_links(user: Any, units: list[OrgUnit]) -> list[OrgUnit]:
    """Units whose dashboard the home page links to."""
    return [u for u in units if can_see_status_path(user, u.path)]
