"""/api/v1/ endpoints for guardians' requests about a child's data (decision 0012): a
handler's queue with its clock, one request with its history, and registering a request
for a student or a register child (a portal or a ministry system passing on what a
guardian filed). Answering a request (the export, a correction, an erasure) stays on the
pages, where the handler sees what each action removes.

Access as on the pages (privacy/access.py): a request or a child out of scope is 404; a
user who handles no requests, or may not register one for this child, gets 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from dentruong.api_common import FieldError, ValidationErrors, error_body, signed_in_user
from dentruong.people.access import get_resident_child_for_user, get_student_for_user
from dentruong.people.models import ResidentChild, Student
from dentruong.privacy import services
from dentruong.privacy.access import (
    can_handle_requests,
    get_rights_request_for_user,
    may_register_for_child,
    may_register_for_student,
    rights_requests_for_user,
)
from dentruong.privacy.models import OPEN_STATUSES, RightsRequest
from dentruong.privacy.services import PrivacyError

router = Router(tags=["privacy"])

CLOSED_LISTED = 50


class RequestIn(Schema):
    kind: str = Field(description="access, correct, delete or object")
    requester_name: str = Field(description="Who asks (a guardian), at most 150 characters")
    requester_relationship: str = Field(description="mother, father, grandparent, … (people)")
    requester_contact: str = ""
    details: str = Field("", description="What is asked, in the guardian's words")
    received_at: dt.datetime | None = Field(
        None,
        description="When it was received (default: now); the 2-working-day clock "
        "starts on that day",
    )


class StepOut(Schema):
    status: str
    at: dt.datetime
    by_id: int | None
    note: str


class RequestOut(Schema):
    id: int
    kind: str
    status: str
    student_id: int | None
    child_id: int | None
    requester_name: str
    requester_relationship: str
    received_at: dt.datetime
    due_on: dt.date
    working_days_left: int | None = Field(description="None once answered or refused")
    overdue: bool
    closed_at: dt.datetime | None
    has_export: bool


class RequestDetailOut(RequestOut):
    requester_contact: str
    details: str
    steps: list[StepOut]


class QueueOut(Schema):
    open: list[RequestOut]
    closed: list[RequestOut] = Field(description=f"The last {CLOSED_LISTED} answered")


def _forbidden() -> dict[str, str]:
    return {
        "message": _("You do not handle requests about this child's data."),
        "code": "forbidden",
    }


def _out(rr: RightsRequest, today: dt.date, *, has_export: bool) -> dict[str, Any]:
    return {
        "id": rr.pk,
        "kind": rr.kind,
        "status": rr.status,
        "student_id": rr.student_id,
        "child_id": rr.child_id,
        "requester_name": rr.requester_name,
        "requester_relationship": rr.requester_relationship,
        "received_at": rr.received_at,
        "due_on": rr.due_on,
        "working_days_left": services.working_days_left(rr, today) if rr.is_open else None,
        "overdue": rr.is_open and today > rr.due_on,
        "closed_at": rr.closed_at,
        "has_export": has_export,
    }


def _detail(rr: RightsRequest) -> dict[str, Any]:
    steps = rr.steps.order_by("at", "pk")
    return _out(rr, timezone.localdate(), has_export=rr.export is not None) | {
        "requester_contact": rr.requester_contact,
        "details": rr.details,
        "steps": [
            {"status": s.status, "at": s.at, "by_id": s.by_id, "note": s.note} for s in steps
        ],
    }


@router.get("/rights-requests", response={200: QueueOut, 403: FieldError})
def rights_request_queue(request: HttpRequest) -> Status[dict[str, Any]]:
    """The requests the user handles: open ones by due date, then the last answered."""
    user = signed_in_user(request)
    if not can_handle_requests(user):
        return Status(403, _forbidden())
    today = timezone.localdate()
    qs = (
        rights_requests_for_user(user)
        .defer("export")  # whether there is one is enough
        .annotate(exported=ExpressionWrapper(Q(export__isnull=False), BooleanField()))
    )
    open_rows = qs.filter(status__in=OPEN_STATUSES).order_by("due_on", "received_at", "pk")
    closed = qs.exclude(status__in=OPEN_STATUSES).order_by("-closed_at", "-pk")[:CLOSED_LISTED]
    return Status(
        200,
        {
            "open": [_out(r, today, has_export=r.exported) for r in open_rows],
            "closed": [_out(r, today, has_export=r.exported) for r in closed],
        },
    )


@router.get("/rights-requests/{request_id}", response={200: RequestDetailOut})
def rights_request_detail(request: HttpRequest, request_id: int) -> Status[dict[str, Any]]:
    """One request with its history (who moved it, when, why)."""
    rr = get_rights_request_for_user(signed_in_user(request), request_id)
    return Status(200, _detail(rr))


def _register(
    request: HttpRequest,
    payload: RequestIn,
    *,
    student: Student | None,
    child: ResidentChild | None,
) -> Status[dict[str, Any]]:
    try:
        created = services.register_request(
            student=student, child=child, by=signed_in_user(request), **payload.dict()
        )
    except PrivacyError as refused:
        return Status(422, error_body(refused.code, refused.message, refused.field))
    return Status(201, _detail(created))


@router.post(
    "/students/{student_id}/rights-requests",
    response={201: RequestDetailOut, 403: FieldError, 422: ValidationErrors},
)
def register_student_rights_request(
    request: HttpRequest, student_id: int, payload: RequestIn
) -> Status[dict[str, Any]]:
    """Register a guardian's request about a student's data, as received."""
    student = get_student_for_user(request.user, student_id)
    if not may_register_for_student(request.user, student):
        return Status(403, _forbidden())
    return _register(request, payload, student=student, child=None)


@router.post(
    "/resident-children/{child_id}/rights-requests",
    response={201: RequestDetailOut, 403: FieldError, 422: ValidationErrors},
)
def register_child_rights_request(
    request: HttpRequest, child_id: int, payload: RequestIn
) -> Status[dict[str, Any]]:
    """Register a guardian's request about a register child's data, as received."""
    child = get_resident_child_for_user(request.user, child_id)
    if not may_register_for_child(request.user, child):
        return Status(403, _forbidden())
    return _register(request, payload, student=None, child=child)
