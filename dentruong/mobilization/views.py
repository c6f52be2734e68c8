"""Pages of mobilization: a school's targets (form), a unit's mobilization report with
the names behind each number, the out-of-school list (page and .xlsx), and the review
queue of the matching. Thin: access helpers, a form, a service or a selector, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dentruong.accounts.models import User
from dentruong.attendance.services import local_today
from dentruong.audit.exports import export_stamp, record_export
from dentruong.enrollment.selectors import default_school_year
from dentruong.mobilization import selectors, services
from dentruong.mobilization.access import (
    can_decide_match,
    can_read_reports,
    can_set_targets,
    get_match_for_user,
    matches_for_user,
    sees_family_situation,
)
from dentruong.mobilization.exports import out_of_school_xlsx
from dentruong.mobilization.forms import NamesForm, ReportForm, TargetsForm
from dentruong.mobilization.models import GradeTarget
from dentruong.mobilization.services import MobilizationError
from dentruong.orgs.access import get_school_for_user, get_unit_for_user
from dentruong.orgs.models import OrgUnit, SchoolYear

NAMES_PAGE = 500


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "front/forbidden.html", status=403)


@login_required
@require_http_methods(["GET", "POST"])
def school_targets(request: HttpRequest, pk: int) -> HttpResponse:
    school = get_school_for_user(request.user, pk)
    grades = services.school_grades(school)
    may = can_set_targets(request.user, school)
    raw_year = request.POST.get("school_year") or request.GET.get("school_year") or ""
    year_no = int(raw_year) if raw_year.isdigit() else default_school_year(local_today())
    year = SchoolYear.objects.filter(start_year=year_no).first()
    current = {
        t.grade: t.target
        for t in GradeTarget.objects.filter(school=school, school_year__start_year=year_no)
    }
    status = 200
    if request.method == "POST":
        if not may:
            return _forbidden(request)
        form = TargetsForm(request.POST, grades=grades)
        if year is None:
            form.add_error(None, _("This school year does not exist."))
        elif form.is_valid():
            try:
                services.set_targets(
                    school=school, school_year=year, targets=form.targets(), by=_user(request)
                )
            except MobilizationError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect(f"{request.path}?school_year={year_no}")
        status = 400
    else:
        form = TargetsForm(
            initial={f"grade_{g}": v for g, v in current.items()} | {"school_year": year_no},
            grades=grades,
        )
    ctx = {
        "school": school,
        "form": form,
        "may": may,
        "year_no": year_no,
        "year_label": f"{year_no}–{year_no + 1}",
        "rows": [(g, form[f"grade_{g}"], current.get(g)) for g in grades],
        "total": sum(current.values()),
    }
    return render(request, "mobilization/school_targets.html", ctx, status=status)


def _report_params(request: HttpRequest) -> tuple[ReportForm, int, dt.date]:
    form = ReportForm(request.GET or None)
    on = local_today()
    year = default_school_year(on)
    if form.is_valid():
        on = form.cleaned_data["on"] or on
        year = form.cleaned_data["school_year"] or default_school_year(on)
    return form, year, on


def _unit(request: HttpRequest, pk: int) -> OrgUnit | None:
    unit = get_unit_for_user(request.user, pk)
    return unit if can_read_reports(request.user) else None


@login_required
def unit_mobilization(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit(request, pk)
    if unit is None:
        return _forbidden(request)
    form, year, on = _report_params(request)
    report = selectors.mobilization_report(unit.path, school_year=year, on=on)
    query = f"school_year={year}&on={on:%d/%m/%Y}"
    ctx: dict[str, Any] = {"unit": unit, "form": form, "report": report, "query": query}
    return render(request, "mobilization/unit_mobilization.html", ctx)


MEASURE_TITLES = {
    "enrolled": "Enrolled",
    "at_start": "Enrolled at the start of the year",
    "dropouts": "Dropped out",
    "repeaters": "Repeating the grade",
    "completers": "Completed the level",
    "intake": "Intake of the cohort",
    "residents": "Resident children of the age",
    "residents_enrolled": "Resident children in school",
    "residents_out": "Resident children out of school",
    "six_in_grade_1": "6-year-olds in grade 1",
}


@login_required
def unit_mobilization_names(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit(request, pk)
    if unit is None:
        return _forbidden(request)
    _form, year, on = _report_params(request)
    names = NamesForm(request.GET)
    if not names.is_valid():
        ctx = {"unit": unit, "errors": names.errors, "rows": [], "total": 0}
        return render(request, "mobilization/unit_names.html", ctx, status=400)
    page = names.cleaned_data["page"] or 1
    measure = names.cleaned_data["measure"]
    total, rows = selectors.names_behind(
        unit.path,
        school_year=year,
        on=on,
        measure=measure,
        grade=names.cleaned_data["grade"],
        level=names.cleaned_data["level"] or None,
        limit=NAMES_PAGE,
        offset=(page - 1) * NAMES_PAGE,
    )
    ctx = {
        "unit": unit,
        "title": _(MEASURE_TITLES[measure]),
        "grade": names.cleaned_data["grade"],
        "level": names.cleaned_data["level"],
        "rows": rows,
        "total": total,
        "page": page,
        "more": page * NAMES_PAGE < total,
        "next_query": _with_page(request, page + 1),
        "year": year,
        "on": on,
    }
    return render(request, "mobilization/unit_names.html", ctx)


def _with_page(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return query.urlencode()


def _out_of_school(request: HttpRequest, unit: OrgUnit) -> tuple[int, bool, list[Any]]:
    _form, year, _on = _report_params(request)
    sensitive = sees_family_situation(request.user, unit.path)
    rows = selectors.out_of_school(
        unit.path,
        school_year=year,
        sensitive=sensitive,
        include_moved=request.GET.get("include_moved") == "1",
    )
    return year, sensitive, rows


@login_required
def unit_out_of_school(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit(request, pk)
    if unit is None:
        return _forbidden(request)
    year, sensitive, rows = _out_of_school(request, unit)
    ctx = {
        "unit": unit,
        "rows": rows,
        "sensitive": sensitive,
        "year": year,
        "include_moved": request.GET.get("include_moved") == "1",
        "query": request.GET.urlencode(),
    }
    return render(request, "mobilization/unit_out_of_school.html", ctx)


@login_required
def unit_out_of_school_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit(request, pk)
    if unit is None:
        return _forbidden(request)
    stamp = export_stamp(request, object_type="unit", object_id=unit.pk, detail="xlsx")
    year, sensitive, rows = _out_of_school(request, unit)
    title = _("Children out of school · %(unit)s · school year %(year)s") % {
        "unit": unit.name,
        "year": f"{year}–{year + 1}",
    }
    body = out_of_school_xlsx(title, rows, sensitive, stamp=stamp)
    record_export(stamp)
    response = HttpResponse(
        body,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="out-of-school-{unit.code}-{year}.xlsx"'
    )
    return response


@login_required
def unit_matches(
    request: HttpRequest, pk: int, errors: dict[int, str] | None = None
) -> HttpResponse:
    unit = get_unit_for_user(request.user, pk)
    rows = list(
        selectors.pending_matches(unit.path).filter(pk__in=matches_for_user(request.user))[:200]
    )
    ctx = {"unit": unit, "rows": rows, "errors": errors or {}}
    return render(request, "mobilization/unit_matches.html", ctx, status=400 if errors else 200)


def _decide(request: HttpRequest, pk: int, accept: bool) -> HttpResponse:
    candidate = get_match_for_user(request.user, pk)
    if not can_decide_match(request.user, candidate):
        return _forbidden(request)
    commune = candidate.child.village.parent
    unit_pk = commune.pk if commune is not None else candidate.child.village.pk
    try:
        if accept:
            services.accept_match(candidate=candidate, by=_user(request))
        else:
            services.reject_match(
                candidate=candidate, by=_user(request), note=request.POST.get("note", "")
            )
    except MobilizationError as exc:
        return unit_matches(request, unit_pk, errors={candidate.pk: exc.message})
    return redirect("unit-matches", pk=unit_pk)


@login_required
@require_http_methods(["POST"])
def match_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, True)


@login_required
@require_http_methods(["POST"])
def match_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, False)
