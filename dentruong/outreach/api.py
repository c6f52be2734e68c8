"""/api/v1/ endpoints of outreach: cases (list, open, read, complete a step, assign,
close), home visits (idempotent by `client_id`), support programmes (totals, deliveries)
and a student's support history.

Errors: out of scope 404; in scope but not yours 403 `{"message", "code"}`; refused
input 422 `{"errors": {field: [{"message", "code"}]}}`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from dentruong.accounts.models import Membership, Role, User
from dentruong.attendance.services import local_today
from dentruong.audit.requests import record_list_read
from dentruong.orgs.access import get_unit_for_user
from dentruong.orgs.models import OrgUnit
from dentruong.outreach import selectors, services
from dentruong.outreach.access import (
    can_act,
    can_deliver,
    can_manage,
    can_manage_meetings,
    can_manage_programmes,
    can_open_for_child,
    can_open_for_student,
    can_pair,
    can_see_what_works,
    cases_in_scope,
    cases_in_unit,
    get_case_for_user,
    get_pair_for_user,
    get_partner_list_for_user,
    get_programme_for_user,
    programmes_for_user,
)
from dentruong.outreach.models import Case
from dentruong.outreach.services import OutreachError
from dentruong.people.access import (
    get_resident_child_for_user,
    get_student_for_user,
    partner_fields,
)
from dentruong.people.models import Household

router = Router(tags=["outreach"])


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _refused(exc: OutreachError) -> Status[dict[str, Any]]:
    return Status(422, {"errors": {exc.field: [{"message": exc.message, "code": exc.code}]}})


def _forbidden() -> Status[dict[str, Any]]:
    return Status(403, {"message": _("You may not change this case."), "code": "forbidden"})


class CaseRowOut(Schema):
    id: int
    name: str
    place: str
    origin: str
    next_step: str
    next_due: dt.date | None
    late: bool
    role: str


class StepOut(Schema):
    kind: str
    due: dt.date
    done_on: dt.date | None
    late_since: dt.date | None


class CaseOut(Schema):
    id: int
    student_id: int | None
    child_id: int | None
    origin: str
    status: str
    opened_on: dt.date
    next_due: dt.date | None
    closed_on: dt.date | None
    outcome: str
    not_back_reason: str
    steps: list[StepOut]


def _case_out(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "student_id": case.student_id,
        "child_id": case.child_id,
        "origin": case.origin,
        "status": case.status,
        "opened_on": case.opened_on,
        "next_due": case.next_due,
        "closed_on": case.closed_on,
        "outcome": case.outcome,
        "not_back_reason": case.not_back_reason,
        "steps": list(
            case.steps.order_by("position").values("kind", "due", "done_on", "late_since")
        ),
    }


@router.get("/outreach/cases/mine", response=list[CaseRowOut])
def my_cases(request: HttpRequest) -> list[dict[str, Any]]:
    rows = selectors.my_cases(_user(request), local_today())
    return [r.__dict__ | {"id": r.pk} for r in rows]


class OpenIn(Schema):
    student_id: int | None = None
    child_id: int | None = None
    note: str = ""


@router.post("/outreach/cases", response={201: CaseOut, 403: dict, 422: dict})
def open_case(request: HttpRequest, payload: OpenIn) -> Any:
    user = _user(request)
    if (payload.student_id is None) == (payload.child_id is None):
        return _refused(
            OutreachError("one_child", _("Choose one student or one resident child."), "child")
        )
    try:
        if payload.student_id is not None:
            student = get_student_for_user(user, payload.student_id)
            if not can_open_for_student(user, student):
                return _forbidden()
            case = services.open_case(student=student, on=local_today(), by=user, note=payload.note)
        else:
            assert payload.child_id is not None
            child = get_resident_child_for_user(user, payload.child_id)
            if not can_open_for_child(user, child):
                return _forbidden()
            case = services.open_case(child=child, on=local_today(), by=user, note=payload.note)
    except OutreachError as exc:
        return _refused(exc)
    return Status(201, _case_out(case))


@router.get("/outreach/cases/{case_id}", response=CaseOut)
def get_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    return _case_out(get_case_for_user(request.user, case_id))


class StepIn(Schema):
    step: str
    on: dt.date
    note: str = ""


@router.post("/outreach/cases/{case_id}/steps", response={200: CaseOut, 403: dict, 422: dict})
def complete_case_step(request: HttpRequest, case_id: int, payload: StepIn) -> Any:
    case = get_case_for_user(request.user, case_id)
    if not can_act(request.user, case):
        return _forbidden()
    try:
        services.complete_step(
            case=case, step=payload.step, on=payload.on, by=_user(request), note=payload.note
        )
    except OutreachError as exc:
        return _refused(exc)
    return Status(200, _case_out(Case.objects.get(pk=case.pk)))


class CloseIn(Schema):
    outcome: str = ""
    on: dt.date
    reason: str = ""
    note: str = ""


@router.post("/outreach/cases/{case_id}/close", response={200: CaseOut, 403: dict, 422: dict})
def close_case(request: HttpRequest, case_id: int, payload: CloseIn) -> Any:
    case = get_case_for_user(request.user, case_id)
    if not can_manage(request.user, case):
        return _forbidden()
    try:
        closed = services.close_case(
            case=case,
            outcome=payload.outcome,
            on=payload.on,
            by=_user(request),
            reason=payload.reason,
            note=payload.note,
        )
    except OutreachError as exc:
        return _refused(exc)
    return Status(200, _case_out(closed))


class AssignIn(Schema):
    user_id: int
    role: str


@router.post("/outreach/cases/{case_id}/assignments", response={201: dict, 403: dict, 422: dict})
def assign_case(request: HttpRequest, case_id: int, payload: AssignIn) -> Any:
    case = get_case_for_user(request.user, case_id)
    if not can_manage(request.user, case):
        return _forbidden()
    assignee = User.objects.filter(pk=payload.user_id).first()
    if assignee is None:
        return _refused(OutreachError("unknown_user", _("Unknown user."), "user_id"))
    try:
        row = services.assign(
            case=case, user=assignee, role=payload.role, on=local_today(), by=_user(request)
        )
    except OutreachError as exc:
        return _refused(exc)
    return Status(201, {"id": row.pk, "user_id": assignee.pk, "role": row.role})


class VisitIn(Schema):
    client_id: uuid.UUID
    date: dt.date
    visitors: str
    met: str
    findings: str
    causes: list[str]
    family_wishes: str = ""
    agreed: str = ""
    next_step: str = ""
    next_step_on: dt.date | None = None


class VisitOut(Schema):
    id: int
    client_id: uuid.UUID
    date: dt.date
    causes: list[str]
    created: bool


@router.post(
    "/outreach/cases/{case_id}/visits",
    response={200: VisitOut, 201: VisitOut, 403: dict, 422: dict},
)
def record_visit(request: HttpRequest, case_id: int, payload: VisitIn) -> Any:
    case = get_case_for_user(request.user, case_id)
    if not can_act(request.user, case):
        return _forbidden()
    try:
        visit, created = services.record_visit(case=case, by=_user(request), **payload.dict())
    except OutreachError as exc:
        return _refused(exc)
    body = {
        "id": visit.pk,
        "client_id": visit.client_id,
        "date": visit.date,
        "causes": sorted(visit.causes.values_list("code", flat=True)),
        "created": created,
    }
    return Status(201 if created else 200, body)


class ProgrammeOut(Schema):
    id: int
    commune: str
    name: str
    kind: str
    sponsor: str
    measure: str
    capacity: int
    delivered: int
    remaining: int
    children: int
    deliveries: int


@router.get("/outreach/programmes", response=list[ProgrammeOut])
def list_programmes(request: HttpRequest) -> list[dict[str, Any]]:
    rows = selectors.programme_totals(programmes_for_user(request.user))
    return [r.__dict__ | {"id": r.pk} for r in rows]


class DeliveryIn(Schema):
    student_id: int | None = None
    child_id: int | None = None
    case_id: int | None = None
    date: dt.date
    amount: int
    delivered_by: str


@router.post(
    "/outreach/programmes/{programme_id}/deliveries", response={201: dict, 403: dict, 422: dict}
)
def deliver(request: HttpRequest, programme_id: int, payload: DeliveryIn) -> Any:
    user = _user(request)
    programme = get_programme_for_user(user, programme_id)
    if not can_deliver(user, programme):
        return Status(
            403, {"message": _("You may not record deliveries here."), "code": "forbidden"}
        )
    student = get_student_for_user(user, payload.student_id) if payload.student_id else None
    child = get_resident_child_for_user(user, payload.child_id) if payload.child_id else None
    case = get_case_for_user(user, payload.case_id) if payload.case_id else None
    try:
        row = services.deliver(
            programme=programme,
            student=student,
            child=child,
            case=case,
            date=payload.date,
            amount=payload.amount,
            delivered_by=payload.delivered_by,
            by=user,
        )
    except OutreachError as exc:
        return _refused(exc)
    programme.refresh_from_db()
    return Status(201, {"id": row.pk, "remaining": programme.remaining})


class SupportOut(Schema):
    date: dt.date
    programme: str
    kind: str
    amount: int
    measure: str
    delivered_by: str


@router.get("/outreach/students/{student_id}/support", response=list[SupportOut])
def student_support(request: HttpRequest, student_id: int) -> list[dict[str, Any]]:
    student = get_student_for_user(request.user, student_id)
    if partner_fields(request.user) is not None:
        raise Http404
    return [
        {
            "date": d.date,
            "programme": d.programme.name,
            "kind": d.programme.kind,
            "amount": d.amount,
            "measure": d.programme.measure,
            "delivered_by": d.delivered_by,
        }
        for d in selectors.support_history(student=student)
    ]


# --- mentoring ---------------------------------------------------------------------------


class MenteeOut(Schema):
    pair_id: int
    student_id: int
    name: str
    class_name: str
    school_name: str
    start: dt.date
    meetings: int
    last_meeting: dt.date | None
    absences: int
    unexcused: int
    left: int
    risk_level: str
    risk_reasons: list[str]


@router.get("/outreach/mentees/mine", response=list[MenteeOut])
def my_mentees(request: HttpRequest) -> list[dict[str, Any]]:
    return [r.__dict__ for r in selectors.my_mentees(_user(request), local_today())]


class PairIn(Schema):
    mentor_id: int
    student_id: int


@router.post("/outreach/mentor-pairs", response={201: dict, 403: dict, 422: dict})
def pair_mentor(request: HttpRequest, payload: PairIn) -> Any:
    user = _user(request)
    student = get_student_for_user(user, payload.student_id)
    if not can_pair(user, student):
        return _forbidden()
    mentor = User.objects.filter(pk=payload.mentor_id).first()
    if mentor is None:
        return _refused(OutreachError("unknown_user", _("Unknown user."), "mentor_id"))
    try:
        pair = services.pair_mentor(mentor=mentor, student=student, on=local_today(), by=user)
    except OutreachError as exc:
        return _refused(exc)
    return Status(201, {"id": pair.pk, "mentor_id": mentor.pk, "student_id": student.pk})


class MeetingIn(Schema):
    date: dt.date
    notes: str = ""


@router.post(
    "/outreach/mentor-pairs/{pair_id}/meetings", response={201: dict, 403: dict, 422: dict}
)
def log_mentor_meeting(request: HttpRequest, pair_id: int, payload: MeetingIn) -> Any:
    user = _user(request)
    pair = get_pair_for_user(user, pair_id)
    if pair.mentor_id != user.pk:
        return Status(403, {"message": _("Only the mentor logs meetings."), "code": "forbidden"})
    try:
        row = services.log_meeting(pair=pair, date=payload.date, notes=payload.notes, by=user)
    except OutreachError as exc:
        return _refused(exc)
    return Status(201, {"id": row.pk, "date": row.date})


# --- "what works" ------------------------------------------------------------------------


class WorksOut(Schema):
    commune: str
    factor: str
    label: str
    cases: int
    back: int
    share: float | None
    median_days: float | None


@router.get("/outreach/units/{unit_id}/what-works", response={200: list[WorksOut], 403: dict})
def unit_what_works(request: HttpRequest, unit_id: int) -> Any:
    unit = get_unit_for_user(request.user, unit_id)
    if not can_see_what_works(request.user, unit):
        return Status(
            403, {"message": _("For commune and province officers."), "code": "forbidden"}
        )
    return [r.__dict__ for r in selectors.what_works(cases_in_unit(request.user, unit), unit)]


# --- village meetings --------------------------------------------------------------------


class VillageMeetingOut(Schema):
    id: int
    commune: str
    village: str
    campaign: str
    starts_at: dt.datetime
    roles: list[str]
    families: int
    came: int
    notes: str


def _meeting_out(m: Any) -> dict[str, Any]:
    return {
        "id": m.pk,
        "commune": m.commune.name,
        "village": m.village.name,
        "campaign": m.campaign,
        "starts_at": m.starts_at,
        "roles": m.roles,
        "families": getattr(m, "n_families", 0),
        "came": getattr(m, "n_came", 0),
        "notes": m.notes,
    }


@router.get("/outreach/units/{unit_id}/meetings", response=list[VillageMeetingOut])
def unit_meetings(request: HttpRequest, unit_id: int) -> list[dict[str, Any]]:
    unit = get_unit_for_user(request.user, unit_id)
    if partner_fields(request.user) is not None:
        raise Http404
    return [_meeting_out(m) for m in selectors.unit_meetings(unit)]


class VillageMeetingIn(Schema):
    village_id: int
    starts_at: dt.datetime
    roles: list[str]
    household_ids: list[int] = []
    campaign: str = ""
    notes: str = ""


@router.post("/outreach/units/{unit_id}/meetings", response={201: dict, 403: dict, 422: dict})
def plan_village_meeting(request: HttpRequest, unit_id: int, payload: VillageMeetingIn) -> Any:
    user = _user(request)
    unit = get_unit_for_user(user, unit_id)
    if not can_manage_meetings(user, unit):
        return Status(403, {"message": _("For the commune's officers."), "code": "forbidden"})
    village = OrgUnit.objects.filter(pk=payload.village_id, parent=unit).first()
    if village is None:
        return _refused(
            OutreachError("village_outside", _("Choose a village of this commune."), "village_id")
        )
    households = list(
        Household.objects.filter(pk__in=payload.household_ids).select_related("village")
    )
    if len(households) != len(set(payload.household_ids)):
        return _refused(
            OutreachError("unknown_household", _("Unknown household."), "household_ids")
        )
    try:
        meeting = services.plan_meeting(
            commune=unit,
            village=village,
            starts_at=payload.starts_at,
            roles=payload.roles,
            households=households,
            campaign=payload.campaign,
            notes=payload.notes,
            by=user,
        )
    except OutreachError as exc:
        return _refused(exc)
    return Status(201, {"id": meeting.pk})


# --- partners ----------------------------------------------------------------------------


class PartnerRowOut(Schema):
    case_id: int
    name: str
    village: str | None
    school_class: str | None
    birth_year: int | None
    next_step: str


class PartnerListOut(Schema):
    id: int
    name: str
    until: dt.date
    rows: list[PartnerRowOut]


@router.get("/outreach/partner-lists/{list_id}", response=PartnerListOut)
def partner_list(request: HttpRequest, list_id: int) -> dict[str, Any]:
    user = _user(request)
    case_list = get_partner_list_for_user(user, list_id, local_today())
    services.log_partner_access(case_list=case_list, user=user, via="api")
    fields = set(case_list.membership.partner_field_list)
    rows = selectors.partner_rows(case_list, fields)
    record_list_read(
        request,
        object_type="partner_list",
        object_id=list_id,
        rows=len(rows),
        reason=case_list.name,
    )
    return {"id": case_list.pk, "name": case_list.name, "until": case_list.until, "rows": rows}


class ShareIn(Schema):
    membership_id: int
    name: str
    until: dt.date
    case_ids: list[int]


@router.post("/outreach/partner-lists", response={201: dict, 403: dict, 422: dict})
def share_with_partner(request: HttpRequest, payload: ShareIn) -> Any:
    user = _user(request)
    membership = (
        Membership.objects.filter(pk=payload.membership_id, role=Role.PARTNER)
        .select_related("unit")
        .first()
    )
    if membership is None or membership.unit is None:
        return _refused(
            OutreachError("not_partner", _("Choose a partner organisation."), "membership_id")
        )
    if not can_manage_programmes(user, membership.unit):
        return Status(403, {"message": _("For the commune's officers."), "code": "forbidden"})
    visible = cases_in_scope(user).filter(pk__in=payload.case_ids).select_related("commune")
    cases = list(visible)
    if len(cases) != len(set(payload.case_ids)):
        raise Http404
    try:
        shared = services.share_with_partner(
            membership=membership, name=payload.name, until=payload.until, cases=cases, by=user
        )
    except OutreachError as exc:
        return _refused(exc)
    return Status(201, {"id": shared.pk})
