"""Writes of roll calls: the first submission, corrections, bulk submission.

One accepted submission = one `RollCallRevision`. The absences and the
`ClassDaySummary` of a roll call, and what they add to the term (`AbsenceTally`,
`ClassTermSummary`: `tallies.py`), change only here, in the same transaction as the
revision. Every rule that rejects a submission raises `RollCallError` before anything is
written.

Transactions are short (docs/decisions/0002): the checks that read stable data — the
client id, the session, the date, the calendar, the codes — run before the transaction;
inside it, one read of the roster (it fixes the summary's head count) and the writes, all
set-based: the number of queries does not depend on the number of students.

Concurrency: the first insert of a roll call relies on the unique constraint on (class,
date, session), never on a prior check (INSERT … ON CONFLICT DO NOTHING). When it meets
one, another submission got there first, and this one becomes a correction of it, under
a row lock (PostgreSQL; SQLite's IMMEDIATE transactions are serial anyway): the later
edit wins, both stay in the history.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dentruong.accounts.models import User
from dentruong.attendance import tallies
from dentruong.attendance.models import (
    Absence,
    AbsenceCode,
    AbsenceReason,
    ClassDaySummary,
    RollCall,
    RollCallRevision,
)
from dentruong.enrollment.models import Enrollment
from dentruong.lib import vntext
from dentruong.lib.db import execute_together, insert_statement
from dentruong.notices.services import queue_absence_notices
from dentruong.orgs.calendar import CalendarSpec, NoCalendar, calendar_for_class
from dentruong.orgs.models import SchoolClass, Session

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOTE_MAX = 200


def local_today() -> dt.date:
    """Today in Việt Nam, whatever the server's or the request's time zone."""
    return timezone.localdate(timezone=VN_TZ)


class Mark(NamedTuple):
    """One student's exception at a roll call (everyone not marked is present)."""

    code: str
    reason: str = AbsenceReason.UNKNOWN
    note: str = ""


class RollCallError(Exception):
    """A submission was refused; nothing was written.

    `code` is machine-readable, `message` is translated, `field` names the input at
    fault ('date', 'session', 'client_id', 'marks.<student id>' or '__all__').
    """

    def __init__(self, code: str, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class SubmitResult:
    roll_call: RollCall
    summary: ClassDaySummary
    created: bool  # the first submission of this class-session
    duplicate: bool  # this client id had already been accepted: nothing changed
    # The submitter edited another version than the one they replaced (someone else's edit
    # came in between, or they never saw the roll call): their edit still wins.
    stale_base: bool = False
    # The absences as written (by student id), when this call wrote them; None for a
    # duplicate (read them from `roll_call.absences`).
    absences: list[Absence] | None = None


@dataclass(frozen=True)
class RollCallInput:
    """One roll call of a bulk submission."""

    school_class: SchoolClass
    date: dt.date
    session: str
    marks: Mapping[int, tuple[str, str, str]]
    client_id: uuid.UUID
    base_version: int | None = None


def submit_roll_call(
    *,
    school_class: SchoolClass,
    date: dt.date,
    session: str,
    marks: Mapping[int, tuple[str, str, str]],
    by: User,
    client_id: uuid.UUID,
    base_version: int | None = None,
    audit: Callable[[], object] | None = None,
) -> SubmitResult:
    """Record the roll call of `school_class` for `date` and `session`.

    `marks` maps student id → (code, reason, note) for each student not simply present.
    The same `client_id` again returns the roll call as it stands (`duplicate=True`); a
    new submission for a class-session that already has a roll call is a correction.
    `audit` (`audit.requests.change_recorder`) is called in the transaction that writes,
    not for a duplicate. Access is the caller's business (`dentruong.attendance.access`).
    """
    return _submit(
        school_class=school_class,
        date=date,
        session=session,
        marks=marks,
        by=by,
        client_id=client_id,
        base_version=base_version,
        spec=None,
        audit=audit,
    )


def bulk_submit(
    *,
    items: Sequence[RollCallInput],
    by: User,
    audit: Callable[[int], Callable[[], object]] | None = None,
) -> list[SubmitResult | RollCallError]:
    """Submit many roll calls; one result per item, in order.

    Not all-or-nothing: each item is validated and written in its own short transaction
    (a savepoint if the caller holds one), so a bad item is reported and the others are
    kept. Integrations resend a whole batch safely because client ids are idempotent; one
    bad row must not hold back a school's day, nor hold SQLite's write lock for the batch.
    `audit` gives, for a class id, the recorder of that roll call's audit event, called
    in its transaction as `submit_roll_call`'s is.
    """
    specs: dict[int, CalendarSpec | RollCallError] = {}
    results: list[SubmitResult | RollCallError] = []
    for item in items:
        key = item.school_class.pk
        if key not in specs:
            try:
                specs[key] = class_calendar(item.school_class)
            except RollCallError as error:
                specs[key] = error
        spec = specs[key]
        try:
            if isinstance(spec, RollCallError):
                raise spec
            results.append(
                _submit(
                    school_class=item.school_class,
                    date=item.date,
                    session=item.session,
                    marks=item.marks,
                    by=by,
                    client_id=item.client_id,
                    base_version=item.base_version,
                    spec=spec,
                    audit=audit(item.school_class.pk) if audit is not None else None,
                )
            )
        except RollCallError as error:
            results.append(error)
    return results


def class_calendar(school_class: SchoolClass) -> CalendarSpec:
    """The class's calendar (`calendar_for_class`), or RollCallError('no_calendar')."""
    try:
        return calendar_for_class(school_class, max_age=settings.CALENDAR_CACHE_SECONDS)
    except NoCalendar:
        raise RollCallError(
            "no_calendar",
            _("No calendar is set for the school year of class %(class)s.")
            % {"class": school_class.name},
            "date",
        ) from None


# --- the steps -------------------------------------------------------------------------


def _submit(
    *,
    school_class: SchoolClass,
    date: dt.date,
    session: str,
    marks: Mapping[int, tuple[str, str, str]],
    by: User,
    client_id: uuid.UUID,
    base_version: int | None,
    spec: CalendarSpec | None,
    audit: Callable[[], object] | None,
) -> SubmitResult:
    # A client id seen before is a resubmission: the answer is the roll call as it stands,
    # even if the submission would no longer pass (a student left since, a day declared a
    # holiday). New ids are the rule, so the lookup is made only when something refuses
    # the submission, or inside `_correct` when the class-session already has a roll call.
    try:
        return _write(
            school_class=school_class,
            date=date,
            session=session,
            marks=marks,
            by=by,
            client_id=client_id,
            base_version=base_version,
            spec=spec,
            audit=audit,
        )
    except (RollCallError, IntegrityError):
        # IntegrityError: the client id is unique among roll calls and revisions; the
        # other submission has committed by the time this one fails on it.
        previous = _accepted(client_id)
        if previous is not None:
            return _duplicate(previous, school_class, date, session)
        raise


def _write(
    *,
    school_class: SchoolClass,
    date: dt.date,
    session: str,
    marks: Mapping[int, tuple[str, str, str]],
    by: User,
    client_id: uuid.UUID,
    base_version: int | None,
    spec: CalendarSpec | None,
    audit: Callable[[], object] | None,
) -> SubmitResult:
    _check_session(school_class, session)
    term = _check_date(school_class, date, spec).term_of(date)
    clean = _clean_marks(marks)
    with transaction.atomic():
        enrolled = set(
            Enrollment.objects.on(date)
            .filter(school_class=school_class)
            .values_list("student_id", flat=True)
        )
        _check_enrolled(school_class, date, clean, enrolled)
        now = timezone.now()
        roll_call = RollCall(
            school_class=school_class,
            date=date,
            session=session,
            taken_by=by,
            taken_at=now,
            updated_at=now,
            client_id=client_id,
            version=1,
        )
        if not _insert_first(roll_call):
            return _correct(
                school_class=school_class,
                date=date,
                session=session,
                marks=clean,
                enrolled=len(enrolled),
                by=by,
                client_id=client_id,
                base_version=base_version,
                now=now,
                term=term,
                audit=audit,
            )
        absences = _add_absences(roll_call, clean)
        revision = RollCallRevision(
            roll_call=roll_call,
            version=1,
            client_id=client_id,
            base_version=base_version,
            changed_by=by,
            changed_at=now,
            before={},
            after=_codes(clean),
        )
        counts = _counts(len(enrolled), clean)
        summary = ClassDaySummary(
            roll_call=roll_call,
            school_class_id=school_class.pk,
            school_id=school_class.school_id,
            date=date,
            session=session,
            **counts,
        )
        summary._state.adding = False
        # Rows nothing reads back, sent together (one round trip on PostgreSQL).
        execute_together(
            [
                insert_statement(revision),
                insert_statement(summary),
                *(
                    [
                        tallies.additions(
                            school_class_id=school_class.pk,
                            school_year_id=school_class.school_year_id,
                            term=term,
                            changes=_changes(before={}, after=clean),
                        ),
                        tallies.term_addition(school_class=school_class, term=term, counts=counts),
                    ]
                    if term is not None
                    else []
                ),
            ]
        )
        if audit is not None:
            audit()
    return SubmitResult(
        roll_call=roll_call,
        summary=summary,
        created=True,
        duplicate=False,
        stale_base=bool(base_version),
        absences=absences,
    )


def _correct(
    *,
    school_class: SchoolClass,
    date: dt.date,
    session: str,
    marks: dict[int, Mark],
    enrolled: int,
    by: User,
    client_id: uuid.UUID,
    base_version: int | None,
    now: dt.datetime,
    term: int | None,
    audit: Callable[[], object] | None,
) -> SubmitResult:
    """Replace the marks of the existing roll call (inside the caller's transaction)."""
    roll_call = (
        RollCall.objects.select_for_update()
        .filter(school_class=school_class, date=date, session=session)
        .first()
    )
    # Under the lock, a concurrent submission of this very client id is visible now.
    previous = _accepted(client_id)
    if previous is not None:
        return _duplicate(previous, school_class, date, session)
    assert roll_call is not None, "the insert met this class-session's roll call"
    old = Absence.objects.filter(roll_call=roll_call)
    before = {
        str(student_id): code
        for student_id, code in old.order_by("student_id").values_list("student_id", "code")
    }
    old.delete()
    absences = _add_absences(roll_call, marks)
    _tally(school_class, term, before={int(k): v for k, v in before.items()}, after=marks)
    replaced = roll_call.version
    roll_call.version = replaced + 1
    roll_call.updated_at = now
    roll_call.save(update_fields=["version", "updated_at"])
    RollCallRevision.objects.create(
        roll_call=roll_call,
        version=roll_call.version,
        client_id=client_id,
        base_version=base_version,
        changed_by=by,
        changed_at=now,
        before=before,
        after=_codes(marks),
    )
    counts = _counts(enrolled, marks)
    if term is not None:
        old = ClassDaySummary.objects.values(*tallies.SUMMED).get(roll_call=roll_call)
        tallies.correct_term(school_class=school_class, term=term, counts=counts, before=old)
    summary = ClassDaySummary(
        roll_call=roll_call,
        school_class_id=school_class.pk,
        school_id=school_class.school_id,
        date=date,
        session=session,
        **counts,
    )
    summary.save(force_update=True)
    if audit is not None:
        audit()
    return SubmitResult(
        roll_call=roll_call,
        summary=summary,
        created=False,
        duplicate=False,
        stale_base=(base_version or 0) != replaced,
        absences=absences,
    )


def _insert_first(roll_call: RollCall) -> bool:
    """Insert the first roll call of its class-session, or nothing if the class-session
    has one already (the unique constraint decides, in one statement: no savepoint).
    Sets `roll_call.pk`; False when it was not inserted."""
    sql, params = insert_statement(
        roll_call, suffix="ON CONFLICT (school_class_id, date, session) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    roll_call.pk = row[0]
    roll_call._state.adding = False
    return True


def _accepted(client_id: uuid.UUID) -> RollCallRevision | None:
    # Almost always a new id: the plain existence probe is the cheap path.
    if not RollCallRevision.objects.filter(client_id=client_id).exists():
        return None
    return (
        RollCallRevision.objects.select_related("roll_call__summary")
        .filter(client_id=client_id)
        .first()
    )


def _duplicate(
    revision: RollCallRevision, school_class: SchoolClass, date: dt.date, session: str
) -> SubmitResult:
    roll_call = revision.roll_call
    if (roll_call.school_class_id, roll_call.date, roll_call.session) != (
        school_class.pk,
        date,
        session,
    ):
        raise RollCallError(
            "client_id_reused",
            _("This submission id was already used for another roll call."),
            "client_id",
        )
    return SubmitResult(
        roll_call=roll_call, summary=roll_call.summary, created=False, duplicate=True
    )


def _check_session(school_class: SchoolClass, session: str) -> None:
    if session not in Session.values:
        raise RollCallError(
            "invalid_session",
            _("“%(session)s” is not a session: use am (morning) or pm (afternoon).")
            % {"session": session},
            "session",
        )
    if session not in school_class.sessions:
        raise RollCallError(
            "session_not_held",
            _("Class %(class)s has no lessons in this session: %(session)s.")
            % {"class": school_class.name, "session": Session(session).label},
            "session",
        )


def _check_date(
    school_class: SchoolClass, date: dt.date, spec: CalendarSpec | None
) -> CalendarSpec:
    today = local_today()
    if date > today:
        raise RollCallError(
            "future_date",
            _("%(date)s is in the future: a roll call can be taken up to today (%(today)s).")
            % {"date": f"{date:%d/%m/%Y}", "today": f"{today:%d/%m/%Y}"},
            "date",
        )
    spec = spec or class_calendar(school_class)
    if not spec.is_school_day(date):
        raise RollCallError(
            "not_school_day",
            _("%(date)s is not a school day for class %(class)s.")
            % {"date": f"{date:%d/%m/%Y}", "class": school_class.name},
            "date",
        )
    return spec


def _clean_marks(marks: Mapping[int, tuple[str, str, str]]) -> dict[int, Mark]:
    clean: dict[int, Mark] = {}
    for student_id, (code, reason, note) in marks.items():
        field = f"marks.{student_id}"
        if code not in AbsenceCode.values:
            raise RollCallError(
                "invalid_code",
                _(
                    "“%(code)s” is not an attendance code: use P (absent with leave), "
                    "K (absent without leave) or T (late)."
                )
                % {"code": code},
                field,
            )
        reason = reason or AbsenceReason.UNKNOWN
        if reason not in AbsenceReason.values:
            raise RollCallError(
                "invalid_reason",
                _("“%(reason)s” is not a reason: use one of %(choices)s.")
                % {"reason": reason, "choices": ", ".join(AbsenceReason.values)},
                field,
            )
        note = vntext.clean(note)
        if len(note) > NOTE_MAX:
            raise RollCallError(
                "note_too_long",
                _("The note is longer than %(max)d characters.") % {"max": NOTE_MAX},
                field,
            )
        clean[int(student_id)] = Mark(code, reason, note)
    return clean


def _check_enrolled(
    school_class: SchoolClass, date: dt.date, marks: dict[int, Mark], enrolled: set[int]
) -> None:
    strangers = sorted(set(marks) - enrolled)
    if strangers:
        raise RollCallError(
            "not_enrolled",
            _("Student %(student)s is not in class %(class)s on %(date)s.")
            % {"student": strangers[0], "class": school_class.name, "date": f"{date:%d/%m/%Y}"},
            f"marks.{strangers[0]}",
        )


def _add_absences(roll_call: RollCall, marks: dict[int, Mark]) -> list[Absence]:
    # Same-day notices to the guardians of students marked K (docs/decisions/0007).
    queue_absence_notices(
        roll_call=roll_call,
        students=[sid for sid, mark in marks.items() if mark.code == AbsenceCode.UNEXCUSED],
    )
    if not marks:
        return []
    return Absence.objects.bulk_create(
        [
            Absence(
                roll_call=roll_call,
                student_id=student_id,
                date=roll_call.date,
                code=mark.code,
                reason=mark.reason,
                note=mark.note,
            )
            for student_id, mark in sorted(marks.items())
        ]
    )


def _tally(
    school_class: SchoolClass,
    term: int | None,
    *,
    before: Mapping[int, str],
    after: Mapping[int, Mark],
) -> None:
    """Move the students' term tallies from the roll call's old codes to its new ones."""
    if term is None:  # not in a term: no roll call is taken there
        return
    changes = _changes(before=before, after=after)
    tallies.bump(
        school_class_id=school_class.pk,
        school_year_id=school_class.school_year_id,
        term=term,
        changes=changes,
    )


def _changes(*, before: Mapping[int, str], after: Mapping[int, Mark]) -> dict[int, Counter[str]]:
    """Per student, the codes a roll call takes off (−1) and adds (+1)."""
    changes: dict[int, Counter[str]] = {}
    for sid, code in before.items():
        changes.setdefault(sid, Counter())[code] -= 1
    for sid, mark in after.items():
        changes.setdefault(sid, Counter())[mark.code] += 1
    return changes


def _codes(marks: dict[int, Mark]) -> dict[str, str]:
    return {str(student_id): mark.code for student_id, mark in sorted(marks.items())}


def _counts(enrolled: int, marks: dict[int, Mark]) -> dict[str, int]:
    codes = Counter(mark.code for mark in marks.values())
    excused, unexcused = codes[AbsenceCode.EXCUSED], codes[AbsenceCode.UNEXCUSED]
    return {
        "enrolled": enrolled,
        "present": enrolled - excused - unexcused,
        "late": codes[AbsenceCode.LATE],
        "excused": excused,
        "unexcused": unexcused,
    }


@transaction.atomic
def refresh_summaries(*, school_class_ids: Sequence[int], since: dt.date) -> int:
    """Recount the summaries of `school_class_ids` from `since` on, after an enrolment
    change dated in the past (a back-dated transfer, a late first entry, a correction of
    a start date). Called by the enrollment services in their transaction.

    A summary counts the students enrolled in the class that day (`Enrollment.on`) and,
    among them only, the absences recorded: an absence of a student who, as corrected, was
    not in the class that day stays in the roll call's history but no longer counts, and
    that student's tallies in the class are marked stray (`tallies.mark_stray`); the term
    summaries of the classes changed are recounted (`tallies.recount_terms`). A handful
    of queries whatever the number of roll calls; returns the number of summaries
    changed.
    """
    summaries = list(
        ClassDaySummary.objects.filter(school_class_id__in=school_class_ids, date__gte=since)
    )
    if not summaries:
        return 0
    spans: dict[int, list[tuple[int, dt.date, dt.date | None]]] = {}
    for student_id, class_id, start, end in (
        Enrollment.objects.filter(school_class_id__in=school_class_ids)
        .exclude(end_date__lte=since)
        .values_list("student_id", "school_class_id", "start_date", "end_date")
    ):
        spans.setdefault(class_id, []).append((student_id, start, end))
    codes: dict[int, list[tuple[int, str]]] = {}
    for roll_call_id, student_id, code in Absence.objects.filter(
        roll_call_id__in=[s.pk for s in summaries]
    ).values_list("roll_call_id", "student_id", "code"):
        codes.setdefault(roll_call_id, []).append((student_id, code))
    changed = []
    stray: set[tuple[int, int]] = set()
    for summary in summaries:
        enrolled = {
            student_id
            for student_id, start, end in spans.get(summary.school_class_id, [])
            if start <= summary.date and (end is None or end > summary.date)
        }
        marks = codes.get(summary.pk, [])
        stray |= {(sid, summary.school_class_id) for sid, _ in marks if sid not in enrolled}
        counted = Counter(code for student_id, code in marks if student_id in enrolled)
        counts = {
            "enrolled": len(enrolled),
            "present": len(enrolled)
            - counted[AbsenceCode.EXCUSED]
            - counted[AbsenceCode.UNEXCUSED],
            "late": counted[AbsenceCode.LATE],
            "excused": counted[AbsenceCode.EXCUSED],
            "unexcused": counted[AbsenceCode.UNEXCUSED],
        }
        if any(getattr(summary, name) != value for name, value in counts.items()):
            for name, value in counts.items():
                setattr(summary, name, value)
            changed.append(summary)
    ClassDaySummary.objects.bulk_update(
        changed, ["enrolled", "present", "late", "excused", "unexcused"], batch_size=500
    )
    tallies.mark_stray(stray)
    if changed:
        tallies.recount_terms(school_class_ids=sorted({s.school_class_id for s in changed}))
    return len(changed)
