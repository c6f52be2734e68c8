"""Reads of the enrollment lifecycle: head-count reconciliation, dropout and destination
figures with the names behind each number, transfers waiting or lost.

Every selector takes a unit path (`OrgUnit.path`; a school's unit path for one school)
and runs a fixed number of queries whatever the size of the unit; the arithmetic is in
`figures.py` (pure).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from dentruong.enrollment.codes import (
    CLOSING_KINDS,
    DROPOUT_KINDS,
    OPENING_KINDS,
    STUDYING_DESTINATIONS,
    VOCATIONAL_DESTINATIONS,
    EventKind,
    TransferStatus,
)
from dentruong.enrollment.figures import Balance, Tally, meets_target, share, tally
from dentruong.enrollment.models import Enrollment, EnrollmentEvent, Transfer
from dentruong.enrollment.periods import lost_before
from dentruong.orgs.models import SchoolClass, level_of_grade

ONE_DAY = dt.timedelta(days=1)


def default_school_year(day: dt.date) -> int:
    """The start year of the school year a day belongs to (a year runs August → July)."""
    return day.year if day.month >= 8 else day.year - 1


# --- head counts --------------------------------------------------------------------------


@dataclass
class UnitBalance:
    kind: str  # 'class' or 'school'
    id: int
    name: str
    school_id: int
    school_name: str
    balance: Balance
    students: list[StudentMismatch] = field(default_factory=list)


@dataclass(frozen=True)
class StudentMismatch:
    student_id: int
    full_name: str
    class_id: int
    problem: str  # 'enrolled_without_event' or 'left_without_event'


@dataclass
class HeadcountCheck:
    date_from: dt.date
    date_to: dt.date
    classes: list[UnitBalance]
    schools: list[UnitBalance]

    @property
    def failing(self) -> list[UnitBalance]:
        return [u for u in self.schools + self.classes if not u.balance.holds]


def _classes(unit_path: str, school_year: int | None) -> QuerySet[SchoolClass]:
    qs = SchoolClass.objects.filter(school__unit__path__startswith=unit_path)
    if school_year is not None:
        qs = qs.filter(school_year__start_year=school_year)
    return qs


def headcount_check(
    unit_path: str,
    *,
    date_from: dt.date,
    date_to: dt.date,
    school_year: int | None = None,
) -> HeadcountCheck:
    """For every class and school under `unit_path`: enrolled on the eve of `date_from` +
    events dated date_from…date_to = enrolled on `date_to` (from `Enrollment`)? Units where
    it does not hold come with the students involved. Five queries, three more when a
    unit fails."""
    classes = _classes(unit_path, school_year)
    rows = list(classes.values_list("pk", "name", "school_id", "school__name"))
    balances = {pk: Balance() for pk, *_ in rows}
    for day, attr in ((date_from - ONE_DAY, "start"), (date_to, "end")):
        counts = (
            Enrollment.objects.on(day)
            .filter(school_class__in=classes)
            .values_list("school_class_id")
            .annotate(n=Count("id"))
        )
        for class_id, n in counts:
            setattr(balances[class_id], attr, n)
    window = EnrollmentEvent.objects.filter(date__gte=date_from, date__lte=date_to)
    for class_id, kind, n in (
        window.filter(school_class__in=classes)
        .values_list("school_class_id", "kind")
        .annotate(n=Count("id"))
    ):
        if kind in OPENING_KINDS:
            balances[class_id].ins[kind] += n
        elif kind in CLOSING_KINDS:
            balances[class_id].outs[kind] += n
    for class_id, n in (
        window.filter(from_class__in=classes).values_list("from_class_id").annotate(n=Count("id"))
    ):
        balances[class_id].moved_out += n
    class_units = [
        UnitBalance("class", pk, name, school_id, school_name, balances[pk])
        for pk, name, school_id, school_name in rows
    ]
    schools: dict[int, UnitBalance] = {}
    for unit in class_units:
        school = schools.setdefault(
            unit.school_id,
            UnitBalance(
                "school",
                unit.school_id,
                unit.school_name,
                unit.school_id,
                unit.school_name,
                Balance(),
            ),
        )
        school.balance.add(unit.balance)
    failing = {u.id: u for u in class_units if not u.balance.holds}
    if failing:
        for mismatch in students_behind(list(failing), date_from=date_from, date_to=date_to):
            failing[mismatch.class_id].students.append(mismatch)
            schools[failing[mismatch.class_id].school_id].students.append(mismatch)
    return HeadcountCheck(
        date_from=date_from,
        date_to=date_to,
        classes=sorted(class_units, key=lambda u: (u.school_name, u.name, u.id)),
        schools=sorted(schools.values(), key=lambda u: (u.name, u.id)),
    )


def students_behind(
    class_ids: list[int], *, date_from: dt.date, date_to: dt.date
) -> list[StudentMismatch]:
    """The students whose enrolment in these classes on `date_to` differs from what their
    events since the eve of `date_from` say (three queries)."""
    members: dict[tuple[int, int], int] = Counter()  # (class, student) → expected presence
    actual: set[tuple[int, int]] = set()
    for class_id, student_id in (
        Enrollment.objects.on(date_from - ONE_DAY)
        .filter(school_class_id__in=class_ids)
        .values_list("school_class_id", "student_id")
    ):
        members[(class_id, student_id)] += 1
    for class_id, student_id in (
        Enrollment.objects.on(date_to)
        .filter(school_class_id__in=class_ids)
        .values_list("school_class_id", "student_id")
    ):
        actual.add((class_id, student_id))
    names: dict[int, str] = {}
    for student_id, class_id, from_id, kind, fam, given in EnrollmentEvent.objects.filter(
        Q(school_class_id__in=class_ids) | Q(from_class_id__in=class_ids),
        date__gte=date_from,
        date__lte=date_to,
    ).values_list(
        "student_id",
        "school_class_id",
        "from_class_id",
        "kind",
        "student__family_and_middle_name",
        "student__given_name",
    ):
        names[student_id] = f"{fam} {given}"
        if class_id in class_ids:
            members[(class_id, student_id)] += 1 if kind in OPENING_KINDS else -1
        if from_id in class_ids:
            members[(from_id, student_id)] -= 1
    expected = {key for key, n in members.items() if n > 0}
    odd = sorted(expected ^ actual)
    missing = [sid for _, sid in odd if sid not in names]
    if missing:
        from dentruong.people.models import Student

        for sid, fam, given in Student.objects.filter(pk__in=missing).values_list(
            "pk", "family_and_middle_name", "given_name"
        ):
            names[sid] = f"{fam} {given}"
    return [
        StudentMismatch(
            student_id=sid,
            full_name=names.get(sid, str(sid)),
            class_id=class_id,
            problem="enrolled_without_event" if (class_id, sid) in actual else "left_without_event",
        )
        for class_id, sid in odd
    ]


# --- dropouts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DropoutEntry:
    event_id: int
    student_id: int
    full_name: str
    date: dt.date
    kind: str
    level: str
    grade: int
    class_name: str
    school_name: str
    period: str
    after_tet: bool
    reason_code: str
    whereabouts: str
    reason: str


@dataclass(frozen=True)
class ReturnEntry:
    event_id: int
    student_id: int
    full_name: str
    date: dt.date
    class_name: str
    school_name: str
    eligible: bool
    note: str


@dataclass
class DropoutReport:
    on: dt.date
    school_year: int
    recorded: list[DropoutEntry]  # every dropout in the year up to `on`
    still_out: list[DropoutEntry]  # of those, not back in school since
    returned: list[ReturnEntry]  # returns after a dropout of the year, up to `on`

    @property
    def recorded_tally(self) -> Tally:
        return tally(self.recorded)

    @property
    def still_out_tally(self) -> Tally:
        return tally(self.still_out)

    @property
    def returned_eligible(self) -> list[ReturnEntry]:
        return [r for r in self.returned if r.eligible]

    @property
    def returned_not_eligible(self) -> list[ReturnEntry]:
        return [r for r in self.returned if not r.eligible]


def dropout_report(unit_path: str, *, on: dt.date, school_year: int | None = None) -> DropoutReport:
    """Dropouts (thôi học and left the locality) of the school year in the unit's schools,
    dated up to `on`, with who is still out and who came back (eligible or not to continue).
    Two queries."""
    year = school_year if school_year is not None else default_school_year(on)
    in_scope = EnrollmentEvent.objects.filter(
        school_class__school__unit__path__startswith=unit_path,
        school_class__school_year__start_year=year,
        date__lte=on,
    )
    cols = (
        "pk",
        "student_id",
        "student__family_and_middle_name",
        "student__given_name",
        "date",
        "kind",
        "school_class__grade",
        "school_class__name",
        "school_class__school__name",
        "period",
        "after_tet",
        "reason_code",
        "whereabouts",
        "reason",
    )
    rows = in_scope.filter(kind__in=DROPOUT_KINDS).order_by("date", "pk").values_list(*cols)
    recorded = [
        DropoutEntry(pk, sid, f"{fam} {given}", date, kind, level_of_grade(grade), grade, *rest)
        for pk, sid, fam, given, date, kind, grade, *rest in rows
    ]
    dropped = {r.student_id for r in recorded}
    # Returns of these students anywhere (a child may come back to another school).
    returns = (
        EnrollmentEvent.objects.filter(
            kind=EventKind.RETURNED, student_id__in=dropped, date__lte=on
        )
        .order_by("date", "pk")
        .values_list(
            "pk",
            "student_id",
            "student__family_and_middle_name",
            "student__given_name",
            "date",
            "school_class__name",
            "school_class__school__name",
            "eligible_to_continue",
            "eligibility_note",
        )
        if dropped
        else []
    )
    first_out: dict[int, dt.date] = {}
    for r in recorded:
        first_out.setdefault(r.student_id, r.date)
    returned = [
        ReturnEntry(pk, sid, f"{fam} {given}", date, cname, sname, bool(eligible), note)
        for pk, sid, fam, given, date, cname, sname, eligible, note in returns
        if date >= first_out[sid]
    ]
    last_return: dict[int, dt.date] = {}
    for back in returned:
        last_return[back.student_id] = back.date
    last_out: dict[int, DropoutEntry] = {}
    for r in recorded:
        last_out[r.student_id] = r
    still_out = [
        r
        for r in last_out.values()
        if r.student_id not in last_return or last_return[r.student_id] < r.date
    ]
    still_out.sort(key=lambda r: (r.date, r.event_id))
    return DropoutReport(
        on=on, school_year=year, recorded=recorded, still_out=still_out, returned=returned
    )


# --- destinations of lower-secondary graduates ----------------------------------------------


@dataclass(frozen=True)
class GraduateEntry:
    event_id: int
    student_id: int
    full_name: str
    school_name: str
    commune_id: int | None
    commune_name: str
    village_name: str
    destination: str  # '' when not recorded


@dataclass
class DestinationReport:
    school_year: int
    graduates: list[GraduateEntry]
    target_percent: float

    @property
    def by_destination(self) -> dict[str, int]:
        return dict(Counter(g.destination for g in self.graduates))

    @property
    def vocational(self) -> int:
        return sum(1 for g in self.graduates if g.destination in VOCATIONAL_DESTINATIONS)

    @property
    def vocational_share(self) -> float | None:
        return share(self.vocational, len(self.graduates))

    @property
    def meets_target(self) -> bool | None:
        return meets_target(self.vocational, len(self.graduates), self.target_percent)

    @property
    def not_studying(self) -> list[GraduateEntry]:
        """Graduates in no school and no vocational training (or not known): the list
        handed to the commune."""
        return [g for g in self.graduates if g.destination not in STUDYING_DESTINATIONS]

    def not_studying_by_commune(self) -> dict[tuple[int | None, str], list[GraduateEntry]]:
        out: dict[tuple[int | None, str], list[GraduateEntry]] = defaultdict(list)
        for g in self.not_studying:
            out[(g.commune_id, g.commune_name)].append(g)
        return dict(sorted(out.items(), key=lambda kv: kv[0][1]))


def destination_report(
    unit_path: str, *, school_year: int, residents: bool = True
) -> DestinationReport:
    """Lower-secondary graduates (completed grade 9) of the school year who studied in the
    unit or (with `residents`) live in it, with where they went. One query.

    A report that rolls up passes `residents=False`: a graduate who lives in one commune
    and studied in another would otherwise count in both, and twice in their sum."""
    where = Q(school_class__school__unit__path__startswith=unit_path)
    if residents:
        where |= Q(student__village__path__startswith=unit_path)
    rows = (
        EnrollmentEvent.objects.filter(
            where,
            kind=EventKind.COMPLETED,
            school_class__grade=9,
            school_class__school_year__start_year=school_year,
        )
        .order_by("student__sort_key", "pk")
        .values_list(
            "pk",
            "student_id",
            "student__family_and_middle_name",
            "student__given_name",
            "school_class__school__name",
            "student__village__parent_id",
            "student__village__parent__name",
            "student__village__name",
            "destination__destination",
        )
    )
    graduates = [
        GraduateEntry(
            pk, sid, f"{fam} {given}", school, commune_id, commune or "", village, dest or ""
        )
        for pk, sid, fam, given, school, commune_id, commune, village, dest in rows
    ]
    return DestinationReport(
        school_year=school_year,
        graduates=graduates,
        target_percent=settings.VOCATIONAL_TARGET_PERCENT,
    )


# --- transfers ----------------------------------------------------------------------------


def _transfers() -> QuerySet[Transfer]:
    return Transfer.objects.select_related(
        "student", "from_school", "to_school", "from_class", "in_event__school_class"
    )


def school_transfers(school_id: int) -> tuple[list[Transfer], list[Transfer]]:
    """(incoming, outgoing) transfers of a school still needing attention: pending ones,
    and outgoing ones the other school declined. One query."""
    rows = list(
        _transfers()
        .filter(
            Q(to_school_id=school_id, status=TransferStatus.PENDING)
            | Q(
                from_school_id=school_id,
                status__in=[TransferStatus.PENDING, TransferStatus.DECLINED],
            )
        )
        .order_by("date", "pk")
    )
    return (
        [t for t in rows if t.to_school_id == school_id],
        [t for t in rows if t.from_school_id == school_id],
    )


def lost_transfers(unit_path: str, *, today: dt.date) -> list[Transfer]:
    """Transfers not confirmed within `settings.TRANSFER_CONFIRM_DAYS` days, from or to a
    school of the unit: students lost between schools. One query."""
    return list(
        _transfers()
        .filter(
            Q(from_school__unit__path__startswith=unit_path)
            | Q(to_school__unit__path__startswith=unit_path),
            status=TransferStatus.PENDING,
            date__lt=lost_before(today, settings.TRANSFER_CONFIRM_DAYS),
        )
        .order_by("date", "pk")
    )
