"""/api/v1/ endpoints of mobilization: a school's targets per grade (read, set), the
mobilization report of a unit with the names behind each number, the out-of-school list,
and the review queue of the register ↔ student records matching (accept / reject).

Errors as everywhere: out of scope 404; in scope but not yours 403 `{"message", "code"}`;
refused input 422 `{"errors": {field: [{"message", "code"}]}}`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from dentruong.accounts.models import User
from dentruong.api_common import FieldError, ValidationErrors
from dentruong.attendance.services import local_today
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
from dentruong.mobilization.models import GradeTarget, MatchCandidate, MatchStatus
from dentruong.mobilization.services import MobilizationError
from dentruong.orgs.access import get_school_for_user, get_unit_for_user
from dentruong.orgs.models import OrgUnit, SchoolYear

router = Router(tags=["mobilization"])
MAX_NAMES = 5000


class TargetsOut(Schema):
    school_id: int
    school_year: int
    grades: list[int] = Field(description="Grades the school teaches")
    targets: dict[int, int] = Field(description="grade → target (grades with one set)")
    total: int


class TargetsIn(Schema):
    school_year: int
    targets: dict[int, int | None] = Field(
        description="grade → target; null clears a grade's target; grades not given keep theirs"
    )


class GradeOut(Schema):
    grade: int
    level: str | None
    target: int | None
    enrolled: int
    target_reached: float | None
    to_mobilize: int | None
    residents: int = Field(description="Resident children of the grade's age (birth year)")
    residents_enrolled: int
    residents_out: int
    at_start: int
    dropouts: int
    dropout_rate: float | None
    repeaters: int
    repetition_rate: float | None


class LevelOut(Schema):
    level: str
    target: int | None
    enrolled: int
    target_reached: float | None
    population: int = Field(description="Resident children of the level's age band")
    population_enrolled: int
    population_at_level: int
    moved_away: int
    mobilization_rate: float | None
    mobilization_rate_excluding_moved: float | None
    net_enrolment_rate: float | None
    gross_enrolment_rate: float | None
    at_start: int
    dropouts: int
    dropout_rate: float | None
    repeaters: int
    repetition_rate: float | None
    cohort_start_year: int
    intake: int
    transfers_out: int
    transfers_in: int
    completers: int
    completion_rate: float | None
    completion_rate_adjusted: float | None


class ReportOut(Schema):
    unit_id: int
    school_year: int
    on: dt.date
    opening: dt.date
    target: int | None
    enrolled: int
    six_year_olds: int
    six_in_grade_1: int
    six_year_olds_rate: float | None
    grades: list[GradeOut]
    levels: list[LevelOut]


class NameOut(Schema):
    kind: str
    id: int
    full_name: str
    birth_year: int | None
    village_name: str
    class_name: str
    school_name: str
    date: dt.date | None
    student_id: int | None


class NamesOut(Schema):
    measure: str
    total: int
    names: list[NameOut]


class OutOfSchoolOut(Schema):
    source: str = Field(description="'register' (no current enrolment) or 'records'")
    child_id: int | None
    student_id: int | None
    full_name: str
    birth_year: int | None
    village_name: str
    address: str
    schooling: str
    last_class: str
    last_school: str
    last_year: int | None
    left_on: dt.date | None
    left_kind: str
    family_situation: str | None = Field(description="null when not yours to see")


class OutOfSchoolListOut(Schema):
    unit_id: int
    school_year: int
    total: int
    children: list[OutOfSchoolOut]


class MatchOut(Schema):
    id: int
    status: str
    score: int
    reasons: list[str]
    child_id: int
    child_name: str
    child_birth_year: int
    child_birth_date: dt.date | None
    child_village: str
    student_id: int
    student_name: str
    student_birth_date: dt.date | None
    student_village: str
    student_school: str | None
    decided_at: dt.datetime | None


class RejectIn(Schema):
    note: str = ""


def _forbidden(message: str) -> Status[dict[str, Any]]:
    return Status(403, {"message": message, "code": "forbidden"})


def _error(exc: MobilizationError) -> Status[dict[str, Any]]:
    return Status(422, {"errors": {exc.field: [{"message": exc.message, "code": exc.code}]}})


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _year(school_year: int | None) -> int:
    return school_year if school_year is not None else default_school_year(local_today())


def targets_out(
    school_id: int, grades: list[int], year: int, rows: list[GradeTarget]
) -> dict[str, Any]:
    targets = {t.grade: t.target for t in rows}
    return {
        "school_id": school_id,
        "school_year": year,
        "grades": grades,
        "targets": targets,
        "total": sum(targets.values()),
    }


@router.get("/schools/{school_id}/targets", response={200: TargetsOut})
def school_targets(request: HttpRequest, school_id: int, school_year: int | None = None) -> Any:
    school = get_school_for_user(request.user, school_id)
    year = _year(school_year)
    rows = list(GradeTarget.objects.filter(school=school, school_year__start_year=year))
    return targets_out(school.pk, services.school_grades(school), year, rows)


@router.post(
    "/schools/{school_id}/targets",
    response={200: TargetsOut, 403: FieldError, 422: ValidationErrors},
)
def set_school_targets(request: HttpRequest, school_id: int, payload: TargetsIn) -> Any:
    school = get_school_for_user(request.user, school_id)
    if not can_set_targets(request.user, school):
        return _forbidden("only the school's leaders or its commune's officers set targets")
    year = SchoolYear.objects.filter(start_year=payload.school_year).first()
    if year is None:
        return Status(
            422,
            {
                "errors": {
                    "school_year": [
                        {"message": _("This school year does not exist."), "code": "unknown_year"}
                    ]
                }
            },
        )
    try:
        rows = services.set_targets(
            school=school, school_year=year, targets=payload.targets, by=_user(request)
        )
    except MobilizationError as exc:
        return _error(exc)
    return Status(
        200, targets_out(school.pk, services.school_grades(school), year.start_year, rows)
    )


def _report_unit(request: HttpRequest, unit_id: int) -> OrgUnit | None:
    unit = get_unit_for_user(request.user, unit_id)
    return unit if can_read_reports(request.user) else None


def report_out(unit: OrgUnit, report: selectors.MobilizationReport) -> dict[str, Any]:
    pop = report.population
    return {
        "unit_id": unit.pk,
        "school_year": report.school_year,
        "on": report.on,
        "opening": report.opening,
        "target": report.target,
        "enrolled": report.enrolled,
        "six_year_olds": pop.six_year_olds,
        "six_in_grade_1": pop.six_in_grade_1,
        "six_year_olds_rate": pop.six_year_olds_rate,
        "grades": [
            {
                "grade": g.grade,
                "level": g.level,
                "target": g.target,
                "enrolled": g.enrolled,
                "target_reached": g.target_reached,
                "to_mobilize": g.to_mobilize,
                "residents": g.residents,
                "residents_enrolled": g.residents_enrolled,
                "residents_out": g.residents_out,
                "at_start": g.at_start,
                "dropouts": g.dropouts,
                "dropout_rate": g.dropout_rate,
                "repeaters": g.repeaters,
                "repetition_rate": g.repetition_rate,
            }
            for g in report.grades
        ],
        "levels": [
            {
                "level": lv.level,
                "target": lv.target,
                "enrolled": lv.enrolled,
                "target_reached": lv.target_reached,
                "population": lv.band.population,
                "population_enrolled": lv.band.enrolled,
                "population_at_level": lv.band.at_level,
                "moved_away": lv.band.moved_away,
                "mobilization_rate": lv.band.mobilization,
                "mobilization_rate_excluding_moved": lv.band.mobilization_excluding_moved,
                "net_enrolment_rate": lv.band.net,
                "gross_enrolment_rate": lv.gross,
                "at_start": lv.at_start,
                "dropouts": lv.dropouts,
                "dropout_rate": lv.dropout_rate,
                "repeaters": lv.repeaters,
                "repetition_rate": lv.repetition_rate,
                "cohort_start_year": report.cohort_start[lv.level],
                "intake": lv.intake,
                "transfers_out": lv.transfers_out,
                "transfers_in": lv.transfers_in,
                "completers": lv.completers,
                "completion_rate": lv.completion,
                "completion_rate_adjusted": lv.completion_adjusted,
            }
            for lv in report.levels
        ],
    }


@router.get(
    "/units/{unit_id}/mobilization",
    response={200: ReportOut, 403: FieldError, 422: ValidationErrors},
)
def unit_mobilization(
    request: HttpRequest, unit_id: int, school_year: int | None = None, on: dt.date | None = None
) -> Any:
    """Per grade: target, enrolled, resident children of the grade's age and how many are
    in school, dropouts and repeaters; per level: the official rates (vn_domain.md §1).
    The names behind each number: `/units/{unit_id}/mobilization/names`."""
    unit = _report_unit(request, unit_id)
    if unit is None:
        return _forbidden("not allowed to read the mobilization report")
    report = selectors.mobilization_report(
        unit.path, school_year=_year(school_year), on=on or local_today()
    )
    return report_out(unit, report)


@router.get(
    "/units/{unit_id}/mobilization/names",
    response={200: NamesOut, 403: FieldError, 422: ValidationErrors},
)
def unit_mobilization_names(
    request: HttpRequest,
    unit_id: int,
    measure: str = "enrolled",
    grade: int | None = None,
    level: str | None = None,
    school_year: int | None = None,
    on: dt.date | None = None,
    limit: int = 500,
    offset: int = 0,
) -> Any:
    """The students or register entries behind one number of the report: `measure` is one
    of enrolled, at_start, dropouts, repeaters, completers, intake, residents,
    residents_enrolled, residents_out, six_in_grade_1; for a `grade`, a `level` (TH, THCS,
    THPT) or every grade. At most 5,000 per page."""
    unit = _report_unit(request, unit_id)
    if unit is None:
        return _forbidden("not allowed to read the mobilization report")
    errors: dict[str, list[dict[str, str]]] = {}
    if measure not in selectors.MEASURES:
        errors["measure"] = [{"message": _("Unknown figure."), "code": "invalid_measure"}]
    if level is not None and level not in ("TH", "THCS", "THPT"):
        errors["level"] = [{"message": _("Unknown level."), "code": "invalid_level"}]
    if grade is not None and not 1 <= grade <= 12:
        errors["grade"] = [{"message": _("A grade is from 1 to 12."), "code": "invalid_grade"}]
    if not 1 <= limit <= MAX_NAMES or offset < 0:
        errors["limit"] = [
            {"message": _("At most %(n)d names per page.") % {"n": MAX_NAMES}, "code": "invalid"}
        ]
    if errors:
        return Status(422, {"errors": errors})
    total, names = selectors.names_behind(
        unit.path,
        school_year=_year(school_year),
        on=on or local_today(),
        measure=measure,
        grade=grade,
        level=level,
        limit=limit,
        offset=offset,
    )
    return {"measure": measure, "total": total, "names": [n.__dict__ for n in names]}


@router.get("/units/{unit_id}/out-of-school", response={200: OutOfSchoolListOut, 403: FieldError})
def unit_out_of_school(
    request: HttpRequest, unit_id: int, school_year: int | None = None, include_moved: bool = False
) -> Any:
    """Children of school age of the unit out of school: register entries with no current
    enrolment, students who dropped out or left and are not back; name, birth year,
    village and address, class last attended, family situation (sensitive roles only)."""
    unit = _report_unit(request, unit_id)
    if unit is None:
        return _forbidden("not allowed to read the out-of-school list")
    year = _year(school_year)
    rows = selectors.out_of_school(
        unit.path,
        school_year=year,
        sensitive=sees_family_situation(request.user, unit.path),
        include_moved=include_moved,
    )
    return {
        "unit_id": unit.pk,
        "school_year": year,
        "total": len(rows),
        "children": [{k: v for k, v in r.__dict__.items() if k != "sort_key"} for r in rows],
    }


def match_out(m: MatchCandidate) -> dict[str, Any]:
    return {
        "id": m.pk,
        "status": m.status,
        "score": m.score,
        "reasons": [r for r in m.reasons.split(",") if r],
        "child_id": m.child_id,
        "child_name": m.child.full_name,
        "child_birth_year": m.child.birth_year,
        "child_birth_date": m.child.birth_date,
        "child_village": m.child.village.name,
        "student_id": m.student_id,
        "student_name": m.student.full_name,
        "student_birth_date": m.student.birth_date,
        "student_village": m.student.village.name,
        "student_school": m.student.school.name if m.student.school else None,
        "decided_at": m.decided_at,
    }


@router.get("/units/{unit_id}/matches", response={200: list[MatchOut]})
def unit_matches(request: HttpRequest, unit_id: int) -> Any:
    """Pairs of the unit's register and student records waiting for review."""
    unit = get_unit_for_user(request.user, unit_id)
    rows = selectors.pending_matches(unit.path).filter(pk__in=matches_for_user(request.user))
    return [match_out(m) for m in rows]


def _decide(request: HttpRequest, match_id: int, accept: bool, note: str = "") -> Any:
    candidate = get_match_for_user(request.user, match_id)
    if not can_decide_match(request.user, candidate):
        return _forbidden("only an officer of the child's commune decides")
    try:
        if accept:
            services.accept_match(candidate=candidate, by=_user(request))
        else:
            services.reject_match(candidate=candidate, by=_user(request), note=note)
    except MobilizationError as exc:
        return _error(exc)
    return Status(200, match_out(get_match_for_user(request.user, match_id)))


@router.post(
    "/matches/{match_id}/accept", response={200: MatchOut, 403: FieldError, 422: ValidationErrors}
)
def accept_match(request: HttpRequest, match_id: int) -> Any:
    return _decide(request, match_id, True)


@router.post(
    "/matches/{match_id}/reject", response={200: MatchOut, 403: FieldError, 422: ValidationErrors}
)
def reject_match(request: HttpRequest, match_id: int, payload: RejectIn | None = None) -> Any:
    return _decide(request, match_id, False, payload.note if payload else "")


__all__ = ["router", "MatchStatus"]
