"""Reads of notices: the status of each absent student's notice, for the roll call page
(annotations on the absences it already reads: no extra query) and for the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from dentruong.attendance.models import Absence, AbsenceCode
from dentruong.notices.models import Channel, Notice, NoticeConsent, NoticeKind, NoticeStatus
from dentruong.notices.services import NOT_CONFIGURED, VN_TZ

NO_CONSENT = "no_consent"
NOT_QUEUED = "not_queued"
_FIELDS = ("status", "channel", "attempts", "sent_at", "next_attempt_at", "last_error")


def with_notice_status(absences: QuerySet[Absence]) -> QuerySet[Absence]:
    """`absences` with their student's absence notice of that day (`notice_status`,
    `notice_channel`, … or None) and `notice_consent` (an active consent exists) as
    columns of the same query."""
    notice = Notice.objects.filter(
        kind=NoticeKind.ABSENCE, student_id=OuterRef("student_id"), day=OuterRef("date")
    )
    columns: dict[str, Any] = {
        f"notice_{name}": Subquery(notice.values(name)[:1]) for name in _FIELDS
    }
    columns["notice_consent"] = Exists(
        NoticeConsent.objects.filter(
            withdrawn_at__isnull=True, guardian__household_id=OuterRef("student__household_id")
        )
    )
    return absences.annotate(**columns)


@dataclass(frozen=True)
class NoticeState:
    """What the teacher reads next to an absent student."""

    status: str  # a NoticeStatus, or no_consent / not_queued
    label: str
    final: bool  # nothing more will happen


def _hhmm(moment: dt.datetime | None) -> str:
    return f"{timezone.localtime(moment, VN_TZ):%H:%M}" if moment else ""


def state_of(
    *,
    status: str | None,
    channel: str = "",
    attempts: int = 0,
    sent_at: dt.datetime | None = None,
    next_attempt_at: dt.datetime | None = None,
    last_error: str = "",
    consent: bool = False,
) -> NoticeState:
    by = Channel(channel).label if channel in Channel.values else ""
    if status is None:
        if consent:
            return NoticeState(
                NOT_QUEUED, _("no notice to the family (not entered that day)"), True
            )
        return NoticeState(NO_CONSENT, _("no notice: the family has not consented"), True)
    if status == NoticeStatus.QUEUED and attempts:
        return NoticeState(
            status,
            _("notice failed, will retry at %(time)s") % {"time": _hhmm(next_attempt_at)},
            False,
        )
    labels = {
        NoticeStatus.QUEUED: _("notice to the family queued (%(channel)s)"),
        NoticeStatus.SENDING: _("notice being sent (%(channel)s)"),
        NoticeStatus.SENT: _("family notified at %(time)s (%(channel)s)"),
        NoticeStatus.FAILED: _("notice refused by %(channel)s: not sent"),
        NoticeStatus.GAVE_UP: _("notice not sent (%(channel)s unreachable)"),
        NoticeStatus.SKIPPED: _("notice not sent: %(channel)s is not configured")
        if last_error == NOT_CONFIGURED
        else _("notice not sent: no address"),
        NoticeStatus.UNKNOWN: _("notice interrupted: delivery unknown, call the family"),
        NoticeStatus.CANCELLED: _("notice cancelled"),
    }
    label = labels.get(NoticeStatus(status), status) % {
        "channel": by,
        "time": _hhmm(sent_at),
    }
    return NoticeState(status, label, status != NoticeStatus.QUEUED and status != "sending")


def notice_state(absence: Absence) -> NoticeState | None:
    """The state of an absence annotated by `with_notice_status`; None unless K."""
    if absence.code != AbsenceCode.UNEXCUSED:
        return None
    values = absence.__dict__
    return state_of(
        status=values.get("notice_status"),
        channel=values.get("notice_channel") or "",
        attempts=values.get("notice_attempts") or 0,
        sent_at=values.get("notice_sent_at"),
        next_attempt_at=values.get("notice_next_attempt_at"),
        last_error=values.get("notice_last_error") or "",
        consent=bool(values.get("notice_consent")),
    )


def class_day_absences(school_class_id: int, day: dt.date) -> list[Absence]:
    """The K marks of a class on a day (every session), with their notices' state."""
    return list(
        with_notice_status(
            Absence.objects.filter(
                roll_call__school_class_id=school_class_id,
                date=day,
                code=AbsenceCode.UNEXCUSED,
            )
        )
        .select_related("roll_call")
        .order_by("student_id", "roll_call__session")
    )


def class_day_notices(school_class_id: int, day: dt.date) -> dict[int, Notice]:
    """The absence notices of a class's students on a day, by student id."""
    return {
        n.student_id: n
        for n in Notice.objects.filter(
            kind=NoticeKind.ABSENCE, school_class_id=school_class_id, day=day
        )
        if n.student_id is not None
    }
