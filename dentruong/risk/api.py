"""/api/v1/ endpoints of the early warning: a class's list, a unit's call list, a
student's risk history and the teacher's flags (read, set, clear), the model cards.

Access as for the pages (`risk/access.py`): out of scope 404; partner-only 403; a flag
needs `can_edit_student`. Errors a client can fix: 422 `{"errors": {field: [{message,
code}]}}`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from dentruong.api_common import FieldError, ValidationErrors, error_body, signed_in_user
from dentruong.notices.services import local_today
from dentruong.orgs.access import get_class_for_user, get_unit_for_user
from dentruong.people.access import can_edit_student, get_student_for_user, students_for_user
from dentruong.risk import selectors, services
from dentruong.risk.access import can_read_risk, get_flag_for_user
from dentruong.risk.models import Level, RiskModel, TeacherFlag
from dentruong.risk.rules import reasons_text

router = Router(tags=["risk"])
MAX_ROWS = 2000  # a call list longer than this is not a list anyone can call


class ReasonOut(Schema):
    code: str
    text: str = Field(description="The reason in the request's language")
    params: dict[str, Any]


class RiskRowOut(Schema):
    student_id: int
    name: str
    class_id: int
    class_name: str
    school_name: str
    level: str = Field(description="low, medium or high")
    level_label: str
    points: int
    since: dt.date
    reasons: list[ReasonOut]


class RiskListOut(Schema):
    date: dt.date | None = Field(description="As it was on this date; null: now")
    items: list[RiskRowOut]


class HistoryOut(Schema):
    date: dt.date
    valid_until: dt.date | None
    level: str
    level_label: str
    source: str = Field(description="rules, or model:<version>")
    probability: float | None
    class_id: int
    reasons: list[ReasonOut]


class FlagIn(Schema):
    kind: str = Field(description="academic, marriage, working or moving")
    start: dt.date | None = Field(None, description="From this day (default: today)")
    note: str = ""


class FlagOut(Schema):
    id: int
    student_id: int
    kind: str
    start: dt.date
    cleared_on: dt.date | None
    note: str


class ModelOut(Schema):
    version: str
    kind: str
    unit_path: str
    created_at: dt.datetime
    beats_rules: bool
    active: bool
    card: dict[str, Any]


def _no_risk() -> dict[str, str]:
    return {"message": _("You may not see students' dropout risk here."), "code": "forbidden"}


def _reasons(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    texts = reasons_text(reasons)
    return [
        {"code": r["code"], "text": t, "params": {k: v for k, v in r.items() if k != "code"}}
        for r, t in zip(reasons, texts, strict=True)
    ]


def _row(r: selectors.ListRow) -> dict[str, Any]:
    return {
        "student_id": r.student_id,
        "name": r.name,
        "class_id": r.class_id,
        "class_name": r.class_name,
        "school_name": r.school_name,
        "level": r.level,
        "level_label": str(Level(r.level).label),
        "points": r.points,
        "since": r.since,
        "reasons": _reasons(r.reasons),
    }


def _flag(f: TeacherFlag) -> dict[str, Any]:
    return {
        "id": f.pk,
        "student_id": f.student_id,
        "kind": f.kind,
        "start": f.start,
        "cleared_on": f.cleared_on,
        "note": f.note,
    }


@router.get("/classes/{class_id}/risk", response={200: RiskListOut, 403: FieldError})
def class_risk(request: HttpRequest, class_id: int, date: dt.date | None = None) -> Status[Any]:
    """The class's students with a level above low or a reason, highest risk first."""
    school_class = get_class_for_user(request.user, class_id)
    if not can_read_risk(request.user):
        return Status(403, _no_risk())
    rows = selectors.class_list(
        school_class.pk, day=date, visible=students_for_user(request.user).values("pk")
    )
    return Status(200, {"date": date, "items": [_row(r) for r in rows]})


@router.get(
    "/units/{unit_id}/risk",
    response={200: RiskListOut, 403: FieldError, 422: ValidationErrors},
)
def unit_risk(
    request: HttpRequest,
    unit_id: int,
    date: dt.date | None = None,
    level: str = "medium",
    limit: int | None = None,
) -> Status[Any]:
    """The call list of a school or commune (its unit id): `level` medium (medium and
    high) or high, highest first, at most `limit` (the home visits it can make; at most
    2,000 rows)."""
    unit = get_unit_for_user(request.user, unit_id)
    if not can_read_risk(request.user):
        return Status(403, _no_risk())
    if level not in (Level.MEDIUM, Level.HIGH):
        return Status(422, error_body("invalid_choice", _("Choose medium or high."), "level"))
    if limit is not None and limit < 1:
        return Status(
            422, error_body("invalid_number", _("The number must be at least 1."), "limit")
        )
    rows = selectors.unit_list(
        unit.path,
        day=date,
        min_level=level,
        limit=min(limit or MAX_ROWS, MAX_ROWS),
        visible=students_for_user(request.user).values("pk"),
    )
    return Status(200, {"date": date, "items": [_row(r) for r in rows]})


@router.get("/students/{student_id}/risk", response={200: list[HistoryOut], 403: FieldError})
def student_risk(request: HttpRequest, student_id: int) -> Status[Any]:
    """The student's assessments, newest first (no row in force: low, no reason)."""
    student = get_student_for_user(request.user, student_id)
    if not can_read_risk(request.user):
        return Status(403, _no_risk())
    return Status(
        200,
        [
            {
                "date": a.date,
                "valid_until": a.valid_until,
                "level": a.level,
                "level_label": a.get_level_display(),
                "source": a.source,
                "probability": a.probability,
                "class_id": a.school_class_id,
                "reasons": _reasons(a.reasons),
            }
            for a in selectors.student_history(student.pk)
        ],
    )


@router.get("/students/{student_id}/risk-flags", response={200: list[FlagOut], 403: FieldError})
def student_risk_flags(request: HttpRequest, student_id: int) -> Status[Any]:
    student = get_student_for_user(request.user, student_id)
    if not can_read_risk(request.user):
        return Status(403, _no_risk())
    flags = TeacherFlag.objects.filter(student=student).order_by("-start", "-pk")
    return Status(200, [_flag(f) for f in flags])


@router.post(
    "/students/{student_id}/risk-flags",
    response={201: FlagOut, 403: FieldError, 422: ValidationErrors},
)
def add_risk_flag(request: HttpRequest, student_id: int, payload: FlagIn) -> Status[Any]:
    student = get_student_for_user(request.user, student_id)
    if not can_edit_student(request.user, student):
        return Status(403, {"message": _("You may not edit this student."), "code": "forbidden"})
    try:
        flag = services.add_flag(
            student=student,
            kind=payload.kind,
            note=payload.note,
            start=payload.start or local_today(),
            by=signed_in_user(request),
        )
    except services.RiskError as refused:
        return Status(422, error_body(refused.code, refused.message, refused.field))
    return Status(201, _flag(flag))


@router.post(
    "/risk-flags/{flag_id}/clear",
    response={200: FlagOut, 403: FieldError, 422: ValidationErrors},
)
def clear_risk_flag(request: HttpRequest, flag_id: int) -> Status[Any]:
    flag = get_flag_for_user(request.user, flag_id)
    if not can_edit_student(request.user, flag.student):
        return Status(403, {"message": _("You may not edit this student."), "code": "forbidden"})
    try:
        services.clear_flag(flag=flag, by=signed_in_user(request), day=local_today())
    except services.RiskError as refused:
        return Status(422, error_body(refused.code, refused.message, refused.field))
    return Status(200, _flag(flag))


@router.get("/units/{unit_id}/risk-models", response={200: list[ModelOut], 403: FieldError})
def unit_risk_models(request: HttpRequest, unit_id: int) -> Status[Any]:
    """The learned models of this unit and the units above it, with their cards."""
    unit = get_unit_for_user(request.user, unit_id)
    if not can_read_risk(request.user):
        return Status(403, _no_risk())
    models = RiskModel.objects.filter(
        Q(unit_path__in=unit.ancestor_paths()) | Q(unit_path__startswith=unit.path)
    ).order_by("-created_at", "-pk")
    return Status(
        200,
        [
            {
                "version": m.version,
                "kind": m.kind,
                "unit_path": m.unit_path,
                "created_at": m.created_at,
                "beats_rules": m.beats_rules,
                "active": m.active,
                "card": m.card,
            }
            for m in models
        ],
    )
