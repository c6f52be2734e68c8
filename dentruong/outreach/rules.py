"""Pure rules of outreach (no database): the steps' order and default durations, the
schedule of deadlines, when the nightly job opens a case, and the "what works" median."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

STEP_ORDER: tuple[str, ...] = (
    "alert",
    "home_visit",
    "analysis",
    "action_plan",
    "back_in_school",
    "follow_up_30",
    "follow_up_60",
)
# Days allowed for each step, counted from the previous step's deadline (or from the day
# the previous step was done, once it is). The follow-ups: 30 and 60 days after the return.
DEFAULT_DAYS: dict[str, int] = {
    "alert": 2,
    "home_visit": 7,
    "analysis": 3,
    "action_plan": 7,
    "back_in_school": 30,
    "follow_up_30": 30,
    "follow_up_60": 30,
}
# Steps whose completion says the child is in school (checked against the enrolment).
IN_SCHOOL_STEPS = frozenset({"back_in_school", "follow_up_30", "follow_up_60"})
MENTEE_LIMIT = 3


@dataclass(frozen=True)
class AutoRules:
    """The nightly job's rules (settings.OUTREACH_RULES overrides any of them)."""

    absences: int = 3  # N consecutive unexcused absences (0: rule off)
    absence_window_days: int = 60
    dropout: bool = True
    high_risk: bool = True
    not_enrolled: bool = True
    school_age: tuple[int, int] = (6, 14)  # ages (in the calendar year) of compulsory school
    cooldown_days: int = 180  # a case closed this recently is not reopened automatically


def schedule(
    start: dt.date,
    steps: Sequence[str],
    durations: Mapping[str, int],
    done: Mapping[str, dt.date] | None = None,
) -> dict[str, dt.date]:
    """Deadlines of `steps` (in order) from `start`: each step's deadline is the previous
    step's deadline, or the day it was done, plus the step's days."""
    done = done or {}
    out: dict[str, dt.date] = {}
    anchor = start
    for kind in steps:
        out[kind] = anchor + dt.timedelta(days=durations.get(kind, DEFAULT_DAYS[kind]))
        anchor = done.get(kind, out[kind])
    return out


def should_open(
    trigger_on: dt.date | None, last_closed_on: dt.date | None, today: dt.date, cooldown: int
) -> bool:
    """A rule fired on `trigger_on` (None: a standing condition). Open a case unless one
    was closed after the trigger or within the cool-down (the closing decided it)."""
    if last_closed_on is None:
        return True
    if trigger_on is not None and last_closed_on < trigger_on:
        return True
    return (today - last_closed_on).days > cooldown


def median(values: Sequence[int]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    return float(s[mid]) if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


# --- "what works" ------------------------------------------------------------------------

HOME_VISIT = "home_visit"
MENTORING = "mentoring"


@dataclass(frozen=True)
class CaseFacts:
    """A closed case as "what works" needs it: its commune, whether the child came back
    and stayed, the days from the alert (opening) to the return, and its factors
    (`cause:<code>`, `support:<kind>`, `mentoring`, `home_visit`)."""

    commune_id: int
    back: bool
    days_to_return: int | None
    factors: frozenset[str]


@dataclass(frozen=True)
class WorksRow:
    commune_id: int | None  # None: every commune together
    factor: str
    cases: int  # closed cases with this factor
    back: int  # of which back in school and still there at the last follow-up
    median_days: float | None  # alert → return, over the cases back

    @property
    def share(self) -> float | None:
        return self.back / self.cases if self.cases else None


def what_works(facts: Sequence[CaseFacts]) -> list[WorksRow]:
    """Rows per (commune, factor) and per factor over all communes (commune None), sorted
    by commune (None last), then factor."""
    groups: dict[tuple[int | None, str], list[CaseFacts]] = {}
    for f in facts:
        for factor in f.factors:
            groups.setdefault((f.commune_id, factor), []).append(f)
            groups.setdefault((None, factor), []).append(f)
    out = []
    for (commune_id, factor), items in groups.items():
        back = [f for f in items if f.back]
        days = [f.days_to_return for f in back if f.days_to_return is not None]
        out.append(WorksRow(commune_id, factor, len(items), len(back), median(days)))
    out.sort(key=lambda r: (r.commune_id is None, r.commune_id or 0, r.factor))
    return out


def support_overlaps(delivered_on: dt.date, opened_on: dt.date, closed_on: dt.date) -> bool:
    return opened_on <= delivered_on <= closed_on


def pair_overlaps(
    start: dt.date, end: dt.date | None, opened_on: dt.date, closed_on: dt.date
) -> bool:
    return start <= closed_on and (end is None or end >= opened_on)
