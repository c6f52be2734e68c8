from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from dentruong.accounts.models import User
from dentruong.enrollment.models import Enrollment, EnrollmentEvent, EventKind
from dentruong.orgs.models import SchoolClass
from dentruong.people.models import Student


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
    """Put a student in a class from `on`, closing any open enrollment the day before."""
    Enrollment.objects.filter(student=student, end_date__isnull=True).update(end_date=on)
    enrollment = Enrollment.objects.create(
        student=student, school_class=school_class, start_date=on
    )
    EnrollmentEvent.objects.create(
        student=student,
        kind=kind,
        date=on,
        school_class=school_class,
        reason=reason,
        recorded_by=by,
    )
    if student.school_id != school_class.school_id:
        student.school_id = school_class.school_id
        student.save(update_fields=["school", "updated_at"])
    return enrollment


@transaction.atomic
def bulk_enroll(*, pairs: list[tuple[Student, SchoolClass]], on: dt.date, by: User | None) -> int:
    """Enroll many students at once (class lists, imports, demo data): one `Enrollment`
    and one 'enrolled' `EnrollmentEvent` per pair, written with `bulk_create`.

    As `enroll_student` does, an open enrollment of the same student is closed on `on`,
    and `Student.school` follows the class (one UPDATE per school, not per student).
    Returns the number of enrollments created. A student may appear only once.
    """
    if not pairs:
        return 0
    student_ids = [student.pk for student, _ in pairs]
    if len(set(student_ids)) != len(student_ids):
        raise ValueError("a student appears more than once in pairs")
    chunk = 900  # below SQLite's parameter limit of old builds
    for i in range(0, len(student_ids), chunk):
        Enrollment.objects.filter(
            student_id__in=student_ids[i : i + chunk], end_date__isnull=True
        ).update(end_date=on)
    Enrollment.objects.bulk_create(
        [
            Enrollment(student_id=student.pk, school_class_id=school_class.pk, start_date=on)
            for student, school_class in pairs
        ],
        batch_size=5000,
    )
    EnrollmentEvent.objects.bulk_create(
        [
            EnrollmentEvent(
                student_id=student.pk,
                kind=EventKind.ENROLLED,
                date=on,
                school_class_id=school_class.pk,
                recorded_by=by,
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
    return len(pairs)
