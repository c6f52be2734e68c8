from __future__ import annotations

import datetime as dt

from django.db import transaction

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
    enrollment = Enrollment.objects.create(student=student, school_class=school_class, start_date=on)
    EnrollmentEvent.objects.create(
        student=student, kind=kind, date=on, school_class=school_class, reason=reason, recorded_by=by
    )
    if student.school_id != school_class.school_id:
        student.school_id = school_class.school_id
        student.save(update_fields=["school", "updated_at"])
    return enrollment
