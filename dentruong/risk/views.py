"""Pages of the early warning: the teacher's class list, the school's and commune's call
list, a student's risk (history + the teacher's flags), the evaluation. Thin: access
helpers, then selectors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dentruong.accounts.models import User
from dentruong.attendance import params
from dentruong.notices.services import local_today
from dentruong.orgs.access import get_class_for_user, get_unit_for_user
from dentruong.people.access import can_edit_student, get_student_for_user, students_for_user
from dentruong.people.models import Student
from dentruong.risk import selectors, services
from dentruong.risk.access import can_read_risk, get_flag_for_user
from dentruong.risk.models import FlagKind, Level, RiskModel, TeacherFlag
from dentruong.risk.rules import RANK, reasons_text

LIST_LIMIT = 500


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "attendance/forbidden.html",
        {"message": _("You may not see students' dropout risk here.")},
        status=403,
    )


def _day(request: HttpRequest) -> tuple[dt.date | None, str]:
    try:
        return params.parse_date(request.GET.get("date"), "date"), ""
    except params.ParamError as bad:
        return None, bad.message


def _shown(rows: list[selectors.ListRow]) -> list[dict[str, Any]]:
    return [
        {"row": r, "label": Level(r.level).label, "reasons": reasons_text(r.reasons)} for r in rows
    ]


@login_required
@require_GET
def class_risk(request: HttpRequest, pk: int) -> HttpResponse:
    """The homeroom teacher's list: the class's students by risk, with the reasons."""
    school_class = get_class_for_user(request.user, pk)
    if not can_read_risk(request.user):
        return _forbidden(request)
    day, error = _day(request)
    rows = (
        []
        if error
        else selectors.class_list(
            school_class.pk, day=day, visible=students_for_user(request.user).values("pk")
        )
    )
    return render(
        request,
        "risk/class_list.html",
        {"school_class": school_class, "items": _shown(rows), "day": day, "error": error},
    )


@login_required
@require_GET
def unit_risk(request: HttpRequest, pk: int) -> HttpResponse:
    """The call list of a school or commune: medium and high (or high only), highest
    first, at most N (the home visits the unit can make)."""
    unit = get_unit_for_user(request.user, pk)
    if not can_read_risk(request.user):
        return _forbidden(request)
    day, error = _day(request)
    level = request.GET.get("level") or "medium"
    if level not in (Level.MEDIUM, Level.HIGH):
        error = _("“%(value)s” is not one of: %(choices)s.") % {
            "value": level[:20],
            "choices": "medium, high",
        }
    limit = None
    try:
        limit = params.parse_int(request.GET.get("limit"), "limit")
        if limit is not None and limit < 1:
            raise params.ParamError("invalid_number", _("The number must be at least 1."))
    except params.ParamError as bad:
        error = bad.message
    rows: list[selectors.ListRow] = []
    counts = {}
    if not error:
        rows = selectors.unit_list(
            unit.path,
            day=day,
            min_level=level,
            limit=min(limit or LIST_LIMIT, LIST_LIMIT),
            visible=students_for_user(request.user).values("pk"),
        )
        counts = selectors.level_counts(unit.path, day)
    return render(
        request,
        "risk/unit_list.html",
        {
            "unit": unit,
            "items": _shown(rows),
            "counts": counts,
            "day": day,
            "level": level,
            "limit": limit or "",
            "error": error,
        },
    )


def _student_ctx(request: HttpRequest, student: Student) -> dict[str, Any]:
    history = selectors.student_history(student.pk)
    return {
        "student": student,
        "history": [
            {"row": a, "label": a.get_level_display(), "reasons": reasons_text(a.reasons)}
            for a in history
        ],
        "flags": TeacherFlag.objects.filter(student=student).order_by("-start", "-pk"),
        "flag_kinds": FlagKind.choices,
        "can_flag": can_edit_student(request.user, student),
        "today": local_today(),
    }


@login_required
@require_GET
def student_risk(request: HttpRequest, pk: int) -> HttpResponse:
    student = get_student_for_user(request.user, pk)
    if not can_read_risk(request.user):
        return _forbidden(request)
    return render(request, "risk/student.html", _student_ctx(request, student))


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
@require_POST
def flag_add(request: HttpRequest, pk: int) -> HttpResponse:
    student = get_student_for_user(request.user, pk)
    if not can_edit_student(request.user, student):
        return _forbidden(request)
    try:
        start = params.parse_date(request.POST.get("start"), "start") or local_today()
        services.add_flag(
            student=student,
            kind=request.POST.get("kind", ""),
            note=request.POST.get("note", ""),
            start=start,
            by=_user(request),
        )
    except (services.RiskError, params.ParamError) as bad:
        ctx = _student_ctx(request, student) | {"error": bad.message}
        return render(request, "risk/student.html", ctx, status=422)
    return redirect("student-risk", pk=student.pk)


@login_required
@require_POST
def flag_clear(request: HttpRequest, pk: int) -> HttpResponse:
    flag = get_flag_for_user(request.user, pk)
    if not can_edit_student(request.user, flag.student):
        return _forbidden(request)
    try:
        services.clear_flag(flag=flag, by=_user(request), day=local_today())
    except services.RiskError as bad:
        ctx = _student_ctx(request, flag.student) | {"error": bad.message}
        return render(request, "risk/student.html", ctx, status=422)
    return redirect("student-risk", pk=flag.student_id)


def risk_panel(request: HttpRequest, student: Student) -> dict[str, Any]:
    """For the student page: the last assessments (a small panel, one query)."""
    if not can_read_risk(request.user):
        return {}
    history = selectors.student_history(student.pk)[:5]
    return {
        "risk_history": [
            {"row": a, "label": a.get_level_display(), "reasons": reasons_text(a.reasons)}
            for a in history
        ]
    }


@login_required
@require_GET
def unit_evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    """The models trained for this unit or above it, with their cards: forward
    validation against the rules, per-group figures and warnings. No child is named."""
    unit = get_unit_for_user(request.user, pk)
    if not can_read_risk(request.user):
        return _forbidden(request)
    models = RiskModel.objects.filter(
        Q(unit_path__in=unit.ancestor_paths()) | Q(unit_path__startswith=unit.path)
    ).order_by("-created_at", "-pk")
    return render(
        request,
        "risk/evaluation.html",
        {"unit": unit, "models": models, "rank": RANK},
    )
