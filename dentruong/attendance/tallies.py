"""Per-student-per-term absence tallies (`models.AbsenceTally`).

The roll call services add each roll call's change to them in its transaction (`bump`);
bulk loads and a change of a calendar's term dates recount them from the absences
(`rebuild`). `whole_terms` says when a date range is made of whole terms, so that the
student-based rate may read the tallies instead of every absence (selectors).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from django.db import connection, transaction

from dentruong.attendance.models import Absence, AbsenceCode, AbsenceTally, RollCall
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
        f"ON CONFLICT (student_id, school_year_id, term) DO UPDATE SET "
        f"excused = {t}.excused + excluded.excused, "
        f"unexcused = {t}.unexcused + excluded.unexcused, "
        f"late = {t}.late + excluded.late"
    )


def bump(*, school_year_id: int, term: int, changes: Mapping[int, Counter[str]]) -> None:
    """Add `changes` (student id → code → +n or −n) to the tallies of one term, in the
    caller's transaction. A count going below zero breaks the table's check: the tallies
    and the absences would disagree."""
    rows = [
        (sid, school_year_id, term, *(c[code] for code in CODES))
        for sid, c in sorted(changes.items())
        if any(c[code] for code in CODES)
    ]
    if not rows:
        return
    t = _table()
    if all(count >= 0 for row in rows for count in row[3:]):
        # Only additions (a first roll call, the usual case): one statement.
        values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(rows))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {t} (student_id, school_year_id, term, excused, unexcused, late) "
                f"VALUES {values} {_upsert()}",
                [value for row in rows for value in row],
            )
        return
    # A row to add to first (a count may go down: an insert of negative counts would
    # break the check before any conflict is looked at), then the change itself.
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {t} (student_id, school_year_id, term, excused, unexcused, late) "
            "VALUES (%s, %s, %s, 0, 0, 0) ON CONFLICT (student_id, school_year_id, term) "
            "DO NOTHING",
            [row[:3] for row in rows],
        )
        cursor.executemany(
            f"UPDATE {t} SET excused = excused + %s, unexcused = unexcused + %s, "
            "late = late + %s WHERE student_id = %s AND school_year_id = %s AND term = %s",
            [(*row[3:], *row[:3]) for row in rows],
        )


@transaction.atomic
def rebuild(*, school_year_ids: Iterable[int]) -> int:
    """Recount the tallies of those school years from the absences: after a bulk load of
    roll calls, or after a calendar changed (term dates, a holiday declared on a day whose
    roll calls were taken: its absences no longer count, as in the rates). Classes are
    grouped by their calendar (usually the province's: one group, one statement).
    Returns the number of tally rows written."""
    from dentruong.attendance.selectors import scope_calendars

    years = sorted(set(school_year_ids))
    AbsenceTally.objects.filter(school_year_id__in=years).delete()
    calendars = scope_calendars("", years)
    groups: dict[int, list[int]] = {}
    found: dict[int, YearCalendar] = {}
    for class_id, year_id, school_path in SchoolClass.objects.filter(
        school_year_id__in=years
    ).values_list("id", "school_year_id", "school__unit__path"):
        calendar = calendars.calendar(year_id, school_path)
        if calendar is not None:
            found[calendar.pk] = calendar
            groups.setdefault(calendar.pk, []).append(class_id)
    several = len(groups) > 1
    for calendar_id, class_ids in groups.items():
        calendar = found[calendar_id]
        # One calendar (the usual case): every class of the year, no list of ids.
        for i in range(0, len(class_ids), 500) if several else [0]:
            _count(calendar, class_ids[i : i + 500] if several else None)
    return AbsenceTally.objects.filter(school_year_id__in=years).count()


def _count(calendar: YearCalendar, class_ids: list[int] | None) -> None:
    """Add the absences of `class_ids` (None: every class of the calendar's year) on the
    calendar's term days outside its breaks to the tallies."""
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
        params.append(calendar.school_year_id)
    else:
        classes = ", ".join(["%s"] * len(class_ids))
        params += class_ids
    params.append(day(calendar.term1_end))
    sql = f"""
        INSERT INTO {_table()} (student_id, school_year_id, term, excused, unexcused, late)
        SELECT a.student_id, %s, {term}, {sums}
        FROM {qn(Absence._meta.db_table)} a
        JOIN {qn(RollCall._meta.db_table)} r ON r.id = a.roll_call_id
        WHERE (a.date BETWEEN %s AND %s OR a.date BETWEEN %s AND %s) {where_off}
          AND r.school_class_id IN ({classes})
        GROUP BY a.student_id, {term}
        {_upsert()}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
