"""Attendance history for the demo and the benchmarks: the roll calls of every class of
the school year, school day by school day, written as raw rows (COPY on PostgreSQL).

What the rows hold is what the services would have written for the same marks: one
`RollCall` per class-session, its `ClassDaySummary` (exact counts), one `Absence` per
absence or late arrival, and (for the demo) the first `RollCallRevision`, so that the
roll call page shows a history. Absences are drawn per student: 85 % of students miss 2 %
of sessions, 12 % miss 8 %, 3 % miss 25 % (P and K half each), 1 % of sessions late; 0.3 %
of students stop coming altogether from a day in the last weeks (`stop_from`), so the
consecutive-absence lists have names on them. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from django.db import connection, transaction

from dentruong.attendance import tallies
from dentruong.attendance.models import Absence, ClassDaySummary, RollCall, RollCallRevision
from dentruong.demo.builder import RowWriter, _reset_sequences
from dentruong.enrollment.models import Enrollment
from dentruong.orgs.calendar import CalendarSpec, calendar_for_class
from dentruong.orgs.models import SchoolClass

CHUNK = 400  # classes per transaction


def _risk(rng: random.Random) -> float:
    r = rng.random()
    return 0.02 if r < 0.85 else 0.08 if r < 0.97 else 0.25


def _drawn(rng: random.Random, p: float, n: int) -> Iterator[int]:
    """Indexes in [0, n), each with probability p (geometric skips)."""
    i = -1
    log_q = math.log(1 - p)
    while True:
        i += 1 + int(math.log(1 - rng.random()) / log_q)
        if i >= n:
            return
        yield i


def load_roll_calls(
    *,
    seed: int,
    start: dt.date,
    end: dt.date,
    stop_from: dt.date | None = None,
    revisions: bool = True,
) -> dict[str, Any]:
    """Roll calls of every class for each of its school days in [start, end], for the
    students enrolled in it each day. Returns counts and timings."""
    rng = random.Random(f"dentruong-demo:{seed}:attendance")
    classes = list(SchoolClass.objects.select_related("school__unit").order_by("pk"))
    specs: dict[tuple[int, int], CalendarSpec] = {}
    members: dict[int, list[tuple[int, dt.date, dt.date | None]]] = defaultdict(list)
    for student_id, class_id, first_day, end_day in (
        Enrollment.objects.filter(start_date__lte=end)
        .exclude(end_date__lte=start)
        .order_by("student_id", "start_date")
        .values_list("student_id", "school_class_id", "start_date", "end_date")
    ):
        members[class_id].append((student_id, first_day, end_day))
    is_pg = connection.vendor == "postgresql"

    def value(d: dt.date | dt.datetime) -> Any:
        if is_pg:
            return d
        if isinstance(d, dt.datetime):
            return connection.ops.adapt_datetimefield_value(d)
        return d.isoformat()

    writer = RowWriter()
    roll_call_id = RollCall.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    absence_id = Absence.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    revision_id = RollCallRevision.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    counts = {"classes": len(classes), "school_days": 0, "roll_calls": 0, "absences": 0}
    started = time.perf_counter()
    for at in range(0, len(classes), CHUNK):
        rc_rows: list[tuple[Any, ...]] = []
        rev_rows: list[tuple[Any, ...]] = []
        sum_rows: list[tuple[Any, ...]] = []
        ab_rows: list[tuple[Any, ...]] = []
        for school_class in classes[at : at + CHUNK]:
            key = (school_class.school_year_id, school_class.school_id)
            if key not in specs:
                specs[key] = calendar_for_class(school_class)
            spec = replace(specs[key], weekdays=school_class.weekdays)
            days = spec.school_days(start, end)
            if not days:
                continue
            counts["school_days"] = max(counts["school_days"], len(days))
            stop_index = next(
                (i for i, d in enumerate(days) if stop_from and d >= stop_from), len(days)
            )
            sessions = school_class.sessions
            slots = len(days) * len(sessions)
            marks: dict[int, list[tuple[int, str]]] = defaultdict(list)
            students = members.get(school_class.pk, [])
            enrolled = [0] * len(days)
            for student, first_day, end_day in students:
                # Slots outside the student's enrolment are marked taken: no mark there.
                taken = {
                    d_index * len(sessions) + s_index
                    for d_index, day in enumerate(days)
                    if day < first_day or (end_day is not None and day >= end_day)
                    for s_index in range(len(sessions))
                }
                for d_index in range(len(days)):
                    if d_index * len(sessions) not in taken:
                        enrolled[d_index] += 1
                if stop_index < len(days) and rng.random() < 0.003:
                    first = (stop_index + rng.randrange(max(1, len(days) - stop_index))) * len(
                        sessions
                    )
                    for i in range(first, slots):
                        if i not in taken:
                            marks[i].append((student, "K"))
                            taken.add(i)
                for i in _drawn(rng, _risk(rng), slots):
                    if i not in taken:
                        marks[i].append((student, "P" if rng.random() < 0.5 else "K"))
                        taken.add(i)
                for i in _drawn(rng, 0.01, slots):
                    if i not in taken:
                        marks[i].append((student, "T"))
            for d_index, day in enumerate(days):
                moment = dt.datetime.combine(day, dt.time(0, 30), tzinfo=dt.UTC)  # 07:30 VN
                for s_index, session in enumerate(sessions):
                    roll_call_id += 1
                    client = uuid.UUID(int=rng.getrandbits(128), version=4)
                    client_value = client if is_pg else client.hex
                    rc_rows.append(
                        (
                            roll_call_id,
                            school_class.pk,
                            school_class.homeroom_teacher_id,
                            value(day),
                            session,
                            value(moment),
                            value(moment),
                            client_value,
                            1,
                        )
                    )
                    tally = {"P": 0, "K": 0, "T": 0}
                    after: dict[str, str] = {}
                    for student, code in sorted(marks.get(d_index * len(sessions) + s_index, [])):
                        absence_id += 1
                        ab_rows.append(
                            (absence_id, roll_call_id, student, value(day), code, "unknown", "")
                        )
                        tally[code] += 1
                        after[str(student)] = code
                    sum_rows.append(
                        (
                            roll_call_id,
                            school_class.pk,
                            school_class.school_id,
                            value(day),
                            session,
                            enrolled[d_index],
                            enrolled[d_index] - tally["P"] - tally["K"],
                            tally["T"],
                            tally["P"],
                            tally["K"],
                        )
                    )
                    if revisions:
                        revision_id += 1
                        rev_rows.append(
                            (
                                revision_id,
                                roll_call_id,
                                1,
                                client_value,
                                school_class.homeroom_teacher_id,
                                value(moment),
                                "{}",
                                json.dumps(after),
                            )
                        )
        with transaction.atomic():
            writer.write(
                RollCall,
                [
                    "id",
                    "school_class",
                    "taken_by",
                    "date",
                    "session",
                    "taken_at",
                    "updated_at",
                    "client_id",
                    "version",
                ],
                rc_rows,
            )
            writer.write(
                RollCallRevision,
                [
                    "id",
                    "roll_call",
                    "version",
                    "client_id",
                    "changed_by",
                    "changed_at",
                    "before",
                    "after",
                ],
                rev_rows,
            )
            writer.write(
                ClassDaySummary,
                [
                    "roll_call",
                    "school_class",
                    "school",
                    "date",
                    "session",
                    "enrolled",
                    "present",
                    "late",
                    "excused",
                    "unexcused",
                ],
                sum_rows,
            )
            writer.write(
                Absence, ["id", "roll_call", "student", "date", "code", "reason", "note"], ab_rows
            )
        counts["roll_calls"] += len(rc_rows)
        counts["absences"] += len(ab_rows)
    with transaction.atomic():
        _reset_sequences([RollCall, RollCallRevision, Absence])
    # Raw rows skip the services: the term tallies are recounted from the absences.
    tallies.rebuild(school_year_ids={c.school_year_id for c in classes})
    seconds = time.perf_counter() - started
    return {**counts, "rows": writer.rows, "seconds": round(seconds, 1)}


def record_lifecycle(*, seed: int, today: dt.date) -> dict[str, int]:
    """A few of what happens in a school year, through the enrollment services (so events,
    transfers and summaries agree): 0.4 % of students dropped out (the ten reasons), 0.2 %
    left the locality, one in ten of those came back; a handful of transfers between the
    demo's schools, confirmed, waiting, and one waiting for longer than
    TRANSFER_CONFIRM_DAYS ("lost between schools"). Dates are school days before `today`.
    """
    from dentruong.enrollment.codes import DropoutReason, EventKind, Whereabouts
    from dentruong.enrollment.services import EnrollmentError, confirm_transfer, record_event
    from dentruong.people.models import Student

    rng = random.Random(f"dentruong-demo:{seed}:lifecycle")
    rows = list(
        Enrollment.objects.current()
        .filter(start_date__lt=today - dt.timedelta(days=30))
        .select_related("school_class__school__unit", "student")
        .order_by("pk")
    )
    if not rows:
        return {}
    done: dict[str, int] = defaultdict(int)

    def school_day(enrolment: Enrollment, earliest: dt.date) -> dt.date | None:
        spec = calendar_for_class(enrolment.school_class)
        days = spec.school_days(
            max(earliest, enrolment.start_date + dt.timedelta(days=1)), today - dt.timedelta(days=1)
        )
        return rng.choice(days) if days else None

    def record(student: Student, kind: str, on: dt.date, **fields: Any) -> bool:
        try:
            record_event(student=student, kind=kind, on=on, by=None, **fields)
        except EnrollmentError:
            return False
        done[kind] += 1
        return True

    picked = rng.sample(rows, k=min(len(rows), max(3, len(rows) * 7 // 1000)))
    for n, enrolment in enumerate(picked):
        on = school_day(enrolment, enrolment.start_date + dt.timedelta(days=14))
        if on is None:
            continue
        if n % 7 < 4:
            left = record(
                enrolment.student,
                EventKind.DROPPED_OUT,
                on,
                reason_code=rng.choice(DropoutReason.values),
            )
        else:
            left = record(
                enrolment.student,
                EventKind.LEFT_LOCALITY,
                on,
                whereabouts=rng.choice(Whereabouts.values),
            )
        back = on + dt.timedelta(days=rng.randrange(7, 21))
        if left and n % 10 == 0 and back < today:
            record(
                enrolment.student,
                EventKind.RETURNED,
                back,
                school_class=enrolment.school_class,
                eligible_to_continue=True,
                eligibility_note="Gia đình cam kết cho em đi học đều",
            )
    # Transfers between schools of the same commune that teach the same grade.
    by_grade: dict[tuple[int, int], list[SchoolClass]] = defaultdict(list)
    for enrolment in rows:
        school_class = enrolment.school_class
        by_grade[(school_class.school.commune_id, school_class.grade)].append(school_class)
    moved = 0
    for enrolment in rng.sample(rows, k=min(len(rows), 60)):
        if moved >= 6:
            break
        here = enrolment.school_class
        elsewhere = [
            c
            for c in by_grade[(here.school.commune_id, here.grade)]
            if c.school_id != here.school_id
        ]
        if not elsewhere:
            continue
        target = rng.choice(elsewhere)
        # Two long-waiting (lost between schools), two recent, two confirmed.
        on = today - dt.timedelta(days=(40, 30, 3, 2, 20, 12)[moved])
        if on <= enrolment.start_date or not record(
            enrolment.student, EventKind.TRANSFERRED_OUT, on, to_school=target.school
        ):
            continue
        if moved >= 4:
            transfer = enrolment.student.transfers.get(status="pending")
            confirm_transfer(
                transfer=transfer, school_class=target, on=on + dt.timedelta(days=3), by=None
            )
            done["transfer_confirmed"] += 1
        moved += 1
    return dict(done)
