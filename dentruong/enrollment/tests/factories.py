"""Small builders shared by the enrollment tests and tests/test_scope.py."""

from __future__ import annotations

import datetime as dt

from dentruong.enrollment.codes import EventKind
from dentruong.enrollment.models import Transfer
from dentruong.enrollment.services import record_event
from dentruong.orgs.models import CodeSet, OrgUnit, School, SchoolClass, UnitKind
from tests.cast import Cast

TRANSFER_DAY = dt.date(2026, 10, 1)


def second_school(cast: Cast) -> School:
    """Trường THCS Bát Xát, in the same commune as the cast's school (classes 6A, 7A)."""
    found = School.objects.filter(name="Trường THCS Bát Xát").first()
    if found is not None:
        return found
    node = OrgUnit.child_of(
        cast.commune,
        kind=UnitKind.SCHOOL,
        code="THCS-BX",
        code_set=CodeSet.MOET,
        name="Trường THCS Bát Xát",
    )
    node.save()
    school = School.objects.create(
        unit=node, commune=cast.commune, name="Trường THCS Bát Xát", levels="THCS"
    )
    for grade, name in ((6, "6A"), (7, "7A"), (9, "9A")):
        SchoolClass.objects.create(school=school, school_year=cast.year, grade=grade, name=name)
    return school


def pending_transfer(cast: Cast, on: dt.date = TRANSFER_DAY) -> Transfer:
    """Nguyễn Văn An (4A) transferred out to the second school, waiting there."""
    found = Transfer.objects.filter(student=cast.student_4a, status="pending").first()
    if found is not None:
        return found
    record_event(
        student=cast.student_4a,
        kind=EventKind.TRANSFERRED_OUT,
        on=on,
        by=cast.school_leader,
        to_school=second_school(cast),
    )
    return Transfer.objects.get(student=cast.student_4a, status="pending")
