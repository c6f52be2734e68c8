"""Reads of mobilization: the people the matcher compares, the mobilization report of a
unit (targets, enrolments, resident children, the official rates of `rates.py`), the
names behind each of its numbers, and the out-of-school list.

Each selector takes a unit path (`OrgUnit.path`) and a school year (its start year), and
runs a fixed number of queries whatever the size of the unit.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Subquery, Sum

from dentruong.enrollment.codes import DROPOUT_KINDS, EventKind
from dentruong.enrollment.models import Enrollment, EnrollmentEvent
from dentruong.mobilization import rates
from dentruong.mobilization.matching import Person
from dentruong.mobilization.models import GradeTarget, MatchCandidate, MatchStatus
from dentruong.orgs.models import OrgUnit, UnitKind, YearCalendar
from dentruong.people.models import ResidentChild, SchoolingStatus, SensitiveFacts, Student

GRADES = range(1, 13)
DEFAULT_OPENING = (9, 5)  # 5 September, when no calendar says otherwise


def ancestor_paths(path: str) -> list[str]:
    parts = path.rstrip("/").split("/")
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _in_force(day: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}start_date__lte": day}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gt": day})
    )


# --- matching inputs ----------------------------------------------------------------------


def _unlinked(unit_path: str) -> QuerySet[ResidentChild]:
    return ResidentChild.objects.filter(village__path__startswith=unit_path, student__isnull=True)


def match_inputs(unit_path: str) -> tuple[list[Person], list[Person], set[tuple[int, int]]]:
    """(register entries of the unit not linked yet, student records of the unit — living
    or studying in it — that no register entry points to, pairs already in the review
    queue). Three queries."""
    children = [
        Person(pk, fam, given, year, born, gender, village, nid or None, commune or 0)
        for pk, fam, given, year, born, gender, village, nid, commune in _unlinked(
            unit_path
        ).values_list(
            "pk",
            "family_and_middle_name",
            "given_name",
            "birth_year",
            "birth_date",
            "gender",
            "village_id",
            "national_id",
            "village__parent_id",
        )
    ]
    linked = ResidentChild.objects.filter(student_id=OuterRef("pk"))
    students = [
        Person(pk, fam, given, born.year if born else 0, born, gender, village, nid, commune or 0)
        for pk, fam, given, born, gender, village, nid, commune in Student.objects.filter(
            Q(village__path__startswith=unit_path) | Q(school__unit__path__startswith=unit_path)
        )
        .filter(~Exists(linked))
        .values_list(
            "pk",
            "family_and_middle_name",
            "given_name",
            "birth_date",
            "gender",
            "village_id",
            "national_id",
            "village__parent_id",
        )
    ]
    known = set(
        MatchCandidate.objects.filter(child__village__path__startswith=unit_path).values_list(
            "child_id", "student_id"
        )
    )
    return children, students, known


# --- the mobilization report ---------------------------------------------------------------


@dataclass
class GradeRow:
    grade: int
    target: int | None = None  # None: no target set for this grade
    enrolled: int = 0  # students in classes of the grade on the report's day
    residents: int = 0  # resident children of the grade's age (by birth year)
    residents_enrolled: int = 0  # of those, in school (any grade)
    at_start: int = 0  # enrolled on the first day of the school year
    dropouts: int = 0
    repeaters: int = 0

    @property
    def level(self) -> str | None:
        return rates.level_of_grade(self.grade)

    @property
    def target_reached(self) -> float | None:
        return None if self.target is None else rates.percent(self.enrolled, self.target)

    @property
    def to_mobilize(self) -> int | None:
        """Students still to mobilise to reach the target (0 once reached)."""
        return None if self.target is None else max(0, self.target - self.enrolled)

    @property
    def residents_out(self) -> int:
        return self.residents - self.residents_enrolled

    @property
    def dropout_rate(self) -> float | None:
        return rates.dropout_rate(self.dropouts, self.at_start)

    @property
    def repetition_rate(self) -> float | None:
        return rates.repetition_rate(self.repeaters, self.at_start)


@dataclass
class LevelRow:
    level: str
    band: rates.AgeBand
    target: int | None = None
    enrolled: int = 0
    at_start: int = 0
    dropouts: int = 0
    repeaters: int = 0
    completers: int = 0
    intake: int = 0  # first grade of the cohort, at the start of its first year
    transfers_out: int = 0  # along the cohort's path
    transfers_in: int = 0

    @property
    def target_reached(self) -> float | None:
        return None if self.target is None else rates.percent(self.enrolled, self.target)

    @property
    def dropout_rate(self) -> float | None:
        return rates.dropout_rate(self.dropouts, self.at_start)

    @property
    def repetition_rate(self) -> float | None:
        return rates.repetition_rate(self.repeaters, self.at_start)

    @property
    def gross(self) -> float | None:
        return rates.gross_enrolment_rate(self.enrolled, self.band.population)

    @property
    def completion(self) -> float | None:
        return rates.completion_rate(self.completers, self.intake)

    @property
    def completion_adjusted(self) -> float | None:
        return rates.completion_rate_adjusted(
            self.completers, self.intake, self.transfers_out, self.transfers_in
        )


@dataclass
class MobilizationReport:
    unit_path: str
    school_year: int
    on: dt.date
    opening: dt.date
    grades: list[GradeRow]
    levels: list[LevelRow]
    population: rates.Population
    cohort_start: dict[str, int] = field(default_factory=dict)

    @property
    def target(self) -> int | None:
        set_ = [g.target for g in self.grades if g.target is not None]
        return sum(set_) if set_ else None

    @property
    def enrolled(self) -> int:
        return sum(g.enrolled for g in self.grades)


def openings(unit_path: str, years: list[int]) -> dict[int, dt.date]:
    """First day of each school year for the unit: the earliest term 1 start among the
    calendars on its path or below it; 5 September without one. One query."""
    found = dict(
        YearCalendar.objects.filter(school_year__start_year__in=years)
        .filter(Q(unit__path__in=ancestor_paths(unit_path)) | Q(unit__path__startswith=unit_path))
        .values_list("school_year__start_year")
        .annotate(first=Min("term1_start"))
    )
    return {y: found.get(y) or dt.date(y, *DEFAULT_OPENING) for y in years}


def mobilization_report(unit_path: str, *, school_year: int, on: dt.date) -> MobilizationReport:
    """Targets, enrolments and resident children of the unit per grade and level, with the
    official rates (`rates.py`). Nine queries."""
    y = school_year
    years = list(range(y - max(rates.COHORT_SPAN.values()), y + 1))
    opening = openings(unit_path, years)
    in_unit = Q(school_class__school__unit__path__startswith=unit_path)
    grades = {g: GradeRow(g) for g in GRADES}

    for grade, total in (
        GradeTarget.objects.filter(
            school__unit__path__startswith=unit_path, school_year__start_year=y
        )
        .values_list("grade")
        .annotate(total=Sum("target"))
    ):
        if grade in grades:
            grades[grade].target = total
    for grade, n in (
        Enrollment.objects.filter(_in_force(on), in_unit, school_class__school_year__start_year=y)
        .values_list("school_class__grade")
        .annotate(n=Count("id"))
    ):
        if grade in grades:
            grades[grade].enrolled = n

    # Enrolled at the start of year y, and the intake of each cohort completing in y.
    starts = Q(_in_force(opening[y]), school_class__school_year__start_year=y)
    cohort_year = {level: y - span for level, span in rates.COHORT_SPAN.items()}
    for level, first_year in cohort_year.items():
        first_grade = rates.LEVEL_GRADES[level][0]
        starts |= Q(
            _in_force(opening[first_year]),
            school_class__school_year__start_year=first_year,
            school_class__grade=first_grade,
        )
    at_start: Counter[tuple[int, int]] = Counter()
    for year, grade, n in (
        Enrollment.objects.filter(in_unit)
        .filter(starts)
        .values_list("school_class__school_year__start_year", "school_class__grade")
        .annotate(n=Count("id"))
    ):
        at_start[(year, grade)] = n

    # Events: dropouts and completions of year y; transfers along the cohorts' paths.
    events: Counter[tuple[str, int, int]] = Counter()
    for kind, year, grade, n in (
        EnrollmentEvent.objects.filter(
            in_unit,
            kind__in=[*DROPOUT_KINDS, EventKind.COMPLETED, *TRANSFER_KINDS],
            school_class__school_year__start_year__in=years,
        )
        .values_list("kind", "school_class__school_year__start_year", "school_class__grade")
        .annotate(n=Count("student_id", distinct=True))
    ):
        events[(kind, year, grade)] = n
    for grade, n in (
        EnrollmentEvent.objects.filter(
            from_class__school__unit__path__startswith=unit_path,
            kind=EventKind.REPEATED,
            from_class__school_year__start_year=y,
        )
        .values_list("from_class__grade")
        .annotate(n=Count("student_id", distinct=True))
    ):
        if grade in grades:
            grades[grade].repeaters = n

    for g, row in grades.items():
        row.at_start = at_start[(y, g)]
        row.dropouts = sum(events[(k, y, g)] for k in DROPOUT_KINDS)

    # Resident children of school age, and the grade those in school attend.
    lo_year, hi_year = y - rates.SCHOOL_AGES[1], y - rates.SCHOOL_AGES[0]
    where = residents_in(unit_path)
    totals = _resident_totals(where, lo_year, hi_year)
    enrolled_rows = _enrolled_residents(where, lo_year, hi_year, year=y, on=on)
    rows: list[tuple[int, int | None, bool, int]] = []
    enrolled_of: Counter[tuple[int, bool]] = Counter()
    for birth_year, schooling, grade, n in enrolled_rows:
        moved = schooling == SchoolingStatus.MOVED_AWAY
        rows.append((birth_year, grade, moved, n))
        enrolled_of[(birth_year, moved)] += n
    for (birth_year, moved), n in totals.items():
        rows.append((birth_year, None, moved, n - enrolled_of[(birth_year, moved)]))
    population = rates.population(y, rows)
    for g, row in grades.items():
        age = g + 5
        row.residents = population.by_age[age]
        row.residents_enrolled = population.enrolled_by_age[age]

    levels = []
    for level in rates.LEVELS:
        lo, hi = rates.LEVEL_GRADES[level]
        members = [grades[g] for g in range(lo, hi + 1)]
        targets = [g.target for g in members if g.target is not None]
        first_year = cohort_year[level]
        path = rates.cohort_path(level, y)
        levels.append(
            LevelRow(
                level=level,
                band=population.bands[level],
                target=sum(targets) if targets else None,
                enrolled=sum(g.enrolled for g in members),
                at_start=sum(g.at_start for g in members),
                dropouts=sum(g.dropouts for g in members),
                repeaters=sum(g.repeaters for g in members),
                completers=events[(EventKind.COMPLETED, y, hi)],
                intake=at_start[(first_year, lo)],
                transfers_out=sum(events[(EventKind.TRANSFERRED_OUT, yr, g)] for yr, g in path),
                transfers_in=sum(events[(EventKind.TRANSFERRED_IN, yr, g)] for yr, g in path),
            )
        )
    shown = [row for row in grades.values() if _shown(row)]
    return MobilizationReport(
        unit_path=unit_path,
        school_year=y,
        on=on,
        opening=opening[y],
        grades=shown,
        levels=levels,
        population=population,
        cohort_start=cohort_year,
    )


TRANSFER_KINDS = (EventKind.TRANSFERRED_OUT, EventKind.TRANSFERRED_IN)


def _shown(row: GradeRow) -> bool:
    return bool(row.target is not None or row.enrolled or row.at_start or row.residents)


def residents_in(unit_path: str) -> Q:
    """The register's children of a unit. At commune level and above, by the communes'
    ids (the register's (commune, birth_year) index, no join to villages: 1.6 s → 0.3 s for
    a province's million children on SQLite); below a commune, by the village's path.
    One query."""
    communes = list(
        OrgUnit.objects.filter(kind=UnitKind.COMMUNE, path__startswith=unit_path).values_list(
            "pk", flat=True
        )
    )
    if communes:
        return Q(commune_id__in=communes)
    return Q(village__path__startswith=unit_path)


def _enrolled_residents(
    where: Q, lo_year: int, hi_year: int, *, year: int, on: dt.date
) -> list[tuple[int, str, int, int]]:
    """(birth year, schooling, grade, n) of the register's children enrolled on `on` in a
    class of school year `year`. The register's rows join the enrolments on the student
    id itself (the ORM's path would join the students' table between the two, a lookup
    per child: 2.7 s → 1.6 s for a province on SQLite)."""
    residents = (
        ResidentChild.objects.filter(where, birth_year__range=(lo_year, hi_year))
        .filter(student__isnull=False)
        .values("student_id", "birth_year", "schooling")
    )
    enrolments = (
        Enrollment.objects.filter(_in_force(on), school_class__school_year__start_year=year)
        .annotate(grade=F("school_class__grade"))
        .values("student_id", "grade")
    )
    r_sql, r_params = residents.query.sql_with_params()
    e_sql, e_params = enrolments.query.sql_with_params()
    sql = f"""
        SELECT r.birth_year, r.schooling, e.grade, COUNT(*)
        FROM ({r_sql}) r JOIN ({e_sql}) e ON e.student_id = r.student_id
        GROUP BY r.birth_year, r.schooling, e.grade
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, (*r_params, *e_params))
        return [(int(a), str(b), int(c), int(d)) for a, b, c, d in cursor.fetchall()]


def _resident_totals(where: Q, lo_year: int, hi_year: int) -> Counter[tuple[int, bool]]:
    totals: Counter[tuple[int, bool]] = Counter()
    for birth_year, schooling, n in (
        ResidentChild.objects.filter(where, birth_year__range=(lo_year, hi_year))
        .values_list("birth_year", "schooling")
        .annotate(n=Count("id"))
    ):
        totals[(birth_year, schooling == SchoolingStatus.MOVED_AWAY)] += n
    return totals


# --- the names behind each number ----------------------------------------------------------

STUDENT_MEASURES = ("enrolled", "at_start", "dropouts", "repeaters", "completers", "intake")
CHILD_MEASURES = ("residents", "residents_enrolled", "residents_out", "six_in_grade_1")
MEASURES = STUDENT_MEASURES + CHILD_MEASURES


@dataclass(frozen=True)
class NameRow:
    kind: str  # 'student' or 'child'
    id: int
    full_name: str
    birth_year: int | None
    village_name: str
    class_name: str = ""
    school_name: str = ""
    date: dt.date | None = None
    student_id: int | None = None


def _grades_of(grade: int | None, level: str | None) -> list[int]:
    if grade is not None:
        return [grade]
    if level is not None:
        lo, hi = rates.LEVEL_GRADES[level]
        return list(range(lo, hi + 1))
    return list(GRADES)


def names_behind(
    unit_path: str,
    *,
    school_year: int,
    on: dt.date,
    measure: str,
    grade: int | None = None,
    level: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> tuple[int, list[NameRow]]:
    """(how many, one page of them) behind one number of `mobilization_report`: `measure`
    is one of MEASURES, for a grade, a level, or every grade. Two or three queries."""
    y = school_year
    grades = _grades_of(grade, level)
    in_unit = Q(school_class__school__unit__path__startswith=unit_path)
    if measure in STUDENT_MEASURES:
        qs: QuerySet[Any]
        date_field = "start_date"
        if measure in ("enrolled", "at_start", "intake"):
            if measure == "intake":
                lv = level or rates.level_of_grade(grades[0]) or rates.PRIMARY
                y = y - rates.COHORT_SPAN[lv]
                grades = [rates.LEVEL_GRADES[lv][0]]
            day = on if measure == "enrolled" else openings(unit_path, [y])[y]
            qs = Enrollment.objects.filter(
                _in_force(day),
                in_unit,
                school_class__school_year__start_year=y,
                school_class__grade__in=grades,
            )
        else:
            kinds = {
                "dropouts": list(DROPOUT_KINDS),
                "repeaters": [EventKind.REPEATED],
                "completers": [EventKind.COMPLETED],
            }[measure]
            date_field = "date"
            if measure == "repeaters":
                qs = EnrollmentEvent.objects.filter(
                    from_class__school__unit__path__startswith=unit_path,
                    from_class__school_year__start_year=y,
                    from_class__grade__in=grades,
                    kind__in=kinds,
                )
            else:
                qs = EnrollmentEvent.objects.filter(
                    in_unit,
                    school_class__school_year__start_year=y,
                    school_class__grade__in=grades,
                    kind__in=kinds,
                )
        total = qs.count()
        rows = qs.order_by("student__sort_key", "pk").values_list(
            "student_id",
            "student__family_and_middle_name",
            "student__given_name",
            "student__birth_date",
            "student__village__name",
            "school_class__name",
            "school_class__school__name",
            date_field,
        )[offset : offset + limit]
        return total, [
            NameRow(
                "student",
                sid,
                f"{fam} {given}",
                born.year if born else None,
                village,
                cname,
                sname,
                day,
                sid,
            )
            for sid, fam, given, born, village, cname, sname, day in rows
        ]
    if measure not in CHILD_MEASURES:
        raise ValueError(measure)
    if measure == "six_in_grade_1":
        grades = [1]
    years = [y - g - 5 for g in grades]
    children = ResidentChild.objects.filter(
        village__path__startswith=unit_path, birth_year__in=years
    )
    enrolled = Enrollment.objects.filter(
        _in_force(on), student_id=OuterRef("student_id"), school_class__school_year__start_year=y
    )
    if measure == "residents_enrolled":
        children = children.filter(Exists(enrolled))
    elif measure == "residents_out":
        children = children.filter(~Exists(enrolled))
    elif measure == "six_in_grade_1":
        children = children.filter(Exists(enrolled.filter(school_class__grade=1)))
    total = children.count()
    crow = children.order_by("sort_key", "pk").values_list(
        "pk", "family_and_middle_name", "given_name", "birth_year", "village__name", "student_id"
    )[offset : offset + limit]
    return total, [
        NameRow("child", pk, f"{fam} {given}", born, village, student_id=sid)
        for pk, fam, given, born, village, sid in crow
    ]


# --- the out-of-school list ---------------------------------------------------------------


@dataclass
class OutOfSchool:
    """One child of school age out of school: from the register (no current enrolment)
    or from the student records (dropped out or left, not back)."""

    source: str  # 'register' or 'records'
    child_id: int | None
    student_id: int | None
    full_name: str
    birth_year: int | None
    village_name: str
    address: str
    schooling: str  # the register's status ('' for a student not in the register)
    last_class: str = ""
    last_school: str = ""
    last_year: int | None = None
    left_on: dt.date | None = None
    left_kind: str = ""
    family_situation: str | None = None  # None: not shown to this user
    sort_key: str = ""

    @property
    def status_label(self) -> str:
        try:
            if self.schooling:
                return str(SchoolingStatus(self.schooling).label)
            return str(EventKind(self.left_kind).label)
        except ValueError:
            return self.schooling or self.left_kind


def _last_classes(student_ids: QuerySet[Any]) -> dict[int, tuple[str, str, int, dt.date | None]]:
    """The last class each student attended: (class, school, school year, left on)."""
    out: dict[int, tuple[str, str, int, dt.date | None]] = {}
    for sid, cname, sname, year, end in (
        Enrollment.objects.filter(student_id__in=student_ids)
        .order_by("student_id", "start_date", "pk")
        .values_list(
            "student_id",
            "school_class__name",
            "school_class__school__name",
            "school_class__school_year__start_year",
            "end_date",
        )
    ):
        out[sid] = (cname, sname, year, end)
    return out


def out_of_school(
    unit_path: str, *, school_year: int, sensitive: bool, include_moved: bool = False
) -> list[OutOfSchool]:
    """Children of school age (6–17 by birth year) in the unit's register with no current
    enrolment, and students of the unit (living or studying in it) whose last change was
    a dropout or a departure from the locality and who are not back — the list the
    homeroom teachers must know (seeds/000: họ tên, năm sinh, địa chỉ, lớp đang học, gia
    cảnh). Children the register marks as moved away are left out unless `include_moved`.
    `sensitive`: whether the family situation is shown (`access.sees_family_situation`).
    Four queries, five with the family situation."""
    lo_year, hi_year = school_year - rates.SCHOOL_AGES[1], school_year - rates.SCHOOL_AGES[0]
    open_enrolment = Enrollment.objects.filter(student_id=OuterRef("student_id"), end_date=None)
    children = ResidentChild.objects.filter(
        village__path__startswith=unit_path, birth_year__range=(lo_year, hi_year)
    ).filter(~Exists(open_enrolment))
    if not include_moved:
        children = children.exclude(schooling=SchoolingStatus.MOVED_AWAY)
    last_event = EnrollmentEvent.objects.filter(student_id=OuterRef("pk")).order_by("-date", "-pk")
    students = (
        Student.objects.filter(
            Q(village__path__startswith=unit_path) | Q(school__unit__path__startswith=unit_path)
        )
        .filter(~Exists(Enrollment.objects.filter(student_id=OuterRef("pk"), end_date=None)))
        .annotate(last_kind=Subquery(last_event.values("kind")[:1]))
        .filter(last_kind__in=list(DROPOUT_KINDS))
        .annotate(
            last_date=Subquery(last_event.values("date")[:1]),
            register_id=Subquery(
                ResidentChild.objects.filter(student_id=OuterRef("pk")).values("pk")[:1]
            ),
        )
    )
    out: list[OutOfSchool] = []
    seen: set[int] = set()
    for pk, fam, given, year, village, address, schooling, notes, sid, key in children.values_list(
        "pk",
        "family_and_middle_name",
        "given_name",
        "birth_year",
        "village__name",
        "household__address",
        "schooling",
        "notes",
        "student_id",
        "sort_key",
    ):
        out.append(
            OutOfSchool(
                "register",
                pk,
                sid,
                f"{fam} {given}",
                year,
                village,
                address or "",
                schooling,
                family_situation=notes if sensitive else None,
                sort_key=key,
            )
        )
        if sid:
            seen.add(sid)
    for sid, fam, given, born, village, address, kind, left, key in students.values_list(
        "pk",
        "family_and_middle_name",
        "given_name",
        "birth_date",
        "village__name",
        "household__address",
        "last_kind",
        "last_date",
        "sort_key",
    ):
        if sid in seen:
            continue
        seen.add(sid)
        out.append(
            OutOfSchool(
                "records",
                None,
                sid,
                f"{fam} {given}",
                born.year if born else None,
                village,
                address or "",
                "",
                left_on=left,
                left_kind=kind,
                family_situation="" if sensitive else None,
                sort_key=key,
            )
        )
    ids = [o.student_id for o in out if o.student_id]
    if ids:
        id_q = Student.objects.filter(pk__in=ids).values("pk")
        last = _last_classes(id_q)
        dropped = dict(
            EnrollmentEvent.objects.filter(student_id__in=id_q, kind__in=list(DROPOUT_KINDS))
            .order_by("student_id", "date", "pk")
            .values_list("student_id", "kind")
        )
        facts: dict[int, tuple[str, str]] = {}
        if sensitive:
            facts = {
                sid: (poverty, disability)
                for sid, poverty, disability in SensitiveFacts.objects.filter(
                    student_id__in=id_q
                ).values_list("student_id", "poverty", "disability")
            }
        for o in out:
            if o.student_id is None:
                continue
            if o.student_id in last:
                o.last_class, o.last_school, o.last_year, end = last[o.student_id]
                o.left_on = o.left_on or end
            o.left_kind = o.left_kind or dropped.get(o.student_id, "")
            if sensitive and o.student_id in facts:
                o.family_situation = family_situation(
                    o.family_situation or "", *facts[o.student_id]
                )
    out.sort(key=lambda o: (o.sort_key, o.child_id or 0, o.student_id or 0))
    return out


def family_situation(notes: str, poverty: str, disability: str) -> str:
    from dentruong.people.models import Poverty

    parts = [notes] if notes else []
    if poverty and poverty != Poverty.NONE:
        parts.append(str(Poverty(poverty).label))
    if disability:
        parts.append(disability)
    return "; ".join(parts)


def pending_matches(unit_path: str) -> QuerySet[MatchCandidate]:
    return (
        MatchCandidate.objects.filter(
            child__village__path__startswith=unit_path, status=MatchStatus.PENDING
        )
        .select_related("child__village", "student__village", "student__school")
        .order_by("-score", "child__sort_key", "pk")
    )
