"""Reads of the early-warning app.

`load_facts` builds every enrolled student's `StudentFacts` for a unit as of a date in a
fixed number of queries, set-based (no query per class or per student): enrolments with
class and student columns; the calendars (2); P/K marks of the window; enrolment events;
siblings' dropouts; teacher's flags. A `students` subquery narrows it to some students
(the incremental update after a morning's roll calls) with the same queries.

The lists (`class_list`, `unit_list`, `student_history`) read `RiskAssessment` rows in
force on a date: one query each (plus one for the students' names).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from dentruong.attendance.models import Absence
from dentruong.attendance.selectors import BREAK_MIN_DAYS, PK, Calendars, scope_calendars
from dentruong.enrollment.codes import DROPOUT_KINDS, EventKind
from dentruong.enrollment.models import Enrollment, EnrollmentEvent
from dentruong.orgs.calendar import CalendarSpec
from dentruong.orgs.models import YearCalendar
from dentruong.risk.indicators import Mark, StudentFacts
from dentruong.risk.models import RiskAssessment, TeacherFlag
from dentruong.risk.rules import RANK

LOOKBACK = dt.timedelta(days=200)  # far enough back to find 20 school days past Tết
BREAK_SLACK = dt.timedelta(days=14)


@dataclass(frozen=True, slots=True)
class Loaded:
    facts: StudentFacts
    class_id: int
    unit_path: str
    teacher_id: int | None


@dataclass(frozen=True)
class _Window:
    days: tuple[dt.date, ...]
    break_name: str
    break_end: dt.date | None


def _window(spec: CalendarSpec, calendar: YearCalendar, day: dt.date, n: int) -> _Window:
    days = tuple(spec.school_days(max(spec.term1[0], day - LOOKBACK), day)[-n:])
    name, end = "", None
    if days:
        for b in calendar.breaks.all():
            long_enough = (b.end - b.start).days + 1 >= BREAK_MIN_DAYS
            if long_enough and days[0] - BREAK_SLACK <= b.end < day:
                name, end = b.name, b.end
    return _Window(days, name, end)


def enrolled_on(path: str, day: dt.date) -> QuerySet[Enrollment]:
    return Enrollment.objects.on(day).filter(school_class__school__unit__path__startswith=path)


def load_facts(
    path: str,
    day: dt.date,
    *,
    window_days: int = 20,
    only: Q | None = None,
) -> list[Loaded]:
    """Facts of every student enrolled on `day` in a class of the unit at `path` (only
    the enrolments matching `only`, if given). Seven queries."""
    enrolments = enrolled_on(path, day)
    if only is not None:
        enrolments = enrolments.filter(only)
    rows = list(
        enrolments.values_list(
            "student_id",
            "start_date",
            "school_class_id",
            "school_class__grade",
            "school_class__school_year_id",
            "school_class__school_year__start_year",
            "school_class__weekdays",
            "school_class__has_morning",
            "school_class__has_afternoon",
            "school_class__school__unit__path",
            "school_class__homeroom_teacher_id",
            "student__birth_date",
            "student__boarding",
            "student__distance_km",
            "student__household_id",
        )
    )
    if not rows:
        return []
    # A whole unit: the other queries take the enrolments as a subquery (a fixed number of
    # queries). Some students (`only`): their ids, in chunks — re-running the selection
    # as a subquery in each query would cost more than the students themselves.
    id_list = None if only is None else sorted({r[0] for r in rows})

    def by_ids(qs: QuerySet[Any], field: str = "student_id") -> list[QuerySet[Any]]:
        if id_list is None:
            return [qs.filter(**{f"{field}__in": enrolments.values("student_id")})]
        return [qs.filter(ids_in(field, id_list))]

    calendars: Calendars = scope_calendars(path, {r[4] for r in rows})
    windows: dict[tuple[int, int] | None, _Window | None] = {None: None}
    keys: dict[tuple[int, str, int], tuple[int, int] | None] = {}

    def window_of(year_id: int, school_path: str, weekdays: int) -> _Window | None:
        # Schools share calendars: one window per (calendar, weekdays), not per school.
        at = (year_id, school_path, weekdays)
        if at not in keys:
            calendar = calendars.calendar(year_id, school_path)
            key = keys[at] = None if calendar is None else (calendar.pk, weekdays)
            if key is not None and key not in windows:
                spec = calendars.spec(year_id, school_path, weekdays)
                assert calendar is not None and spec is not None
                windows[key] = _window(spec, calendar, day, window_days)
        return windows[keys[at]]

    for r in rows:
        window_of(r[4], r[9], r[6])
    starts = [w.days[0] for w in windows.values() if w is not None and w.days]
    marks: dict[int, list[Mark]] = defaultdict(list)
    if starts:
        absences = Absence.objects.filter(code__in=PK, date__range=(min(starts), day))
        for qs in by_ids(absences):
            for sid, mark_day, code, reason in qs.values_list(
                "student_id", "date", "code", "reason"
            ):
                marks[sid].append(Mark(mark_day, code, reason))
    repeated: set[int] = set()
    arrived: dict[int, tuple[dt.date, str]] = {}
    events = EnrollmentEvent.objects.filter(
        kind__in=[EventKind.REPEATED, EventKind.TRANSFERRED_IN, EventKind.RETURNED],
        date__lte=day,
    )
    found = []
    for qs in by_ids(events):
        found += list(qs.values_list("student_id", "kind", "date", "id"))
    for sid, kind, event_day, _id in sorted(found, key=lambda e: (e[2], e[3])):
        if kind == EventKind.REPEATED:
            repeated.add(sid)
        else:
            arrived[sid] = (event_day, kind)
    households: Any = (
        enrolments.filter(student__household__isnull=False).values("student__household_id")
        if id_list is None
        else sorted({r[14] for r in rows if r[14] is not None})
    )
    siblings = _households_with_dropout(households, day)
    flags: dict[int, set[str]] = defaultdict(set)
    in_force_flags = TeacherFlag.objects.filter(start__lte=day).filter(
        Q(cleared_on__isnull=True) | Q(cleared_on__gt=day)
    )
    for qs in by_ids(in_force_flags):
        for sid, kind in qs.values_list("student_id", "kind"):
            flags[sid].add(kind)
    out = []
    empty: frozenset[str] = frozenset()
    for r in rows:
        sid = r[0]
        w = window_of(r[4], r[9], r[6])
        hh = r[14]
        arrival = arrived.get(sid)
        flag_set = flags.get(sid)
        facts = StudentFacts(
            student_id=sid,
            as_of=day,
            grade=r[3],
            school_year=r[5],
            window=w.days if w else (),
            sessions_per_day=max(1, int(r[7]) + int(r[8])),
            enrolled_since=r[1] if w and w.days and r[1] > w.days[0] else None,
            marks=tuple(marks.get(sid, ())),
            birth_year=r[11].year if r[11] else None,
            break_name=w.break_name if w else "",
            break_end=w.break_end if w else None,
            repeated=sid in repeated,
            arrived_on=arrival[0] if arrival else None,
            arrival_kind=arrival[1] if arrival else "",
            sibling_dropped_out=hh is not None and bool(siblings.get(hh, set()) - {sid}),
            distance_km=float(r[13]) if r[13] is not None else None,
            boarding=r[12],
            flags=frozenset(flag_set) if flag_set else empty,
        )
        out.append(Loaded(facts, r[2], r[9], r[10]))
    return out


def ids_in(field: str, ids: Sequence[int]) -> Q:
    """`field` is one of `ids`, the list bound as one parameter (a JSON array on SQLite,
    an array on PostgreSQL): no limit on the number of ids, and none of the per-value
    work of a long `__in` list (tens of thousands of ids for an incremental update)."""
    if connection.vendor == "postgresql":
        values = RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))
    else:
        values = RawSQL("SELECT value FROM json_each(%s)", (json.dumps(list(ids)),))
    return Q(**{f"{field}__in": values})


def _households_with_dropout(households: Any, day: dt.date) -> dict[int, set[int]]:
    """household id → its children whose latest dropout/return event by `day` is a
    dropout (one query per chunk of `households`: a subquery or a list of ids)."""
    which = (
        ids_in("student__household_id", households)
        if isinstance(households, list)
        else Q(student__household_id__in=households)
    )
    rows: list[tuple[int, int, str, dt.date, int]] = list(
        EnrollmentEvent.objects.filter(
            which, kind__in=[*DROPOUT_KINDS, EventKind.RETURNED], date__lte=day
        ).values_list("student_id", "student__household_id", "kind", "date", "id")
    )
    latest: dict[int, tuple[int, str]] = {}
    for sid, hh, kind, _day, _id in sorted(rows, key=lambda e: (e[3], e[4])):
        latest[sid] = (hh, kind)
    out: dict[int, set[int]] = defaultdict(set)
    for sid, (hh, kind) in latest.items():
        if kind in DROPOUT_KINDS:
            out[hh].add(sid)
    return out


# --- lists --------------------------------------------------------------------------------


def in_force(day: dt.date | None = None) -> Q:
    """Assessments in force on `day` (None: now)."""
    if day is None:
        return Q(valid_until__isnull=True)
    return Q(date__lte=day) & (Q(valid_until__isnull=True) | Q(valid_until__gt=day))


@dataclass(frozen=True)
class ListRow:
    student_id: int
    name: str
    sort_key: Any  # bytes (PostgreSQL) or str (SQLite): compared within one database
    class_id: int
    class_name: str
    school_name: str
    level: str
    points: int
    reasons: list[dict[str, Any]]
    since: dt.date

    @property
    def rank(self) -> int:
        return RANK[self.level]


LIST_FIELDS = (
    "student_id",
    "student__family_and_middle_name",
    "student__given_name",
    "student__sort_key",
    "school_class_id",
    "school_class__name",
    "school_class__school__name",
    "level",
    "points",
    "reasons",
    "date",
)


def _rows(qs: QuerySet[RiskAssessment]) -> list[ListRow]:
    out = [
        ListRow(
            student_id=r[0],
            name=f"{r[1]} {r[2]}",
            sort_key=r[3],
            class_id=r[4],
            class_name=r[5],
            school_name=r[6],
            level=r[7],
            points=r[8],
            reasons=r[9],
            since=r[10],
        )
        for r in qs.values_list(*LIST_FIELDS)
    ]
    out.sort(key=lambda row: (-row.rank, -row.points, row.sort_key, row.student_id))
    return out


def class_list(
    class_id: int, *, day: dt.date | None = None, visible: QuerySet[Any] | None = None
) -> list[ListRow]:
    """The class's students with a level above low or a reason, highest risk first (one
    query). Students not listed are low with no reason."""
    qs = RiskAssessment.objects.filter(in_force(day), school_class_id=class_id)
    if visible is not None:
        qs = qs.filter(student_id__in=visible)
    return _rows(qs)


def unit_list(
    path: str,
    *,
    day: dt.date | None = None,
    min_level: str = "medium",
    limit: int | None = None,
    visible: QuerySet[Any] | None = None,
) -> list[ListRow]:
    """The call list of a school or commune: students at `min_level` or above, highest
    first, at most `limit` (the home visits the unit can make). One query."""
    levels = [lv for lv, rank in RANK.items() if rank >= RANK[min_level]]
    qs = RiskAssessment.objects.filter(in_force(day), unit_path__startswith=path, level__in=levels)
    if visible is not None:
        qs = qs.filter(student_id__in=visible)
    rows = _rows(qs)
    return rows[:limit] if limit is not None else rows


def student_history(student_id: int) -> list[RiskAssessment]:
    return list(
        RiskAssessment.objects.filter(student_id=student_id)
        .select_related("school_class")
        .order_by("-date")
    )


def level_counts(path: str, day: dt.date | None = None) -> dict[str, int]:
    from django.db.models import Count

    counts = {"low": 0, "medium": 0, "high": 0}
    for level, n in (
        RiskAssessment.objects.filter(in_force(day), unit_path__startswith=path)
        .values_list("level")
        .annotate(n=Count("pk"))
        .values_list("level", "n")
    ):
        counts[level] = n
    return counts
