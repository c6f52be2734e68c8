"""Read-side queries of attendance for any unit of the tree (a province, a commune, a
school): rates, roll-call completeness, and the lists of students to follow up.

Scope: a unit's path (`OrgUnit.path`); everything whose school's unit path starts with it.
The caller has already checked that the user may see the unit (`get_unit_for_user`); the
lists are further limited to the students the user may see (`students_for_user`).

School days: every decision goes through `CalendarSpec` (`orgs/calendar.py`): the
calendars of the scope are loaded once (2 queries) and each school gets the nearest one on
its path, as `calendar_for_class` does; a class's spec adds its weekdays.

Query counts are fixed (tests pin them): they do not grow with the number of classes,
schools or students; only the lists, past MAX_ID_PARAMS students listed (never in a
commune), take one more query per MAX_ID_PARAMS. Rates read `ClassDaySummary`
(session-based) and aggregate `Absence` per student in the database (student-based); they
never walk raw marks in Python. Measured costs: bench/attendance.py.

Definitions (exact; see also `rates.py`):

- **Session-based rate** = Σ present ÷ Σ enrolled over the roll calls taken in the range on
  school days (late counts as present; P ÷ due and K ÷ due apart). A roll call on a day that
  is not a school day for its class (a break declared afterwards) is left out.
- **Class-sessions due** = for each class of the scope: school days in [from, min(to,
  today)] × sessions the class holds. **Missing** = due − taken: neither present nor absent.
- **Student-based rate** = students with at most N absences ÷ students. Students: those
  with an enrolment in a class of the scope (level/grade filters applied) overlapping
  [from, min(to, today)]; a student who changed class within the scope counts once in the
  total and once in each group they were in. Absences: that student's P + K marks (any
  class) dated in the range on a day that is a school day for at least one calendar of the
  scope; the K-only variant counts K marks alone.
- **Sĩ số** (headcount) = students enrolled in the scope's classes on min(to, today).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Aggregate, Count, Prefetch, Q, QuerySet, Sum

from dentruong.attendance.models import (
    Absence,
    AbsenceCode,
    AbsenceTally,
    ClassDaySummary,
    ClassTermSummary,
)
from dentruong.attendance.rates import (
    ABSENCE_LIMIT,
    Coverage,
    Period,
    SessionKey,
    SessionRate,
    StudentRate,
    longest_run,
    not_back,
    school_year_of,
    session_key,
    sessions_left,
    student_sequence,
)
from dentruong.attendance.tallies import whole_terms
from dentruong.enrollment.models import Enrollment
from dentruong.orgs.calendar import CalendarSpec, spec_from
from dentruong.orgs.models import (
    LEVEL_GRADES,
    CalendarBreak,
    OrgUnit,
    School,
    SchoolClass,
    Session,
    YearCalendar,
)
from dentruong.people.models import Student

GROUPS = ("commune", "school", "class")
KINDS = ("consecutive", "after_break", "near_limit")
BREAK_MIN_DAYS = 5  # "Tết or any break of 5+ days"
PK = (AbsenceCode.EXCUSED.value, AbsenceCode.UNEXCUSED.value)
ONE_DAY = dt.timedelta(days=1)


# --- The classes of a scope and their calendars ------------------------------------------


@dataclass(frozen=True)
class ClassInfo:
    id: int
    name: str
    grade: int
    school_id: int
    school_name: str
    school_path: str
    commune_id: int
    commune_name: str
    school_year_id: int
    weekdays: int
    sessions: tuple[str, ...]
    teacher_id: int | None = None
    teacher_name: str = ""


@dataclass
class Calendars:
    """The calendars of a subtree, resolved per school as `calendar_for_class` does (the
    nearest unit on the school's path that has one for the class's school year)."""

    by_unit: dict[tuple[int, str], YearCalendar]  # (school year id, unit path)
    _specs: dict[tuple[int, int], CalendarSpec] = field(default_factory=dict)
    _days: dict[tuple[int, int, dt.date, dt.date], list[dt.date]] = field(default_factory=dict)
    _found: dict[tuple[int, str], YearCalendar | None] = field(default_factory=dict)
    _keys: dict[tuple[int, str, int], tuple[int, int] | None] = field(default_factory=dict)

    def calendar(self, school_year_id: int, school_path: str) -> YearCalendar | None:
        key = (school_year_id, school_path)
        if key in self._found:
            return self._found[key]
        found = None
        parts = school_path.rstrip("/").split("/")
        for i in range(len(parts), 0, -1):
            found = self.by_unit.get((school_year_id, "/".join(parts[:i]) + "/"))
            if found is not None:
                break
        self._found[key] = found
        return found

    def spec(self, school_year_id: int, school_path: str, weekdays: int) -> CalendarSpec | None:
        calendar = self.calendar(school_year_id, school_path)
        if calendar is None:
            return None
        key = (calendar.pk, weekdays)
        if key not in self._specs:
            self._specs[key] = spec_from(calendar, weekdays)
        return self._specs[key]

    def spec_key(self, info: ClassInfo) -> tuple[int, int] | None:
        place = (info.school_year_id, info.school_path, info.weekdays)
        if place not in self._keys:
            calendar = self.calendar(info.school_year_id, info.school_path)
            self._keys[place] = None if calendar is None else (calendar.pk, info.weekdays)
        return self._keys[place]

    def school_days(self, info: ClassInfo, start: dt.date, end: dt.date) -> list[dt.date]:
        key = self.spec_key(info)
        if key is None or start > end:
            return []
        cache = (*key, start, end)
        if cache not in self._days:
            spec = self.spec(info.school_year_id, info.school_path, info.weekdays)
            assert spec is not None
            self._days[cache] = spec.school_days(start, end)
        return self._days[cache]


def grades_for(level: str | None, grade: int | None) -> list[int] | None:
    """The grades a level/grade filter keeps (None: no filter)."""
    if level is None and grade is None:
        return None
    grades = set(LEVEL_GRADES[level]) if level is not None else set(range(0, 13))
    if grade is not None:
        grades &= {grade}
    return sorted(grades)


def years_between(start: dt.date, end: dt.date) -> list[int]:
    return list(range(school_year_of(start), school_year_of(end) + 1))


def scope_classes(
    path: str,
    years: Iterable[int],
    *,
    grades: list[int] | None = None,
    with_teacher: bool = False,
) -> list[ClassInfo]:
    """The classes of the scope's schools in those school years (one query)."""
    qs = SchoolClass.objects.filter(
        school__unit__path__startswith=path, school_year__start_year__in=list(years)
    )
    if grades is not None:
        qs = qs.filter(grade__in=grades)
    fields = [
        "id",
        "name",
        "grade",
        "school_id",
        "school__name",
        "school__unit__path",
        "school__commune_id",
        "school__commune__name",
        "school_year_id",
        "weekdays",
        "has_morning",
        "has_afternoon",
    ]
    if with_teacher:
        fields += [
            "homeroom_teacher_id",
            "homeroom_teacher__full_name",
            "homeroom_teacher__username",
        ]
    am, pm = Session.MORNING.value, Session.AFTERNOON.value
    session_sets = {
        (m, a): tuple(s for s, on in ((am, m), (pm, a)) if on) for m in (0, 1) for a in (0, 1)
    }
    out = []
    for row in qs.order_by("school__name", "school_id", "grade", "name").values_list(*fields):
        sessions = session_sets[bool(row[10]), bool(row[11])]
        out.append(
            ClassInfo(
                id=row[0],
                name=row[1],
                grade=row[2],
                school_id=row[3],
                school_name=row[4],
                school_path=row[5],
                commune_id=row[6],
                commune_name=row[7],
                school_year_id=row[8],
                weekdays=row[9],
                sessions=sessions,
                teacher_id=row[12] if with_teacher else None,
                teacher_name=(row[13] or row[14] or "") if with_teacher else "",
            )
        )
    return out


def scope_calendars(path: str, school_year_ids: Iterable[int]) -> Calendars:
    """Every calendar of those school years in the scope's province (two queries: the
    calendars and their breaks). Calendars hang on the province, a commune or a school;
    a class of another province (a transfer) finds none and has no school days here."""
    root = path.split("/")[0] + "/" if path else ""
    calendars = (
        YearCalendar.objects.filter(
            school_year_id__in=set(school_year_ids), unit__path__startswith=root
        )
        .select_related("unit")
        .prefetch_related(Prefetch("breaks", queryset=CalendarBreak.objects.order_by("start")))
    )
    return Calendars({(c.school_year_id, c.unit.path): c for c in calendars})


def _adapt(day: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(day)


# --- School-day conditions in SQL ---------------------------------------------------------


@dataclass
class _SpecGroup:
    calendar_id: int
    weekdays: int
    days: list[dt.date]
    schools: set[int] = field(default_factory=set)


def _dates_q(days: Sequence[dt.date], date_field: str) -> Q:
    """`date_field` is one of `days` (sorted): their range minus the days in between
    (weekends, breaks), so that the range can use an index."""
    wanted = set(days)
    off = []
    day = days[0]
    while day <= days[-1]:
        if day not in wanted:
            off.append(day)
        day += ONE_DAY
    q = Q(**{f"{date_field}__range": (days[0], days[-1])})
    if off:
        q &= ~Q(**{f"{date_field}__in": off})
    return q


def _spec_groups(
    classes: Sequence[ClassInfo], calendars: Calendars, start: dt.date, end: dt.date
) -> list[_SpecGroup]:
    groups: dict[tuple[int, int], _SpecGroup] = {}
    for info in classes:
        key = calendars.spec_key(info)
        if key is None:
            continue
        if key not in groups:
            groups[key] = _SpecGroup(*key, calendars.school_days(info, start, end))
        groups[key].schools.add(info.school_id)
    return [g for g in groups.values() if g.days]


def school_day_q(
    groups: Sequence[_SpecGroup], *, date: str, school: str, weekdays: str
) -> Q | None:
    """Rows dated on a school day of their class's calendar: one branch per (calendar,
    weekdays) of the scope; the school and weekday tests only when the scope has several.
    None when no day qualifies."""
    if not groups:
        return None
    several_calendars = len({g.calendar_id for g in groups}) > 1
    several_masks = len({g.weekdays for g in groups}) > 1
    q = Q(pk__in=[])
    for g in groups:
        branch = _dates_q(g.days, date)
        if several_calendars:
            branch &= Q(**{f"{school}__in": sorted(g.schools)})
        if several_masks:
            branch &= Q(**{weekdays: g.weekdays})
        q |= branch
    return q


def any_school_day_q(groups: Sequence[_SpecGroup], *, date: str) -> Q | None:
    """Dated on a day that is a school day for at least one calendar of the scope."""
    days = sorted({d for g in groups for d in g.days})
    return _dates_q(days, date) if days else None


# --- Rates --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRate:
    kind: str  # "unit", "commune", "school" or "class"
    id: int
    name: str
    classes: int
    coverage: Coverage
    sessions: SessionRate
    students: StudentRate | None  # None when not asked for
    headcount: int  # sĩ số on `until`


@dataclass(frozen=True)
class RateReport:
    date_from: dt.date
    date_to: dt.date
    until: dt.date  # min(date_to, today): nothing later is due
    school_days: int  # distinct school days of the scope's calendars in [date_from, until]
    total: GroupRate
    groups: list[GroupRate]
    classes: list[ClassInfo]  # the scope's classes the rates count


def attendance_rates(
    unit: OrgUnit,
    *,
    date_from: dt.date,
    date_to: dt.date,
    today: dt.date,
    group_by: str | None = None,
    level: str | None = None,
    grade: int | None = None,
    max_absences: int = 3,
    students: bool = True,
) -> RateReport:
    """Rates of a unit over a date range, optionally per commune, school or class.

    Five queries whatever the size of the unit: classes, calendars (2), the summaries
    grouped per school or class, and one statement for the students (student-based rate
    and head count, groups and total together; with `students=False`, a lighter one for
    the head count alone). A range of whole terms reads the term summaries and tallies
    (`tallies.py`); any other range, the day summaries and every absence in it, which
    at a province's scale costs seconds (bench/attendance.py)."""
    until = min(date_to, today)
    grades = grades_for(level, grade)
    classes = scope_classes(unit.path, years_between(date_from, date_to), grades=grades)
    calendars = scope_calendars(unit.path, {c.school_year_id for c in classes})
    groups = _spec_groups(classes, calendars, date_from, until)

    def key_of(info: ClassInfo) -> tuple[int, str]:
        if group_by == "commune":
            return info.commune_id, info.commune_name
        if group_by == "school":
            return info.school_id, info.school_name
        if group_by == "class":
            return info.id, f"{info.name} · {info.school_name}"
        return TOTAL, unit.name

    names: dict[int, str] = {}
    n_classes: dict[int, int] = defaultdict(int)
    due: dict[int, int] = defaultdict(int)
    group_of_school: dict[int, int] = {}
    for info in classes:
        key, name = key_of(info)
        names[key] = name
        n_classes[key] += 1
        due[key] += len(calendars.school_days(info, date_from, until)) * len(info.sessions)
        group_of_school[info.school_id] = key

    places = {(c.school_year_id, c.school_path) for c in classes}
    used = {cal.pk: cal for cal in (calendars.calendar(*p) for p in places) if cal is not None}
    terms = whole_terms(list(used.values()), date_from, date_to, today=today)
    taken: dict[int, list[dict[str, int]]] = defaultdict(list)
    by = "school_class_id" if group_by == "class" else "school_id"
    summaries: QuerySet[Any] | None = None
    roll_calls: Aggregate = Sum("roll_calls")
    if terms:  # whole terms: one row per class and term, not one per roll call
        pairs = Q()
        for year, term in sorted(terms):
            pairs |= Q(school_year_id=year, term=term)
        summaries = ClassTermSummary.objects.filter(pairs, school_id__in=sorted(group_of_school))
    else:
        where = school_day_q(
            groups, date="date", school="school_id", weekdays="school_class__weekdays"
        )
        if where is not None:
            summaries = ClassDaySummary.objects.filter(
                where, school_id__in=sorted(group_of_school), date__range=(date_from, until)
            )
            roll_calls = Count("pk")
    if summaries is not None:
        if grades is not None:
            summaries = summaries.filter(school_class__grade__in=grades)
        for row in (
            summaries.values(by)
            .annotate(
                n=roll_calls,
                enrolled=Sum("enrolled"),
                present=Sum("present"),
                late=Sum("late"),
                excused=Sum("excused"),
                unexcused=Sum("unexcused"),
            )
            .order_by()
        ):
            key = row[by] if group_by == "class" else group_of_school[row[by]]
            taken[key].append(row)

    if students:
        people = _student_counts(
            classes,
            group_by=group_by,
            date_from=date_from,
            until=until,
            absences_q=None if terms else any_school_day_q(groups, date="date"),
            max_absences=max_absences,
            terms=terms,
        )
    else:
        people = _headcounts(classes, group_by=group_by, on=until)

    def rate(
        kind: str,
        key: int,
        name: str,
        rows: list[dict[str, int]],
        n: int,
        d: int,
        counts: StudentCounts,
    ) -> GroupRate:
        sessions = _session_rate(rows)
        return GroupRate(
            kind=kind,
            id=key,
            name=name,
            classes=n,
            coverage=Coverage(sessions_due=d, roll_calls=sessions.roll_calls),
            sessions=sessions,
            students=StudentRate(max_absences, *counts[:3]) if students else None,
            headcount=counts[3],
        )

    nothing: StudentCounts = (0, 0, 0, 0)
    out = []
    if group_by is not None:
        out = [
            rate(
                group_by,
                key,
                names[key],
                taken[key],
                n_classes[key],
                due[key],
                people.get(key, nothing),
            )
            for key in names
        ]
    total = rate(
        "unit",
        unit.pk,
        unit.name,
        [row for rows in taken.values() for row in rows],
        len(classes),
        sum(due.values()),
        people.get(TOTAL, nothing),
    )
    school_days = len({d for g in groups for d in g.days})
    return RateReport(date_from, date_to, until, school_days, total, out, classes)


def _session_rate(rows: list[dict[str, int]]) -> SessionRate:
    return SessionRate(
        roll_calls=sum(r["n"] for r in rows),
        due=sum(r["enrolled"] or 0 for r in rows),
        present=sum(r["present"] or 0 for r in rows),
        late=sum(r["late"] or 0 for r in rows),
        excused=sum(r["excused"] or 0 for r in rows),
        unexcused=sum(r["unexcused"] or 0 for r in rows),
    )


TOTAL = -1  # the key of the unit's own student counts when grouped

StudentCounts = tuple[int, int, int, int]  # students, within N, within N (K), headcount

# Above this many classes in the scope, each student's absences are aggregated by scanning
# the range's absences once; below, by looking each student up in (student, date). Both
# give the same counts: this only picks the cheaper access path for the database.
SCAN_ABSENCES_ABOVE_CLASSES = 400


def _student_counts(
    classes: Sequence[ClassInfo],
    *,
    group_by: str | None,
    date_from: dt.date,
    until: dt.date,
    absences_q: Q | None,
    max_absences: int,
    terms: set[tuple[int, int]] | None = None,
) -> dict[int, StudentCounts]:
    """Per group key (and the whole scope under TOTAL; ungrouped: under TOTAL only):
    students enrolled in the scope's classes at some time in [date_from, until], those
    with at most N absences (P + K, then K alone) in the range, and the head count on
    `until`. When the range is made of whole `terms` ((school year id, term) pairs,
    `tallies.whole_terms`), the absences are read from the students' tallies instead of
    one by one (`_from_tallies`).

    Otherwise one statement aggregates each student once (their groups, their absences)
    and counts per group in the database: nothing per student comes back, except for the
    few who changed group in the range ("movers": a transfer to another school or
    commune). Each of those comes back as one row, is placed in each of their groups by a
    second, small statement, and counts once in the total."""
    if not classes or date_from > until:
        return {}
    enrolled = _Enrolled(classes, group_by=group_by, date_from=date_from, until=until)
    params: list[Any] = []
    if terms:
        sql = _from_tallies(enrolled, terms, max_absences, params)
    else:
        per_student = enrolled.per_student(params)
        params += [*PK, _adapt(date_from), _adapt(until)]
        if absences_q is None:
            absence_where = "AND 1 = 0"
        else:
            where_sql, where_params = _where_sql(Absence.objects.filter(absences_q), "a")
            absence_where = f"AND {where_sql}"
            params += where_params
        if len(classes) <= SCAN_ABSENCES_ABOVE_CLASSES:
            absence_where += " AND a.student_id IN (SELECT student_id FROM enrolled)"
        params += [max_absences, max_absences]
        sql = f"""
            WITH enrolled AS ({per_student}),
            marks AS (
                SELECT a.student_id AS student_id, COUNT(*) AS total,
                    SUM(CASE WHEN a.code = 'K' THEN 1 ELSE 0 END) AS unexcused
                FROM {connection.ops.quote_name(Absence._meta.db_table)} a
                WHERE a.code IN (%s, %s) AND a.date >= %s AND a.date <= %s {absence_where}
                GROUP BY a.student_id
            )
            {_PER_STUDENT}"""
    # PostgreSQL's JIT compiling these statements costs more than it saves, from a commune
    # (~30 ms of ~40) to the province (~350 ms of ~1,300; EXPLAIN ANALYZE on the
    # 700,000-student demo).
    jit_off = connection.vendor == "postgresql"
    with transaction.atomic() if jit_off else nullcontext(), connection.cursor() as cursor:
        if jit_off:
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    total = out[TOTAL]
    movers: dict[int, tuple[int, int]] = {}
    for group, mover, *counts in rows:
        _add(total, counts)  # every student once (ungrouped, their group is TOTAL)
        if mover is not None:
            movers[int(mover)] = (int(counts[1]), int(counts[2]))
        elif group_by is not None:
            _add(out[int(group)], counts)
    for student_id, group, here in enrolled.groups_of(movers):
        _add(out[group], (1, *movers[student_id], here))
    return {key: (c[0], c[1], c[2], c[3]) for key, c in out.items() if c[0]}


# Rows (group, mover, students, within N, within N (K), here) from one row per student
# (`enrolled`: student_id, g, g2, here) and their absences (`marks`: total, unexcused).
_PER_STUDENT = """
    SELECT CASE WHEN e.g = e.g2 THEN e.g END,
        CASE WHEN e.g <> e.g2 THEN e.student_id END,
        COUNT(*),
        SUM(CASE WHEN COALESCE(m.total, 0) <= %s THEN 1 ELSE 0 END),
        SUM(CASE WHEN COALESCE(m.unexcused, 0) <= %s THEN 1 ELSE 0 END),
        SUM(e.here)
    FROM enrolled e LEFT JOIN marks m ON m.student_id = e.student_id
    GROUP BY 1, 2"""


def _from_tallies(
    enrolled: _Enrolled, terms: set[tuple[int, int]], max_absences: int, params: list[Any]
) -> str:
    """The student counts of whole `terms` as one statement giving the rows of
    `_PER_STUDENT`, without joining 700,000 enrolments to their tallies.

    Most students are settled: one enrolment of the scope covers the whole range, so
    all their absences in it were recorded by that class, in that class's tallies
    (`AbsenceTally`; the roll call refuses a student not enrolled, and a correction of
    enrolments dated back marks the rows it makes stray). Those are counted per group
    twice over, and never joined: their enrolments (students, all within N, all here),
    then their tallies above N (taken off "within"). The others (enrolled for part of
    the range, moved, or with a stray row) are few and go one by one as elsewhere."""
    qn = connection.ops.quote_name
    tally = qn(AbsenceTally._meta.db_table)
    pairs = " OR ".join(["(t.school_year_id = %s AND t.term = %s)"] * len(terms))
    pair_params = [value for pair in sorted(terms) for value in pair]
    many = len(terms) > 1
    group = enrolled.group_col
    group_by = "" if group == str(TOTAL) else f"GROUP BY {group}"
    partial = f"""
        {enrolled.partial(params)}
        UNION
        SELECT t.student_id FROM {tally} t WHERE t.stray = %s AND ({pairs})"""
    params += [True, *pair_params]
    per_student = enrolled.per_student(params, only="(SELECT student_id FROM partial)")
    params += pair_params
    marks = f"""
        SELECT t.student_id AS student_id, SUM(t.excused + t.unexcused) AS total,
            SUM(t.unexcused) AS unexcused
        FROM {tally} t
        WHERE ({pairs}) AND t.student_id IN (SELECT student_id FROM partial)
        GROUP BY t.student_id"""
    params += [max_absences, max_absences]
    # Counted per class first (an index's order, few rows), then per group.
    in_scope = enrolled.class_ids(params)
    per_class = f"""
        SELECT e.school_class_id AS class_id, COUNT(*) AS n
        FROM {qn(Enrollment._meta.db_table)} e
        WHERE e.school_class_id IN ({in_scope}) AND {enrolled.spanning(params)}
          AND e.student_id NOT IN (SELECT student_id FROM partial)
        GROUP BY e.school_class_id"""
    settled = f"""
        SELECT {group}, NULL, SUM(x.n), SUM(x.n), SUM(x.n), SUM(x.n)
        FROM ({per_class}) x {enrolled.classes_join("x.class_id", params)}
        {group_by}"""
    # A student's absences in the range: one tally row (one term) or the sum of a class's
    # rows (several terms of one class: a settled student stays in one class).
    total, unexcused = (
        ("SUM(t.excused + t.unexcused)", "SUM(t.unexcused)")
        if many
        else ("t.excused + t.unexcused", "t.unexcused")
    )
    params += [max_absences, max_absences]
    # Only rows above N count (P + K above N includes K above N): most stay out.
    above = "GROUP BY t.student_id, t.school_class_id HAVING" if many else "AND"
    rows = f"""
        SELECT t.school_class_id, {total} AS total, {unexcused} AS unexcused
        FROM {tally} t
        WHERE ({pairs}) AND t.school_class_id IN ({enrolled.class_ids(params, pair_params)})
          AND t.student_id NOT IN (SELECT student_id FROM partial)
        {above} {total} > %s"""
    params.append(max_absences)
    over_per_class = f"""
        SELECT r.school_class_id AS class_id,
            SUM(CASE WHEN r.total > %s THEN 1 ELSE 0 END) AS total,
            SUM(CASE WHEN r.unexcused > %s THEN 1 ELSE 0 END) AS unexcused
        FROM ({rows}) r
        GROUP BY r.school_class_id"""
    over = f"""
        SELECT {group}, NULL, 0, -SUM(x.total), -SUM(x.unexcused), 0
        FROM ({over_per_class}) x {enrolled.classes_join("x.class_id", params)}
        {group_by}"""
    sql = f"""
        WITH partial AS ({partial}),
        enrolled AS ({per_student}),
        marks AS ({marks})
        {_PER_STUDENT}
        UNION ALL {settled}
        UNION ALL {over}"""
    return sql


def _add(into: list[int], counts: Sequence[Any]) -> None:
    for i, value in enumerate(counts):
        into[i] += int(value or 0)


class _Enrolled:
    """The students of a scope's classes enrolled at some time in [date_from, until], as
    SQL: one row per student (`per_student`), or per student and group for some
    students (`groups_of`), or pieces of SQL to build others with (`rows`, `spanning`,
    `classes_join`). Each piece appends its parameters to the list it is given."""

    def __init__(
        self,
        classes: Sequence[ClassInfo],
        *,
        group_by: str | None,
        date_from: dt.date,
        until: dt.date,
    ) -> None:
        self.group_col = {"commune": "s.commune_id", "school": "c.school_id", "class": "c.id"}.get(
            group_by or "", str(TOTAL)
        )
        self.group_by = group_by
        self.date_from, self.until = _adapt(date_from), _adapt(until)
        self.school_ids = sorted({c.school_id for c in classes})
        self.year_ids = sorted({c.school_year_id for c in classes})
        self.grades = sorted({c.grade for c in classes})

    def classes_join(self, class_id: str, params: list[Any]) -> str:
        """JOIN the scope's class (c) of `class_id` (and its school, s, when grouped by
        commune), up to an open WHERE to add conditions to with AND."""
        qn = connection.ops.quote_name
        school_join = (
            f"JOIN {qn(School._meta.db_table)} s ON s.id = c.school_id"
            if self.group_by == "commune"
            else ""
        )
        return f"""JOIN {qn(SchoolClass._meta.db_table)} c ON c.id = {class_id}
            {school_join}
            WHERE {self._scope(params)}"""

    def _scope(self, params: list[Any]) -> str:
        """The class (c) is one of the scope's."""
        return " AND ".join(
            [
                _in_list("c.school_id", self.school_ids, params),
                _in_list("c.school_year_id", self.year_ids, params),
                _in_list("c.grade", self.grades, params),
            ]
        )

    def class_ids(self, params: list[Any], before: Sequence[Any] = ()) -> str:
        """SELECT the ids of the scope's classes (after `before`'s parameters)."""
        params += before
        table = connection.ops.quote_name(SchoolClass._meta.db_table)
        return f"SELECT c.id FROM {table} c WHERE {self._scope(params)}"

    def rows(self, params: list[Any]) -> str:
        """FROM the enrolments (e) of the scope's classes in the range, and their class."""
        join = self.classes_join("e.school_class_id", params)
        params += [self.until, self.date_from]
        return f"""
            FROM {connection.ops.quote_name(Enrollment._meta.db_table)} e {join}
              AND e.start_date <= %s AND (e.end_date IS NULL OR e.end_date > %s)"""

    def partial(self, params: list[Any]) -> str:
        """SELECT the students of the scope's classes with an enrolment in the range that
        does not cover it (it begins or ends inside: the dates' indexes find them)."""
        table = connection.ops.quote_name(Enrollment._meta.db_table)
        params += [self.date_from, self.until, self.date_from, self.until]
        in_scope = self.class_ids(params)
        return f"""
            SELECT e.student_id AS student_id FROM {table} e
            WHERE ((e.start_date > %s AND e.start_date <= %s)
                OR (e.end_date > %s AND e.end_date <= %s))
              AND +e.school_class_id IN ({in_scope})"""  # + : not by class (SQLite)

    def spanning(self, params: list[Any]) -> str:
        """The enrolment (e) covers the whole range."""
        params += [self.date_from, self.until]
        return "e.start_date <= %s AND (e.end_date IS NULL OR e.end_date > %s)"

    def _body(self, params: list[Any]) -> str:
        params += [self.until, self.until]
        here = """
            MAX(CASE WHEN e.start_date <= %s AND (e.end_date IS NULL OR e.end_date > %s)
                     THEN 1 ELSE 0 END) AS here"""
        return here + self.rows(params)

    def per_student(self, params: list[Any], *, only: str | None = None) -> str:
        """student_id, g and g2 (the smallest and largest group: equal unless the student
        changed group), here (enrolled on `until`); of the students in `only` (SQL)."""
        body = self._body(params)
        restrict = f"AND e.student_id IN {only}" if only else ""
        return f"""
            SELECT e.student_id AS student_id, MIN({self.group_col}) AS g,
                MAX({self.group_col}) AS g2, {body} {restrict}
            GROUP BY e.student_id"""

    def groups_of(self, students: Iterable[int]) -> Iterator[tuple[int, int, int]]:
        """(student id, group, here in that group) for each group of each of `students`."""
        for chunk in _chunks(students):
            params: list[Any] = []
            body = self._body(params)
            only = _in_list("e.student_id", chunk, params)
            sql = f"""
                SELECT e.student_id, {self.group_col}, {body} AND {only}
                GROUP BY e.student_id, {self.group_col}"""
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                for student_id, group, here in cursor.fetchall():
                    yield int(student_id), int(group), int(here)


def _headcounts(
    classes: Sequence[ClassInfo], *, group_by: str | None, on: dt.date
) -> dict[int, StudentCounts]:
    """Sĩ số on `on` per group key and under TOTAL, as StudentCounts with only the head
    count filled (a student is in one class at a time: no double counting)."""
    if not classes:
        return {}
    field = {
        "commune": "school_class__school__commune_id",
        "school": "school_class__school_id",
        "class": "school_class_id",
    }.get(group_by or "")
    qs = Enrollment.objects.on(on).filter(
        school_class__school_id__in=sorted({c.school_id for c in classes}),
        school_class__school_year_id__in=sorted({c.school_year_id for c in classes}),
        school_class__grade__in=sorted({c.grade for c in classes}),
    )
    if field is None:
        return {TOTAL: (0, 0, 0, qs.count())}
    out = {
        row[field]: (0, 0, 0, row["n"])
        for row in qs.values(field).annotate(n=Count("pk")).order_by()
    }
    out[TOTAL] = (0, 0, 0, sum(v[3] for v in out.values()))
    return out


def _in_list(column: str, values: Sequence[int], params: list[Any]) -> str:
    params.extend(values)
    return f"{column} IN ({', '.join(['%s'] * len(values))})"


def _where_sql(qs: QuerySet[Any], alias: str) -> tuple[str, list[Any]]:
    """The WHERE clause Django compiles for `qs` (conditions on its own table only), its
    table name replaced by `alias`."""
    query = qs.query
    compiler = query.get_compiler(connection=connection)
    sql, params = query.where.as_sql(compiler, connection)
    table = connection.ops.quote_name(qs.model._meta.db_table)
    return sql.replace(f"{table}.", f"{alias}."), list(params)


# --- Completeness: who has not taken the roll -----------------------------------------------


@dataclass(frozen=True)
class ClassGaps:
    """What a class owes for one day: the asked session, the day, the week up to the day."""

    info: ClassInfo
    session_due: bool
    session_missing: bool
    today_due: tuple[str, ...]
    today_missing: tuple[str, ...]
    week_due: int
    week_missing: tuple[tuple[dt.date, str], ...]

    @property
    def owes(self) -> bool:
        return bool(self.week_missing)


@dataclass(frozen=True)
class Completeness:
    day: dt.date
    session: str
    week_start: dt.date
    classes: list[ClassGaps]  # every class of the scope with a session due this week
    no_calendar: list[int]  # schools whose classes have no calendar for the year


def roll_call_completeness(path: str, *, day: dt.date, session: str) -> Completeness:
    """Roll calls owed in the scope on `day` (for `session`, for the whole day, and for
    the week from Monday to `day`), with each class's homeroom teacher.

    Four queries: classes with their school, commune and teacher; calendars (2); the roll
    calls of the week (one row per roll call: at most classes × 12)."""
    week_start = day - dt.timedelta(days=day.weekday())
    classes = scope_classes(path, [school_year_of(day)], with_teacher=True)
    calendars = scope_calendars(path, {c.school_year_id for c in classes})
    taken: set[tuple[int, dt.date, str]] = set()
    if classes:
        taken = set(
            ClassDaySummary.objects.filter(
                school_id__in=sorted({c.school_id for c in classes}),
                date__range=(week_start, day),
            ).values_list("school_class_id", "date", "session")
        )
    out: list[ClassGaps] = []
    no_calendar: set[int] = set()
    for info in classes:
        if calendars.spec_key(info) is None:
            no_calendar.add(info.school_id)
            continue
        days = calendars.school_days(info, week_start, day)
        if not days:
            continue
        today = info.sessions if days[-1] == day else ()
        week = [(d, s) for d in days for s in info.sessions]
        out.append(
            ClassGaps(
                info=info,
                session_due=session in today,
                session_missing=session in today and (info.id, day, session) not in taken,
                today_due=tuple(today),
                today_missing=tuple(s for s in today if (info.id, day, s) not in taken),
                week_due=len(week),
                week_missing=tuple((d, s) for d, s in week if (info.id, d, s) not in taken),
            )
        )
    return Completeness(day, session, week_start, out, sorted(no_calendar))


# --- Lists of students to follow up ---------------------------------------------------------


@dataclass(frozen=True)
class StudentRef:
    id: int
    full_name: str
    sort_key: str
    class_id: int | None = None
    class_name: str = ""
    school_id: int | None = None
    school_name: str = ""


@dataclass(frozen=True)
class ListItem:
    student: StudentRef
    # consecutive: the longest run of K; after_break: every session since the break
    sessions: int = 0
    first: tuple[dt.date, str] | None = None
    last: tuple[dt.date, str] | None = None
    ongoing: bool = False
    excused: int = 0
    unexcused: int = 0
    absences: int = 0  # near_limit: P + K in the school year
    left: int = 0  # near_limit: absences still allowed before the limit
    break_name: str = ""
    break_end: dt.date | None = None


@dataclass(frozen=True)
class _Enrolment:
    student_id: int
    info: ClassInfo
    start: dt.date
    end: dt.date | None


_ENROLMENT_FIELDS = (
    "student_id",
    "start_date",
    "end_date",
    "school_class_id",
    "school_class__name",
    "school_class__grade",
    "school_class__school_id",
    "school_class__school__name",
    "school_class__school__unit__path",
    "school_class__school__commune_id",
    "school_class__school_year_id",
    "school_class__weekdays",
    "school_class__has_morning",
    "school_class__has_afternoon",
)


def _enrolments(qs: QuerySet[Enrollment], students: Iterable[int]) -> dict[int, list[_Enrolment]]:
    """The enrolments of `qs` of these students, by student, in time order."""
    out: dict[int, list[_Enrolment]] = defaultdict(list)
    rows = [
        row
        for chunk in _chunks(students)
        for row in qs.filter(student_id__in=chunk)
        .order_by("student_id", "start_date")
        .values_list(*_ENROLMENT_FIELDS)
    ]
    for row in rows:
        sessions = tuple(
            s
            for s, on in ((Session.MORNING.value, row[12]), (Session.AFTERNOON.value, row[13]))
            if on
        )
        info = ClassInfo(
            id=row[3],
            name=row[4],
            grade=row[5],
            school_id=row[6],
            school_name=row[7],
            school_path=row[8],
            commune_id=row[9],
            commune_name="",
            school_year_id=row[10],
            weekdays=row[11],
            sessions=sessions,
        )
        out[row[0]].append(_Enrolment(row[0], info, row[1], row[2]))
    return out


def _taken_by_class(
    start: dt.date,
    end: dt.date,
    infos: dict[int, ClassInfo],
    calendars: Calendars,
) -> dict[int, list[SessionKey]]:
    """Roll calls taken per class of `infos` in [start, end], on the class's school days,
    sorted."""
    taken: dict[int, list[SessionKey]] = defaultdict(list)
    rows = [
        row
        for chunk in _chunks(infos)
        for row in ClassDaySummary.objects.filter(
            school_class_id__in=chunk, date__range=(start, end)
        ).values_list("school_class_id", "date", "session")
    ]
    specs: dict[int, CalendarSpec | None] = {}
    for class_id, day, session in rows:
        if class_id not in specs:
            info = infos.get(class_id)
            specs[class_id] = (
                None
                if info is None
                else calendars.spec(info.school_year_id, info.school_path, info.weekdays)
            )
        spec = specs[class_id]
        if spec is not None and spec.is_school_day(day):
            taken[class_id].append(session_key(day, session))
    for keys in taken.values():
        keys.sort()
    return taken


# Ids travel as lists of parameters, at most this many per query (SQLite allows 32,766
# parameters, PostgreSQL 65,535): a commune's lists take one query; a province's larger
# lists take one more query per MAX_ID_PARAMS ids (never a subquery of a subquery, which
# planners get badly wrong at that size).
MAX_ID_PARAMS = 5000


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for at in range(0, len(ordered), MAX_ID_PARAMS):
        yield ordered[at : at + MAX_ID_PARAMS]


def _in(field: str, ids: list[int], subquery: QuerySet[Any]) -> Q:
    """`field` among `ids`: as a list when short, else as `subquery` (one level deep)."""
    return Q(**{f"{field}__in": ids if len(ids) <= MAX_ID_PARAMS else subquery})


def _student_refs(visible: QuerySet[Student], ids: Iterable[int]) -> dict[int, StudentRef]:
    """The students among `ids` that the user may see (one query per MAX_ID_PARAMS ids)."""
    out = {}
    for chunk in _chunks(ids):
        for pk, family, given, key in visible.filter(pk__in=chunk).values_list(
            "pk", "family_and_middle_name", "given_name", "sort_key"
        ):
            out[pk] = StudentRef(pk, f"{family} {given}".strip(), key)
    return out


def _with_class(ref: StudentRef, enrolment: _Enrolment | None) -> StudentRef:
    if enrolment is None:
        return ref
    info = enrolment.info
    return StudentRef(
        ref.id, ref.full_name, ref.sort_key, info.id, info.name, info.school_id, info.school_name
    )


def _current(enrolments: Sequence[_Enrolment], day: dt.date) -> _Enrolment | None:
    """The enrolment in force on `day`, else the latest that started by then."""
    started = [e for e in enrolments if e.start <= day]
    for e in reversed(started):
        if e.end is None or e.end > day:
            return e
    return started[-1] if started else None


def _periods(
    enrolments: Sequence[_Enrolment], taken: dict[int, list[SessionKey]], after: dt.date | None
) -> list[Period]:
    periods = []
    for e in enrolments:
        start = e.start if after is None else max(e.start, after + ONE_DAY)
        if e.end is not None and e.end <= start:
            continue
        periods.append(Period(e.info.id, start, e.end, taken.get(e.info.id, [])))
    return periods


def _from_key(key: SessionKey) -> tuple[dt.date, str]:
    return key[0], (Session.MORNING.value, Session.AFTERNOON.value)[key[1]]


def consecutive_unexcused(
    path: str,
    *,
    visible: QuerySet[Student],
    date_from: dt.date,
    date_to: dt.date,
    n: int = 3,
) -> list[ListItem]:
    """Students with `n` or more consecutive unexcused absences (K) in [date_from,
    date_to], counted in the sessions they were due: their class's roll calls taken on
    school days while they were enrolled in it, across weekends, breaks and class changes.
    A session whose roll call was not taken neither counts nor breaks a run; P, T or
    present does. Each student appears once, with their longest run (the latest among
    equals), `ongoing` when it reaches their last session in the window.

    Candidates are the students with at least `n` K marks in classes of the scope. Eight
    queries whatever the number of classes (and of candidates up to MAX_ID_PARAMS)."""
    scope = SchoolClass.objects.filter(
        school__unit__path__startswith=path,
        school_year__start_year__in=years_between(date_from, date_to),
    ).values("pk")
    class_ids = [row["pk"] for row in scope]
    if not class_ids:
        return []
    k_marks = Absence.objects.filter(
        _in("roll_call__school_class_id", class_ids, scope),
        code=AbsenceCode.UNEXCUSED,
        roll_call__date__range=(date_from, date_to),
    )
    candidates = k_marks.values("student_id").annotate(k=Count("pk")).filter(k__gte=n)
    refs = _student_refs(visible, [row["student_id"] for row in candidates])
    if not refs:
        return []
    periods = Enrollment.objects.filter(start_date__lte=date_to).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=date_from)
    )
    enrolments = _enrolments(periods, refs)
    infos = {e.info.id: e.info for es in enrolments.values() for e in es}
    calendars = scope_calendars(path, {i.school_year_id for i in infos.values()})
    taken = _taken_by_class(date_from, date_to, infos, calendars)
    marks: dict[int, list[tuple[int, SessionKey]]] = defaultdict(list)
    for chunk in _chunks(refs):
        for student_id, class_id, day, session in Absence.objects.filter(
            student_id__in=chunk, code=AbsenceCode.UNEXCUSED, date__range=(date_from, date_to)
        ).values_list("student_id", "roll_call__school_class_id", "date", "roll_call__session"):
            marks[student_id].append((class_id, session_key(day, session)))
    items = []
    for student_id, ref in refs.items():
        mine = enrolments.get(student_id, [])
        total, found = student_sequence(_periods(mine, taken, None), marks.get(student_id, []))
        best = longest_run([p for p, _ in found])
        if best is None or best.length < n:
            continue
        keys = dict(found)
        items.append(
            ListItem(
                student=_with_class(ref, _current(mine, date_to)),
                sessions=best.length,
                first=_from_key(keys[best.start]),
                last=_from_key(keys[best.end]),
                ongoing=best.end == total - 1,
                unexcused=len(found),
            )
        )
    items.sort(key=lambda i: (-i.sessions, i.student.sort_key, i.student.id))
    return items


def _last_long_break(calendar: YearCalendar, day: dt.date) -> CalendarBreak | None:
    """The latest break of BREAK_MIN_DAYS or more calendar days that ended before `day`."""
    found = None
    for b in calendar.breaks.all():
        if b.end < day and (b.end - b.start).days + 1 >= BREAK_MIN_DAYS:
            found = b
    return found


def not_back_after_break(
    path: str, *, visible: QuerySet[Student], day: dt.date, n: int = 3
) -> list[ListItem]:
    """Students enrolled on `day` in a class of the scope who have not come back since the
    last break of 5+ days (Tết, or any other) of their class's calendar: absent (P or K)
    at every session they were due since it ended — roll calls taken on school days, at
    least one — once `n` school days have passed since it ended (`day` included).

    Seven queries whatever the number of classes (and of absent students up to
    MAX_ID_PARAMS)."""
    classes = scope_classes(path, [school_year_of(day)])
    calendars = scope_calendars(path, {c.school_year_id for c in classes})
    breaks: dict[int, CalendarBreak] = {}  # class id → its break, if n days have passed
    for info in classes:
        calendar = calendars.calendar(info.school_year_id, info.school_path)
        last = None if calendar is None else _last_long_break(calendar, day)
        if last is not None and len(calendars.school_days(info, last.end + ONE_DAY, day)) >= n:
            breaks[info.id] = last
    if not breaks:
        return []
    since = min(b.end for b in breaks.values())
    eligible = [c.id for c in classes if c.id in breaks]
    enrolled_now = Enrollment.objects.on(day).filter(
        _in(
            "school_class_id",
            eligible,
            SchoolClass.objects.filter(
                school__unit__path__startswith=path, school_year__start_year=school_year_of(day)
            ).values("pk"),
        )
    )
    absent = Absence.objects.filter(
        code__in=PK,
        date__gt=since,
        date__lte=day,
        student_id__in=enrolled_now.values("student_id"),
    )
    marks: dict[int, list[tuple[int, SessionKey, str]]] = defaultdict(list)
    for student_id, class_id, mark_day, session, code in absent.values_list(
        "student_id", "roll_call__school_class_id", "date", "roll_call__session", "code"
    ):
        marks[student_id].append((class_id, session_key(mark_day, session), code))
    if not marks:
        return []
    refs = _student_refs(visible, marks)
    periods = Enrollment.objects.filter(start_date__lte=day).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=since)
    )
    enrolments = _enrolments(periods, refs)
    infos = {e.info.id: e.info for es in enrolments.values() for e in es}
    taken = _taken_by_class(since + ONE_DAY, day, infos, calendars)
    items = []
    for student_id, ref in refs.items():
        mine = enrolments.get(student_id, [])
        now = _current(mine, day)
        if now is None or now.info.id not in breaks:
            continue
        brk = breaks[now.info.id]
        mine_marks = [(c, k, code) for c, k, code in marks[student_id] if k[0] > brk.end]
        total, found = student_sequence(
            _periods(mine, taken, brk.end), [(c, k) for c, k, _ in mine_marks]
        )
        if not not_back(total, [p for p, _ in found]):
            continue
        code_of = {k: code for _, k, code in mine_marks}
        k_count = sum(1 for _, k in found if code_of[k] == AbsenceCode.UNEXCUSED)
        keys = [k for _, k in found]
        items.append(
            ListItem(
                student=_with_class(ref, now),
                sessions=total,
                first=_from_key(keys[0]),
                last=_from_key(keys[-1]),
                ongoing=True,
                excused=len(found) - k_count,
                unexcused=k_count,
                break_name=brk.name,
                break_end=brk.end,
            )
        )
    items.sort(key=lambda i: (i.student.school_name, i.student.class_name, i.student.sort_key))
    return items


def near_absence_limit(
    path: str,
    *,
    visible: QuerySet[Student],
    day: dt.date,
    threshold: int,
    limit: int | None = None,
) -> tuple[list[ListItem], int]:
    """Students enrolled on `day` in a class of the scope whose absences (P + K, any class)
    in the school year up to `day`, on days that are school days for the scope's
    calendars, number `threshold` or more; with what is left before the 45 limit. Most
    absences first; the first `limit` items, and how many there are in all.

    Six queries whatever the number of classes (and of students over the threshold up
    to MAX_ID_PARAMS)."""
    year = school_year_of(day)
    classes = scope_classes(path, [year])
    calendars = scope_calendars(path, {c.school_year_id for c in classes})
    year_ids = {c.school_year_id for c in classes}
    starts = [c.term1_start for c in calendars.by_unit.values() if c.school_year_id in year_ids]
    if not classes or not starts:
        return [], 0
    where = any_school_day_q(_spec_groups(classes, calendars, min(starts), day), date="date")
    if where is None:
        return [], 0
    enrolled_now = Enrollment.objects.on(day).filter(
        _in(
            "school_class_id",
            [c.id for c in classes],
            SchoolClass.objects.filter(
                school__unit__path__startswith=path, school_year__start_year=year
            ).values("pk"),
        )
    )
    over = (
        Absence.objects.filter(
            where,
            code__in=PK,
            date__lte=day,
            student_id__in=enrolled_now.values("student_id"),
        )
        .values("student_id")
        .annotate(total=Count("pk"), k=Count("pk", filter=Q(code=AbsenceCode.UNEXCUSED)))
        .filter(total__gte=threshold)
        .order_by("-total", "student_id")
    )
    found = [(row["student_id"], row["total"], row["k"]) for row in over]
    refs = _student_refs(visible, [c[0] for c in found])  # checked on these ids only
    counts = [c for c in found if c[0] in refs]
    shown = counts if limit is None else counts[:limit]
    enrolments = _enrolments(enrolled_now, [c[0] for c in shown])
    items = []
    for student_id, total, k in shown:
        mine = enrolments.get(student_id, [])
        items.append(
            ListItem(
                student=_with_class(refs[student_id], mine[-1] if mine else None),
                absences=total,
                excused=total - k,
                unexcused=k,
                left=sessions_left(total, ABSENCE_LIMIT),
            )
        )
    items.sort(key=lambda i: (-i.absences, i.student.sort_key, i.student.id))
    return items, len(counts)
