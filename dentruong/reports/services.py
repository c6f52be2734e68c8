"""Writes of reports: schedules, frozen submissions, deadline alerts.

Refusals are `ReportError(code, message, field)`; nothing is written when one is raised
(every writer is one transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from dentruong.accounts.models import Membership, User
from dentruong.lib import vntext
from dentruong.orgs.models import OrgUnit, UnitKind
from dentruong.reports import deadlines, selectors
from dentruong.reports.access import LEADER_OF
from dentruong.reports.definitions import REGISTRY
from dentruong.reports.models import (
    AlertKind,
    DeadlineAlert,
    ReportSchedule,
    Submission,
    SubmissionStatus,
)

TEXT_MAX = 20_000
# reporter kind → the kinds of unit that may receive its reports
RECEIVERS = {
    UnitKind.SCHOOL: (UnitKind.COMMUNE, UnitKind.PROVINCE),
    UnitKind.COMMUNE: (UnitKind.PROVINCE,),
}


class ReportError(Exception):
    def __init__(self, code: str, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def _schedule_error(error: deadlines.ScheduleError) -> ReportError:
    return ReportError(error.code, _(error.message), error.field)


@transaction.atomic
def create_schedule(
    *,
    by: User | None,
    name: str,
    report: str,
    unit: OrgUnit,
    reporter_kind: str,
    recurrence: str,
    due_time: dt.time,
    start_date: dt.date,
    end_date: dt.date | None = None,
    weekday: int | None = None,
    day_of_month: int | None = None,
    fixed_dates: Sequence[dt.datetime] = (),
    lock_after_minutes: int | None = None,
    remind_before_minutes: int = 120,
    skip_breaks: bool = True,
    parent: ReportSchedule | None = None,
) -> ReportSchedule:
    """A schedule; refused when the report is unknown, the units cannot report to this
    unit, the rule has no valid occurrence, or the cascade does not hold (each of the
    parent's deadlines needs one of ours strictly before it)."""
    name = vntext.clean(name)
    if not name:
        raise ReportError("required", _("Give the schedule a name."), "name")
    if report not in REGISTRY:
        raise ReportError("unknown_report", _("Unknown report."), "report")
    if unit.kind not in RECEIVERS.get(reporter_kind, ()):  # type: ignore[call-overload]
        raise ReportError(
            "reporter_kind", _("These units cannot report to this unit."), "reporter_kind"
        )
    schedule = ReportSchedule(
        name=name,
        report=report,
        unit=unit,
        reporter_kind=reporter_kind,
        recurrence=recurrence,
        weekday=weekday,
        day_of_month=day_of_month,
        due_time=due_time.replace(second=0, microsecond=0),
        start_date=start_date,
        end_date=end_date,
        fixed_dates=[deadlines.local(x).replace(tzinfo=None).isoformat() for x in fixed_dates],
        lock_after_minutes=lock_after_minutes,
        remind_before_minutes=remind_before_minutes,
        skip_breaks=skip_breaks,
        parent=parent,
        created_by=by,
        created_at=timezone.now(),
    )
    rule = schedule.rule(selectors.breaks_for(unit))  # type: ignore[arg-type]
    try:
        deadlines.validate(rule)
    except deadlines.ScheduleError as error:
        raise _schedule_error(error) from None
    if parent is not None:
        if parent.reporter_kind != unit.kind or not unit.path.startswith(parent.unit.path):
            raise ReportError(
                "cascade", _("The parent schedule must collect this unit's report."), "parent"
            )
        missed = deadlines.cascade_problem(rule, selectors.rule_of(parent))
        if missed is not None:
            raise ReportError(
                "cascade",
                _("No deadline of this schedule comes before the parent's deadline of %(d)s.")
                % {"d": f"{missed:%H:%M %d/%m/%Y}"},
                "parent",
            )
    schedule.save()
    return schedule


def _next_number(unit: OrgUnit, year: int) -> str:
    n = Submission.objects.filter(unit=unit, submitted_at__year=year).count() + 1
    if unit.kind == UnitKind.COMMUNE:
        code = "VHXH"
    elif unit.kind == UnitKind.PROVINCE:
        code = "SGDĐT"
    else:
        words = vntext.fold(unit.name.removeprefix("Trường ")).upper().split()
        code = "".join(w[0] for w in words if w[0].isalnum())[:8]
    return f"{n}/BC-{code}"


@transaction.atomic
def submit(
    *,
    schedule: ReportSchedule,
    unit: OrgUnit,
    due_at: dt.datetime,
    by: User,
    assessment: str = "",
    proposals: str = "",
    reason: str = "",
    now: dt.datetime | None = None,
) -> Submission:
    """Freeze `unit`'s figures for the deadline `due_at`: computed now from records, with
    the leader's assessment and proposals. Version 1, or the next with a reason.

    Refused: the unit does not report under this schedule; `due_at` is no deadline of
    it; the period has not ended (its last day is today or later); the deadline is
    locked; a resubmission without a reason."""
    now = now or timezone.now()
    local_now = deadlines.local(now)
    if unit.kind != schedule.reporter_kind or not unit.path.startswith(schedule.unit.path):
        raise ReportError(
            "not_a_reporter", _("This unit does not report under this schedule."), "unit"
        )
    rule = selectors.rule_of(schedule)
    due = deadlines.local(due_at)
    if not selectors.is_occurrence(rule, due):
        raise ReportError("not_a_deadline", _("This is not a deadline of the schedule."), "due")
    start, end = deadlines.period_of(rule, due)
    if end >= local_now.date():
        raise ReportError(
            "period_not_ended",
            _("The period (%(start)s–%(end)s) has not ended yet.")
            % {"start": f"{start:%d/%m/%Y}", "end": f"{end:%d/%m/%Y}"},
            "due",
        )
    if deadlines.is_locked(now, due, schedule.lock_after_minutes):
        closes = deadlines.lock_at(due, schedule.lock_after_minutes)
        raise ReportError(
            "locked",
            _("This report was locked at %(t)s.") % {"t": f"{closes:%H:%M %d/%m/%Y}"},
            "due",
        )
    assessment, proposals, reason = (
        vntext.clean(x)[:TEXT_MAX] for x in (assessment, proposals, reason)
    )
    last = Submission.objects.filter(schedule=schedule, unit=unit, due_at=due).aggregate(
        v=Max("version")
    )["v"]
    version = (last or 0) + 1
    if version > 1 and not reason:
        raise ReportError("reason_required", _("Give the reason for submitting again."), "reason")
    definition = REGISTRY[schedule.report]
    figures = definition.compute(unit, start, end, local_now.date())
    try:
        with transaction.atomic():
            return Submission.objects.create(
                schedule=schedule,
                unit=unit,
                due_at=due,
                period_start=start,
                period_end=end,
                version=version,
                report=schedule.report,
                definition_version=definition.version,
                figures=figures.as_json(),
                assessment=assessment,
                proposals=proposals,
                reason=reason if version > 1 else "",
                status=SubmissionStatus.ON_TIME
                if deadlines.is_on_time(now, due)
                else SubmissionStatus.LATE,
                submitted_by=by,
                submitted_at=now,
                number=_next_number(unit, local_now.year),
            )
    except IntegrityError:
        raise ReportError(
            "conflict", _("Someone submitted this report at the same moment. Reload the page.")
        ) from None


# --- reminders and notices of passed deadlines ---------------------------------------------


@dataclass(frozen=True)
class AlertPlan:
    schedule_id: int
    due: dt.datetime
    kind: str
    unit_ids: tuple[int, ...]


def plan_alerts(
    schedule: ReportSchedule, *, now: dt.datetime, rule: deadlines.Rule | None = None
) -> list[AlertPlan]:
    """What is due now for one schedule: a reminder to units that have not submitted when
    the next deadline is at most `remind_before_minutes` away; a notice to units that
    missed the deadline last passed (until it locks, or for a day when it never does)."""
    rule = rule or selectors.rule_of(schedule)
    plans = []
    upcoming = deadlines.next_due(rule, now)
    if (
        upcoming is not None
        and upcoming - dt.timedelta(minutes=schedule.remind_before_minutes) <= now
    ):
        status = selectors.deadline_status(schedule, upcoming, now=now, rule=rule)
        missing = tuple(u.unit.pk for u in status.units if u.submission is None)
        if missing:
            plans.append(AlertPlan(schedule.pk, upcoming, AlertKind.REMINDER, missing))
    passed = deadlines.last_due(rule, now)
    if passed is not None:
        closes = deadlines.lock_at(passed, schedule.lock_after_minutes) or (
            passed + dt.timedelta(days=1)
        )
        if now <= closes:
            status = selectors.deadline_status(schedule, passed, now=now, rule=rule)
            missing = tuple(u.unit.pk for u in status.units if u.submission is None)
            if missing:
                plans.append(AlertPlan(schedule.pk, passed, AlertKind.OVERDUE, missing))
    return plans


def _leaders(unit_ids: Sequence[int]) -> dict[int, list[User]]:
    out: dict[int, list[User]] = {}
    for m in (
        Membership.objects.active().filter(unit_id__in=unit_ids).select_related("user", "unit")
    ):
        if (
            m.unit is not None
            and m.role == LEADER_OF.get(m.unit.kind)
            and m.school_class_id is None
        ):
            out.setdefault(m.unit.pk, []).append(m.user)
    return out


def queue_deadline_alerts(*, now: dt.datetime | None = None) -> int:
    """Record the alerts due now (once per schedule, deadline, unit and kind: the
    unique constraint) and queue one notice per alert and leader (notices.Notice, kind
    "deadline": two reports due the same day are two notices), sent by `run_notices`.
    Returns the number of alerts recorded by this call."""
    now = now or timezone.now()
    created = 0
    schedules = list(ReportSchedule.objects.select_related("unit"))
    rules = selectors.rules_for(schedules)
    for schedule in schedules:
        for plan in plan_alerts(schedule, now=now, rule=rules[schedule.pk]):
            seen = set(
                DeadlineAlert.objects.filter(
                    schedule_id=plan.schedule_id, due_at=plan.due, kind=plan.kind
                ).values_list("unit_id", flat=True)
            )
            new = [u for u in plan.unit_ids if u not in seen]
            if not new:
                continue
            leaders = _leaders(new)
            with transaction.atomic():
                DeadlineAlert.objects.bulk_create(
                    [
                        DeadlineAlert(
                            schedule_id=plan.schedule_id,
                            unit_id=u,
                            due_at=plan.due,
                            kind=plan.kind,
                            created_at=now,
                            recipients=len(leaders.get(u, [])),
                        )
                        for u in new
                    ],
                    ignore_conflicts=True,  # another worker's run got there first
                )
                alerts = DeadlineAlert.objects.filter(
                    schedule_id=plan.schedule_id, due_at=plan.due, kind=plan.kind, unit_id__in=new
                ).select_related("unit")
                _queue_deadline_notices(schedule, plan, list(alerts), leaders, now=now)
            created += len(new)
    return created


def _queue_deadline_notices(
    schedule: ReportSchedule,
    plan: AlertPlan,
    alerts: list[DeadlineAlert],
    leaders: dict[int, list[User]],
    *,
    now: dt.datetime,
) -> None:
    from dentruong.lib.phone import InvalidPhone, normalize_phone
    from dentruong.notices.adapters import configured_channels
    from dentruong.notices.models import Channel, Notice, NoticeKind, NoticeStatus

    configured = configured_channels()
    if plan.kind == AlertKind.REMINDER:
        template = _('Đến Trường: the report "%(report)s" of %(unit)s is due at %(due)s.')
    else:
        template = _(
            'Đến Trường: the report "%(report)s" of %(unit)s was due at '
            "%(due)s and has not been submitted."
        )
    notices = []
    for alert in alerts:
        text = template % {
            "report": schedule.name,
            "unit": alert.unit.name,
            "due": f"{deadlines.local(plan.due):%H:%M %d/%m/%Y}",
        }
        for user in leaders.get(alert.unit_id, []):
            try:
                phone = normalize_phone(user.phone) if user.phone else ""
            except InvalidPhone:
                phone = ""
            options = [(Channel.SMS, phone), (Channel.EMAIL, user.email)]
            channel, address = next(
                ((c, a) for c, a in options if a and c in configured),
                next(((c, a) for c, a in options if a), ("", "")),
            )
            notices.append(
                Notice(
                    kind=NoticeKind.DEADLINE,
                    day=deadlines.local(now).date(),
                    session="",
                    recipient=user,
                    deadline_alert=alert,
                    channel=channel,
                    address=address,
                    subject=schedule.name[:150],
                    text=vntext.clean(text),
                    status=NoticeStatus.QUEUED if channel else NoticeStatus.SKIPPED,
                    last_error="" if channel else "no phone or e-mail",
                    created_at=now,
                    next_attempt_at=now,
                )
            )
    Notice.objects.bulk_create(notices, ignore_conflicts=True)
