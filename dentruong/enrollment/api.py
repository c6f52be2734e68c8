"""/api/v1/ endpoints of the enrollment lifecycle: record an event, read a student's
events, transfers waiting at a school (confirm / decline), the dropout report, the
destinations of lower-secondary graduates, transfers lost between schools, and the
head-count check. Thin: access helpers, then services and selectors.

Errors: an object out of scope is 404; in scope but not yours to change (or child data a
partner may not read) is 403 `{"message", "code"}`; a refused change is 422
`{"errors": {field: [{"message", "code"}]}}` with the codes of `EnrollmentError`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from dentruong.accounts.models import User
from dentruong.api_common import FieldError, ValidationErrors
from dentruong.attendance.services import local_today
from dentruong.enrollment import selectors, services
from dentruong.enrollment.access import (
    can_decide_transfer,
    can_read_events,
    can_record_destination,
    can_record_event,
    events_for_student,
    get_transfer_for_user,
)
from dentruong.enrollment.codes import EventKind
from dentruong.enrollment.figures import Balance, Tally
from dentruong.enrollment.models import EnrollmentEvent, Transfer
from dentruong.enrollment.periods import lost_before
from dentruong.enrollment.services import EnrollmentError
from dentruong.orgs.access import classes_for_user, get_school_for_user, get_unit_for_user
from dentruong.orgs.models import OrgUnit, School, SchoolClass
from dentruong.people.access import get_student_for_user, students_for_user

router = Router(tags=["enrollment"])
MAX_RANGE_DAYS = 400


class EventIn(Schema):
    kind: str = Field(
        description="enrolled, transferred_in, returned, transferred_out, dropped_out, "
        "left_locality, repeated, completed or class_changed"
    )
    date: dt.date
    class_id: int | None = Field(None, description="The class entered (entries, class changes)")
    reason_code: str = Field("", description="Dropout reason 01–10 (DM_LY_DO_THOI_HOC)")
    reason: str = Field("", description="Free text")
    whereabouts: str = Field("", description="01 in the province, 02 outside it, 03 abroad")
    to_school_id: int | None = Field(None, description="Receiving school of a transfer")
    other_school_name: str = Field("", description="A school outside the system")
    eligible_to_continue: bool | None = Field(None, description="Required for a return")
    eligibility_note: str = ""


class EventOut(Schema):
    id: int
    kind: str
    date: dt.date
    class_id: int | None
    class_name: str | None
    school_name: str | None
    from_class_id: int | None
    period: str
    after_tet: bool
    status_code: str | None = Field(description="The sector database's status (01–12)")
    reason_code: str
    reason: str
    whereabouts: str
    other_school_name: str
    eligible_to_continue: bool | None
    eligibility_note: str
    destination: str | None
    recorded_by: str | None
    recorded_at: dt.datetime


class TransferOut(Schema):
    id: int
    student_id: int
    student_name: str
    from_school_id: int
    from_school_name: str
    from_class_name: str
    to_school_id: int
    to_school_name: str
    date: dt.date
    status: str
    lost: bool = Field(description="Pending longer than the confirmation delay")
    decline_reason: str


class SchoolTransfersOut(Schema):
    incoming: list[TransferOut]
    outgoing: list[TransferOut]


class ConfirmIn(Schema):
    class_id: int
    date: dt.date


class DeclineIn(Schema):
    reason: str


class DestinationIn(Schema):
    destination: str = Field(
        description="thpt, gdtx, vocational_in, vocational_out, working, at_home, moved, unknown"
    )
    note: str = ""


class NameOut(Schema):
    student_id: int
    full_name: str
    event_id: int
    date: dt.date
    school_name: str
    class_name: str
    level: str = ""
    period: str = ""
    after_tet: bool = False
    kind: str = ""
    reason_code: str = ""
    whereabouts: str = ""
    eligible: bool | None = None
    note: str = ""


class TallyOut(Schema):
    total: int
    by_level: dict[str, int]
    by_period: dict[str, int]
    after_tet: int
    by_reason: dict[str, int]
    left_locality: int
    left_by_whereabouts: dict[str, int]


class DropoutReportOut(Schema):
    unit_id: int
    on: dt.date
    school_year: int
    recorded: TallyOut = Field(description="Every dropout of the school year up to `on`")
    still_out: TallyOut = Field(description="Of those, not back in school on `on`")
    returned_eligible: int
    returned_not_eligible: int
    names_recorded: list[NameOut]
    names_still_out: list[NameOut]
    names_returned: list[NameOut]


class GraduateOut(Schema):
    student_id: int
    full_name: str
    event_id: int
    school_name: str
    commune_id: int | None
    commune_name: str
    village_name: str
    destination: str


class DestinationReportOut(Schema):
    unit_id: int
    school_year: int
    graduates: int
    by_destination: dict[str, int]
    vocational: int
    vocational_share: float | None
    target_percent: float
    meets_target: bool | None
    not_studying: list[GraduateOut]


class BalanceOut(Schema):
    kind: str
    id: int
    name: str
    school_id: int
    holds: bool
    counts: dict[str, int]
    students: list[dict[str, Any]]


class HeadcountCheckOut(Schema):
    unit_id: int
    date_from: dt.date
    date_to: dt.date
    classes_checked: int
    schools_checked: int
    failing: list[BalanceOut]


def _error(exc: EnrollmentError) -> Status[dict[str, Any]]:
    return Status(422, {"errors": {exc.field: [{"message": exc.message, "code": exc.code}]}})


def _forbidden(message: str) -> Status[dict[str, Any]]:
    return Status(403, {"message": message, "code": "forbidden"})


def event_out(e: EnrollmentEvent) -> dict[str, Any]:
    dest = getattr(e, "destination", None)
    return {
        "id": e.pk,
        "kind": e.kind,
        "date": e.date,
        "class_id": e.school_class_id,
        "class_name": e.school_class.name if e.school_class else None,
        "school_name": e.school_class.school.name if e.school_class else None,
        "from_class_id": e.from_class_id,
        "period": e.period,
        "after_tet": e.after_tet,
        "status_code": e.status_code,
        "reason_code": e.reason_code,
        "reason": e.reason,
        "whereabouts": e.whereabouts,
        "other_school_name": e.other_school_name,
        "eligible_to_continue": e.eligible_to_continue,
        "eligibility_note": e.eligibility_note,
        "destination": dest.destination if dest else None,
        "recorded_by": e.recorded_by.full_name if e.recorded_by else None,
        "recorded_at": e.recorded_at,
    }


def transfer_out(t: Transfer, today: dt.date) -> dict[str, Any]:
    return {
        "id": t.pk,
        "student_id": t.student_id,
        "student_name": t.student.full_name,
        "from_school_id": t.from_school_id,
        "from_school_name": t.from_school.name,
        "from_class_name": t.from_class.name,
        "to_school_id": t.to_school_id,
        "to_school_name": t.to_school.name,
        "date": t.date,
        "status": t.status,
        "lost": t.status == "pending"
        and t.date < lost_before(today, settings.TRANSFER_CONFIRM_DAYS),
        "decline_reason": t.decline_reason,
    }


def _class_for(user: Any, class_id: int | None) -> SchoolClass | None:
    if class_id is None:
        return None
    found = (
        classes_for_user(user)
        .select_related("school__unit", "school_year")
        .filter(pk=class_id)
        .first()
    )
    if found is None:
        raise EnrollmentError("unknown_class", _("This class does not exist."), "class_id")
    return found


# --- events -------------------------------------------------------------------------------


@router.get("/students/{student_id}/events", response={200: list[EventOut], 403: FieldError})
def student_events(request: HttpRequest, student_id: int) -> Any:
    student = get_student_for_user(request.user, student_id)
    if not can_read_events(request.user):
        return _forbidden("not allowed to read enrollment events")
    return [event_out(e) for e in events_for_student(student)]


@router.post(
    "/students/{student_id}/events",
    response={201: EventOut, 403: FieldError, 422: ValidationErrors},
)
def record_student_event(
    request: HttpRequest, student_id: int, payload: EventIn
) -> Status[dict[str, Any]]:
    user = request.user
    student = get_student_for_user(user, student_id)
    try:
        school_class = _class_for(user, payload.class_id)
        if not can_record_event(user, student, payload.kind, school_class):
            return _forbidden("not allowed to record this event for this student")
        to_school = None
        if payload.to_school_id is not None:
            to_school = School.objects.filter(pk=payload.to_school_id).first()
            if to_school is None:
                raise EnrollmentError(
                    "unknown_school", _("This school does not exist."), "to_school_id"
                )
        event = services.record_event(
            student=student,
            kind=payload.kind,
            on=payload.date,
            by=user if isinstance(user, User) else None,
            school_class=school_class,
            reason_code=payload.reason_code,
            reason=payload.reason,
            whereabouts=payload.whereabouts,
            to_school=to_school,
            other_school_name=payload.other_school_name,
            eligible_to_continue=payload.eligible_to_continue,
            eligibility_note=payload.eligibility_note,
        )
    except EnrollmentError as exc:
        return _error(exc)
    event = events_for_student(student).get(pk=event.pk)
    return Status(201, event_out(event))


@router.post(
    "/graduates/{event_id}/destination",
    response={200: EventOut, 403: FieldError, 422: ValidationErrors},
)
def record_graduate_destination(
    request: HttpRequest, event_id: int, payload: DestinationIn
) -> Status[dict[str, Any]]:
    user = request.user
    event = get_object_or_404(
        EnrollmentEvent.objects.filter(student__in=students_for_user(user)).select_related(
            "student__school__unit", "student__village", "school_class"
        ),
        pk=event_id,
    )
    if not can_record_destination(user, event):
        return _forbidden("not allowed to record where this graduate went")
    try:
        services.record_destination(
            event=event,
            destination=payload.destination,
            note=payload.note,
            by=user if isinstance(user, User) else None,
        )
    except EnrollmentError as exc:
        return _error(exc)
    return Status(200, event_out(events_for_student(event.student).get(pk=event.pk)))


# --- transfers ----------------------------------------------------------------------------


@router.get("/schools/{school_id}/transfers", response={200: SchoolTransfersOut, 403: FieldError})
def school_transfers(request: HttpRequest, school_id: int) -> Any:
    school = get_school_for_user(request.user, school_id)
    if not can_read_events(request.user):
        return _forbidden("not allowed to read transfers")
    incoming, outgoing = selectors.school_transfers(school.pk)
    today = local_today()
    return {
        "incoming": [transfer_out(t, today) for t in incoming],
        "outgoing": [transfer_out(t, today) for t in outgoing],
    }


@router.post(
    "/transfers/{transfer_id}/confirm",
    response={200: EventOut, 403: FieldError, 422: ValidationErrors},
)
def confirm_transfer(
    request: HttpRequest, transfer_id: int, payload: ConfirmIn
) -> Status[dict[str, Any]]:
    user = request.user
    transfer = get_transfer_for_user(user, transfer_id)
    if not can_decide_transfer(user, transfer):
        return _forbidden("only the receiving school confirms an arrival")
    try:
        school_class = _class_for(user, payload.class_id)
        assert school_class is not None
        event = services.confirm_transfer(
            transfer=transfer,
            school_class=school_class,
            on=payload.date,
            by=user if isinstance(user, User) else None,
        )
    except EnrollmentError as exc:
        return _error(exc)
    return Status(200, event_out(events_for_student(transfer.student).get(pk=event.pk)))


@router.post(
    "/transfers/{transfer_id}/decline",
    response={200: TransferOut, 403: FieldError, 422: ValidationErrors},
)
def decline_transfer(
    request: HttpRequest, transfer_id: int, payload: DeclineIn
) -> Status[dict[str, Any]]:
    user = request.user
    transfer = get_transfer_for_user(user, transfer_id)
    if not can_decide_transfer(user, transfer):
        return _forbidden("only the receiving school declines an arrival")
    try:
        services.decline_transfer(
            transfer=transfer, reason=payload.reason, by=user if isinstance(user, User) else None
        )
    except EnrollmentError as exc:
        return _error(exc)
    transfer = get_transfer_for_user(user, transfer_id)
    return Status(200, transfer_out(transfer, local_today()))


@router.get("/units/{unit_id}/lost-transfers", response={200: list[TransferOut], 403: FieldError})
def unit_lost_transfers(request: HttpRequest, unit_id: int) -> Any:
    unit = _report_unit(request, unit_id)
    if unit is None:
        return _forbidden("not allowed to read transfers")
    today = local_today()
    return [transfer_out(t, today) for t in selectors.lost_transfers(unit.path, today=today)]


# --- reports ------------------------------------------------------------------------------


def _report_unit(request: HttpRequest, unit_id: int) -> OrgUnit | None:
    unit = get_unit_for_user(request.user, unit_id)
    return unit if can_read_events(request.user) else None


def _tally(t: Tally) -> dict[str, Any]:
    return t.as_dict()


@router.get(
    "/units/{unit_id}/dropouts",
    response={200: DropoutReportOut, 403: FieldError, 422: ValidationErrors},
)
def unit_dropouts(
    request: HttpRequest,
    unit_id: int,
    on: dt.date | None = None,
    school_year: int | None = None,
) -> Any:
    """Dropouts (thôi học, left the locality) of the unit's schools in the school year up to
    `on` (default today), by level, period, after Tết, reason and where they went; who is
    still out, who came back (eligible or not to continue); the names behind each number."""
    unit = _report_unit(request, unit_id)
    if unit is None:
        return _forbidden("not allowed to read the dropout report")
    report = selectors.dropout_report(unit.path, on=on or local_today(), school_year=school_year)

    def names(rows: list[Any]) -> list[dict[str, Any]]:
        return [
            {
                "student_id": r.student_id,
                "full_name": r.full_name,
                "event_id": r.event_id,
                "date": r.date,
                "school_name": r.school_name,
                "class_name": r.class_name,
                "level": getattr(r, "level", ""),
                "period": getattr(r, "period", ""),
                "after_tet": getattr(r, "after_tet", False),
                "kind": getattr(r, "kind", EventKind.RETURNED),
                "reason_code": getattr(r, "reason_code", ""),
                "whereabouts": getattr(r, "whereabouts", ""),
                "eligible": getattr(r, "eligible", None),
                "note": getattr(r, "note", ""),
            }
            for r in rows
        ]

    return {
        "unit_id": unit.pk,
        "on": report.on,
        "school_year": report.school_year,
        "recorded": _tally(report.recorded_tally),
        "still_out": _tally(report.still_out_tally),
        "returned_eligible": len(report.returned_eligible),
        "returned_not_eligible": len(report.returned_not_eligible),
        "names_recorded": names(report.recorded),
        "names_still_out": names(report.still_out),
        "names_returned": names(report.returned),
    }


@router.get("/units/{unit_id}/destinations", response={200: DestinationReportOut, 403: FieldError})
def unit_destinations(request: HttpRequest, unit_id: int, school_year: int | None = None) -> Any:
    """Where the lower-secondary graduates of the school year went; the share in vocational
    training against its target; the graduates in no school or training, by commune."""
    unit = _report_unit(request, unit_id)
    if unit is None:
        return _forbidden("not allowed to read the destinations report")
    year = (
        school_year if school_year is not None else selectors.default_school_year(local_today()) - 1
    )
    report = selectors.destination_report(unit.path, school_year=year)
    return {
        "unit_id": unit.pk,
        "school_year": year,
        "graduates": len(report.graduates),
        "by_destination": report.by_destination,
        "vocational": report.vocational,
        "vocational_share": report.vocational_share,
        "target_percent": report.target_percent,
        "meets_target": report.meets_target,
        "not_studying": [g.__dict__ for g in report.not_studying],
    }


def _balance(u: selectors.UnitBalance) -> dict[str, Any]:
    b: Balance = u.balance
    return {
        "kind": u.kind,
        "id": u.id,
        "name": u.name,
        "school_id": u.school_id,
        "holds": b.holds,
        "counts": b.as_dict(),
        "students": [m.__dict__ for m in u.students],
    }


@router.get(
    "/units/{unit_id}/headcount-check",
    response={200: HeadcountCheckOut, 403: FieldError, 422: ValidationErrors},
)
def unit_headcount_check(
    request: HttpRequest,
    unit_id: int,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    school_year: int | None = None,
) -> Any:
    """Every class and school of the unit where start + events ≠ now, with the students
    whose enrolment changed without an event. Defaults: the current school year (from
    1 August) up to today."""
    unit = _report_unit(request, unit_id)
    if unit is None:
        return _forbidden("not allowed to read the head-count check")
    today = local_today()
    date_to = date_to or today
    date_from = date_from or dt.date(selectors.default_school_year(date_to), 8, 1)
    if date_from > date_to or (date_to - date_from).days > MAX_RANGE_DAYS:
        return Status(
            422,
            {
                "errors": {
                    "date_from": [
                        {
                            "message": _("Choose a period of at most %(days)d days.")
                            % {"days": MAX_RANGE_DAYS},
                            "code": "invalid_range",
                        }
                    ]
                }
            },
        )
    check = selectors.headcount_check(
        unit.path, date_from=date_from, date_to=date_to, school_year=school_year
    )
    return {
        "unit_id": unit.pk,
        "date_from": date_from,
        "date_to": date_to,
        "classes_checked": len(check.classes),
        "schools_checked": len(check.schools),
        "failing": [_balance(u) for u in check.failing],
    }
