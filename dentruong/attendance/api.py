"""/api/v1/ endpoints for roll calls: submit (idempotent), submit in bulk, read a class's
marks, read a class's attendance summary. Thin: access helpers, then services.

Errors: a class out of scope is 404 (it does not exist for you); in scope but not yours
to write is 403 `{"message", "code"}`; a refused submission is 422
`{"errors": {field: [{"message", "code"}]}}`, with the codes of `RollCallError`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from dentruong.accounts.models import User
from dentruong.attendance import services
from dentruong.attendance.access import (
    can_read_marks,
    can_take_roll_call,
    classes_for_attendance,
    get_class_for_attendance,
)
from dentruong.attendance.models import Absence, AbsenceReason, ClassDaySummary, RollCall
from dentruong.attendance.rates import session_rate
from dentruong.attendance.services import RollCallError, RollCallInput, SubmitResult, local_today

router = Router(tags=["attendance"])

MAX_BULK = 500  # roll calls per bulk request: a big school's whole day, twice over
MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 31


# --- schemas -----------------------------------------------------------------------------


class FieldError(Schema):
    message: str
    code: str


class ValidationErrors(Schema):
    errors: dict[str, list[FieldError]]


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


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # django_auth lets only signed-in users through
        raise Http404
    return user


def _error(code: str, message: str, field: str = "__all__") -> dict[str, Any]:
    return {"errors": {field: [{"message": message, "code": code}]}}


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
            "absences": _absences_out(list(rc.absences.order_by("student_id"))),
            "summary": _summary_out(result.summary),
        },
    }


def _window(
    date_from: dt.date | None, date_to: dt.date | None
) -> tuple[dt.date, dt.date] | dict[str, Any]:
    end = date_to or local_today()
    start = date_from or end - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if start > end:
        return _error("invalid_range", _("The start date is after the end date."), "date_from")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        return _error(
            "range_too_long",
            _("The date range is longer than %(max)d days.") % {"max": MAX_RANGE_DAYS},
            "date_from",
        )
    return start, end


# --- endpoints ---------------------------------------------------------------------------


@router.post(
    "/roll-calls",
    response={200: SubmitOut, 201: SubmitOut, 403: FieldError, 422: ValidationErrors},
)
def submit_roll_call(request: HttpRequest, payload: RollCallIn) -> Status[dict[str, Any]]:
    """Submit a class's roll call for one session: 201 when first taken, 200 for a
    correction (the later edit wins; both are in the history) or a resubmission of the
    same `client_id` (nothing changes)."""
    user = _user(request)
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
        )
    except RollCallError as refused:
        return Status(422, _error(refused.code, refused.message, refused.field))
    return Status(201 if result.created else 200, _submit_out(result))


@router.post("/roll-calls/bulk", response={200: BulkOut, 422: ValidationErrors})
def bulk_submit_roll_calls(request: HttpRequest, payload: BulkIn) -> Status[dict[str, Any]]:
    """Submit many roll calls (integrations, a day synced at once). Each item stands alone:
    a refused item is reported with its index and status, and the others are kept."""
    user = _user(request)
    if len(payload.items) > MAX_BULK:
        return Status(
            422,
            _error(
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
            out[index] |= {"status": 404} | _error("not_found", _("No such class."), "class_id")
            continue
        if not can_take_roll_call(user, school_class):
            forbidden = _forbidden()
            out[index] |= {"status": 403} | _error(forbidden["code"], forbidden["message"])
            continue
        marks, error = _marks(item.marks)
        if error:
            out[index] |= {"status": 422} | _error(error.code, error.message, error.field)
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
    for index, result in zip(where, services.bulk_submit(items=inputs, by=user), strict=True):
        if isinstance(result, RollCallError):
            out[index] |= {"status": 422} | _error(result.code, result.message, result.field)
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
    user = _user(request)
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
    user = _user(request)
    school_class = get_class_for_attendance(user, class_id)
    window = _window(date_from, date_to)
    if isinstance(window, dict):
        return Status(422, window)
    try:
        spec = services.class_calendar(school_class)
    except RollCallError as refused:
        return Status(422, _error(refused.code, refused.message, refused.field))
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
