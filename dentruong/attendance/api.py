"""/api/v1/ endpoints for roll calls: submit (idempotent), submit in bulk, read a class's
marks, read a class's attendance summary. Thin: access helpers, then services.

Errors: a class out of scope is 404 (it does not exist for you); in scope but not yours
to write is 403 `{"message", "code"}`; a refused submission is 422
`{"errors": {field: [{"message", "code"}]}}`, with the codes of `RollCallError`.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from dentruong.api_common import FieldError, ValidationErrors, error_body, signed_in_user
from dentruong.attendance import params, selectors, services, sheet
from dentruong.attendance.access import (
    can_read_marks,
    can_take_roll_call,
    classes_for_attendance,
    get_class_for_attendance,
)
from dentruong.attendance.models import Absence, AbsenceReason, ClassDaySummary, RollCall
from dentruong.attendance.rates import session_rate
from dentruong.attendance.services import (
    VN_TZ,
    RollCallError,
    RollCallInput,
    SubmitResult,
    local_today,
)
from dentruong.audit.exports import export_stamp, record_export
from dentruong.audit.requests import change_recorder, own_transactions
from dentruong.orgs.access import get_school_for_user, get_unit_for_user
from dentruong.orgs.models import OrgUnit
from dentruong.people.access import students_for_user

router = Router(tags=["attendance"])

MAX_BULK = 500  # roll calls per bulk request: a big school's whole day, twice over
MAX_RANGE_DAYS = params.MAX_RANGE_DAYS
DEFAULT_RANGE_DAYS = params.DEFAULT_RANGE_DAYS


# --- schemas -----------------------------------------------------------------------------


class MarkIn(Schema):
    student_id: int
    code: str = Field(description="P (absent with leave), K (absent without leave), T (late)")
    reason: str = Field(
        AbsenceReason.UNKNOWN.value,
        description="sick, family, working, weather, transport, unknown or other",
    )
    note: str = Field("", description="Free text, at most 200 characters")


class RollCallIn(Schema):
    class_id: int
    date: dt.date
    session: str = Field(description="am (morning) or pm (afternoon)")
    client_id: uuid.UUID = Field(
        description="Generated once by the client for this submission; sending it again "
        "changes nothing and returns the roll call as it stands"
    )
    base_version: int | None = Field(
        None, description="The version the user was correcting, when correcting"
    )
    marks: list[MarkIn] = Field(
        default_factory=list, description="Only the students who are not simply present"
    )


class AbsenceOut(Schema):
    student_id: int
    code: str
    reason: str
    note: str


class SummaryOut(Schema):
    date: dt.date
    session: str
    enrolled: int
    present: int = Field(description="Late included")
    late: int
    excused: int
    unexcused: int


class RollCallOut(Schema):
    id: int
    class_id: int
    date: dt.date
    session: str
    version: int
    client_id: uuid.UUID
    taken_by_id: int | None
    taken_at: dt.datetime
    updated_at: dt.datetime
    absences: list[AbsenceOut]
    summary: SummaryOut


class SubmitOut(Schema):
    created: bool = Field(description="The first roll call of this class-session (201)")
    duplicate: bool = Field(description="This client_id had already been accepted")
    stale_base: bool = Field(
        description="Another version was in place than the one you corrected; your edit "
        "won, and both are in the history"
    )
    roll_call: RollCallOut


class BulkIn(Schema):
    items: list[RollCallIn]


class BulkItemOut(Schema):
    index: int
    status: int = Field(description="201, 200, or 403 / 404 / 422 for a refused item")
    roll_call_id: int | None = None
    version: int | None = None
    created: bool = False
    duplicate: bool = False
    stale_base: bool = False
    summary: SummaryOut | None = None
    errors: dict[str, list[FieldError]] | None = None


class BulkOut(Schema):
    accepted: int
    refused: int
    items: list[BulkItemOut]


class RollCallMarksOut(Schema):
    id: int
    date: dt.date
    session: str
    version: int
    taken_by_id: int | None
    taken_at: dt.datetime
    updated_at: dt.datetime
    absences: list[AbsenceOut]
    revisions: int


class ClassRollCallsOut(Schema):
    class_id: int
    date_from: dt.date
    date_to: dt.date
    items: list[RollCallMarksOut]


class MissingOut(Schema):
    date: dt.date
    session: str


class RateOut(Schema):
    roll_calls: int
    due: int = Field(description="Sessions due: Σ enrolled over the roll calls taken")
    present: int
    late: int
    excused: int
    unexcused: int
    rate: float | None = Field(description="present ÷ due")
    excused_rate: float | None = Field(description="P ÷ due")
    unexcused_rate: float | None = Field(description="K ÷ due")


class AttendanceSummaryOut(Schema):
    class_id: int
    date_from: dt.date
    date_to: dt.date
    school_days: int = Field(description="School days in the range, up to today")
    missing: list[MissingOut] = Field(description="School-day sessions without a roll call")
    days: list[SummaryOut]
    totals: RateOut


# --- helpers -----------------------------------------------------------------------------


def _forbidden() -> dict[str, str]:
    return {"message": _("You may not take the roll call of this class."), "code": "forbidden"}


def _marks(
    marks: list[MarkIn],
) -> tuple[dict[int, tuple[str, str, str]], RollCallError | None]:
    out: dict[int, tuple[str, str, str]] = {}
    for mark in marks:
        if mark.student_id in out:
            return out, RollCallError(
                "duplicate_student",
                _("A student is marked twice in the same roll call."),
                f"marks.{mark.student_id}",
            )
        out[mark.student_id] = (mark.code, mark.reason, mark.note)
    return out, None


def _summary_out(summary: ClassDaySummary) -> dict[str, Any]:
    return {
        "date": summary.date,
        "session": summary.session,
        "enrolled": summary.enrolled,
        "present": summary.present,
        "late": summary.late,
        "excused": summary.excused,
        "unexcused": summary.unexcused,
    }


def _absences_out(absences: list[Absence]) -> list[dict[str, Any]]:
    return [
        {"student_id": a.student_id, "code": a.code, "reason": a.reason, "note": a.note}
        for a in absences
    ]


def _submit_out(result: SubmitResult) -> dict[str, Any]:
    rc = result.roll_call
    return {
        "created": result.created,
        "duplicate": result.duplicate,
        "stale_base": result.stale_base,
        "roll_call": {
            "id": rc.pk,
            "class_id": rc.school_class_id,
            "date": rc.date,
            "session": rc.session,
            "version": rc.version,
            "client_id": rc.client_id,
            "taken_by_id": rc.taken_by_id,
            "taken_at": rc.taken_at,
            "updated_at": rc.updated_at,
            "absences": _absences_out(
                result.absences
                if result.absences is not None
                else list(rc.absences.order_by("student_id"))
            ),
            "summary": _summary_out(result.summary),
        },
    }


def _window(
    date_from: dt.date | None, date_to: dt.date | None
) -> tuple[dt.date, dt.date] | dict[str, Any]:
    try:
        return params.window(date_from, date_to, today=local_today())
    except params.ParamError as bad:
        return error_body(bad.code, bad.message, bad.field)


# --- endpoints ---------------------------------------------------------------------------


@router.post(
    "/roll-calls",
    response={200: SubmitOut, 201: SubmitOut, 403: FieldError, 422: ValidationErrors},
)
@own_transactions
def submit_roll_call(request: HttpRequest, payload: RollCallIn) -> Status[dict[str, Any]]:
    """Submit a class's roll call for one session: 201 when first taken, 200 for a
    correction (the later edit wins; both are in the history) or a resubmission of the
    same `client_id` (nothing changes)."""
    user = signed_in_user(request)
    school_class = get_class_for_attendance(user, payload.class_id)
    if not can_take_roll_call(user, school_class):
        return Status(403, _forbidden())
    marks, error = _marks(payload.marks)
    try:
        if error:
            raise error
        result = services.submit_roll_call(
            school_class=school_class,
            date=payload.date,
            session=payload.session,
            marks=marks,
            by=user,
            client_id=payload.client_id,
            base_version=payload.base_version,
            audit=change_recorder(request, object_type="class", object_id=school_class.pk),
        )
    except RollCallError as refused:
        return Status(422, error_body(refused.code, refused.message, refused.field))
    return Status(201 if result.created else 200, _submit_out(result))


@router.post("/roll-calls/bulk", response={200: BulkOut, 422: ValidationErrors})
@own_transactions
def bulk_submit_roll_calls(request: HttpRequest, payload: BulkIn) -> Status[dict[str, Any]]:
    """Submit many roll calls (integrations, a day synced at once). Each item stands alone:
    a refused item is reported with its index and status, and the others are kept; each
    roll call written has its audit event in its own transaction."""
    user = signed_in_user(request)
    if len(payload.items) > MAX_BULK:
        return Status(
            422,
            error_body(
                "too_many",
                _("At most %(max)d roll calls per request.") % {"max": MAX_BULK},
                "items",
            ),
        )
    classes = classes_for_attendance(user, (item.class_id for item in payload.items))
    out: list[dict[str, Any]] = [{"index": i} for i in range(len(payload.items))]
    inputs: list[RollCallInput] = []
    where: list[int] = []
    for index, item in enumerate(payload.items):
        school_class = classes.get(item.class_id)
        if school_class is None:
            out[index] |= {"status": 404} | error_body("not_found", _("No such class."), "class_id")
            continue
        if not can_take_roll_call(user, school_class):
            forbidden = _forbidden()
            out[index] |= {"status": 403} | error_body(forbidden["code"], forbidden["message"])
            continue
        marks, error = _marks(item.marks)
        if error:
            out[index] |= {"status": 422} | error_body(error.code, error.message, error.field)
            continue
        inputs.append(
            RollCallInput(
                school_class=school_class,
                date=item.date,
                session=item.session,
                marks=marks,
                client_id=item.client_id,
                base_version=item.base_version,
            )
        )
        where.append(index)
    results = services.bulk_submit(
        items=inputs,
        by=user,
        audit=lambda class_id: change_recorder(request, object_type="class", object_id=class_id),
    )
    for index, result in zip(where, results, strict=True):
        if isinstance(result, RollCallError):
            out[index] |= {"status": 422} | error_body(result.code, result.message, result.field)
        else:
            out[index] |= {
                "status": 201 if result.created else 200,
                "roll_call_id": result.roll_call.pk,
                "version": result.roll_call.version,
                "created": result.created,
                "duplicate": result.duplicate,
                "stale_base": result.stale_base,
                "summary": _summary_out(result.summary),
            }
    accepted = sum(1 for item in out if item["status"] < 300)
    return Status(200, {"accepted": accepted, "refused": len(out) - accepted, "items": out})


@router.get(
    "/classes/{class_id}/roll-calls",
    response={200: ClassRollCallsOut, 403: FieldError, 422: ValidationErrors},
)
def class_roll_calls(
    request: HttpRequest,
    class_id: int,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> Status[dict[str, Any]]:
    """A class's roll calls between two dates (default: the last 31 days): each with its
    absences and late arrivals (everyone else enrolled was present) and its number of
    revisions."""
    user = signed_in_user(request)
    school_class = get_class_for_attendance(user, class_id)
    if not can_read_marks(user):
        return Status(
            403,
            {"message": _("You may not see the marks of this class."), "code": "forbidden"},
        )
    window = _window(date_from, date_to)
    if isinstance(window, dict):
        return Status(422, window)
    roll_calls = (
        RollCall.objects.filter(school_class=school_class, date__range=window)
        .annotate(revision_count=Count("revisions"))
        .prefetch_related(Prefetch("absences", queryset=Absence.objects.order_by("student_id")))
        .order_by("date", "session")
    )
    items = [
        {
            "id": rc.pk,
            "date": rc.date,
            "session": rc.session,
            "version": rc.version,
            "taken_by_id": rc.taken_by_id,
            "taken_at": rc.taken_at,
            "updated_at": rc.updated_at,
            "absences": _absences_out(list(rc.absences.all())),
            "revisions": rc.revision_count,
        }
        for rc in roll_calls
    ]
    return Status(
        200,
        {"class_id": school_class.pk, "date_from": window[0], "date_to": window[1], "items": items},
    )


@router.get(
    "/classes/{class_id}/attendance-summary",
    response={200: AttendanceSummaryOut, 422: ValidationErrors},
)
def class_attendance_summary(
    request: HttpRequest,
    class_id: int,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> Status[dict[str, Any]]:
    """Per-session head counts of a class between two dates (default: the last 31 days),
    and the session-based rate over school days: present ÷ due, P and K apart."""
    user = signed_in_user(request)
    school_class = get_class_for_attendance(user, class_id)
    window = _window(date_from, date_to)
    if isinstance(window, dict):
        return Status(422, window)
    try:
        spec = services.class_calendar(school_class)
    except RollCallError as refused:
        return Status(422, error_body(refused.code, refused.message, refused.field))
    rows = [
        row
        for row in ClassDaySummary.objects.filter(
            school_class=school_class, date__range=window
        ).order_by("date", "session")
        if spec.is_school_day(row.date)  # a break declared afterwards takes the day out
    ]
    taken = {(row.date, row.session) for row in rows}
    school_days = spec.school_days(window[0], min(window[1], local_today()))
    missing = [
        {"date": day, "session": session}
        for day in school_days
        for session in school_class.sessions
        if (day, session) not in taken
    ]
    totals = session_rate(rows)
    return Status(
        200,
        {
            "class_id": school_class.pk,
            "date_from": window[0],
            "date_to": window[1],
            "school_days": len(school_days),
            "missing": missing,
            "days": [_summary_out(row) for row in rows],
            "totals": {
                "roll_calls": totals.roll_calls,
                "due": totals.due,
                "present": totals.present,
                "late": totals.late,
                "excused": totals.excused,
                "unexcused": totals.unexcused,
                "rate": totals.rate,
                "excused_rate": totals.excused_rate,
                "unexcused_rate": totals.unexcused_rate,
            },
        },
    )


# --- Rates, completeness and lists for a unit of the tree --------------------------------
# A unit out of the user's scope is 404; rates and completeness are head counts (anyone
# who sees the unit); the lists name children: not for a partner-only user (403). Their
# parameters are checked by `params` (shared with the leaders' pages).

MAX_LIST_ITEMS = 1000
CONSECUTIVE_WINDOW_DAYS = params.CONSECUTIVE_WINDOW_DAYS
LIST_N = params.LIST_N  # kind → (default n, lowest, highest)


class UnitOut(Schema):
    id: int
    name: str
    kind: str
    path: str


class RateRowOut(Schema):
    kind: str = Field(description="unit, commune, school or class")
    id: int
    name: str
    classes: int
    sessions_due: int = Field(
        description="Class-sessions due: each class's school days in the range up to today "
        "× the sessions it holds"
    )
    roll_calls: int = Field(description="Roll calls taken among them")
    missing: int = Field(description="Sessions due without a roll call: neither present nor absent")
    coverage: float | None = Field(description="roll_calls ÷ sessions_due")
    due: int = Field(description="Student-sessions due: Σ enrolled over the roll calls taken")
    present: int = Field(description="Late included")
    late: int
    excused: int
    unexcused: int
    rate: float | None = Field(description="Session-based rate: present ÷ due")
    excused_rate: float | None = Field(description="P ÷ due")
    unexcused_rate: float | None = Field(description="K ÷ due")
    students: int | None = Field(
        description="Students enrolled in the unit's classes at some time in the range "
        "(null with students=false)"
    )
    students_within: int | None = Field(description="Of them, with at most max_absences P + K")
    student_rate: float | None = Field(description="Student-based rate: students_within ÷ students")
    students_within_unexcused: int | None = Field(
        description="Of them, with at most max_absences K"
    )
    student_unexcused_rate: float | None
    headcount: int = Field(description="Sĩ số: students enrolled on `until`")


class RatesOut(Schema):
    unit: UnitOut
    date_from: dt.date
    date_to: dt.date
    until: dt.date = Field(description="min(date_to, today): nothing later is due")
    school_days: int
    group_by: str | None
    level: str | None
    grade: int | None
    max_absences: int
    students: bool
    totals: RateRowOut
    groups: list[RateRowOut]


class TeacherOut(Schema):
    id: int
    name: str


class ClassGapOut(Schema):
    id: int
    name: str
    grade: int
    school_id: int
    teacher: TeacherOut | None = Field(description="The homeroom teacher, if any")
    session_missing: bool
    today_missing: list[str]
    week_missing: list[MissingOut]


class GapCountsOut(Schema):
    id: int | None = None
    name: str = ""
    classes: int = Field(0, description="Classes with a session due this week up to the date")
    session_due: int = Field(0, description="Classes holding the session on the date")
    session_missing: int = Field(0, description="… that have not taken its roll call")
    today_due: int = Field(0, description="Classes with a session on the date")
    today_missing: int = Field(0, description="… that have not taken all of them")
    week_due: int = Field(0, description="Class-sessions due this week up to the date")
    week_missing: int = Field(0, description="… without a roll call")
    week_classes_missing: int = Field(0, description="Classes owing at least one")


class SchoolGapsOut(GapCountsOut):
    commune_id: int
    missing_classes: list[ClassGapOut] = Field(description="Classes owing a roll call this week")


class CompletenessOut(Schema):
    unit: UnitOut
    date: dt.date
    session: str
    week_start: dt.date
    totals: GapCountsOut
    communes: list[GapCountsOut]
    schools: list[SchoolGapsOut]
    no_calendar_school_ids: list[int]


class SessionAtOut(Schema):
    date: dt.date
    session: str


class ListItemOut(Schema):
    student_id: int
    full_name: str
    class_id: int | None
    class_name: str
    school_id: int | None
    school_name: str
    sessions: int = Field(
        0,
        description="consecutive: length of the longest run of K; after_break: sessions "
        "due since the break (all missed)",
    )
    first: SessionAtOut | None = None
    last: SessionAtOut | None = None
    ongoing: bool = Field(False, description="The run reaches the student's last session")
    excused: int = 0
    unexcused: int = 0
    absences: int = Field(0, description="near_limit: P + K in the school year")
    left: int = Field(0, description="near_limit: absences left before the 45 limit")
    break_name: str = ""
    break_end: dt.date | None = None


class AbsenceListOut(Schema):
    unit: UnitOut
    kind: str
    n: int
    date: dt.date
    date_from: dt.date | None
    count: int
    truncated: bool = Field(description="More than the items returned")
    items: list[ListItemOut]


def _unit_out(unit: OrgUnit) -> dict[str, Any]:
    return {"id": unit.pk, "name": unit.name, "kind": unit.kind, "path": unit.path}


def _rate_row(row: selectors.GroupRate) -> dict[str, Any]:
    s, c, st = row.sessions, row.coverage, row.students
    return {
        "kind": row.kind,
        "id": row.id,
        "name": row.name,
        "classes": row.classes,
        "sessions_due": c.sessions_due,
        "roll_calls": c.roll_calls,
        "missing": c.missing,
        "coverage": c.rate,
        "due": s.due,
        "present": s.present,
        "late": s.late,
        "excused": s.excused,
        "unexcused": s.unexcused,
        "rate": s.rate,
        "excused_rate": s.excused_rate,
        "unexcused_rate": s.unexcused_rate,
        "students": st and st.students,
        "students_within": st and st.within,
        "student_rate": st and st.rate,
        "students_within_unexcused": st and st.within_unexcused,
        "student_unexcused_rate": st and st.unexcused_rate,
        "headcount": row.headcount,
    }


@router.get(
    "/units/{unit_id}/attendance-rates",
    response={200: RatesOut, 422: ValidationErrors},
)
def unit_attendance_rates(
    request: HttpRequest,
    unit_id: int,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    group_by: str | None = None,
    level: str | None = None,
    grade: int | None = None,
    max_absences: int = 3,
    students: bool = True,
) -> Status[dict[str, Any]]:
    """Attendance rates of a unit (province, commune, school) between two dates (default:
    the last 31 days), on school days only, optionally per commune, school or class and for
    one level (TH, THCS, THPT, MN) or grade. Session-based: present ÷ due over the roll
    calls taken, P and K apart; sessions due without a roll call are `missing`.
    Student-based: share of the students enrolled during the range with at most
    `max_absences` absences (P + K; and K alone); it reads every absence of the unit's
    students in the range, seconds for a whole province: `students=false` leaves it out.
    `headcount` is the sĩ số on `until`."""
    user = signed_in_user(request)
    unit = get_unit_for_user(user, unit_id)
    try:
        query = params.rate_query(
            date_from=date_from,
            date_to=date_to,
            group_by=group_by,
            level=level,
            grade=grade,
            max_absences=max_absences,
            today=local_today(),
        )
    except params.ParamError as bad:
        return Status(422, error_body(bad.code, bad.message, bad.field))
    report = selectors.attendance_rates(
        unit,
        date_from=query.date_from,
        date_to=query.date_to,
        today=local_today(),
        group_by=group_by,
        level=level,
        grade=grade,
        max_absences=max_absences,
        students=students,
    )
    return Status(
        200,
        {
            "unit": _unit_out(unit),
            "date_from": report.date_from,
            "date_to": report.date_to,
            "until": report.until,
            "school_days": report.school_days,
            "group_by": group_by,
            "level": level,
            "grade": grade,
            "max_absences": max_absences,
            "students": students,
            "totals": _rate_row(report.total),
            "groups": [_rate_row(row) for row in report.groups],
        },
    )


def _gap_counts(gaps: list[selectors.ClassGaps]) -> dict[str, int]:
    return {
        "classes": len(gaps),
        "session_due": sum(g.session_due for g in gaps),
        "session_missing": sum(g.session_missing for g in gaps),
        "today_due": sum(bool(g.today_due) for g in gaps),
        "today_missing": sum(bool(g.today_missing) for g in gaps),
        "week_due": sum(g.week_due for g in gaps),
        "week_missing": sum(len(g.week_missing) for g in gaps),
        "week_classes_missing": sum(g.owes for g in gaps),
    }


def _class_gap(gap: selectors.ClassGaps) -> dict[str, Any]:
    info = gap.info
    return {
        "id": info.id,
        "name": info.name,
        "grade": info.grade,
        "school_id": info.school_id,
        "teacher": (
            {"id": info.teacher_id, "name": info.teacher_name} if info.teacher_id else None
        ),
        "session_missing": gap.session_missing,
        "today_missing": list(gap.today_missing),
        "week_missing": [{"date": d, "session": s} for d, s in gap.week_missing],
    }


@router.get(
    "/units/{unit_id}/roll-call-completeness",
    response={200: CompletenessOut, 422: ValidationErrors},
)
def unit_roll_call_completeness(
    request: HttpRequest,
    unit_id: int,
    date: dt.date | None = None,
    session: str | None = None,
) -> Status[dict[str, Any]]:
    """Which classes of a unit have not taken the roll call: for `session` of `date`
    (default: today and the session under way — morning until noon), for the whole day,
    and for the week from Monday to `date`; per school and commune, with each class's
    homeroom teacher."""
    user = signed_in_user(request)
    unit = get_unit_for_user(user, unit_id)
    try:
        day, chosen = params.completeness_query(
            date=date, session=session, today=local_today(), now=dt.datetime.now(VN_TZ)
        )
    except params.ParamError as bad:
        return Status(422, error_body(bad.code, bad.message, bad.field))
    found = selectors.roll_call_completeness(unit.path, day=day, session=chosen)
    by_school: dict[int, list[selectors.ClassGaps]] = {}
    by_commune: dict[int, list[selectors.ClassGaps]] = {}
    for gap in found.classes:
        by_school.setdefault(gap.info.school_id, []).append(gap)
        by_commune.setdefault(gap.info.commune_id, []).append(gap)
    schools = [
        {
            "id": school_id,
            "name": gaps[0].info.school_name,
            "commune_id": gaps[0].info.commune_id,
            **_gap_counts(gaps),
            "missing_classes": [_class_gap(g) for g in gaps if g.owes],
        }
        for school_id, gaps in by_school.items()
    ]
    communes = [
        {"id": commune_id, "name": gaps[0].info.commune_name, **_gap_counts(gaps)}
        for commune_id, gaps in by_commune.items()
    ]
    return Status(
        200,
        {
            "unit": _unit_out(unit),
            "date": day,
            "session": chosen,
            "week_start": found.week_start,
            "totals": {"id": unit.pk, "name": unit.name, **_gap_counts(found.classes)},
            "communes": communes,
            "schools": schools,
            "no_calendar_school_ids": found.no_calendar,
        },
    )


def _list_item(item: selectors.ListItem) -> dict[str, Any]:
    ref = item.student
    return {
        "student_id": ref.id,
        "full_name": ref.full_name,
        "class_id": ref.class_id,
        "class_name": ref.class_name,
        "school_id": ref.school_id,
        "school_name": ref.school_name,
        "sessions": item.sessions,
        "first": {"date": item.first[0], "session": item.first[1]} if item.first else None,
        "last": {"date": item.last[0], "session": item.last[1]} if item.last else None,
        "ongoing": item.ongoing,
        "excused": item.excused,
        "unexcused": item.unexcused,
        "absences": item.absences,
        "left": item.left,
        "break_name": item.break_name,
        "break_end": item.break_end,
    }


@router.get(
    "/units/{unit_id}/absence-lists",
    response={200: AbsenceListOut, 403: FieldError, 422: ValidationErrors},
)
def unit_absence_lists(
    request: HttpRequest,
    unit_id: int,
    kind: str = "consecutive",
    n: int | None = None,
    date: dt.date | None = None,
    date_from: dt.date | None = None,
) -> Status[dict[str, Any]]:
    """Students of a unit to follow up, among those you may see (at most 1,000 items):

    - `consecutive`: `n` (default 3) or more consecutive unexcused absences (K) in the
      sessions they were due between `date_from` (default: 4 weeks before `date`) and
      `date` (default today), across weekends and breaks; longest run first.
    - `after_break`: not back since the last break of 5+ days (Tết…): absent at every
      session due since it ended, once `n` (default 3) school days have passed.
    - `near_limit`: `n` (default 35) or more absences (P + K) in the school year, of the
      45 allowed."""
    user = signed_in_user(request)
    unit = get_unit_for_user(user, unit_id)
    if not can_read_marks(user):
        return Status(
            403, {"message": _("You may not see students' attendance here."), "code": "forbidden"}
        )
    try:
        query = params.list_query(
            kind=kind, n=n, date=date, date_from=date_from, today=local_today()
        )
    except params.ParamError as bad:
        return Status(422, error_body(bad.code, bad.message, bad.field))
    count, day, start = query.n, query.day, query.date_from
    total = 0
    visible = students_for_user(user)
    if kind == "consecutive" and start is not None:
        items = selectors.consecutive_unexcused(
            unit.path, visible=visible, date_from=start, date_to=day, n=count
        )
    elif kind == "after_break":
        items = selectors.not_back_after_break(unit.path, visible=visible, day=day, n=count)
    else:
        items, total = selectors.near_absence_limit(
            unit.path, visible=visible, day=day, threshold=count, limit=MAX_LIST_ITEMS
        )
    total = total if kind == "near_limit" else len(items)
    return Status(
        200,
        {
            "unit": _unit_out(unit),
            "kind": kind,
            "n": count,
            "date": day,
            "date_from": start,
            "count": total,
            "truncated": total > MAX_LIST_ITEMS,
            "items": [_list_item(item) for item in items[:MAX_LIST_ITEMS]],
        },
    )


# --- The monthly attendance sheet ------------------------------------------------------------


class SheetColumnOut(Schema):
    date: dt.date
    session: str
    school_day: bool
    due: bool = Field(description="A school day up to today: its roll call is owed")
    taken: bool = Field(description="The roll call was taken")
    enrolled: int | None = Field(
        description="Sĩ số: the roll call's head count, else counted from the enrolments "
        "(null on a day that is not a school day)"
    )
    present: int | None = Field(description="Late included; null without a roll call")
    late: int | None
    excused: int | None
    unexcused: int | None


class SheetRowOut(Schema):
    student_id: int
    full_name: str
    joined: dt.date | None = Field(description="First day in the class, if after the 1st")
    left: dt.date | None = Field(description="Last day in the class, if before the month's end")
    cells: list[str] = Field(description="One per column; see `legend`")
    excused: int = Field(description="P in the month")
    unexcused: int = Field(description="K in the month")
    late: int = Field(description="T in the month")


class SheetOut(Schema):
    class_id: int
    class_name: str
    grade: int
    school_id: int
    school_name: str
    school_year: str
    homeroom_teacher: str
    month: str = Field(description="YYYY-MM")
    sessions: list[str]
    no_calendar: bool = Field(description="No calendar for the class: no day is a school day")
    school_days: int
    roll_calls_due: int
    roll_calls_taken: int
    excused: int
    unexcused: int
    late: int
    legend: dict[str, str] = Field(description="Cell code → meaning")
    columns: list[SheetColumnOut] = Field(description="Every day of the month × session")
    rows: list[SheetRowOut] = Field(description="Students in Vietnamese order")


class SchoolSheetsOut(Schema):
    school_id: int
    school_name: str
    month: str
    sheets: list[SheetOut]


def _sheet_out(found: sheet.Sheet, legend: dict[str, str]) -> dict[str, Any]:
    return {
        "class_id": found.class_id,
        "class_name": found.class_name,
        "grade": found.grade,
        "school_id": found.school_id,
        "school_name": found.school_name,
        "school_year": found.school_year,
        "homeroom_teacher": found.teacher_name,
        "month": f"{found.month:%Y-%m}",
        "sessions": list(found.sessions),
        "no_calendar": found.no_calendar,
        "school_days": found.school_days,
        "roll_calls_due": found.roll_calls_due,
        "roll_calls_taken": found.roll_calls_taken,
        "excused": found.excused,
        "unexcused": found.unexcused,
        "late": found.late,
        "legend": legend,
        "columns": [c.__dict__ for c in found.columns],
        "rows": [
            {
                "student_id": r.student_id,
                "full_name": r.full_name,
                "joined": r.joined,
                "left": r.left,
                "cells": r.cells,
                "excused": r.excused,
                "unexcused": r.unexcused,
                "late": r.late,
            }
            for r in found.rows
        ],
    }


def _month(raw: str | None) -> dt.date | dict[str, Any]:
    if not raw:
        return local_today().replace(day=1)
    try:
        return sheet.parse_month(raw)
    except sheet.BadMonth as bad:
        return error_body(bad.code, bad.message, "month")


def _sheet_json(payload: dict[str, Any]) -> HttpResponse:
    """The sheets' 200 answer, serialised directly: validating tens of thousands of cells
    through the response schema costs more than building them (bench/attendance.py);
    `_sheet_out` builds exactly `SheetOut` (tests validate it against the schema)."""
    return HttpResponse(
        json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )


def _no_marks() -> dict[str, str]:
    return {"message": _("You may not see the marks of this class."), "code": "forbidden"}


@router.get(
    "/classes/{class_id}/attendance-sheet",
    response={200: SheetOut, 403: FieldError, 422: ValidationErrors},
)
def class_attendance_sheet(
    request: HttpRequest, class_id: int, month: str | None = None
) -> Status[dict[str, Any]] | HttpResponse:
    """The monthly attendance sheet of a class (`month` YYYY-MM, default this month): the
    students enrolled at some time in the month in Vietnamese order × every day of the
    month and session, each cell P / K / T, `+` present, `?` no roll call taken, `-` not
    in the class that day, empty when not a school day or not yet; totals per student and
    head counts per column."""
    user = signed_in_user(request)
    school_class = get_class_for_attendance(user, class_id)
    if not can_read_marks(user):
        return Status(403, _no_marks())
    month_start = _month(month)
    if isinstance(month_start, dict):
        return Status(422, month_start)
    found = sheet.monthly_sheet(school_class, month_start, today=local_today())
    stamp = export_stamp(
        request, object_type="class", object_id=class_id, detail="json", names=False
    )
    record_export(stamp, rows=len(found.rows))
    return _sheet_json(_sheet_out(found, sheet.cell_legend()))


@router.get(
    "/schools/{school_id}/attendance-sheets",
    response={200: SchoolSheetsOut, 403: FieldError, 422: ValidationErrors},
)
def school_attendance_sheets(
    request: HttpRequest, school_id: int, month: str | None = None
) -> Status[dict[str, Any]] | HttpResponse:
    """The monthly attendance sheets of every class of a school that you see, in one go
    (the same as the class's sheet, by grade and name)."""
    user = signed_in_user(request)
    month_start = _month(month)
    if isinstance(month_start, dict):
        get_school_for_user(user, school_id)  # out of scope: 404 first
        return Status(422, month_start)
    school, classes = sheet.school_classes_for_sheets(user, school_id, month_start)
    if not can_read_marks(user):
        return Status(403, _no_marks())
    legend = sheet.cell_legend()
    sheets = sheet.monthly_sheets(classes, month_start, today=local_today())
    stamp = export_stamp(
        request, object_type="school", object_id=school.pk, detail="json", names=False
    )
    record_export(stamp, rows=sum(len(one.rows) for one in sheets))
    return _sheet_json(
        {
            "school_id": school.pk,
            "school_name": school.name,
            "month": f"{month_start:%Y-%m}",
            "sheets": [_sheet_out(one, legend) for one in sheets],
        }
    )
