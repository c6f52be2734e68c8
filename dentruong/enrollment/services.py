"""Writes of the enrollment lifecycle. A student's enrolment changes only here: each
function writes its `EnrollmentEvent` and closes / opens the `Enrollment` in the same
transaction, or refuses with an `EnrollmentError` before anything is written.

- `record_event` records any kind of the lifecycle with the sector's codes and checks
  that it makes sense (`EnrollmentError.code` says why not). Dates in the future are
  refused there.
- `enroll_student` / `bulk_enroll` keep their signatures for the import and the demo
  (class lists at the start of a year, moves written by other apps): they close any
  open enrolment and do not refuse a date in the future (class lists are prepared ahead).
- Transfers between two schools of the system: `record_event(kind=transferred_out,
  to_school=…)` creates a pending `Transfer`; `confirm_transfer` / `decline_transfer`.
- A change dated today or before recounts the attendance summaries of the classes it
  touches (`attendance.services.refresh_summaries`) in the same transaction.
- The period (summer / term 1 / term 2) and the "after Tết" slice are derived from the
  class's calendar when the event is written (`periods.py`); no calendar: left blank.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from dentruong.accounts.models import User
from dentruong.attendance.services import local_today, refresh_summaries
from dentruong.enrollment.codes import (
    CLOSING_KINDS,
    DROPOUT_KINDS,
    Destination,
    DropoutReason,
    EventKind,
    TransferStatus,
    Whereabouts,
)
from dentruong.enrollment.models import (
    Enrollment,
    EnrollmentEvent,
    GraduateDestination,
    Transfer,
)
from dentruong.enrollment.periods import Terms, is_after_tet, period_of, tet_break
from dentruong.lib import vntext
from dentruong.orgs.calendar import NoCalendar, resolve_calendar
from dentruong.orgs.models import LEVEL_GRADES, School, SchoolClass
from dentruong.people.models import Student

TEXT_MAX = 255
# Grades from which a level is completed (hoàn thành cấp học): 5, 9, 12.
FINAL_GRADES = frozenset(max(grades) for grades in LEVEL_GRADES.values() if len(grades) > 1)


class EnrollmentError(Exception):
    """A change was refused; nothing was written.

    `code` is machine-readable, `message` is translated, `field` names the input at fault
    ('date', 'class_id', 'reason_code', 'whereabouts', 'to_school_id', 'eligible_to_continue'
    … or '__all__').
    """

    def __init__(self, code: str, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def _d(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


# --- calendar -----------------------------------------------------------------------------


class _Calendars:
    """The terms of each class's calendar, resolved once per (school year, school)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int], Terms | None] = {}

    def terms(self, school_class: SchoolClass) -> Terms | None:
        key = (school_class.school_year_id, school_class.school_id)
        if key not in self._cache:
            school = School.objects.select_related("unit").get(pk=school_class.school_id)
            try:
                cal = resolve_calendar(school_class.school_year_id, school.unit.ancestor_paths())
            except NoCalendar:
                self._cache[key] = None
            else:
                self._cache[key] = Terms(
                    term1=(cal.term1_start, cal.term1_end),
                    term2=(cal.term2_start, cal.term2_end),
                    tet=tet_break((b.kind, b.start, b.end) for b in cal.breaks.all()),
                )
        return self._cache[key]

    def stamp(self, school_class: SchoolClass | None, day: dt.date) -> dict[str, object]:
        terms = self.terms(school_class) if school_class is not None else None
        if terms is None:
            return {"period": "", "after_tet": False}
        return {"period": period_of(day, terms), "after_tet": is_after_tet(day, terms)}


def _refresh(class_ids: Iterable[int | None], since: dt.date) -> None:
    """Recount attendance summaries after a change dated today or in the past (a roll
    call may have been taken this morning)."""
    ids = sorted({i for i in class_ids if i is not None})
    if ids and since <= local_today():
        refresh_summaries(school_class_ids=ids, since=since)


# --- the legacy entry points (imports, demo, other apps) -------------------------------------


@transaction.atomic
def enroll_student(
    *,
    student: Student,
    school_class: SchoolClass,
    on: dt.date,
    by: User | None,
    kind: str = EventKind.ENROLLED,
    reason: str = "",
) -> Enrollment:
    """Put a student in a class from `on`, closing any open enrollment on that day (it is
    the first day no longer there). The event records the class closed (`from_class`)."""
    if kind not in EventKind.values:
        raise EnrollmentError("invalid_kind", _("Unknown kind of event."), "kind")
    current = Enrollment.objects.filter(student=student, end_date__isnull=True).first()
    if current is not None:
        if on <= current.start_date:
            raise _before_start(current)
        current.end_date = on
        current.save(update_fields=["end_date"])
    enrollment = Enrollment.objects.create(
        student=student, school_class=school_class, start_date=on
    )
    EnrollmentEvent.objects.create(
        student=student,
        kind=kind,
        date=on,
        school_class=school_class,
        from_class_id=current.school_class_id if current else None,
        reason=vntext.clean(reason)[:TEXT_MAX],
        recorded_by=by,
        **_Calendars().stamp(school_class, on),
    )
    _follow_school(student, school_class)
    _refresh([school_class.pk, current.school_class_id if current else None], on)
    return enrollment


@transaction.atomic
def bulk_enroll(*, pairs: list[tuple[Student, SchoolClass]], on: dt.date, by: User | None) -> int:
    """Enroll many students at once (class lists, imports, demo data): one `Enrollment`
    and one 'enrolled' `EnrollmentEvent` per pair, written with `bulk_create`.

    As `enroll_student` does, an open enrollment of the same student is closed on `on`
    (and named as the event's `from_class`), and `Student.school` follows the class (one
    UPDATE per school, not per student). Returns the number of enrollments created. A
    student may appear only once.
    """
    if not pairs:
        return 0
    student_ids = [student.pk for student, _ in pairs]
    if len(set(student_ids)) != len(student_ids):
        raise ValueError("a student appears more than once in pairs")
    chunk = 900  # below SQLite's parameter limit of old builds
    closed: dict[int, int] = {}
    for i in range(0, len(student_ids), chunk):
        open_rows = Enrollment.objects.filter(
            student_id__in=student_ids[i : i + chunk], end_date__isnull=True
        )
        for student_id, class_id, start in open_rows.values_list(
            "student_id", "school_class_id", "start_date"
        ):
            if on <= start:
                raise EnrollmentError(
                    "before_start",
                    _("Student %(student)s is enrolled since %(start)s: choose a later date.")
                    % {"student": student_id, "start": _d(start)},
                    "date",
                )
            closed[student_id] = class_id
        open_rows.update(end_date=on)
    Enrollment.objects.bulk_create(
        [
            Enrollment(student_id=student.pk, school_class_id=school_class.pk, start_date=on)
            for student, school_class in pairs
        ],
        batch_size=5000,
    )
    calendars = _Calendars()
    EnrollmentEvent.objects.bulk_create(
        [
            EnrollmentEvent(
                student_id=student.pk,
                kind=EventKind.ENROLLED,
                date=on,
                school_class_id=school_class.pk,
                from_class_id=closed.get(student.pk),
                recorded_by=by,
                **calendars.stamp(school_class, on),
            )
            for student, school_class in pairs
        ],
        batch_size=5000,
    )
    moves: dict[int, list[int]] = {}
    for student, school_class in pairs:
        if student.school_id != school_class.school_id:
            moves.setdefault(school_class.school_id, []).append(student.pk)
            student.school_id = school_class.school_id
    now = timezone.now()
    for school_id, ids in moves.items():
        for i in range(0, len(ids), chunk):
            Student.objects.filter(pk__in=ids[i : i + chunk]).update(
                school_id=school_id, updated_at=now
            )
    _refresh(
        {school_class.pk for _, school_class in pairs} | set(closed.values()),
        on,
    )
    return len(pairs)


# --- the lifecycle ------------------------------------------------------------------------


def _follow_school(student: Student, school_class: SchoolClass) -> None:
    if student.school_id != school_class.school_id:
        student.school_id = school_class.school_id
        student.save(update_fields=["school", "updated_at"])


def _before_start(current: Enrollment) -> EnrollmentError:
    return EnrollmentError(
        "before_start",
        _("The student is in this class since %(start)s: the date must be later.")
        % {"start": _d(current.start_date)},
        "date",
    )


def _clean_text(value: str, field: str) -> str:
    value = vntext.clean(value or "")
    if len(value) > TEXT_MAX:
        raise EnrollmentError(
            "too_long",
            _("At most %(max)d characters.") % {"max": TEXT_MAX},
            field,
        )
    return value


def _province_path(school: School) -> str:
    return school.unit.ancestor_paths()[0]


@transaction.atomic
def record_event(
    *,
    student: Student,
    kind: str,
    on: dt.date,
    by: User | None,
    school_class: SchoolClass | None = None,
    reason_code: str = "",
    reason: str = "",
    whereabouts: str = "",
    to_school: School | None = None,
    other_school_name: str = "",
    eligible_to_continue: bool | None = None,
    eligibility_note: str = "",
) -> EnrollmentEvent:
    """Record one event of the lifecycle, or refuse it with an `EnrollmentError`.

    - enrolled (first entry), transferred_in (from outside the system), returned: the
      student has no open enrolment; `school_class` is the class entered. A return needs
      `eligible_to_continue` and why (`eligibility_note`).
    - transferred_out: to `to_school` (in the system: a pending `Transfer`) or to a school
      outside it (`other_school_name`, `whereabouts`).
    - dropped_out: `reason_code` (one of the ten); left_locality: `whereabouts` (in the
      province, out of it, abroad); completed: from the level's last grade (5, 9, 12).
    - repeated: into `school_class` of the same grade in a later school year;
      class_changed: into another class of the same school and year.
    """
    student = Student.objects.select_for_update().get(pk=student.pk)  # one change at a time
    if kind not in EventKind.values:
        raise EnrollmentError("invalid_kind", _("Unknown kind of event."), "kind")
    if on > local_today():
        raise EnrollmentError(
            "future_date", _("The date %(date)s is in the future.") % {"date": _d(on)}, "date"
        )
    reason = _clean_text(reason, "reason")
    eligibility_note = _clean_text(eligibility_note, "eligibility_note")
    other_school_name = _clean_text(other_school_name, "other_school_name")
    if Transfer.objects.filter(student=student, status=TransferStatus.PENDING).exists():
        raise EnrollmentError(
            "transfer_pending",
            _(
                "The student is being transferred: the receiving school must first confirm or "
                "decline the arrival."
            ),
        )
    current = (
        Enrollment.objects.filter(student=student, end_date__isnull=True)
        .select_related("school_class__school__unit")
        .first()
    )
    calendars = _Calendars()
    fields: dict[str, object] = {"reason": reason}
    last_end: dt.date | None = None

    if kind in CLOSING_KINDS or kind in (EventKind.CLASS_CHANGED, EventKind.REPEATED):
        if current is None:
            raise _not_enrolled(student)
        if on <= current.start_date:
            raise _before_start(current)
    if kind in (EventKind.ENROLLED, EventKind.TRANSFERRED_IN, EventKind.RETURNED):
        if current is not None:
            raise EnrollmentError(
                "already_enrolled",
                _("The student is already enrolled in class %(class)s since %(start)s.")
                % {"class": current.school_class.name, "start": _d(current.start_date)},
            )
        if school_class is None:
            raise _class_required()
        last_end = Enrollment.objects.filter(student=student).aggregate(m=Max("end_date"))["m"]
        if last_end is not None and on < last_end:
            raise EnrollmentError(
                "before_exit",
                _("The student left on %(date)s: the date must not be earlier.")
                % {"date": _d(last_end)},
                "date",
            )
    assert kind not in CLOSING_KINDS or current is not None

    if kind == EventKind.RETURNED:
        if last_end is None:
            raise EnrollmentError(
                "never_enrolled",
                _("The student was never enrolled: record a first entry instead."),
            )
        if eligible_to_continue is None:
            raise EnrollmentError(
                "eligibility_required",
                _("Say whether the student is eligible to continue."),
                "eligible_to_continue",
            )
        if not eligibility_note:
            raise EnrollmentError(
                "eligibility_note_required",
                _("Say why the student is or is not eligible to continue."),
                "eligibility_note",
            )
        fields |= {
            "eligible_to_continue": eligible_to_continue,
            "eligibility_note": eligibility_note,
        }
    elif kind == EventKind.TRANSFERRED_IN:
        fields |= {"other_school_name": other_school_name}
    elif kind == EventKind.DROPPED_OUT:
        if not reason_code:
            raise EnrollmentError(
                "reason_required", _("Choose the reason for dropping out."), "reason_code"
            )
        if reason_code not in DropoutReason.values:
            raise _invalid_reason()
        fields |= {"reason_code": reason_code}
    elif kind == EventKind.LEFT_LOCALITY:
        if whereabouts not in Whereabouts.values:
            raise EnrollmentError(
                "whereabouts_required",
                _("Say where the student went: within the province, outside it, or abroad."),
                "whereabouts",
            )
        if reason_code and reason_code not in DropoutReason.values:
            raise _invalid_reason()
        fields |= {"whereabouts": whereabouts, "reason_code": reason_code}
    elif kind == EventKind.COMPLETED:
        assert current is not None
        grade = current.school_class.grade
        if grade not in FINAL_GRADES:
            raise EnrollmentError(
                "wrong_grade",
                _("A level is completed from grade 5, 9 or 12; this student is in grade %(grade)d.")
                % {"grade": grade},
            )
    elif kind == EventKind.CLASS_CHANGED:
        assert current is not None
        if school_class is None:
            raise _class_required()
        if school_class.pk == current.school_class_id:
            raise EnrollmentError(
                "same_class", _("The student is already in this class."), "class_id"
            )
        if (school_class.school_id, school_class.school_year_id) != (
            current.school_class.school_id,
            current.school_class.school_year_id,
        ):
            raise EnrollmentError(
                "other_school_class",
                _(
                    "A class change stays in the same school and school year; to move to "
                    "another school, record a transfer."
                ),
                "class_id",
            )
    elif kind == EventKind.REPEATED:
        assert current is not None
        if school_class is None:
            raise _class_required()
        if school_class.grade != current.school_class.grade:
            raise EnrollmentError(
                "repeat_other_grade",
                _("A student who repeats stays in grade %(grade)d.")
                % {"grade": current.school_class.grade},
                "class_id",
            )
        if school_class.school_year.start_year <= current.school_class.school_year.start_year:
            raise EnrollmentError(
                "repeat_same_year",
                _("A repeated grade is in a later school year."),
                "class_id",
            )
    elif kind == EventKind.TRANSFERRED_OUT:
        assert current is not None
        from_school = current.school_class.school
        if to_school is not None:
            if to_school.pk == from_school.pk:
                raise EnrollmentError(
                    "same_school",
                    _("A transfer goes to another school, not to the student's own."),
                    "to_school_id",
                )
            to_school = School.objects.select_related("unit").get(pk=to_school.pk)
            whereabouts = (
                Whereabouts.IN_PROVINCE
                if _province_path(to_school) == _province_path(from_school)
                else Whereabouts.OUT_OF_PROVINCE
            )
            other_school_name = ""
        elif not other_school_name:
            raise EnrollmentError(
                "destination_required",
                _("Choose the receiving school, or name the school outside the system."),
                "to_school_id",
            )
        elif whereabouts not in Whereabouts.values:
            raise EnrollmentError(
                "whereabouts_required",
                _("Say where the student went: within the province, outside it, or abroad."),
                "whereabouts",
            )
        fields |= {"whereabouts": whereabouts, "other_school_name": other_school_name}

    # --- write: close, open, the event ---------------------------------------------------
    from_class_id = None
    if current is not None:
        current.end_date = on
        current.save(update_fields=["end_date"])
        from_class_id = current.school_class_id
    if kind in CLOSING_KINDS:
        assert current is not None
        event_class: SchoolClass = current.school_class
        from_class_id = None
    else:
        assert school_class is not None
        event_class = school_class
        Enrollment.objects.create(student=student, school_class=school_class, start_date=on)
        _follow_school(student, school_class)
    event = EnrollmentEvent.objects.create(
        student=student,
        kind=kind,
        date=on,
        school_class=event_class,
        from_class_id=from_class_id,
        recorded_by=by,
        **calendars.stamp(event_class, on),
        **fields,
    )
    if kind == EventKind.TRANSFERRED_OUT and to_school is not None:
        assert current is not None
        try:
            with transaction.atomic():
                Transfer.objects.create(
                    student=student,
                    from_school_id=current.school_class.school_id,
                    from_class_id=current.school_class_id,
                    to_school=to_school,
                    date=on,
                    out_event=event,
                    requested_by=by,
                )
        except IntegrityError:  # a concurrent transfer of the same student got there first
            raise EnrollmentError(
                "transfer_pending",
                _(
                    "The student is being transferred: the receiving school must first confirm "
                    "or decline the arrival."
                ),
            ) from None
    _refresh([event_class.pk, current.school_class_id if current else None], on)
    return event


def _not_enrolled(student: Student) -> EnrollmentError:
    last = (
        EnrollmentEvent.objects.filter(student=student, kind__in=CLOSING_KINDS)
        .order_by("-date", "-id")
        .first()
    )
    if last is not None:
        return EnrollmentError(
            "already_left",
            _("The student already left on %(date)s (%(kind)s).")
            % {"date": _d(last.date), "kind": last.get_kind_display()},
        )
    return EnrollmentError("not_enrolled", _("The student is not enrolled in any class."))


def _class_required() -> EnrollmentError:
    return EnrollmentError("class_required", _("Choose the class."), "class_id")


def _invalid_reason() -> EnrollmentError:
    return EnrollmentError(
        "invalid_reason", _("This is not one of the ten reasons for dropping out."), "reason_code"
    )


# --- transfers ----------------------------------------------------------------------------


def _pending(transfer: Transfer) -> Transfer:
    locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if locked.status != TransferStatus.PENDING:
        raise EnrollmentError(
            "transfer_not_pending",
            _("This transfer was already %(status)s.")
            % {"status": locked.get_status_display().lower()},
        )
    return locked


@transaction.atomic
def confirm_transfer(
    *, transfer: Transfer, school_class: SchoolClass, on: dt.date, by: User | None
) -> EnrollmentEvent:
    """The receiving school confirms the arrival: the student enters `school_class` (one of
    its classes) from `on`, with a 'transferred_in' event."""
    transfer = _pending(transfer)
    if school_class.school_id != transfer.to_school_id:
        raise EnrollmentError(
            "class_not_in_school",
            _("Choose a class of the receiving school."),
            "class_id",
        )
    if on < transfer.date:
        raise EnrollmentError(
            "arrival_before_departure",
            _("The student left the other school on %(date)s: the arrival cannot be earlier.")
            % {"date": _d(transfer.date)},
            "date",
        )
    if on > local_today():
        raise EnrollmentError(
            "future_date", _("The date %(date)s is in the future.") % {"date": _d(on)}, "date"
        )
    student = Student.objects.select_for_update().get(pk=transfer.student_id)
    if Enrollment.objects.filter(student=student, end_date__isnull=True).exists():
        raise EnrollmentError("already_enrolled", _("The student is already enrolled in a class."))
    Enrollment.objects.create(student=student, school_class=school_class, start_date=on)
    event = EnrollmentEvent.objects.create(
        student=student,
        kind=EventKind.TRANSFERRED_IN,
        date=on,
        school_class=school_class,
        recorded_by=by,
        **_Calendars().stamp(school_class, on),
    )
    _follow_school(student, school_class)
    transfer.status = TransferStatus.CONFIRMED
    transfer.in_event = event
    transfer.decided_by = by
    transfer.decided_at = timezone.now()
    transfer.save(update_fields=["status", "in_event", "decided_by", "decided_at"])
    _refresh([school_class.pk], on)
    return event


@transaction.atomic
def decline_transfer(*, transfer: Transfer, by: User | None, reason: str) -> Transfer:
    """The receiving school declines (the student never arrived, a mistaken school…): the
    sending school sees it declined and records what happened (a return, another
    transfer, a dropout)."""
    reason = _clean_text(reason, "reason")
    if not reason:
        raise EnrollmentError("reason_required", _("Say why the transfer is declined."), "reason")
    transfer = _pending(transfer)
    transfer.status = TransferStatus.DECLINED
    transfer.decline_reason = reason
    transfer.decided_by = by
    transfer.decided_at = timezone.now()
    transfer.save(update_fields=["status", "decline_reason", "decided_by", "decided_at"])
    return transfer


# --- destinations of lower-secondary graduates ----------------------------------------------


@transaction.atomic
def record_destination(
    *, event: EnrollmentEvent, destination: str, by: User | None, note: str = ""
) -> GraduateDestination:
    """Where a lower-secondary graduate went (recorded again: replaced)."""
    if destination not in Destination.values:
        raise EnrollmentError(
            "invalid_destination", _("Choose where the graduate went."), "destination"
        )
    if (
        event.kind != EventKind.COMPLETED
        or event.school_class is None
        or (event.school_class.grade != 9)
    ):
        raise EnrollmentError(
            "not_a_graduate",
            _("A destination is recorded for a student who completed lower secondary."),
        )
    found, _created = GraduateDestination.objects.update_or_create(
        event=event,
        defaults={
            "student_id": event.student_id,
            "destination": destination,
            "note": _clean_text(note, "note"),
            "recorded_by": by,
        },
    )
    return found


__all__ = [
    "DROPOUT_KINDS",
    "EnrollmentError",
    "bulk_enroll",
    "confirm_transfer",
    "decline_transfer",
    "enroll_student",
    "record_destination",
    "record_event",
]
