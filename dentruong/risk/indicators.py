"""Early-warning indicators of one student as of one date: pure functions, no database.

`StudentFacts` is everything the rules may look at. It deliberately has no ethnicity,
gender or household poverty: those are kept for fairness audits (`evaluation.py`) and
never reach the rules, so they can never become a reason shown for a student
(docs/decisions/0008-early-warning.md).

Absences are counted in sessions (buổi) over the class's last `window` school days (its
calendar and weekdays), from the day the student joined the class if later. A session
whose roll call was not taken counts as present: the roll call completeness lists chase
those. Late (T) is present.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

EXCUSED = "P"
UNEXCUSED = "K"
WORKING = "working"  # AbsenceReason.WORKING

# Teacher's flags (TeacherFlag.kind): the teacher's own reason codes.
FLAG_ACADEMIC = "academic"
FLAG_EARLY_MARRIAGE = "marriage"
FLAG_WORKING = "working"
FLAG_FAMILY_MOVING = "moving"
FLAG_KINDS = (FLAG_ACADEMIC, FLAG_EARLY_MARRIAGE, FLAG_WORKING, FLAG_FAMILY_MOVING)


@dataclass(frozen=True, slots=True)
class Mark:
    day: dt.date
    code: str  # "P" or "K"
    reason: str = ""


@dataclass(frozen=True, slots=True)
class StudentFacts:
    """The inputs of one student as of `as_of` (built by `selectors.load_facts`)."""

    student_id: int
    as_of: dt.date
    grade: int
    school_year: int  # start year of the school year (2026 for 2026–27)
    window: tuple[dt.date, ...]  # the class's last school days up to as_of, oldest first
    sessions_per_day: int = 1
    enrolled_since: dt.date | None = None  # joined the class on (days before do not count)
    marks: tuple[Mark, ...] = ()  # P and K marks in the window
    birth_year: int | None = None
    break_name: str = ""  # the last long break (Tết, …) that ended inside the window
    break_end: dt.date | None = None
    repeated: bool = False  # a "repeated" event on record
    arrived_on: dt.date | None = None  # latest transfer in or return to school
    arrival_kind: str = ""  # "transferred_in" or "returned"
    sibling_dropped_out: bool = False  # another child of the household dropped out
    distance_km: float | None = None
    boarding: bool = False
    flags: frozenset[str] = field(default_factory=frozenset)  # teacher's flags in force


@dataclass(frozen=True, slots=True)
class Indicators:
    days: int  # school days in the window while enrolled
    sessions: int  # sessions due in those days
    excused: int  # P sessions
    unexcused: int  # K sessions
    consecutive_unexcused: int  # longest run of school days with a K
    not_back_days: int  # school days since the break, absent every one (0: came back)
    break_name: str
    recent: int  # absent sessions in the later half of the window
    earlier: int  # absent sessions in the earlier half
    over_age: int  # years older than the grade's age
    repeated: bool
    days_since_arrival: int | None
    arrival_kind: str
    sibling_dropped_out: bool
    distance_km: float | None
    boarding: bool
    working_absences: int  # absent sessions with the reason "working away"
    flags: frozenset[str]

    @property
    def absent(self) -> int:
        return self.excused + self.unexcused

    @property
    def rate(self) -> float:
        return self.absent / self.sessions if self.sessions else 0.0


def over_age(grade: int, school_year: int, birth_year: int | None) -> int:
    """Years older than usual for the grade: a child enters grade 1 in the year they
    turn 6 (Luật Giáo dục 2019, art. 28), so the usual birth year of grade g in school
    year Y (Y–Y+1) is Y − 5 − g. Never negative; 0 when the birth date is unknown."""
    if birth_year is None or grade < 1:
        return 0
    return max(0, (school_year - birth_year) - (grade + 5))


def longest_run(days: Sequence[dt.date], hit: set[dt.date]) -> int:
    best = run = 0
    for day in days:
        run = run + 1 if day in hit else 0
        best = max(best, run)
    return best


def compute(facts: StudentFacts) -> Indicators:
    since = facts.enrolled_since
    days = facts.window if since is None else tuple(d for d in facts.window if d >= since)
    in_window = set(days)
    excused = unexcused = working = 0
    per_day: dict[dt.date, int] = {}
    k_days: set[dt.date] = set()
    for mark in facts.marks:
        if mark.day not in in_window:
            continue
        per_day[mark.day] = per_day.get(mark.day, 0) + 1
        if mark.code == UNEXCUSED:
            unexcused += 1
            k_days.add(mark.day)
        else:
            excused += 1
        if mark.reason == WORKING:
            working += 1
    half = len(days) // 2
    earlier = recent = 0
    if per_day:
        cut = days[half]
        for d, n in per_day.items():
            if d < cut:
                earlier += n
            else:
                recent += n
    not_back = 0
    if facts.break_end is not None:
        after = [d for d in days if d > facts.break_end]
        if after and all(d in per_day for d in after):
            not_back = len(after)
    arrival = None if facts.arrived_on is None else (facts.as_of - facts.arrived_on).days
    return Indicators(
        days=len(days),
        sessions=len(days) * facts.sessions_per_day,
        excused=excused,
        unexcused=unexcused,
        consecutive_unexcused=longest_run(days, k_days) if k_days else 0,
        not_back_days=not_back,
        break_name=facts.break_name if not_back else "",
        recent=recent,
        earlier=earlier,
        over_age=over_age(facts.grade, facts.school_year, facts.birth_year),
        repeated=facts.repeated,
        days_since_arrival=arrival,
        arrival_kind=facts.arrival_kind if arrival is not None else "",
        sibling_dropped_out=facts.sibling_dropped_out,
        distance_km=facts.distance_km,
        boarding=facts.boarding,
        working_absences=working,
        flags=facts.flags,
    )


# The numeric features the learned model sees (`ml.py`): actionable indicators only.
FEATURES = (
    "absence_rate",
    "excused",
    "unexcused",
    "consecutive_unexcused",
    "not_back_days",
    "trend",
    "over_age",
    "repeated",
    "recent_arrival",
    "sibling_dropped_out",
    "distance_km",
    "boarding",
    "working_absences",
    "flag_academic",
    "flag_marriage",
    "flag_working",
    "flag_moving",
)


def feature_vector(ind: Indicators, *, arrival_days: int = 60) -> list[float]:
    return [
        ind.rate,
        float(ind.excused),
        float(ind.unexcused),
        float(ind.consecutive_unexcused),
        float(ind.not_back_days),
        float(ind.recent - ind.earlier),
        float(ind.over_age),
        float(ind.repeated),
        float(ind.days_since_arrival is not None and ind.days_since_arrival <= arrival_days),
        float(ind.sibling_dropped_out),
        float(ind.distance_km or 0.0),
        float(ind.boarding),
        float(ind.working_absences),
        float(FLAG_ACADEMIC in ind.flags),
        float(FLAG_EARLY_MARRIAGE in ind.flags),
        float(FLAG_WORKING in ind.flags),
        float(FLAG_FAMILY_MOVING in ind.flags),
    ]
