"""Attendance tests run on Wednesday 17 March 2027, 09:00 in Việt Nam: term 2, after the
Tết break (1–14 February 2027) of the cast's calendar."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import time_machine

from dentruong.accounts.models import User
from dentruong.attendance.models import Absence, ClassDaySummary, RollCall, RollCallRevision
from dentruong.attendance.services import VN_TZ, SubmitResult, submit_roll_call
from dentruong.enrollment.services import bulk_enroll
from dentruong.lib.national_id import make_national_id
from dentruong.orgs.models import SchoolClass
from dentruong.people.models import Student
from dentruong.people.services import create_student
from tests.cast import Cast

D = dt.date
NOW = dt.datetime(2027, 3, 17, 9, 0, tzinfo=VN_TZ)
TODAY = D(2027, 3, 17)  # Wednesday
MONDAY = D(2027, 3, 15)
SUNDAY = D(2027, 3, 14)
IN_TET = D(2027, 2, 3)  # a Wednesday inside the Tết break
TERM_START = D(2026, 9, 5)


@pytest.fixture(autouse=True)
def _vietnam_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def uid() -> uuid.UUID:
    return uuid.uuid4()


def add_students(
    cast: Cast, school_class: SchoolClass, n: int, *, start: dt.date = TERM_START
) -> list[Student]:
    """`n` more students in `school_class` from `start`."""
    base = Student.objects.count() + 100
    students = [
        create_student(
            national_id=make_national_id(province=10, birth_year=2018, gender="M", serial=base + i),
            family_and_middle_name="Lò Văn",
            given_name=f"Học {i}",
            birth_date=D(2018, 1, 1),
            gender="M",
            ethnicity="03",
            village=cast.village,
        )
        for i in range(n)
    ]
    bulk_enroll(pairs=[(s, school_class) for s in students], on=start, by=None)
    return students


def fresh(school_class: SchoolClass) -> SchoolClass:
    """The class as the access helper hands it to a service (school → unit joined)."""
    return SchoolClass.objects.select_related("school__unit", "school_year").get(pk=school_class.pk)


def submit(
    cast: Cast,
    marks: dict[int, tuple[str, str, str]] | None = None,
    *,
    school_class: SchoolClass | None = None,
    date: dt.date = MONDAY,
    session: str = "am",
    client_id: uuid.UUID | None = None,
    by: User | None = None,
    base_version: int | None = None,
) -> SubmitResult:
    return submit_roll_call(
        school_class=fresh(school_class or cast.class_3a),
        date=date,
        session=session,
        marks=marks or {},
        by=by or cast.teacher,
        client_id=client_id or uid(),
        base_version=base_version,
    )


@dataclass(frozen=True)
class Counts:
    roll_calls: int
    absences: int
    revisions: int
    summaries: int


def counts() -> Counts:
    return Counts(
        RollCall.objects.count(),
        Absence.objects.count(),
        RollCallRevision.objects.count(),
        ClassDaySummary.objects.count(),
    )
