"""submit_roll_call / bulk_submit: idempotency, corrections and their history, the exact
summary, every refusal writing nothing, mid-term enrolments, the first-submission race,
and a query count that does not grow with the class."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
import unicodedata
import uuid
from typing import Any

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from dentruong.attendance import services
from dentruong.attendance.models import (
    Absence,
    AbsenceCode,
    AbsenceTally,
    ClassDaySummary,
    ClassTermSummary,
    RollCall,
    RollCallRevision,
)
from dentruong.attendance.services import (
    Mark,
    RollCallError,
    RollCallInput,
    bulk_submit,
    local_today,
    refresh_summaries,
)
from dentruong.enrollment.models import Enrollment
from dentruong.enrollment.services import enroll_student
from dentruong.orgs.models import BreakKind, CalendarBreak, SchoolClass
from tests.cast import Cast

from .conftest import (
    IN_TET,
    MONDAY,
    SUNDAY,
    TODAY,
    D,
    add_students,
    counts,
    fresh,
    submit,
    uid,
)

K = ("K", "unknown", "")
P = ("P", "sick", "")
T = ("T", "transport", "")


def recount(summary: ClassDaySummary) -> dict[str, int]:
    """What the summary must say, counted from the raw rows: the students enrolled that
    day, and the absences of those students (a back-dated departure leaves the marks in
    the history but they no longer count: `refresh_summaries`)."""
    members = Enrollment.objects.on(summary.date).filter(school_class_id=summary.school_class_id)
    enrolled = members.count()
    codes = list(
        Absence.objects.filter(
            roll_call_id=summary.pk, student_id__in=members.values("student_id")
        ).values_list("code", flat=True)
    )
    p, k, t = codes.count("P"), codes.count("K"), codes.count("T")
    return {
        "enrolled": enrolled,
        "present": enrolled - p - k,
        "late": t,
        "excused": p,
        "unexcused": k,
    }


def stored(summary: ClassDaySummary) -> dict[str, int]:
    return {f: getattr(summary, f) for f in ("enrolled", "present", "late", "excused", "unexcused")}


def assert_consistent() -> None:
    """Every summary equals its recount; versions and revisions tell the same story."""
    assert ClassDaySummary.objects.count() == RollCall.objects.count()
    for summary in ClassDaySummary.objects.all():
        assert stored(summary) == recount(summary), summary
    for rc in RollCall.objects.all():
        versions = list(rc.revisions.order_by("version").values_list("version", flat=True))
        assert versions == list(range(1, rc.version + 1))
        latest = rc.revisions.get(version=rc.version)
        now = {str(s): c for s, c in rc.absences.values_list("student_id", "code")}
        assert latest.after == now
    assert tally_rows() == recount_tallies()
    assert term_rows() == recount_terms()


CODES = ("excused", "unexcused", "late")
SUMMED = ("enrolled", "present", "late", "excused", "unexcused")


def term_rows() -> list[tuple[int, ...]]:
    return sorted(
        ClassTermSummary.objects.values_list(
            "school_class_id", "school_id", "school_year_id", "term", "roll_calls", *SUMMED
        )
    )


def recount_terms() -> list[tuple[int, ...]]:
    """Each class's day summaries added up per term of its calendar."""
    counts: dict[tuple[int, int, int, int], list[int]] = {}
    for summary in ClassDaySummary.objects.select_related("school_class"):
        school_class = summary.school_class
        term = services.class_calendar(school_class).term_of(summary.date)
        assert term is not None
        key = (school_class.pk, school_class.school_id, school_class.school_year_id, term)
        into = counts.setdefault(key, [0] * 6)
        for i, value in enumerate([1, *(getattr(summary, n) for n in SUMMED)]):
            into[i] += value
    return sorted((*key, *c) for key, c in counts.items())


def tally_rows() -> list[tuple[int, int, int, int, int, int, int]]:
    return sorted(
        AbsenceTally.objects.exclude(excused=0, unexcused=0, late=0).values_list(
            "student_id", "school_class_id", "school_year_id", "term", *CODES
        )
    )


def recount_tallies() -> list[tuple[int, int, int, int, int, int, int]]:
    """Each student's absences per class, and school year and term of that class; and
    every row holding an absence of a day the student, as enrolled now, was not in the
    class is marked stray."""
    counts: dict[tuple[int, int, int, int], dict[str, int]] = {}
    for absence in Absence.objects.select_related("roll_call__school_class"):
        school_class = absence.roll_call.school_class
        term = services.class_calendar(school_class).term_of(absence.date)
        assert term is not None
        key = (absence.student_id, school_class.pk, school_class.school_year_id, term)
        counts.setdefault(key, {"P": 0, "K": 0, "T": 0})[absence.code] += 1
        was_there = (
            Enrollment.objects.on(absence.date)
            .filter(student_id=absence.student_id, school_class=school_class)
            .exists()
        )
        if not was_there:
            row = AbsenceTally.objects.get(
                student_id=absence.student_id, school_class=school_class, term=term
            )
            assert row.stray, absence
    return sorted((*key, c["P"], c["K"], c["T"]) for key, c in counts.items())


# --- the first submission --------------------------------------------------------------


def test_first_submission_stores_exceptions_only(cast: Cast) -> None:
    others = add_students(cast, cast.class_3a, 3)
    result = submit(cast, {cast.student.pk: K, others[0].pk: T})
    assert result.created and not result.duplicate
    rc = result.roll_call
    assert (rc.version, rc.taken_by, rc.school_class_id) == (1, cast.teacher, cast.class_3a.pk)
    assert sorted(rc.absences.values_list("student_id", "code", "reason")) == sorted(
        [(cast.student.pk, "K", "unknown"), (others[0].pk, "T", "transport")]
    )
    assert stored(result.summary) == {
        "enrolled": 4,
        "present": 3,
        "late": 1,
        "excused": 0,
        "unexcused": 1,
    }
    revision = rc.revisions.get()
    assert (revision.version, revision.before, revision.changed_by) == (1, {}, cast.teacher)
    assert revision.after == {str(cast.student.pk): "K", str(others[0].pk): "T"}
    assert_consistent()


def test_nobody_absent_is_a_roll_call_too(cast: Cast) -> None:
    result = submit(cast, {})
    assert result.roll_call.absences.count() == 0
    assert stored(result.summary) == {
        "enrolled": 1,
        "present": 1,
        "late": 0,
        "excused": 0,
        "unexcused": 0,
    }


def test_note_is_cleaned_and_reason_defaults_to_unknown(cast: Cast) -> None:
    typed = unicodedata.normalize("NFD", "  Ốm   sốt ")  # decomposed, as some phones send
    submit(cast, {cast.student.pk: ("P", "", typed)})
    absence = Absence.objects.get()
    assert (absence.reason, absence.note) == ("unknown", "Ốm sốt")
    assert absence.note == unicodedata.normalize("NFC", absence.note)


# --- idempotency -------------------------------------------------------------------------


def test_same_client_id_changes_nothing(cast: Cast) -> None:
    client_id = uid()
    first = submit(cast, {cast.student.pk: K}, client_id=client_id)
    before = counts()
    again = submit(cast, {cast.student.pk: K}, client_id=client_id)
    assert again.duplicate and not again.created
    assert again.roll_call.pk == first.roll_call.pk and again.roll_call.version == 1
    assert counts() == before


def test_same_client_id_with_another_payload_still_changes_nothing(cast: Cast) -> None:
    client_id = uid()
    submit(cast, {cast.student.pk: K}, client_id=client_id)
    again = submit(cast, {cast.student.pk: P}, client_id=client_id)
    assert again.duplicate
    assert list(Absence.objects.values_list("code", flat=True)) == ["K"]
    assert RollCallRevision.objects.count() == 1


def test_a_resent_correction_is_applied_once(cast: Cast) -> None:
    submit(cast, {cast.student.pk: K})
    correction = uid()
    submit(cast, {cast.student.pk: P}, client_id=correction)
    again = submit(cast, {cast.student.pk: P}, client_id=correction)
    assert again.duplicate and again.roll_call.version == 2
    assert RollCallRevision.objects.count() == 2


def test_a_resubmission_is_a_duplicate_even_if_it_would_now_be_refused(cast: Cast) -> None:
    """An offline phone resends days later: the day has since been declared a holiday and
    the absent student has left the class. The same client id still answers with the roll
    call as it stands, and nothing changes."""
    client_id = uid()
    first = submit(cast, {cast.student.pk: K}, client_id=client_id)
    CalendarBreak.objects.create(
        calendar=cast.calendar, kind=BreakKind.OTHER, name="Lũ", start=MONDAY, end=MONDAY
    )
    Enrollment.objects.filter(student=cast.student).update(start_date=MONDAY + dt.timedelta(1))
    before = counts()
    again = submit(cast, {cast.student.pk: K}, client_id=client_id)
    assert again.duplicate and again.roll_call.pk == first.roll_call.pk
    assert counts() == before
    with pytest.raises(RollCallError) as refused:  # a new submission is judged as it is now
        submit(cast, {cast.student.pk: K})
    assert refused.value.code == "not_school_day"


def test_client_id_reused_for_another_roll_call_is_refused(cast: Cast) -> None:
    client_id = uid()
    submit(cast, {}, client_id=client_id)
    before = counts()
    with pytest.raises(RollCallError) as refused:
        submit(cast, {}, client_id=client_id, date=MONDAY + dt.timedelta(days=1))
    assert (refused.value.code, refused.value.field) == ("client_id_reused", "client_id")
    assert counts() == before


# --- corrections -----------------------------------------------------------------------


def test_correction_keeps_history_and_the_latest_wins(cast: Cast) -> None:
    (other,) = add_students(cast, cast.class_3a, 1)
    first = submit(cast, {cast.student.pk: K, other.pk: T})
    second = submit(cast, {cast.student.pk: P}, by=cast.school_leader, base_version=1)
    assert not second.created and not second.duplicate and not second.stale_base
    assert second.roll_call.pk == first.roll_call.pk and second.roll_call.version == 2
    assert list(Absence.objects.values_list("student_id", "code")) == [(cast.student.pk, "P")]
    assert stored(second.summary) == {
        "enrolled": 2,
        "present": 1,
        "late": 0,
        "excused": 1,
        "unexcused": 0,
    }
    r1, r2 = RollCallRevision.objects.order_by("version")
    assert (r1.changed_by, r1.before) == (cast.teacher, {})
    assert r2.changed_by == cast.school_leader
    assert r2.before == {str(cast.student.pk): "K", str(other.pk): "T"}
    assert r2.after == {str(cast.student.pk): "P"}
    rc = RollCall.objects.get()
    assert rc.taken_by == cast.teacher and rc.updated_at >= rc.taken_at
    assert_consistent()


def test_concurrent_edits_the_later_wins_and_is_flagged(cast: Cast) -> None:
    submit(cast, {cast.student.pk: K})
    leader = submit(cast, {cast.student.pk: P}, by=cast.school_leader, base_version=1)
    teacher = submit(cast, {cast.student.pk: T}, base_version=1)  # edited v1, not v2
    assert not leader.stale_base and teacher.stale_base
    assert teacher.roll_call.version == 3
    assert list(Absence.objects.values_list("code", flat=True)) == ["T"]
    assert list(RollCallRevision.objects.values_list("base_version", flat=True)) == [None, 1, 1]
    assert_consistent()


# --- refusals: each has its code and writes nothing ---------------------------------------


def refused(cast: Cast, **kwargs: Any) -> RollCallError:
    before = counts()
    with pytest.raises(RollCallError) as caught:
        submit(cast, **kwargs)
    assert counts() == before
    assert str(caught.value) == caught.value.message
    return caught.value


@pytest.mark.parametrize(
    ("day", "what"), [(SUNDAY, "a Sunday"), (IN_TET, "the Tết break"), (D(2026, 9, 4), "summer")]
)
def test_not_a_school_day(cast: Cast, day: dt.date, what: str) -> None:
    error = refused(cast, date=day)
    assert (error.code, error.field) == ("not_school_day", "date"), what


def test_future_date(cast: Cast) -> None:
    error = refused(cast, date=TODAY + dt.timedelta(days=1))
    assert (error.code, error.field) == ("future_date", "date")
    submit(cast, {}, date=TODAY)  # today itself is fine


def test_future_is_judged_on_vietnam_time() -> None:
    # 23:30 UTC on Wednesday is 06:30 on Thursday in Hà Nội: Thursday's roll call is due.
    with time_machine.travel(dt.datetime(2027, 3, 17, 23, 30, tzinfo=dt.UTC), tick=False):
        assert local_today() == D(2027, 3, 18)


def test_session_the_class_does_not_have(cast: Cast) -> None:
    assert cast.class_3a.sessions == ["am"]
    error = refused(cast, session="pm")
    assert (error.code, error.field) == ("session_not_held", "session")


def test_unknown_session(cast: Cast) -> None:
    error = refused(cast, session="evening")
    assert (error.code, error.field) == ("invalid_session", "session")


def test_student_of_another_class(cast: Cast) -> None:
    error = refused(cast, marks={cast.student_4a.pk: K})
    assert (error.code, error.field) == ("not_enrolled", f"marks.{cast.student_4a.pk}")


def test_unknown_code(cast: Cast) -> None:
    error = refused(cast, marks={cast.student.pk: ("X", "unknown", "")})
    assert (error.code, error.field) == ("invalid_code", f"marks.{cast.student.pk}")


def test_unknown_reason(cast: Cast) -> None:
    error = refused(cast, marks={cast.student.pk: ("K", "holiday", "")})
    assert error.code == "invalid_reason"


def test_note_too_long(cast: Cast) -> None:
    error = refused(cast, marks={cast.student.pk: ("K", "other", "x" * 201)})
    assert error.code == "note_too_long"


def test_a_refused_correction_leaves_the_roll_call_as_it_was(cast: Cast) -> None:
    submit(cast, {cast.student.pk: K})
    error = refused(cast, marks={cast.student.pk: P, cast.student_4a.pk: K})
    assert error.code == "not_enrolled"
    assert RollCall.objects.get().version == 1
    assert list(Absence.objects.values_list("code", flat=True)) == ["K"]


# --- enrolment over time -------------------------------------------------------------------


def test_mid_term_enrolment(cast: Cast) -> None:
    """A student enrolled from 1 March is not on the roll before then."""
    (late,) = add_students(cast, cast.class_3a, 1, start=D(2027, 3, 1))
    early = D(2027, 2, 26)  # Friday before
    error = refused(cast, date=early, marks={late.pk: K})
    assert error.code == "not_enrolled"
    before = submit(cast, {}, date=early)
    after = submit(cast, {late.pk: K}, date=MONDAY)
    assert before.summary.enrolled == 1 and before.summary.present == 1
    assert after.summary.enrolled == 2 and after.summary.present == 1
    assert_consistent()


def test_transfer_between_classes(cast: Cast) -> None:
    """Moved from 3A to 4A on 1 March: on 3A's roll until then, on 4A's after."""
    cast.class_4a.has_afternoon = True
    cast.class_4a.save()
    enroll_student(student=cast.student, school_class=cast.class_4a, on=D(2027, 3, 1), by=None)
    assert submit(cast, {cast.student.pk: P}, date=D(2027, 2, 26)).summary.enrolled == 1
    assert refused(cast, date=MONDAY, marks={cast.student.pk: K}).code == "not_enrolled"
    moved = submit(cast, {cast.student.pk: K}, school_class=cast.class_4a, session="pm")
    assert (moved.summary.enrolled, moved.summary.unexcused) == (2, 1)
    assert_consistent()


# --- the summary is always a recount ------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_summary_always_equals_a_recount(cast: Cast, seed: int) -> None:
    rng = random.Random(seed)
    cast.class_4a.has_afternoon = True
    cast.class_4a.save()
    a3 = [cast.student, *add_students(cast, cast.class_3a, 5)]
    a4 = [cast.student_4a, *add_students(cast, cast.class_4a, 3)]
    late_joiner = add_students(cast, cast.class_3a, 1, start=D(2027, 3, 8))[0]
    leaver = a4.pop()  # leaves 4A for 3A on 10 March
    enroll_student(student=leaver, school_class=cast.class_3a, on=D(2027, 3, 10), by=None)
    days = [D(2027, 3, d) for d in (1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 15, 16, 17)]
    sent: list[tuple[SchoolClass, dt.date, str, uuid.UUID, dict[int, tuple[str, str, str]]]] = []
    for _ in range(40):
        if sent and rng.random() < 0.2:  # a resend from a flaky network
            school_class, day, session, client_id, marks = rng.choice(sent)
            before = counts()
            assert submit(
                cast,
                marks,
                school_class=school_class,
                date=day,
                session=session,
                client_id=client_id,
            ).duplicate
            assert counts() == before
            continue
        school_class = rng.choice([cast.class_3a, cast.class_4a])
        day = rng.choice(days)
        session = rng.choice(school_class.sessions)
        roster = [
            s.pk
            for s in (a3 + [late_joiner] if school_class == cast.class_3a else a4 + [leaver])
            if Enrollment.objects.on(day).filter(student=s, school_class=school_class).exists()
        ]
        marks = {
            pk: (rng.choice("PKT"), rng.choice(["sick", "family", "unknown"]), "")
            for pk in rng.sample(roster, rng.randint(0, len(roster)))
        }
        client_id = uid()
        submit(
            cast, marks, school_class=school_class, date=day, session=session, client_id=client_id
        )
        sent.append((school_class, day, session, client_id, marks))
        assert_consistent()
    assert RollCallRevision.objects.count() > RollCall.objects.count()  # some corrections


# --- the race of two first submissions ------------------------------------------------------


def test_first_submission_race_becomes_a_correction(cast: Cast, monkeypatch: Any) -> None:
    """Another first submission lands between our checks and our insert: the unique
    constraint catches it, and ours is applied as a correction on top of it."""
    real = services._check_enrolled
    theirs = uid()
    raced: list[bool] = []

    def racing(*args: Any) -> None:
        real(*args)
        if not raced:
            raced.append(True)
            submit(cast, {cast.student.pk: K}, client_id=theirs, by=cast.school_leader)

    monkeypatch.setattr(services, "_check_enrolled", racing)
    ours = submit(cast, {cast.student.pk: P})
    assert raced and not ours.created and not ours.duplicate and ours.stale_base
    rc = RollCall.objects.get()
    assert rc.client_id == theirs and rc.version == 2
    r1, r2 = rc.revisions.order_by("version")
    assert r1.changed_by == cast.school_leader and r2.changed_by == cast.teacher
    assert r2.before == {str(cast.student.pk): "K"} and r2.after == {str(cast.student.pk): "P"}
    assert_consistent()


@pytest.mark.django_db(transaction=True)
def test_first_submission_race_on_two_connections(cast: Cast) -> None:
    """PostgreSQL: B inserts while A's insert is uncommitted; B waits on the unique index,
    then becomes a correction of A once A commits. Nothing is lost, nothing doubled."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises write transactions (BEGIN IMMEDIATE): no race")
    inserted = threading.Event()
    errors: list[BaseException] = []
    waited: list[float] = []

    def first() -> None:
        try:
            with transaction.atomic():
                submit(cast, {cast.student.pk: K})
                inserted.set()
                time.sleep(0.5)
        except BaseException as e:
            errors.append(e)
            inserted.set()
        finally:
            connections.close_all()

    def second() -> None:
        try:
            inserted.wait(5)
            start = time.monotonic()
            submit(cast, {cast.student.pk: P})
            waited.append(time.monotonic() - start)
        except BaseException as e:
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not errors, errors
    assert waited and waited[0] >= 0.3  # B really waited for A
    rc = RollCall.objects.get()
    assert rc.version == 2
    assert list(rc.absences.values_list("code", flat=True)) == ["P"]
    r1, r2 = rc.revisions.order_by("version")
    assert r2.before == r1.after == {str(cast.student.pk): "K"}
    assert_consistent()


# --- bulk ------------------------------------------------------------------------------------


def test_bulk_one_bad_item_does_not_stop_the_others(cast: Cast) -> None:
    c3, c4 = fresh(cast.class_3a), fresh(cast.class_4a)
    items = [
        RollCallInput(c3, D(2027, 3, 15), "am", {cast.student.pk: K}, uid()),
        RollCallInput(c3, SUNDAY, "am", {}, uid()),  # refused
        RollCallInput(c4, D(2027, 3, 15), "am", {cast.student_4a.pk: T}, uid()),
        RollCallInput(c3, D(2027, 3, 16), "am", {cast.student_4a.pk: K}, uid()),  # refused
    ]
    results = bulk_submit(items=items, by=cast.school_leader)
    assert [type(r).__name__ for r in results] == [
        "SubmitResult",
        "RollCallError",
        "SubmitResult",
        "RollCallError",
    ]
    assert isinstance(results[1], RollCallError) and results[1].code == "not_school_day"
    assert isinstance(results[3], RollCallError) and results[3].code == "not_enrolled"
    assert RollCall.objects.count() == 2 and Absence.objects.count() == 2
    assert not RollCall.objects.filter(date=D(2027, 3, 16)).exists()
    # resending the whole batch changes nothing
    before = counts()
    again = bulk_submit(items=items, by=cast.school_leader)
    assert [getattr(r, "duplicate", None) for r in again] == [True, None, True, None]
    assert counts() == before
    assert_consistent()


def test_bulk_reads_each_calendar_once(
    cast: Cast, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    c3 = fresh(cast.class_3a)
    items = [
        RollCallInput(c3, D(2027, 3, d), "am", {cast.student.pk: K}, uid()) for d in (8, 9, 10)
    ]
    with django_assert_max_num_queries(2 + 3 * 13):
        results = bulk_submit(items=items, by=cast.teacher)
    assert all(not isinstance(r, RollCallError) for r in results)


# --- cost ------------------------------------------------------------------------------------

# A first submission: the calendar (2), the roster, the roll call
# (INSERT … ON CONFLICT DO NOTHING), the absences, then the revision, the summary, the term
# tallies (one upsert) and the term summary (one upsert), sent together: one round trip on
# PostgreSQL, four statements on SQLite (lib/db.py); plus the service's own savepoint (2,
# as the test runs in a transaction). The same for 1 or 40 students.
TOGETHER = 1 if connection.vendor == "postgresql" else 4
FIRST = 7 + TOGETHER
# A correction: + the lock, the client-id re-check, the old marks, their deletion, the
# tallies' second statement (counts go down), the version bump, the old summary read; the
# summary and the term summary updated instead of inserted; the revision, the tallies and
# the summary's statements each on their own.
CORRECTION = 18


@pytest.mark.parametrize("absent", [1, 40])
def test_query_count_does_not_grow_with_the_class(
    cast: Cast, django_assert_num_queries: DjangoAssertNumQueries, absent: int
) -> None:
    students = add_students(cast, cast.class_3a, 44)
    marks = {s.pk: Mark(rng_code(i)) for i, s in enumerate(students[:absent])}
    c3 = fresh(cast.class_3a)
    kwargs: dict[str, Any] = {
        "school_class": c3,
        "date": MONDAY,
        "session": "am",
        "by": cast.teacher,
    }
    with django_assert_num_queries(FIRST):
        services.submit_roll_call(marks=marks, client_id=uid(), **kwargs)
    with django_assert_num_queries(CORRECTION):
        services.submit_roll_call(marks={pk: Mark("K") for pk in marks}, client_id=uid(), **kwargs)
    assert_consistent()


def rng_code(i: int) -> str:
    return [AbsenceCode.EXCUSED, AbsenceCode.UNEXCUSED, AbsenceCode.LATE][i % 3]


# --- back-dated enrolment changes -----------------------------------------------------------


def test_back_dated_enrolment_is_recounted(cast: Cast) -> None:
    """Roll calls on 1–3 March; then a newcomer is recorded as having joined 3A on 2 March
    and the cast's student as having left on 3 March (after a K on that day). The
    summaries from 2 March are recounted; 1 March is left alone."""
    first = submit(cast, {}, date=D(2027, 3, 1))
    second = submit(cast, {}, date=D(2027, 3, 2))
    third = submit(cast, {cast.student.pk: K}, date=D(2027, 3, 3))
    assert [s.summary.enrolled for s in (first, second, third)] == [1, 1, 1]
    newcomer = add_students(cast, cast.class_3a, 1, start=D(2027, 3, 2))[0]
    Enrollment.objects.filter(student=cast.student, end_date__isnull=True).update(
        end_date=D(2027, 3, 3)
    )

    with CaptureQueriesContext(connection) as ctx:
        changed = refresh_summaries(school_class_ids=[cast.class_3a.pk], since=D(2027, 3, 2))

    # 3 March at least (2 March too, unless enrolling the newcomer already recounted it)
    assert changed in (1, 2)
    # Three reads, the summaries written, the stray tallies marked; the term summaries
    # recounted (delete, the classes, their calendar (2), one insert per term).
    assert len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]) <= 11
    by_day = {s.date: stored(s) for s in ClassDaySummary.objects.all()}
    assert by_day[D(2027, 3, 1)] == {
        "enrolled": 1,
        "present": 1,
        "late": 0,
        "excused": 0,
        "unexcused": 0,
    }
    assert by_day[D(2027, 3, 2)] == {
        "enrolled": 2,
        "present": 2,
        "late": 0,
        "excused": 0,
        "unexcused": 0,
    }
    # The student's K of 3 March stays in the history but no longer counts.
    assert by_day[D(2027, 3, 3)] == {
        "enrolled": 1,
        "present": 1,
        "late": 0,
        "excused": 0,
        "unexcused": 0,
    }
    assert Absence.objects.filter(student=cast.student, date=D(2027, 3, 3)).exists()
    assert newcomer.pk not in set(Absence.objects.values_list("student_id", flat=True))
    assert refresh_summaries(school_class_ids=[cast.class_3a.pk], since=D(2027, 3, 1)) == 0
