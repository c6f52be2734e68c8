"""Writes of outreach: opening a case (by hand or by the nightly rules), its steps,
assignments, home visits, closing with an outcome; support deliveries; mentor pairs.

Every refusal is an `OutreachError` (machine-readable `code`, translated `message`, the
`field` at fault) raised before anything is written, or inside the transaction so that
nothing stays. Database constraints decide races (one open case per child, the
programme's remaining budget), not prior checks.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from dentruong import bulk
from dentruong.accounts.models import Membership, Role, User
from dentruong.attendance.services import local_today
from dentruong.enrollment.codes import DropoutReason
from dentruong.enrollment.models import Enrollment
from dentruong.lib import vntext
from dentruong.orgs.models import OrgUnit
from dentruong.outreach import rules
from dentruong.outreach.models import (
    Case,
    CaseAlert,
    CaseAssignment,
    CaseEvent,
    CaseRole,
    CaseStatus,
    CaseStep,
    EventKind,
    HomeVisit,
    MeetingFamily,
    MentorMeeting,
    MentorPair,
    NotBackReason,
    Origin,
    Outcome,
    ParticipantRole,
    PartnerAccess,
    PartnerCaseList,
    StepDuration,
    SupportDelivery,
    SupportProgramme,
    VillageMeeting,
    VisitCause,
)
from dentruong.people.models import Household, PersonName, ResidentChild, Student

TEXT_MAX = 255
LONG_TEXT_MAX = 2000


class OutreachError(Exception):
    def __init__(self, code: str, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def _d(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _text(value: str, field: str, limit: int = TEXT_MAX, required: bool = False) -> str:
    text = vntext.clean(value or "")
    if required and not text:
        raise OutreachError("required", _("This field is required."), field)
    if len(text) > limit:
        raise OutreachError(
            "too_long",
            _("At most %(limit)d characters.") % {"limit": limit},
            field,
        )
    return text


def _not_future(day: dt.date, field: str = "date") -> None:
    if day > local_today():
        raise OutreachError(
            "future_date", _("The date %(date)s is in the future.") % {"date": _d(day)}, field
        )


def commune_of(*, student: Student | None = None, child: ResidentChild | None = None) -> OrgUnit:
    if child is not None:
        return child.commune
    assert student is not None
    village = student.village
    return village.parent if village.kind == "village" and village.parent else village


def durations_for(commune_id: int) -> dict[str, int]:
    rows = StepDuration.objects.filter(commune_id=commune_id).values_list("step", "days")
    return rules.DEFAULT_DAYS | dict(rows)


def _event(
    case: Case, kind: str, on: dt.date, by: User | None, step: str = "", note: str = ""
) -> None:
    CaseEvent.objects.create(case=case, kind=kind, on=on, by=by, step=step, note=note[:TEXT_MAX])


def _refresh_next_due(case: Case) -> None:
    nxt = case.steps.filter(done_on__isnull=True).order_by("position").values("due").first()
    case.next_due = nxt["due"] if nxt else None
    case.save(update_fields=["next_due"])


# --- cases -------------------------------------------------------------------------------


def _default_assignees(cases: list[Case]) -> dict[int, list[tuple[int, str]]]:
    """{case id: [(user id, role)]}: a student's homeroom teacher (current class), else
    the active commune officers of the case's commune. Two queries for any number."""
    student_ids = [c.student_id for c in cases if c.student_id]
    teachers = dict(
        Enrollment.objects.current()
        .filter(student_id__in=student_ids, school_class__homeroom_teacher__isnull=False)
        .values_list("student_id", "school_class__homeroom_teacher_id")
        if student_ids
        else []
    )
    officers: dict[int, list[int]] = {}
    need = {c.commune_id for c in cases if c.student_id not in teachers}
    for unit_id, user_id in (
        Membership.objects.filter(role=Role.COMMUNE_OFFICER, unit_id__in=need, user__is_active=True)
        .order_by("user_id")
        .values_list("unit_id", "user_id")
        .distinct()
    ):
        officers.setdefault(unit_id, []).append(user_id)
    out: dict[int, list[tuple[int, str]]] = {}
    for c in cases:
        teacher = teachers.get(c.student_id) if c.student_id else None
        if teacher is not None:
            out[c.pk] = [(teacher, CaseRole.HOMEROOM_TEACHER)]
        else:
            out[c.pk] = [(u, CaseRole.COMMUNE_OFFICER) for u in officers.get(c.commune_id, [])]
    return out


@transaction.atomic
def open_case(
    *,
    student: Student | None = None,
    child: ResidentChild | None = None,
    origin: str = Origin.MANUAL,
    on: dt.date,
    by: User | None,
    note: str = "",
) -> Case:
    """Open a case for exactly one of `student` / `child`; refused ('already_open') when
    the child has an open case."""
    if (student is None) == (child is None):
        raise OutreachError("one_child", _("Choose one student or one resident child."), "child")
    if origin not in Origin.values:
        raise OutreachError("invalid_origin", _("Unknown reason for opening."), "origin")
    _not_future(on, "on")
    note = _text(note, "note")
    commune = commune_of(student=student, child=child)
    try:
        with transaction.atomic():
            case = Case.objects.create(
                student=student,
                child=child,
                commune=commune,
                origin=origin,
                trigger_note=note,
                opened_on=on,
                opened_by=by,
            )
    except IntegrityError:
        raise OutreachError(
            "already_open", _("This child already has an open case."), "child"
        ) from None
    due = rules.schedule(on, rules.STEP_ORDER, durations_for(commune.pk))
    CaseStep.objects.bulk_create(
        CaseStep(case=case, kind=k, position=i, due=due[k]) for i, k in enumerate(rules.STEP_ORDER)
    )
    case.next_due = due[rules.STEP_ORDER[0]]
    case.save(update_fields=["next_due"])
    _event(case, EventKind.OPENED, on, by, note=note)
    for user_id, role in _default_assignees([case])[case.pk]:
        CaseAssignment.objects.create(case=case, user_id=user_id, role=role, start=on)
        _event(case, EventKind.ASSIGNED, on, by, note=f"{role}:{user_id}")
    return case


def _lock(case: Case) -> Case:
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.status != CaseStatus.OPEN:
        raise OutreachError("closed", _("This case is closed."))
    return locked


def _in_school(case: Case) -> bool:
    student_id = case.student_id
    if student_id is None and case.child_id is not None:
        student_id = (
            ResidentChild.objects.filter(pk=case.child_id)
            .values_list("student_id", flat=True)
            .first()
        )
    if student_id is None:
        return False
    return Enrollment.objects.current().filter(student_id=student_id).exists()


@transaction.atomic
def complete_step(
    *, case: Case, step: str, on: dt.date, by: User | None, note: str = ""
) -> CaseStep:
    """Mark `step` done on `on` (and any earlier step not done yet); the later steps'
    deadlines are counted again from `on`. Back in school and the follow-ups need the
    child enrolled now."""
    locked = _lock(case)
    _not_future(on, "on")
    if on < locked.opened_on:
        raise OutreachError(
            "before_opening",
            _("The date %(date)s is before the case was opened.") % {"date": _d(on)},
            "on",
        )
    note = _text(note, "note")
    steps = list(locked.steps.order_by("position"))
    target = next((s for s in steps if s.kind == step), None)
    if target is None:
        raise OutreachError("invalid_step", _("Unknown step."), "step")
    if target.done_on is not None:
        raise OutreachError("already_done", _("This step is already done."), "step")
    if step in rules.IN_SCHOOL_STEPS and not _in_school(locked):
        raise OutreachError(
            "not_enrolled",
            _("The child is not enrolled in a class: record the return to school first."),
            "step",
        )
    done: dict[str, dt.date] = {}
    for s in steps:
        if s.done_on is None and s.position <= target.position:
            s.done_on = on
            s.save(update_fields=["done_on"])
            _event(locked, EventKind.STEP_DONE, on, by, step=s.kind, note=note)
        if s.done_on is not None:
            done[s.kind] = s.done_on
    due = rules.schedule(locked.opened_on, rules.STEP_ORDER, durations_for(locked.commune_id), done)
    for s in steps:
        if s.done_on is None and s.due != due[s.kind]:
            s.due = due[s.kind]
            s.late_since = None
            s.save(update_fields=["due", "late_since"])
    _refresh_next_due(locked)
    target.refresh_from_db()
    return target


@transaction.atomic
def close_case(
    *,
    case: Case,
    outcome: str,
    on: dt.date,
    by: User | None,
    reason: str = "",
    note: str = "",
) -> Case:
    """Close with an outcome: back in school (every step done: the child was still in
    school at the last follow-up), not back (with why), or transferred elsewhere."""
    locked = _lock(case)
    if not outcome:
        raise OutreachError(
            "outcome_required", _("A case cannot be closed without an outcome."), "outcome"
        )
    if outcome not in Outcome.values:
        raise OutreachError("invalid_outcome", _("Unknown outcome."), "outcome")
    _not_future(on, "on")
    if on < locked.opened_on:
        raise OutreachError(
            "before_opening",
            _("The date %(date)s is before the case was opened.") % {"date": _d(on)},
            "on",
        )
    note = _text(note, "note")
    if outcome == Outcome.NOT_BACK:
        if reason not in NotBackReason.values:
            raise OutreachError(
                "reason_required", _("Say why the child is not back in school."), "reason"
            )
    else:
        reason = ""
    if outcome == Outcome.BACK_IN_SCHOOL:
        if locked.steps.filter(done_on__isnull=True).exists():
            raise OutreachError(
                "follow_ups_pending",
                _("Back in school is the outcome once the last follow-up is done."),
                "outcome",
            )
    if outcome == Outcome.TRANSFERRED and not note:
        raise OutreachError("note_required", _("Say where the case was transferred."), "note")
    locked.status = CaseStatus.CLOSED
    locked.outcome = outcome
    locked.not_back_reason = reason
    locked.outcome_note = note
    locked.closed_on = on
    locked.closed_by = by
    locked.next_due = None
    locked.save()
    _event(locked, EventKind.CLOSED, on, by, note=outcome)
    return locked


@transaction.atomic
def assign(*, case: Case, user: User, role: str, on: dt.date, by: User | None) -> CaseAssignment:
    locked = _lock(case)
    if role not in CaseRole.values:
        raise OutreachError("invalid_role", _("Unknown role."), "role")
    if not user.is_active:
        raise OutreachError("inactive_user", _("This user account is not active."), "user")
    try:
        with transaction.atomic():
            row = CaseAssignment.objects.create(case=locked, user=user, role=role, start=on)
    except IntegrityError:
        raise OutreachError(
            "already_assigned", _("This person already has this role on the case."), "user"
        ) from None
    _event(locked, EventKind.ASSIGNED, on, by, note=f"{role}:{user.pk}")
    return row


# --- home visits -------------------------------------------------------------------------


@transaction.atomic
def record_visit(
    *,
    case: Case,
    client_id: uuid.UUID,
    date: dt.date,
    visitors: str,
    met: str,
    findings: str,
    causes: Iterable[str],
    by: User | None,
    family_wishes: str = "",
    agreed: str = "",
    next_step: str = "",
    next_step_on: dt.date | None = None,
) -> tuple[HomeVisit, bool]:
    """Record a home visit (and the home-visit step as done). A resend with the same
    `client_id` returns the visit already recorded (created False)."""
    existing = HomeVisit.objects.filter(client_id=client_id).first()
    if existing is not None:
        if existing.case_id != case.pk:
            raise OutreachError(
                "client_id_taken", _("This visit was recorded on another case."), "client_id"
            )
        return existing, False
    locked = _lock(case)
    _not_future(date, "date")
    if date < locked.opened_on:
        raise OutreachError(
            "before_opening",
            _("The date %(date)s is before the case was opened.") % {"date": _d(date)},
            "date",
        )
    codes = sorted(set(causes))
    bad = [c for c in codes if c not in DropoutReason.values]
    if bad:
        raise OutreachError(
            "invalid_cause",
            _("Unknown cause code: %(codes)s.") % {"codes": ", ".join(bad)[:40]},
            "causes",
        )
    if not codes:
        raise OutreachError("causes_required", _("Choose at least one cause."), "causes")
    if next_step_on is not None and next_step_on < date:
        raise OutreachError(
            "next_before_visit", _("The next step cannot come before the visit."), "next_step_on"
        )
    try:
        with transaction.atomic():
            visit = HomeVisit.objects.create(
                case=locked,
                client_id=client_id,
                date=date,
                visitors=_text(visitors, "visitors", required=True),
                met=_text(met, "met", required=True),
                findings=_text(findings, "findings", LONG_TEXT_MAX, required=True),
                family_wishes=_text(family_wishes, "family_wishes", LONG_TEXT_MAX),
                agreed=_text(agreed, "agreed", LONG_TEXT_MAX),
                next_step=_text(next_step, "next_step"),
                next_step_on=next_step_on,
                recorded_by=by,
            )
    except IntegrityError:  # the same client_id sent twice at once: the other one won
        existing = HomeVisit.objects.get(client_id=client_id)
        if existing.case_id != locked.pk:
            raise OutreachError(
                "client_id_taken", _("This visit was recorded on another case."), "client_id"
            ) from None
        return existing, False
    VisitCause.objects.bulk_create(VisitCause(visit=visit, code=c) for c in codes)
    if locked.steps.filter(kind="home_visit", done_on__isnull=True).exists():
        complete_step(case=locked, step="home_visit", on=date, by=by)
    return visit, True


# --- support -----------------------------------------------------------------------------


@transaction.atomic
def deliver(
    *,
    programme: SupportProgramme,
    date: dt.date,
    amount: int,
    delivered_by: str,
    by: User | None,
    student: Student | None = None,
    child: ResidentChild | None = None,
    case: Case | None = None,
) -> SupportDelivery:
    """Record a delivery to one child; refused beyond the programme's remaining budget or
    stock (row lock, then the database check `programme_within_capacity`)."""
    if (student is None) == (child is None):
        raise OutreachError("one_child", _("Choose one student or one resident child."), "child")
    if case is not None and (case.student_id, case.child_id) != (
        student.pk if student else None,
        child.pk if child else None,
    ):
        raise OutreachError("case_mismatch", _("This case is about another child."), "case")
    _not_future(date, "date")
    if amount < 1:
        raise OutreachError("invalid_amount", _("Enter a positive amount."), "amount")
    delivered_by = _text(delivered_by, "delivered_by", 150, required=True)
    locked = SupportProgramme.objects.select_for_update().get(pk=programme.pk)
    if amount > locked.remaining:
        raise OutreachError(
            "beyond_budget",
            _("Only %(left)s %(unit)s left in this programme.")
            % {
                "left": f"{locked.remaining:,}".replace(",", "."),
                "unit": locked.get_measure_display(),
            },
            "amount",
        )
    try:
        with transaction.atomic():
            SupportProgramme.objects.filter(pk=locked.pk).update(delivered=F("delivered") + amount)
    except IntegrityError:
        raise OutreachError(
            "beyond_budget", _("Not enough left in this programme."), "amount"
        ) from None
    return SupportDelivery.objects.create(
        programme=locked,
        student=student,
        child=child,
        case=case,
        date=date,
        amount=amount,
        delivered_by=delivered_by,
        recorded_by=by,
    )


# --- the nightly job ---------------------------------------------------------------------


@dataclass
class NightlyResult:
    opened: dict[str, int] = field(default_factory=dict)
    late_steps: int = 0
    alerts: int = 0


def _chunks(items: list[int], size: int = 2000) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _last_closed(field_name: str, ids: list[int]) -> dict[int, dt.date]:
    out: dict[int, dt.date] = {}
    for part in _chunks(ids):
        rows = (
            Case.objects.filter(**{f"{field_name}__in": part}, status=CaseStatus.CLOSED)
            .values(field_name)
            .annotate(last=Max("closed_on"))
        )
        out |= {r[field_name]: r["last"] for r in rows}
    return out


OPEN_CHUNK = 1000  # cases opened per transaction by the nightly job


def _open_many(
    kind: str,
    origin: str,
    triggers: dict[int, dt.date | None],
    today: dt.date,
    cfg: rules.AutoRules,
) -> int:
    if not triggers:
        return 0
    field_name = "student" if kind == "student" else "child"
    ids = list(triggers)
    already: set[int] = set()
    for part in _chunks(ids):
        already |= set(
            Case.objects.filter(**{f"{field_name}__in": part}, status=CaseStatus.OPEN).values_list(
                field_name, flat=True
            )
        )
    closed = _last_closed(field_name, ids)
    todo = [
        pk
        for pk, trig in triggers.items()
        if pk not in already and rules.should_open(trig, closed.get(pk), today, cfg.cooldown_days)
    ]
    return sum(_open_chunk(kind, origin, part, today) for part in _chunks(todo, OPEN_CHUNK))


def _open_chunk(kind: str, origin: str, ids: list[int], today: dt.date) -> int:
    """Open cases for the children `ids` at once: the rows `open_case` writes, in bulk,
    in one transaction. If one of them got an open case meanwhile (the unique index
    says so), the chunk is opened one by one with `open_case` instead."""
    model = Student if kind == "student" else ResidentChild
    related = ["village__parent"] if kind == "student" else ["commune"]
    objs = list(model.objects.filter(pk__in=ids).select_related(*related).order_by("pk"))
    try:
        with transaction.atomic():
            return _insert_cases(kind, origin, objs, today)
    except IntegrityError:
        pass
    opened = 0
    for obj in objs:
        try:
            open_case(**{kind: obj}, origin=origin, on=today, by=None)  # type: ignore[arg-type]
        except OutreachError:
            continue
        opened += 1
    return opened


def _db_now() -> object:
    """Now, as a plain-row insert takes a datetime (bulk.py)."""
    now = timezone.now()
    return connection.ops.adapt_datetimefield_value(now) if connection.vendor == "sqlite" else now


def _insert_cases(kind: str, origin: str, objs: list[PersonName], today: dt.date) -> int:
    """The cases of `objs` opened on `today` by the nightly job, with their steps, their
    default assignees and the events `open_case` writes."""
    communes = {o.pk: commune_of(**{kind: o}) for o in objs}  # type: ignore[arg-type]
    days: dict[int, dict[str, int]] = {}
    for commune_id, step, n in StepDuration.objects.filter(
        commune_id__in={c.pk for c in communes.values()}
    ).values_list("commune_id", "step", "days"):
        days.setdefault(commune_id, {})[step] = n
    dues = {
        o.pk: rules.schedule(
            today, rules.STEP_ORDER, rules.DEFAULT_DAYS | days.get(communes[o.pk].pk, {})
        )
        for o in objs
    }
    first = rules.STEP_ORDER[0]
    cases = Case.objects.bulk_create(
        Case(
            **{kind: o},
            commune=communes[o.pk],
            origin=origin,
            opened_on=today,
            next_due=dues[o.pk][first],
        )
        for o in objs
    )
    person = {c.pk: int(c.student_id or c.child_id or 0) for c in cases}
    bulk.insert_rows(
        CaseStep,
        ["case", "kind", "position", "due"],
        [
            (c.pk, k, i, dues[person[c.pk]][k])
            for c in cases
            for i, k in enumerate(rules.STEP_ORDER)
        ],
    )
    now = _db_now()
    event_fields = ["case", "kind", "on", "step", "note", "at"]
    events = [(c.pk, EventKind.OPENED.value, today, "", "", now) for c in cases]
    assignments = []
    for case_id, pairs in _default_assignees(cases).items():
        for user_id, role in pairs:
            assignments.append((case_id, user_id, str(role), today))
            events.append((case_id, EventKind.ASSIGNED.value, today, "", f"{role}:{user_id}", now))
    bulk.insert_rows(CaseAssignment, ["case", "user", "role", "start"], assignments)
    bulk.insert_rows(CaseEvent, event_fields, events)
    return len(cases)


LATE_CHUNK = 5000  # steps marked per statement (SQLite's 32,766 parameters, lock time)


def mark_late(today: dt.date) -> tuple[int, int]:
    """Mark steps past their deadline late (once), with an event and an alert for each
    assignee of the case. Returns (late steps, alerts). Chunks of LATE_CHUNK steps, each
    in its own transaction: a step is marked with its event and alerts or not at all, and
    a run stopped half-way is finished by the next one."""
    late = list(
        CaseStep.objects.filter(
            due__lt=today, done_on__isnull=True, late_since__isnull=True, case__status="open"
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    n_steps = n_alerts = 0
    for start in range(0, len(late), LATE_CHUNK):
        steps, alerts = _mark_late_chunk(late[start : start + LATE_CHUNK], today)
        n_steps += steps
        n_alerts += alerts
    return n_steps, n_alerts


@transaction.atomic
def _mark_late_chunk(ids: list[int], today: dt.date) -> tuple[int, int]:
    """Mark the steps of `ids` still not done nor late (a step done meanwhile is not)."""
    steps = list(
        CaseStep.objects.select_for_update()
        .filter(pk__in=ids, done_on__isnull=True, late_since__isnull=True)
        .values_list("pk", "case_id", "kind")
    )
    CaseStep.objects.filter(pk__in=[s[0] for s in steps]).update(late_since=today)
    now = _db_now()
    bulk.insert_rows(
        CaseEvent,
        ["case", "kind", "on", "step", "note", "at"],
        [
            (case_id, EventKind.STEP_LATE.value, today, kind, "", now)
            for _pk, case_id, kind in steps
        ],
    )
    by_case: dict[int, list[int]] = {}
    for case_id, user_id in CaseAssignment.objects.filter(
        case_id__in={s[1] for s in steps}, end__isnull=True
    ).values_list("case_id", "user_id"):
        by_case.setdefault(case_id, []).append(user_id)
    # A step late again (its deadline moved) may have had its alert already.
    known = set(
        CaseAlert.objects.filter(step_id__in=[s[0] for s in steps]).values_list(
            "step_id", "user_id"
        )
    )
    alerts = [
        (u, case_id, pk, today)
        for pk, case_id, _kind in steps
        for u in by_case.get(case_id, [])
        if (pk, u) not in known
    ]
    bulk.insert_rows(CaseAlert, ["user", "case", "step", "created_on"], alerts)
    return len(steps), len(alerts)


def run_nightly(*, today: dt.date, cfg: rules.AutoRules) -> NightlyResult:
    from dentruong.outreach import selectors

    result = NightlyResult()
    if cfg.absences:
        trig = selectors.absence_triggers(today, cfg.absences, cfg.absence_window_days)
        result.opened[Origin.ABSENCES] = _open_many("student", Origin.ABSENCES, trig, today, cfg)
    if cfg.dropout:
        trig = selectors.dropout_triggers()
        result.opened[Origin.DROPOUT] = _open_many("student", Origin.DROPOUT, trig, today, cfg)
    if cfg.high_risk:
        trig = selectors.high_risk_triggers()
        result.opened[Origin.HIGH_RISK] = _open_many("student", Origin.HIGH_RISK, trig, today, cfg)
    if cfg.not_enrolled:
        trig = selectors.not_enrolled_triggers(today, cfg.school_age)
        result.opened[Origin.NOT_ENROLLED] = _open_many(
            "child", Origin.NOT_ENROLLED, trig, today, cfg
        )
    result.late_steps, result.alerts = mark_late(today)
    return result


# --- mentoring ---------------------------------------------------------------------------


def mentee_limit() -> int:
    return int(getattr(settings, "OUTREACH_MENTEE_LIMIT", rules.MENTEE_LIMIT))


@transaction.atomic
def pair_mentor(*, mentor: User, student: Student, on: dt.date, by: User | None) -> MentorPair:
    """Pair `mentor` with `student` from `on`. Refused ('mentee_limit') when the mentor
    already has `OUTREACH_MENTEE_LIMIT` open pairs: the mentor's user row is locked first,
    so two pairings at once are counted one after the other; ('already_paired') when the
    student has an open pair (the unique constraint). The mentor joins the student's open
    case as its mentor."""
    if not mentor.is_active:
        raise OutreachError("inactive_user", _("This user account is not active."), "mentor")
    _not_future(on, "start")
    User.objects.select_for_update().filter(pk=mentor.pk).first()
    limit = mentee_limit()
    if MentorPair.objects.filter(mentor=mentor, end__isnull=True).count() >= limit:
        raise OutreachError(
            "mentee_limit",
            _("%(name)s already mentors %(limit)d students, the most allowed.")
            % {"name": mentor.full_name or mentor.username, "limit": limit},
            "mentor",
        )
    try:
        with transaction.atomic():
            pair = MentorPair.objects.create(mentor=mentor, student=student, start=on)
    except IntegrityError:
        raise OutreachError(
            "already_paired", _("This student already has a mentor."), "student"
        ) from None
    case = Case.objects.filter(student=student, status=CaseStatus.OPEN).first()
    if (
        case is not None
        and not case.assignments.filter(
            user=mentor, role=CaseRole.MENTOR, end__isnull=True
        ).exists()
    ):
        assign(case=case, user=mentor, role=CaseRole.MENTOR, on=on, by=by)
    return pair


@transaction.atomic
def end_pair(*, pair: MentorPair, on: dt.date) -> MentorPair:
    locked = MentorPair.objects.select_for_update().get(pk=pair.pk)
    if locked.end is not None:
        raise OutreachError("already_ended", _("This pairing has already ended."))
    if on < locked.start:
        raise OutreachError("before_start", _("The end cannot come before the start."), "end")
    locked.end = on
    locked.save(update_fields=["end"])
    return locked


@transaction.atomic
def log_meeting(*, pair: MentorPair, date: dt.date, notes: str, by: User | None) -> MentorMeeting:
    if pair.end is not None:
        raise OutreachError("pair_ended", _("This pairing has ended."))
    _not_future(date, "date")
    if date < pair.start:
        raise OutreachError(
            "before_start",
            _("The date %(date)s is before the pairing began.") % {"date": _d(date)},
            "date",
        )
    return MentorMeeting.objects.create(
        pair=pair, date=date, notes=_text(notes, "notes", LONG_TEXT_MAX), recorded_by=by
    )


# --- village meetings --------------------------------------------------------------------


@transaction.atomic
def plan_meeting(
    *,
    commune: OrgUnit,
    village: OrgUnit,
    starts_at: dt.datetime,
    roles: Iterable[str],
    households: Iterable[Household] = (),
    campaign: str = "",
    notes: str = "",
    by: User | None,
) -> VillageMeeting:
    """A village meeting of `commune` in `village`, with the roles invited and the target
    families (households of the commune)."""
    if village.parent_id != commune.pk:
        raise OutreachError("village_outside", _("Choose a village of this commune."), "village")
    codes = sorted(set(roles))
    bad = [c for c in codes if c not in ParticipantRole.values]
    if bad:
        raise OutreachError("invalid_role", _("Unknown participant role."), "roles")
    if not codes:
        raise OutreachError("roles_required", _("Choose at least one participant role."), "roles")
    families = list({h.pk: h for h in households}.values())
    if any(not h.village.path.startswith(commune.path) for h in families):
        raise OutreachError(
            "family_outside", _("A target family lives outside this commune."), "households"
        )
    meeting = VillageMeeting.objects.create(
        commune=commune,
        village=village,
        starts_at=starts_at,
        roles=codes,
        campaign=_text(campaign, "campaign", 150),
        notes=_text(notes, "notes", LONG_TEXT_MAX),
        created_by=by,
    )
    MeetingFamily.objects.bulk_create(MeetingFamily(meeting=meeting, household=h) for h in families)
    return meeting


@transaction.atomic
def record_attendance(
    *, meeting: VillageMeeting, came: Iterable[int], notes: str | None = None
) -> VillageMeeting:
    """Mark which target families came (household ids; the others: did not come)."""
    came_ids = set(came)
    targets = set(meeting.families.values_list("household_id", flat=True))
    if came_ids - targets:
        raise OutreachError(
            "not_a_target", _("Only target families can be marked as present."), "came"
        )
    if meeting.starts_at.date() > local_today():
        raise OutreachError("future_meeting", _("The meeting has not taken place yet."), "came")
    meeting.families.update(attended=False)
    meeting.families.filter(household_id__in=came_ids).update(attended=True)
    if notes is not None:
        meeting.notes = _text(notes, "notes", LONG_TEXT_MAX)
        meeting.save(update_fields=["notes"])
    return meeting


# --- partners ----------------------------------------------------------------------------


@transaction.atomic
def share_with_partner(
    *,
    membership: Membership,
    name: str,
    until: dt.date,
    cases: Iterable[Case],
    by: User | None,
) -> PartnerCaseList:
    """Give a partner membership a campaign's case list until `until` (not after the
    membership's own end, not in the past); the cases must lie in the membership's unit."""
    if membership.role != Role.PARTNER:
        raise OutreachError("not_partner", _("Choose a partner organisation."), "membership")
    if until < local_today():
        raise OutreachError("past_date", _("The end date is in the past."), "until")
    if membership.expires_on is not None and until > membership.expires_on:
        raise OutreachError(
            "after_membership",
            _("The partner's access ends on %(date)s.") % {"date": _d(membership.expires_on)},
            "until",
        )
    rows = list({c.pk: c for c in cases}.values())
    if not rows:
        raise OutreachError("cases_required", _("Choose at least one case."), "cases")
    unit = membership.unit
    if unit is None or any(
        not c.commune.path.startswith(unit.path)
        for c in rows  # type: ignore[union-attr]
    ):
        raise OutreachError("case_outside", _("A case lies outside the partner's area."), "cases")
    shared = PartnerCaseList.objects.create(
        membership=membership,
        name=_text(name, "name", 150, required=True),
        until=until,
        created_by=by,
    )
    shared.cases.set(rows)
    return shared


def log_partner_access(*, case_list: PartnerCaseList, user: User, via: str) -> PartnerAccess:
    return PartnerAccess.objects.create(case_list=case_list, user=user, via=via)
