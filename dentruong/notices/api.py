"""/api/v1/ endpoints for notices to families: the status of a class's absence notices on
a day, and the consents of a student's guardians (read, record, withdraw).

Access: a class or a student out of scope is 404; the notices and the consents name
children and guardians' addresses, so a partner-only user gets 403 (as for the marks);
recording or withdrawing a consent needs the right to edit the student
(`people.access.can_edit_student`: homeroom teacher, school leader, commune officer).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from dentruong.api_common import FieldError, ValidationErrors, error_body, signed_in_user
from dentruong.attendance.access import can_read_marks, get_class_for_attendance
from dentruong.notices import services
from dentruong.notices.models import NoticeConsent
from dentruong.notices.selectors import class_day_absences, class_day_notices, notice_state
from dentruong.notices.services import NoticeError, local_today
from dentruong.people.access import can_edit_student, get_student_for_user, partner_fields
from dentruong.people.models import Guardian, Student

router = Router(tags=["notices"])


class NoticeOut(Schema):
    student_id: int
    sessions: list[str] = Field(description="The sessions of the day the student was marked K")
    status: str = Field(
        description="queued, sending, sent, failed, gave_up, skipped, unknown, cancelled; "
        "no_consent (no active consent, nothing queued) or not_queued (consent, but the "
        "roll call was not entered on its day)"
    )
    label: str = Field(description="What the roll call page shows, translated")
    channel: str
    attempts: int
    sent_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    last_error: str


class ClassNoticesOut(Schema):
    class_id: int
    date: dt.date
    items: list[NoticeOut]


class ConsentIn(Schema):
    guardian_id: int
    channel: str = Field(description="sms, zalo or email")
    address: str = Field(
        description="sms: a Vietnamese phone number; zalo: the guardian's Zalo user id for "
        "the school's Official Account; email: an e-mail address"
    )
    evidence: str = Field("", description="How consent was given, at most 200 characters")
    scope: str = Field("absence", description="What it covers: absence (notices) or all")


class ConsentOut(Schema):
    id: int
    guardian_id: int
    guardian_name: str
    channel: str
    address: str
    scope: str
    evidence: str
    recorded_by_id: int | None
    recorded_at: dt.datetime
    withdrawn_at: dt.datetime | None
    withdrawn_by_id: int | None
    active: bool


def _no_child_data() -> dict[str, str]:
    return {"message": _("You may not see the notices of this class."), "code": "forbidden"}


def _consent_out(consent: NoticeConsent) -> dict[str, Any]:
    return {
        "id": consent.pk,
        "guardian_id": consent.guardian_id,
        "guardian_name": consent.guardian.full_name,
        "channel": consent.channel,
        "address": consent.address,
        "scope": consent.scope,
        "evidence": consent.evidence,
        "recorded_by_id": consent.recorded_by_id,
        "recorded_at": consent.recorded_at,
        "withdrawn_at": consent.withdrawn_at,
        "withdrawn_by_id": consent.withdrawn_by_id,
        "active": consent.withdrawn_at is None,
    }


def _student_consents(student: Student) -> list[NoticeConsent]:
    if student.household_id is None:
        return []
    return list(
        NoticeConsent.objects.filter(guardian__household_id=student.household_id)
        .select_related("guardian")
        .order_by("guardian_id", "channel", "recorded_at", "pk")
    )


@router.get("/classes/{class_id}/notices", response={200: ClassNoticesOut, 403: FieldError})
def class_notices(
    request: HttpRequest, class_id: int, date: dt.date | None = None
) -> Status[dict[str, Any]]:
    """For each student marked K (absent without leave) in the class on `date` (default
    today): the notice to their family and where it stands."""
    user = signed_in_user(request)
    school_class = get_class_for_attendance(user, class_id)
    if not can_read_marks(user):
        return Status(403, _no_child_data())
    day = date or local_today()
    notices = class_day_notices(school_class.pk, day)
    items: dict[int, dict[str, Any]] = {}
    for absence in class_day_absences(school_class.pk, day):
        if absence.student_id in items:
            items[absence.student_id]["sessions"].append(absence.roll_call.session)
            continue
        state = notice_state(absence)
        notice = notices.get(absence.student_id)
        items[absence.student_id] = {
            "student_id": absence.student_id,
            "sessions": [absence.roll_call.session],
            "status": state.status if state else "",
            "label": state.label if state else "",
            "channel": notice.channel if notice else "",
            "attempts": notice.attempts if notice else 0,
            "sent_at": notice.sent_at if notice else None,
            "next_attempt_at": notice.next_attempt_at if notice else None,
            "last_error": notice.last_error if notice else "",
        }
    return Status(200, {"class_id": school_class.pk, "date": day, "items": list(items.values())})


@router.get(
    "/students/{student_id}/notice-consents",
    response={200: list[ConsentOut], 403: FieldError},
)
def student_notice_consents(request: HttpRequest, student_id: int) -> Status[Any]:
    """The consents (active and withdrawn) of the guardians of the student's household."""
    user = signed_in_user(request)
    student = get_student_for_user(user, student_id)
    if partner_fields(user) is not None:
        return Status(403, _no_child_data())
    return Status(200, [_consent_out(c) for c in _student_consents(student)])


@router.post(
    "/students/{student_id}/notice-consents",
    response={201: ConsentOut, 403: FieldError, 422: ValidationErrors},
)
def record_notice_consent(
    request: HttpRequest, student_id: int, payload: ConsentIn
) -> Status[dict[str, Any]]:
    """Record that a guardian of the student agreed to same-day absence notices on a
    channel. One active consent per guardian and channel: withdraw the old one first."""
    user = signed_in_user(request)
    student = get_student_for_user(user, student_id)
    if not can_edit_student(user, student):
        return Status(403, {"message": _("You may not edit this student."), "code": "forbidden"})
    household = student.household_id
    guardian = (
        Guardian.objects.filter(pk=payload.guardian_id, household_id=household).first()
        if household is not None
        else None
    )
    if guardian is None:
        return Status(
            422,
            error_body(
                "not_found", _("This guardian is not in the student's household."), "guardian_id"
            ),
        )
    try:
        consent = services.record_consent(
            guardian=guardian,
            channel=payload.channel,
            address=payload.address,
            evidence=payload.evidence,
            scope=payload.scope,
            by=user,
        )
    except NoticeError as refused:
        return Status(422, error_body(refused.code, refused.message, refused.field))
    return Status(201, _consent_out(consent))


@router.post(
    "/students/{student_id}/notice-consents/{consent_id}/withdraw",
    response={200: ConsentOut, 403: FieldError, 422: ValidationErrors},
)
def withdraw_notice_consent(
    request: HttpRequest, student_id: int, consent_id: int
) -> Status[dict[str, Any]]:
    """Withdraw a consent: no notice goes out on it any more (queued ones are cancelled);
    the row stays, with who withdrew it and when."""
    user = signed_in_user(request)
    student = get_student_for_user(user, student_id)
    household = student.household_id
    consent = (
        NoticeConsent.objects.filter(pk=consent_id, guardian__household_id=household)
        .select_related("guardian")
        .first()
        if household is not None
        else None
    )
    if consent is None:
        raise Http404
    if not can_edit_student(user, student):
        return Status(403, {"message": _("You may not edit this student."), "code": "forbidden"})
    try:
        consent = services.withdraw_consent(consent=consent, by=user)
    except NoticeError as refused:
        return Status(422, error_body(refused.code, refused.message, refused.field))
    return Status(200, _consent_out(consent))
