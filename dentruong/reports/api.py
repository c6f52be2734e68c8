"""Reports over the API: definitions, schedules (list, create), one deadline's
completeness and roll-up, a unit's figures before submitting, submitting, a frozen
submission. Refusals: 422 `{"errors": {field: [{message, code}]}}` with the codes of
`ReportError` / `ScheduleError`; 403 when in scope but not the leader; 404 out of scope.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from dentruong.accounts.models import User
from dentruong.api_common import FieldError, ValidationErrors
from dentruong.orgs.access import get_unit_for_user
from dentruong.reports import deadlines, selectors, services
from dentruong.reports.access import (
    can_manage,
    can_see_status,
    can_submit,
    get_reporter_for_user,
    get_schedule_for_user,
    get_submission_for_user,
    schedules_for_user,
)
from dentruong.reports.definitions import REGISTRY
from dentruong.reports.figures import Figures
from dentruong.reports.models import ReportSchedule, Submission

router = Router(tags=["reports"])


class DefinitionOut(Schema):
    key: str
    version: int
    title: str


class ScheduleIn(Schema):
    name: str
    report: str
    unit_id: int
    reporter_kind: str
    recurrence: str
    due_time: dt.time
    start_date: dt.date
    end_date: dt.date | None = None
    weekday: int | None = None
    day_of_month: int | None = None
    fixed_dates: list[dt.datetime] = []
    lock_after_minutes: int | None = None
    remind_before_minutes: int = 120
    skip_breaks: bool = True
    parent_id: int | None = None


class ScheduleOut(Schema):
    id: int
    name: str
    report: str
    unit_id: int
    reporter_kind: str
    recurrence: str
    due_time: dt.time
    weekday: int | None
    day_of_month: int | None
    start_date: dt.date
    lock_after_minutes: int | None
    next_due: dt.datetime | None
    parent_id: int | None


class SubmissionIn(Schema):
    due: dt.datetime
    assessment: str = ""
    proposals: str = ""
    reason: str = ""


class SubmissionOut(Schema):
    id: int
    schedule_id: int
    unit_id: int
    due: dt.datetime
    version: int
    status: str
    number: str
    submitted_at: dt.datetime
    submitted_by: str
    assessment: str
    proposals: str
    reason: str
    report: str
    definition_version: int
    figures: dict[str, Any]


class UnitStatusOut(Schema):
    unit_id: int
    name: str
    status: str
    submission_id: int | None
    versions: int


class StatusOut(Schema):
    schedule_id: int
    due: dt.datetime
    period_start: dt.date
    period_end: dt.date
    expected: int
    on_time: int
    late: int
    missing: int
    units: list[UnitStatusOut]
    rolled_up: dict[str, Any] | None


def _error(exc: services.ReportError) -> Status[dict[str, Any]]:
    return Status(422, {"errors": {exc.field: [{"message": exc.message, "code": exc.code}]}})


def _forbidden(message: str) -> Status[dict[str, Any]]:
    return Status(403, {"message": message, "code": "forbidden"})


def schedule_out(
    s: ReportSchedule, now: dt.datetime, rule: deadlines.Rule | None = None
) -> dict[str, Any]:
    return {
        "id": s.pk,
        "name": s.name,
        "report": s.report,
        "unit_id": s.unit_id,
        "reporter_kind": s.reporter_kind,
        "recurrence": s.recurrence,
        "due_time": s.due_time,
        "weekday": s.weekday,
        "day_of_month": s.day_of_month,
        "start_date": s.start_date,
        "lock_after_minutes": s.lock_after_minutes,
        "next_due": deadlines.next_due(rule or selectors.rule_of(s), now),
        "parent_id": s.parent_id,
    }


def submission_out(s: Submission) -> dict[str, Any]:
    return {
        "id": s.pk,
        "schedule_id": s.schedule_id,
        "unit_id": s.unit_id,
        "due": s.due_at,
        "version": s.version,
        "status": s.status,
        "number": s.number,
        "submitted_at": s.submitted_at,
        "submitted_by": str(s.submitted_by),
        "assessment": s.assessment,
        "proposals": s.proposals,
        "reason": s.reason,
        "report": s.report,
        "definition_version": s.definition_version,
        "figures": s.figures,
    }


@router.get("/report-definitions", response=list[DefinitionOut])
def report_definitions(request: HttpRequest) -> Any:
    """The kinds of report the system computes (each from records, never typed)."""
    return [{"key": d.key, "version": d.version, "title": str(d.title)} for d in REGISTRY.values()]


@router.get("/report-schedules", response=list[ScheduleOut])
def list_report_schedules(request: HttpRequest) -> Any:
    """Schedules the user receives reports under, or reports under."""
    now = timezone.now()
    schedules = list(schedules_for_user(request.user).select_related("unit").order_by("name", "pk"))
    rules = selectors.rules_for(schedules)
    return [schedule_out(s, now, rules[s.pk]) for s in schedules]


@router.post(
    "/report-schedules",
    response={201: ScheduleOut, 403: FieldError, 422: ValidationErrors},
)
def create_report_schedule(request: HttpRequest, payload: ScheduleIn) -> Any:
    """A schedule: weekly / biweekly (weekday), monthly (day_of_month), fixed
    (fixed_dates); refused when it has no valid deadline or breaks the cascade."""
    unit = get_unit_for_user(request.user, payload.unit_id)
    if not can_manage(request.user, unit):
        return _forbidden("not allowed to create report schedules")
    parent = None
    if payload.parent_id is not None:
        try:
            parent = (
                schedules_for_user(request.user).select_related("unit").get(pk=payload.parent_id)
            )
        except ReportSchedule.DoesNotExist:
            return _error(services.ReportError("unknown_parent", "Unknown schedule.", "parent_id"))
    user = request.user
    try:
        schedule = services.create_schedule(
            by=user if isinstance(user, User) else None,
            name=payload.name,
            report=payload.report,
            unit=unit,
            reporter_kind=payload.reporter_kind,
            recurrence=payload.recurrence,
            due_time=payload.due_time,
            start_date=payload.start_date,
            end_date=payload.end_date,
            weekday=payload.weekday,
            day_of_month=payload.day_of_month,
            fixed_dates=payload.fixed_dates,
            lock_after_minutes=payload.lock_after_minutes,
            remind_before_minutes=payload.remind_before_minutes,
            skip_breaks=payload.skip_breaks,
            parent=parent,
        )
    except services.ReportError as exc:
        return _error(exc)
    return Status(201, schedule_out(schedule, timezone.now()))


def _due(rule: deadlines.Rule, due: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if due is None:
        found = deadlines.last_due(rule, now) or deadlines.next_due(rule, now)
        if found is None:
            raise HttpError(422, "no deadline")
        return found
    if not selectors.is_occurrence(rule, due):
        raise services.ReportError(
            "not_a_deadline", "This is not a deadline of the schedule.", "due"
        )
    return deadlines.local(due)


@router.get(
    "/report-schedules/{schedule_id}/status",
    response={200: StatusOut, 403: FieldError, 422: ValidationErrors},
)
def report_schedule_status(
    request: HttpRequest, schedule_id: int, due: dt.datetime | None = None
) -> Any:
    """Who reported for a deadline (on time, late, not submitted) and the roll-up (sum)
    of the submitted figures."""
    schedule = get_schedule_for_user(request.user, schedule_id)
    if not can_see_status(request.user, schedule):
        return _forbidden("only the receiving level sees who reported")
    now = timezone.now()
    rule = selectors.rule_of(schedule)
    try:
        when = _due(rule, due, now)
    except services.ReportError as exc:
        return _error(exc)
    st = selectors.deadline_status(schedule, when, now=now, rule=rule)
    return {
        "schedule_id": schedule.pk,
        "due": st.due,
        "period_start": st.period[0],
        "period_end": st.period[1],
        "expected": st.expected,
        "on_time": st.counts.get("on_time", 0),
        "late": st.counts.get("late", 0),
        "missing": st.counts.get("missing", 0),
        "units": [
            {
                "unit_id": u.unit.pk,
                "name": u.unit.name,
                "status": u.status,
                "submission_id": u.submission.pk if u.submission else None,
                "versions": u.versions,
            }
            for u in st.units
        ],
        "rolled_up": st.rolled_up.as_json() if st.rolled_up else None,
    }


@router.get(
    "/report-schedules/{schedule_id}/units/{unit_id}/figures",
    response={200: dict[str, Any], 403: FieldError, 422: ValidationErrors},
)
def report_unit_figures(
    request: HttpRequest, schedule_id: int, unit_id: int, due: dt.datetime | None = None
) -> Any:
    """The figures a unit would submit now for a deadline (computed from records)."""
    schedule = get_schedule_for_user(request.user, schedule_id)
    unit = get_reporter_for_user(request.user, schedule, unit_id)
    now = timezone.now()
    rule = selectors.rule_of(schedule)
    try:
        when = _due(rule, due, now)
    except services.ReportError as exc:
        return _error(exc)
    start, end = deadlines.period_of(rule, when)
    figures: Figures = REGISTRY[schedule.report].compute(
        unit, start, end, deadlines.local(now).date()
    )
    return figures.as_json()


@router.post(
    "/report-schedules/{schedule_id}/units/{unit_id}/submissions",
    response={201: SubmissionOut, 403: FieldError, 422: ValidationErrors},
)
def submit_report(
    request: HttpRequest, schedule_id: int, unit_id: int, payload: SubmissionIn
) -> Any:
    """Freeze the unit's figures for the deadline `due` with the assessment and proposals;
    again with a `reason` for a new version."""
    schedule = get_schedule_for_user(request.user, schedule_id)
    unit = get_reporter_for_user(request.user, schedule, unit_id)
    user = request.user
    if not isinstance(user, User) or not can_submit(user, unit):
        return _forbidden("only the unit's leader submits its report")
    try:
        submission = services.submit(
            schedule=schedule,
            unit=unit,
            due_at=payload.due,
            by=user,
            assessment=payload.assessment,
            proposals=payload.proposals,
            reason=payload.reason,
        )
    except services.ReportError as exc:
        return _error(exc)
    return Status(201, submission_out(submission))


@router.get("/report-submissions/{submission_id}", response=SubmissionOut)
def get_report_submission(request: HttpRequest, submission_id: int) -> Any:
    """A frozen submission: its figures as submitted (JSON, with the definition version)."""
    return submission_out(get_submission_for_user(request.user, submission_id))
