"""Attendance rates as pure functions over summary rows (no database access).

There is no official formula for tỷ lệ chuyên cần (vn_domain.md §2.2). The session-based
convention: present sessions ÷ sessions due (sĩ số × số buổi), with absences with leave
(P) and without leave (K) counted separately; late (T) counts as present.

Sessions due are counted over roll calls actually taken on school days: a school day
whose roll call was not taken is reported as missing (`Coverage`), never assumed present
or absent. The student-based convention (`StudentRate`): the share of students with at
most N absences in a period, P + K and K alone. A student's sequence of due sessions
(`student_sequence`) gives runs of unexcused absences and "not back after a break";
`ABSENCE_LIMIT` is the 45-session rule. The queries that feed these live in
`selectors.py`.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol


class SessionCounts(Protocol):
    """One roll call's counts (a `ClassDaySummary` or anything shaped like it)."""

    @property
    def enrolled(self) -> int: ...
    @property
    def present(self) -> int: ...
    @property
    def late(self) -> int: ...
    @property
    def excused(self) -> int: ...
    @property
    def unexcused(self) -> int: ...


def ratio(part: int, whole: int) -> float | None:
    """part ÷ whole rounded to 4 decimals; None when nothing was due."""
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class SessionRate:
    roll_calls: int
    due: int  # lượt phải có mặt: Σ enrolled over the roll calls
    present: int  # lượt có mặt, late included
    late: int
    excused: int  # P
    unexcused: int  # K

    @property
    def rate(self) -> float | None:
        return ratio(self.present, self.due)

    @property
    def excused_rate(self) -> float | None:
        return ratio(self.excused, self.due)

    @property
    def unexcused_rate(self) -> float | None:
        return ratio(self.unexcused, self.due)


def session_rate(rows: Iterable[SessionCounts]) -> SessionRate:
    n = due = present = late = excused = unexcused = 0
    for row in rows:
        n += 1
        due += row.enrolled
        present += row.present
        late += row.late
        excused += row.excused
        unexcused += row.unexcused
    return SessionRate(
        roll_calls=n, due=due, present=present, late=late, excused=excused, unexcused=unexcused
    )


# --- Coverage: class-sessions due against roll calls taken --------------------------------


def school_year_of(day: dt.date) -> int:
    """The start year of the school year `day` belongs to: a Vietnamese school year opens
    in August/September and ends by 31 May, so June and July still belong to the year
    that is ending (its reports), and August to the one that begins (tựu trường)."""
    return day.year if day.month >= 8 else day.year - 1


@dataclass(frozen=True)
class Coverage:
    """Class-sessions due (school day × session the class holds, up to today) against roll
    calls taken. An untaken one is missing: neither present nor absent in any rate."""

    sessions_due: int
    roll_calls: int

    @property
    def missing(self) -> int:
        return max(self.sessions_due - self.roll_calls, 0)

    @property
    def rate(self) -> float | None:
        return ratio(min(self.roll_calls, self.sessions_due), self.sessions_due)


# --- Student-based rate ---------------------------------------------------------------------


@dataclass(frozen=True)
class StudentRate:
    """Share of students with at most `max_absences` absences in a period.

    `students`: students enrolled in the scope at some time in the period; `within`: those
    whose absences (P + K) number at most `max_absences`; `within_unexcused`: those whose
    unexcused absences (K) number at most `max_absences`. Late (T) is not an absence."""

    max_absences: int
    students: int
    within: int
    within_unexcused: int

    @property
    def rate(self) -> float | None:
        return ratio(self.within, self.students)

    @property
    def unexcused_rate(self) -> float | None:
        return ratio(self.within_unexcused, self.students)


def student_rate(
    students: Iterable[int], absences: Mapping[int, tuple[int, int]], max_absences: int
) -> StudentRate:
    """The reference formula: `students` are ids, `absences` maps a student id to its
    (P, K) counts in the period (a student not in it has none)."""
    n = within = within_unexcused = 0
    for student in set(students):
        excused, unexcused = absences.get(student, (0, 0))
        n += 1
        within += excused + unexcused <= max_absences
        within_unexcused += unexcused <= max_absences
    return StudentRate(
        max_absences=max_absences, students=n, within=within, within_unexcused=within_unexcused
    )


# --- A student's sequence of sessions -----------------------------------------------------

SESSION_RANK = {"am": 0, "pm": 1}

SessionKey = tuple[dt.date, int]  # (date, 0 morning / 1 afternoon): sorts in time order


def session_key(day: dt.date, session: str) -> SessionKey:
    return (day, SESSION_RANK[session])


@dataclass(frozen=True)
class Period:
    """A stretch of a student's enrolment in one class, and the sessions of that class that
    count: roll calls taken on school days, sorted (`SessionKey`s). `end` is exclusive
    (the first day no longer enrolled), None when still enrolled."""

    class_id: int
    start: dt.date
    end: dt.date | None
    taken: Sequence[SessionKey]


def student_sequence(
    periods: Sequence[Period], marks: Iterable[tuple[int, SessionKey]]
) -> tuple[int, list[tuple[int, SessionKey]]]:
    """Lay a student's due sessions end to end: the taken sessions of each enrolment period
    in time order. Returns (number of sessions, [(position, session)] of the `marks` found,
    by position), where a mark is (class id, session) and is found only if that session is
    in the student's sequence (their class, while enrolled in it, a roll call taken on a
    school day). Untaken sessions are not in the sequence: they neither count nor break a
    run. Bisection: the cost grows with the number of marks, not of sessions."""
    ranges: list[tuple[Period, int, int, int]] = []  # period, lo, hi, offset
    offset = 0
    for period in sorted(periods, key=lambda p: p.start):
        lo = bisect_left(period.taken, (period.start, 0))
        hi = len(period.taken) if period.end is None else bisect_left(period.taken, (period.end, 0))
        hi = max(hi, lo)
        ranges.append((period, lo, hi, offset))
        offset += hi - lo
    found: dict[int, SessionKey] = {}
    for class_id, key in marks:
        for period, lo, hi, start in ranges:
            if period.class_id != class_id:
                continue
            i = bisect_left(period.taken, key, lo, hi)
            if i < hi and period.taken[i] == key:
                found[start + i - lo] = key
                break
    return offset, sorted(found.items())


@dataclass(frozen=True)
class Run:
    start: int  # position of its first session in the student's sequence
    length: int

    @property
    def end(self) -> int:
        return self.start + self.length - 1


def runs(positions: Sequence[int]) -> list[Run]:
    """Maximal runs of consecutive positions (sorted, distinct)."""
    out: list[Run] = []
    for p in positions:
        if out and p == out[-1].end + 1:
            out[-1] = Run(out[-1].start, out[-1].length + 1)
        else:
            out.append(Run(p, 1))
    return out


def longest_run(positions: Sequence[int]) -> Run | None:
    """The longest run (the latest among equals), or None without positions."""
    best: Run | None = None
    for run in runs(positions):
        if best is None or run.length >= best.length:
            best = run
    return best


def not_back(sessions: int, absent_positions: Sequence[int]) -> bool:
    """Absent (P or K) at every session due since a break ended, with at least one due."""
    return sessions > 0 and len(absent_positions) == sessions


# --- The 45-session rule ------------------------------------------------------------------

# Absent more than 45 sessions (P + K, continuous or not) in a school year: not promoted
# (THCS/THPT, TT 22/2021 Điều 12 as widely applied; vn_domain.md §2.1).
ABSENCE_LIMIT = 45
NEAR_LIMIT_DEFAULT = 35


def sessions_left(absences: int, limit: int = ABSENCE_LIMIT) -> int:
    """Absences still allowed before the limit is passed (0 when at or over it)."""
    return max(limit - absences, 0)
