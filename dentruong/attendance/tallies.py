"""What whole-term reports read: per-student, per-class, per-term absence tallies
(`models.AbsenceTally`) and per-class term summaries (`models.ClassTermSummary`).

The roll call services add each roll call's change to them in its transaction (`additions`
and `term_addition`, sent with the roll call's other rows; `bump` and `correct_term` for
a correction); bulk loads and a change of a calendar recount them from the absences and
the day summaries (`rebuild`); a correction of enrolments dated back marks the tallies it
makes stray (`mark_stray`) and recounts the term summaries of its classes
(`recount_terms`). `whole_terms` says when a date range is made of whole terms, so that the
student-based rate may read the tallies instead of every absence (selectors).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from django.db import connection, transaction
from django.db.models import QuerySet

from dentruong.attendance.models import (
    Absence,
    AbsenceCode,
    AbsenceTally,
    ClassDaySummary,
    ClassTermSummary,
    RollCall,
)
from dentruong.enrollment.models import Enrollment
from dentruong.lib.db import Statement, execute_together
from dentruong.orgs.calendar import spec_from
from dentruong.orgs.models import SchoolClass, YearCalendar

CODES = (AbsenceCode.EXCUSED, AbsenceCode.UNEXCUSED, AbsenceCode.LATE)


class TermDates(Protocol):
    school_year_id: int
    term1_start: dt.date
    term1_end: dt.date
    term2_start: dt.date
    term2_end: dt.date


def _terms(calendar: TermDates) -> tuple[tuple[int, dt.date, dt.date], ...]:
    return (
        (1, calendar.term1_start, calendar.term1_end),
        (2, calendar.term2_start, calendar.term2_end),
    )


def whole_terms(
    calendars: Iterable[TermDates], date_from: dt.date, date_to: dt.date, today: dt.date
) -> set[tuple[int, int]] | None:
    """The (school year id, term) pairs whose absences are exactly the absences dated in
    [date_from, date_to] under every one of `calendars`, or None when the range cuts a
    term of one of them, or two calendars of a year disagree on which terms it holds.

    A term is held when the range starts on or before its first day and ends on or after
    its last day or today (nothing is recorded after today). Pure."""
    by_year: dict[int, set[int]] = {}
    for calendar in calendars:
        held = set()
        for term, start, end in _terms(calendar):
            if date_from > end or date_to < start:
                continue
            if date_from <= start and (date_to >= end or date_to >= today):
                held.add(term)
            else:
                return None
        if by_year.setdefault(calendar.school_year_id, held) != held:
            return None
    return {(year, term) for year, terms in by_year.items() for term in terms}


def _table() -> str:
    return connection.ops.quote_name(AbsenceTally._meta.db_table)


def _upsert() -> str:
    """The ON CONFLICT clause that adds the new counts to a student's existing row."""
    t = _table()
    return (
        f"ON CONFLICT (student_id, school_class_id, term) DO UPDATE SET "
        f"excused = {t}.excused + excluded.excused, "
        f"unexcused = {t}.unexcused + excluded.unexcused, "
        f"late = {t}.late + excluded.late"
    )


def additions(
    *, school_class_id: int, school_year_id: int, term: int, changes: Mapping[int, Counter[str]]
) -> Statement | None:
    """The statement adding `changes` (student id → code → +n, none negative) to the
    tallies of one class and term (a first roll call), or None when nothing changes."""
    return _insert(_rows(school_class_id, school_year_id, term, changes))


def bump(
    *, school_class_id: int, school_year_id: int, term: int, changes: Mapping[int, Counter[str]]
) -> None:
    """Add `changes` (student id → code → +n or −n) to the tallies of one class and term,
    in the caller's transaction. A count going below zero breaks the table's check: the
    tallies and the absences would disagree."""
    rows = _rows(school_class_id, school_year_id, term, changes)
    if all(count >= 0 for row in rows for count in row[4:]):
        # Only additions (the usual case): one statement.
        execute_together([_insert(rows)])
        return
    # A row to add to first (a count may go down: an insert of negative counts would
    # break the check before any conflict is looked at), then the change itself.
    t = _table()
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {t} {_COLUMNS} VALUES (%s, %s, %s, %s, 0, 0, 0) "
            "ON CONFLICT (student_id, school_class_id, term) DO NOTHING",
            [row[:4] for row in rows],
        )
        cursor.executemany(
            f"UPDATE {t} SET excused = excused + %s, unexcused = unexcused + %s, "
            "late = late + %s WHERE student_id = %s AND school_class_id = %s AND term = %s",
            [(*row[4:], row[0], row[1], row[3]) for row in rows],
        )


def _insert(rows: list[tuple[int, ...]]) -> Statement | None:
    """One upsert adding `rows` (none negative) to the tallies, or None for no row."""
    if not rows:
        return None
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    return (
        f"INSERT INTO {_table()} {_COLUMNS} VALUES {values} {_upsert()}",
        [value for row in rows for value in row],
    )


_COLUMNS = "(student_id, school_class_id, school_year_id, term, excused, unexcused, late)"


def _rows(
    school_class_id: int, school_year_id: int, term: int, changes: Mapping[int, Counter[str]]
) -> list[tuple[int, ...]]:
    return [
        (sid, school_class_id, school_year_id, term, *(c[code] for code in CODES))
        for sid, c in sorted(changes.items())
        if any(c[code] for code in CODES)
    ]


def mark_stray(pairs: Iterable[tuple[int, int]]) -> int:
    """Mark the tallies of these (student id, class id) pairs stray: they hold an absence
    recorded on a day the student, as their enrolments were corrected since, was not in
    the class (`services.refresh_summaries` finds them). In the caller's transaction."""
    pairs = sorted(set(pairs))
    if not pairs:
        return 0
    t = _table()
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {t} SET stray = %s WHERE student_id = %s AND school_class_id = %s",
            [(True, student_id, class_id) for student_id, class_id in pairs],
        )
    return len(pairs)


SUMMED = ("enrolled", "present", "late", "excused", "unexcused")


def term_addition(*, school_class: SchoolClass, term: int, counts: Mapping[str, int]) -> Statement:
    """The statement adding a first roll call's day summary `counts` to its class's term
    summary (one more roll call)."""
    t = connection.ops.quote_name(ClassTermSummary._meta.db_table)
    names = ", ".join(SUMMED)
    updates = ", ".join(f"{n} = {t}.{n} + excluded.{n}" for n in ("roll_calls", *SUMMED))
    return (
        f"INSERT INTO {t} (school_class_id, school_id, school_year_id, term, roll_calls, "
        f"{names}) VALUES (%s, %s, %s, %s, 1, %s, %s, %s, %s, %s) "
        f"ON CONFLICT (school_class_id, term) DO UPDATE SET {updates}",
        [
            school_class.pk,
            school_class.school_id,
            school_class.school_year_id,
            term,
            *(counts[n] for n in SUMMED),
        ],
    )


def correct_term(
    *,
    school_class: SchoolClass,
    term: int,
    counts: Mapping[str, int],
    before: Mapping[str, int],
) -> None:
    """Replace a corrected roll call's day summary `before` by `counts` in its class's
    term summary, in the caller's transaction."""
    deltas = [counts[n] - before[n] for n in SUMMED]
    if any(deltas):
        t = connection.ops.quote_name(ClassTermSummary._meta.db_table)
        sets = ", ".join(f"{n} = {n} + %s" for n in SUMMED)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {t} SET {sets} WHERE school_class_id = %s AND term = %s",
                [*deltas, school_class.pk, term],
            )


@transaction.atomic
def rebuild(*, school_year_ids: Iterable[int]) -> int:
    """Recount the tallies and the term summaries of those school years from the absences
    and the day summaries: after a bulk load of roll calls, or after a calendar changed
    (term dates, a holiday declared on a day whose roll calls were taken: its absences no
    longer count, as in the rates). Classes are grouped by their calendar (usually the
    province's: one group, a handful of statements).

    A tally is marked stray unless the student was enrolled in the class for the whole
    term: a superset of the rows holding an absence of a day the student was not in the
    class (cheap to find: one look-up per row, not per absence). Returns the number of
    tally rows written."""
    years = sorted(set(school_year_ids))
    AbsenceTally.objects.filter(school_year_id__in=years).delete()
    ClassTermSummary.objects.filter(school_year_id__in=years).delete()
    classes = SchoolClass.objects.filter(school_year_id__in=years)
    groups, found = _by_calendar(classes)
    several = len(groups) > 1
    for calendar_id, class_ids in groups.items():
        calendar = found[calendar_id]
        # One calendar (the usual case): every class of the year, no list of ids.
        for i in range(0, len(class_ids), 500) if several else [0]:
            _count(calendar, class_ids[i : i + 500] if several else None)
    _sum_terms(classes, chunked=several)
    _analyze(AbsenceTally, ClassTermSummary)
    return AbsenceTally.objects.filter(school_year_id__in=years).count()


def recount_terms(*, school_class_ids: Sequence[int]) -> None:
    """Recount the term summaries of these classes from their day summaries (after the
    day summaries were recounted: `services.refresh_summaries`)."""
    ClassTermSummary.objects.filter(school_class_id__in=school_class_ids).delete()
    _sum_terms(SchoolClass.objects.filter(pk__in=school_class_ids), chunked=True)


def _by_calendar(
    classes: QuerySet[SchoolClass], *, weekdays: bool = False
) -> tuple[dict[Any, list[int]], dict[int, YearCalendar]]:
    """The ids of `classes` per calendar (and per weekdays, with `weekdays`), and the
    calendars by id."""
    from dentruong.attendance.selectors import scope_calendars

    rows = list(classes.values_list("id", "school_year_id", "school__unit__path", "weekdays"))
    calendars = scope_calendars("", {row[1] for row in rows})
    groups: dict[Any, list[int]] = {}
    found: dict[int, YearCalendar] = {}
    for class_id, year_id, school_path, days in rows:
        calendar = calendars.calendar(year_id, school_path)
        if calendar is not None:
            found[calendar.pk] = calendar
            key = (calendar.pk, days) if weekdays else calendar.pk
            groups.setdefault(key, []).append(class_id)
    return groups, found


def _sum_terms(classes: QuerySet[SchoolClass], *, chunked: bool) -> None:
    """Add up the day summaries of `classes` on each term's school days (per calendar and
    weekdays: the days the rates count) into their term summaries."""
    groups, found = _by_calendar(classes, weekdays=True)
    chunked = chunked or len(groups) > 1
    qn = connection.ops.quote_name
    day = connection.ops.adapt_datefield_value
    names = ", ".join(SUMMED)
    sums = ", ".join(f"SUM(d.{n})" for n in SUMMED)
    for (calendar_id, weekdays), class_ids in groups.items():
        calendar = found[calendar_id]
        spec = spec_from(calendar, weekdays)
        for term, start, end in _terms(calendar):
            days = [day(d) for d in spec.school_days(start, end)]
            if not days:
                continue
            for i in range(0, len(class_ids), 500) if chunked else [0]:
                if chunked:
                    chunk: list[Any] = class_ids[i : i + 500]
                    where = f"d.school_class_id IN ({', '.join(['%s'] * len(chunk))})"
                else:
                    chunk = [calendar.school_year_id]
                    where = (
                        f"d.school_class_id IN (SELECT id FROM "
                        f"{qn(SchoolClass._meta.db_table)} WHERE school_year_id = %s)"
                    )
                sql = f"""
                    INSERT INTO {qn(ClassTermSummary._meta.db_table)}
                        (school_class_id, school_id, school_year_id, term, roll_calls, {names})
                    SELECT d.school_class_id, d.school_id, %s, %s, COUNT(*), {sums}
                    FROM {qn(ClassDaySummary._meta.db_table)} d
                    WHERE {where} AND d.date IN ({", ".join(["%s"] * len(days))})
                    GROUP BY d.school_class_id, d.school_id"""
                with connection.cursor() as cursor:
                    cursor.execute(sql, [calendar.school_year_id, term, *chunk, *days])


def _analyze(*models: Any) -> None:
    """Fresh planner statistics after a bulk recount (the reports' plans depend on them)."""
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _count(calendar: YearCalendar, class_ids: list[int] | None) -> None:
    """Add the absences of `class_ids` (None: every class of the calendar's year) on the
    calendar's term days outside its breaks to the tallies, then mark stray the rows of
    students not in their class for the whole term."""
    qn = connection.ops.quote_name
    day = connection.ops.adapt_datefield_value
    off = sorted(
        {
            b.start + dt.timedelta(days=i)
            for b in calendar.breaks.all()
            for i in range((b.end - b.start).days + 1)
        }
    )
    term = "CASE WHEN a.date <= %s THEN 1 ELSE 2 END"
    sums = ", ".join("SUM(CASE WHEN a.code = %s THEN 1 ELSE 0 END)" for _ in CODES)
    params: list[Any] = [calendar.school_year_id, day(calendar.term1_end), *CODES]
    params += [day(d) for d in (calendar.term1_start, calendar.term1_end)]
    params += [day(d) for d in (calendar.term2_start, calendar.term2_end)]
    where_off = f"AND a.date NOT IN ({', '.join(['%s'] * len(off))})" if off else ""
    params += [day(d) for d in off]
    if class_ids is None:
        classes = f"SELECT id FROM {qn(SchoolClass._meta.db_table)} WHERE school_year_id = %s"
        class_params: list[Any] = [calendar.school_year_id]
    else:
        classes = ", ".join(["%s"] * len(class_ids))
        class_params = list(class_ids)
    params += class_params
    params.append(day(calendar.term1_end))
    sql = f"""
        INSERT INTO {_table()}
            (student_id, school_class_id, school_year_id, term, excused, unexcused, late)
        SELECT a.student_id, r.school_class_id, %s, {term}, {sums}
        FROM {qn(Absence._meta.db_table)} a
        JOIN {qn(RollCall._meta.db_table)} r ON r.id = a.roll_call_id
        WHERE (a.date BETWEEN %s AND %s OR a.date BETWEEN %s AND %s) {where_off}
          AND r.school_class_id IN ({classes})
        GROUP BY a.student_id, r.school_class_id, {term}
        {_upsert()}
    """
    t = _table()
    stray = f"""
        UPDATE {t} SET stray = %s
        WHERE school_year_id = %s AND term = %s AND school_class_id IN ({classes})
          AND NOT EXISTS (
            SELECT 1 FROM {qn(Enrollment._meta.db_table)} e
            WHERE e.student_id = {t}.student_id AND e.school_class_id = {t}.school_class_id
              AND e.start_date <= %s AND (e.end_date IS NULL OR e.end_date > %s))
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for number, start, end in _terms(calendar):
            cursor.execute(
                stray,
                [True, calendar.school_year_id, number, *class_params, day(start), day(end)],
            )
