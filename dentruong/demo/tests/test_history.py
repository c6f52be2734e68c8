"""The demo's school year so far (demo/history.py): roll calls of every class on every
school day up to yesterday, consistent with what the services would have written, and
a few lifecycle events that the enrollment reports and checks agree with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.db.models import Count

from dentruong.attendance.models import Absence, ClassDaySummary, RollCall, RollCallRevision
from dentruong.attendance.selectors import consecutive_unexcused
from dentruong.attendance.tests.test_services import recount, stored
from dentruong.demo.builder import DemoResult
from dentruong.enrollment.models import EnrollmentEvent, Transfer
from dentruong.enrollment.selectors import headcount_check
from dentruong.orgs.calendar import calendar_for_class
from dentruong.orgs.models import OrgUnit, SchoolClass, UnitKind
from dentruong.people.models import Student

from .test_demo import SMALL, build

TODAY = dt.date(2026, 11, 20)  # a Friday; the demo's year began on 5 September


@pytest.fixture(scope="module")
def year(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoResult]:
    """One build on 20 November 2026, shared by the read-only tests, rolled back after."""
    with (
        django_db_blocker.unblock(),
        time_machine.travel(dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC), tick=False),
        transaction.atomic(),
    ):
        result = build(history=True)
        yield result
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_every_class_has_a_roll_call_each_school_day_up_to_yesterday(year: DemoResult) -> None:
    assert year.roll_calls == RollCall.objects.count() > 0
    for school_class in SchoolClass.objects.select_related("school__unit"):
        days = calendar_for_class(school_class).school_days(
            dt.date(2026, 9, 1), TODAY - dt.timedelta(days=1)
        )
        taken = set(
            RollCall.objects.filter(school_class=school_class).values_list("date", "session")
        )
        assert taken == {(d, s) for d in days for s in school_class.sessions}, school_class


def test_rows_agree_as_the_services_would_have_written_them(year: DemoResult) -> None:
    for summary in ClassDaySummary.objects.all():
        assert stored(summary) == recount(summary), summary
    assert RollCallRevision.objects.count() == RollCall.objects.count()
    # Absence rates in the drawn range: 2–8 % of student-sessions, some late arrivals.
    marks = sum(ClassDaySummary.objects.values_list("enrolled", flat=True))
    absences = Absence.objects.exclude(code="T").count()
    assert 0.02 < absences / marks < 0.08
    assert Absence.objects.filter(code="T").exists()


def test_lifecycle_events_reconcile_and_show_in_the_lists(year: DemoResult) -> None:
    kinds = dict(EnrollmentEvent.objects.values_list("kind").annotate(n=Count("id")))
    assert kinds["enrolled"] == SMALL
    assert kinds.get("dropped_out", 0) + kinds.get("left_locality", 0) >= 3
    assert Transfer.objects.exists()
    commune = OrgUnit.objects.get(kind=UnitKind.COMMUNE, code="02683")
    check = headcount_check(commune.path, date_from=dt.date(2026, 9, 1), date_to=TODAY)
    assert not check.failing
    long_runs = consecutive_unexcused(
        commune.path,
        visible=Student.objects.all(),
        date_from=dt.date(2026, 9, 1),
        date_to=TODAY,
        n=10,
    )
    assert long_runs, "students who stopped coming make the consecutive-absence list"
