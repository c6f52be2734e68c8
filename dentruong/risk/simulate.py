"""Simulated Vietnamese school history, for testing the machinery only (temporal splits,
labels, drift) — never for claiming accuracy: a model that finds what this simulator
planted proves nothing about real children (decision 0008).

Three school years (or more) of the demo province, in memory (no database, nothing in
the demo's default path): the communes, villages and their zones come from the demo's
own planner (`demo.builder.plan_communes`, `ZONES`), absence propensities from the
demo's history generator (`demo.history._risk`). Each year some students drop out: the
hazard is planted from absence propensity, over-age, a sibling's dropout, distance, the
teacher's flags, and — deliberately — from household poverty and minority ethnicity,
which the rules never see, so that the fairness audit has something to find. A student
who drops out during the year comes less and less in the 30 school days before their
last day, then not at all (K) until the school records it 15 school days later; some
do not come back after Tết; some leave in the summer with no sign. The last year's
hazard is 20 % higher (drift).

Output: for each year and prediction date, every enrolled student's `StudentFacts`
turned into indicators (the same pure functions as the product), the rules' points and
level, the model features, the label (not enrolled next year, no transfer or
completion), the audit groups; and for each in-year dropout, the school days before
their last day at which the rules first rated them high (lead time).
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dentruong.demo.builder import ZONES, plan_communes
from dentruong.demo.history import _risk
from dentruong.orgs.calendar import CalendarSpec
from dentruong.risk.indicators import (
    FEATURES,
    FLAG_ACADEMIC,
    FLAG_EARLY_MARRIAGE,
    Mark,
    StudentFacts,
    compute,
    feature_vector,
)
from dentruong.risk.rules import RANK, Thresholds, evaluate

DATES = ("mid_term1", "after_tet")
GROUPS = ("gender", "ethnicity", "poverty", "commune", "boarding")


def year_calendar(year: int) -> CalendarSpec:
    """The demo's calendar shape: 5 Sep – 16 Jan, 18 Jan – 29 May, Tết 1–14 Feb."""
    return CalendarSpec(
        term1=(dt.date(year, 9, 5), dt.date(year + 1, 1, 16)),
        term2=(dt.date(year + 1, 1, 18), dt.date(year + 1, 5, 29)),
        breaks=((dt.date(year + 1, 2, 1), dt.date(year + 1, 2, 14)),),
        weekdays=0b0011111,
    )


@dataclass(slots=True)
class _Student:
    id: int
    commune: str
    household: int
    gender: str
    minority: bool
    poverty: str
    distance: float
    boarding: bool
    birth_year: int
    grade: int
    propensity: float
    repeated: bool = False
    flags: frozenset[str] = field(default_factory=frozenset)
    arrived: int | None = None  # school-day index of a return this year


@dataclass
class Dataset:
    """Rows: one per (year, date, student enrolled then)."""

    X: np.ndarray  # features (FEATURES)
    points: np.ndarray  # the rules' points
    level: np.ndarray  # the rules' level rank 0/1/2
    y: np.ndarray  # 1: not enrolled next year, no transfer or completion
    year: np.ndarray
    date: np.ndarray  # index into DATES
    groups: dict[str, list[str]]
    lead_times: dict[int, list[int | None]]  # year → per in-year dropout
    meta: dict[str, Any]


@dataclass
class _Year:
    year: int
    days: list[dt.date]
    marks: dict[int, list[tuple[int, str, str]]]
    after_tet: int
    tet_end: dt.date
    window_days: int
    dropped_households: set[int]

    def facts(self, s: _Student, at: int) -> StudentFacts:
        days = self.days
        window_start = max(0, at - self.window_days + 1)
        ms = self.marks.get(s.id, [])
        lo = bisect.bisect_left(ms, (window_start, "", ""))
        hi = bisect.bisect_right(ms, (at, "ZZ", "ZZ"))
        brk = days[self.after_tet - 1] < days[at] and self.after_tet >= window_start - 10
        return StudentFacts(
            student_id=s.id,
            as_of=days[at],
            grade=s.grade,
            school_year=self.year,
            window=tuple(days[window_start : at + 1]),
            marks=tuple(Mark(days[i], c, r) for i, c, r in ms[lo:hi]),
            birth_year=s.birth_year,
            break_name="Tết" if brk else "",
            break_end=self.tet_end if brk else None,
            repeated=s.repeated,
            sibling_dropped_out=s.household in self.dropped_households,
            distance_km=s.distance,
            boarding=s.boarding,
            flags=s.flags,
        )


def _absent_days(rng: random.Random, p: float, n: int) -> Iterator[int]:
    if p <= 0:
        return
    i = -1
    log_q = math.log(1 - p)
    while True:
        i += 1 + int(math.log(1 - rng.random()) / log_q)
        if i >= n:
            return
        yield i


def _population(seed: int, students: int, start_year: int) -> list[_Student]:
    out: list[_Student] = []
    sid = 0
    household = 0
    for plan, _ in plan_communes(seed, students):
        rng = random.Random(f"risk-sim:{seed}:{plan.code}")
        for village in plan.villages:
            zone = ZONES[village.zone]
            left = village.quota
            while left > 0:
                household += 1
                kids = min(left, rng.choice(zone.kids))
                r = rng.random()
                poverty = (
                    "poor"
                    if r < zone.poor
                    else "near_poor"
                    if r < zone.poor + zone.near_poor
                    else "none"
                )
                minority = (
                    rng.random()
                    < {"urban": 0.15, "centre": 0.35, "mid": 0.7, "high": 0.95}[village.zone]
                )
                distance = round(rng.uniform(*zone.distance), 1)
                for _ in range(kids):
                    grade = rng.randint(1, 9)
                    over = 1 if rng.random() < zone.over_age else 0
                    over += 1 if over and rng.random() < 0.3 else 0
                    flags = set()
                    if rng.random() < 0.05:
                        flags.add(FLAG_ACADEMIC)
                    gender = rng.choice("MF")
                    if (
                        gender == "F"
                        and grade >= 7
                        and village.zone == "high"
                        and rng.random() < 0.03
                    ):
                        flags.add(FLAG_EARLY_MARRIAGE)
                    out.append(
                        _Student(
                            id=sid,
                            commune=plan.code,
                            household=household,
                            gender=gender,
                            minority=minority,
                            poverty=poverty,
                            distance=distance,
                            boarding=distance > 6 and grade >= 6 and rng.random() < 0.6,
                            birth_year=start_year - 5 - grade - over,
                            grade=grade,
                            propensity=_risk(rng),
                            flags=frozenset(flags),
                        )
                    )
                    sid += 1
                left -= kids
    return out


def _hazard(s: _Student, siblings_out: bool, drift: float) -> float:
    h = 0.012
    h *= {0.02: 1.0, 0.08: 2.5, 0.25: 5.0}.get(s.propensity, 1.0)
    over = max(0, 2024 - s.birth_year - (s.grade + 5))  # relative; only the order matters
    h *= 1.8 if over >= 1 else 1.0
    h *= 1.6 if s.grade >= 6 else 1.0
    h *= 2.0 if siblings_out else 1.0
    h *= 1.4 if s.distance > 5 and not s.boarding else 1.0
    h *= 2.0 if FLAG_ACADEMIC in s.flags else 1.0
    h *= 4.0 if FLAG_EARLY_MARRIAGE in s.flags else 1.0
    h *= 1.7 if s.poverty == "poor" else 1.2 if s.poverty == "near_poor" else 1.0  # latent
    h *= 1.3 if s.minority else 1.0  # latent
    return min(0.6, h * drift)


def simulate(
    *,
    seed: int = 2026,
    students: int = 20_000,
    start_year: int = 2024,
    years: int = 3,
    thresholds: Thresholds | None = None,
    lead_step: int = 5,
) -> Dataset:
    t = thresholds or Thresholds()
    rng = random.Random(f"risk-sim:{seed}:years")
    pop = _population(seed, students, start_year)
    next_id = len(pop)
    dropped_households: set[int] = set()
    rows_X = array("f")  # compact: 4 bytes a feature (millions of rows)
    rows_meta = array("i")  # points, rank, y, year, date
    groups: dict[str, list[str]] = {g: [] for g in GROUPS}
    lead_times: dict[int, list[int | None]] = {}
    for yi in range(years):
        year = start_year + yi
        spec = year_calendar(year)
        days = spec.school_days(spec.term1[0], spec.term2[1])
        n = len(days)
        tet_end = spec.breaks[0][1]
        after_tet = next(i for i, d in enumerate(days) if d > tet_end)
        date_index = {"mid_term1": 45, "after_tet": min(n - 1, after_tet + 7)}
        drift = 1.2 if yi == years - 1 and years > 1 else 1.0
        # Outcomes of the year, decided first (the simulator knows the future).
        fate: dict[int, tuple[str, int]] = {}  # id → (kind, school-day index)
        for s in pop:
            r = rng.random()
            if s.grade == 9:
                fate[s.id] = ("completed", n)
            if r < 0.01:
                fate[s.id] = ("transferred", rng.randrange(n))
            elif rng.random() < _hazard(s, s.household in dropped_households, drift):
                when = rng.random()
                if when < 0.3:
                    fate[s.id] = ("summer", n)
                elif when < 0.45:
                    fate[s.id] = ("dropout", after_tet)  # never back after Tết
                else:
                    fate[s.id] = ("dropout", rng.randrange(15, n - 5))
        marks: dict[int, list[tuple[int, str, str]]] = {}
        for s in pop:
            srng = random.Random(f"{seed}:{year}:{s.id}")
            kind, stop = fate.get(s.id, ("", n))
            own = {
                i: ("K" if srng.random() < 0.5 else "P")
                for i in _absent_days(srng, s.propensity, n)
            }
            if kind == "dropout":
                for i in range(max(0, stop - 30), stop):
                    if srng.random() < 0.6 * (i - stop + 30) / 30:
                        own[i] = "K" if srng.random() < 0.7 else "P"
                for i in range(stop, min(n, stop + 15)):
                    own[i] = "K"
            if own:
                reason = "working" if s.grade >= 6 and srng.random() < 0.2 else ""
                marks[s.id] = [(i, c, reason if c == "K" else "") for i, c in sorted(own.items())]

        ctx = _Year(year, days, marks, after_tet, tet_end, t.window_days, dropped_households)

        def facts_of(s: _Student, at: int, ctx: _Year = ctx) -> StudentFacts:
            return ctx.facts(s, at)

        for di, name in enumerate(DATES):
            at = date_index[name]
            for s in pop:
                kind, stop = fate.get(s.id, ("", n))
                if kind in ("dropout",) and stop + 15 <= at:
                    continue  # recorded as dropped out: no longer enrolled
                if kind == "transferred" and stop <= at:
                    continue
                ind = compute(facts_of(s, at))
                a = evaluate(ind, t)
                rows_X.extend(feature_vector(ind, arrival_days=t.arrival_days))
                label = 1 if kind in ("dropout", "summer") else 0
                rows_meta.extend((a.points, RANK[a.level], label, year, di))
                groups["gender"].append(s.gender)
                groups["ethnicity"].append("minority" if s.minority else "kinh")
                groups["poverty"].append(s.poverty)
                groups["commune"].append(s.commune)
                groups["boarding"].append("boarding" if s.boarding else "day")
        # Lead time: for each in-year dropout, the earliest school day (every lead_step)
        # the rules rated them high, counted back from their last day at school.
        leads: list[int | None] = []
        for s in pop:
            kind, stop = fate.get(s.id, ("", n))
            if kind != "dropout":
                continue
            last = max(0, stop - 1)
            first = None
            for at in range(5, stop + 15, lead_step):
                if evaluate(compute(facts_of(s, at)), t).level == "high":
                    first = at
                    break
            leads.append(None if first is None or first > last + 14 else last - first)
        lead_times[year] = leads
        # Next year: dropouts, transfers and completers leave; the rest move up (1.5 %
        # repeat); new grade-1 pupils replace the leavers.
        survivors = []
        for s in pop:
            kind, _stop = fate.get(s.id, ("", n))
            if kind in ("dropout", "summer"):
                dropped_households.add(s.household)
                continue
            if kind in ("transferred", "completed"):
                continue
            if rng.random() < 0.015:
                s.repeated = True
            else:
                s.grade += 1
            survivors.append(s)
        for _ in range(len(pop) - len(survivors)):
            model = rng.choice(pop)
            survivors.append(
                _Student(
                    id=next_id,
                    commune=model.commune,
                    household=model.household,
                    gender=rng.choice("MF"),
                    minority=model.minority,
                    poverty=model.poverty,
                    distance=model.distance,
                    boarding=False,
                    birth_year=year + 1 - 6,
                    grade=1,
                    propensity=_risk(rng),
                )
            )
            next_id += 1
        pop = survivors
    meta = np.frombuffer(rows_meta, dtype=np.int32).reshape(-1, 5)
    return Dataset(
        X=np.frombuffer(rows_X, dtype=np.float32).reshape(-1, len(FEATURES)),
        points=meta[:, 0],
        level=meta[:, 1],
        y=meta[:, 2],
        year=meta[:, 3],
        date=meta[:, 4],
        groups=groups,
        lead_times=lead_times,
        meta={
            "simulated": True,
            "seed": seed,
            "students": students,
            "years": [start_year + i for i in range(years)],
            "dates": list(DATES),
            "features": list(FEATURES),
        },
    )
