"""Transparent rules: indicators → points → a level (thấp / trung bình / cao) and the
reasons, in plain Vietnamese. Pure functions, no database.

Thresholds and points are `Thresholds`; defaults from ../shared/reference/ews.md §C
(rolling 20-school-day absence ≥ 10 % chronic, ≥ 20 % severe; ≥ 3 consecutive unexcused;
not back 3–5 school days after Tết; over-age / repeated; course difficulty). A deployment
overrides any of them with `settings.RISK_RULES` (a dict of the same names).

A reason is a dict `{"code": …, params…}` stored with the assessment and rendered at
display time (`reason_text`), so a reason shows in the reader's language. REASON_CODES
is the closed list: none of them is about ethnicity, gender or poverty, and the rules
never receive those facts (`indicators.StudentFacts`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from dentruong.risk.indicators import (
    FLAG_ACADEMIC,
    FLAG_EARLY_MARRIAGE,
    FLAG_FAMILY_MOVING,
    FLAG_WORKING,
    Indicators,
    StudentFacts,
    over_age,
)

LOW, MEDIUM, HIGH = "low", "medium", "high"
LEVELS = (LOW, MEDIUM, HIGH)
RANK = {LOW: 0, MEDIUM: 1, HIGH: 2}
LEVEL_LABELS = {
    LOW: gettext_lazy("Low"),
    MEDIUM: gettext_lazy("Medium"),
    HIGH: gettext_lazy("High"),
}


@dataclass(frozen=True)
class Thresholds:
    window_days: int = 20
    chronic_rate: float = 0.10
    severe_rate: float = 0.20
    unexcused_sessions: int = 3
    consecutive_days: int = 3
    not_back_days: int = 3
    trend_increase: int = 3  # absent sessions more in the later half than in the earlier
    over_age_years: int = 2
    arrival_days: int = 60
    distance_km: float = 5.0
    working_absences: int = 1
    medium_points: int = 2
    high_points: int = 4
    # points per reason
    p_severe: int = 3
    p_chronic: int = 2
    p_unexcused: int = 1
    p_consecutive: int = 3
    p_not_back: int = 4
    p_trend: int = 1
    p_over_age: int = 1
    p_repeated: int = 1
    p_academic: int = 2
    p_marriage: int = 3
    p_working: int = 2
    p_moving: int = 2
    p_arrival: int = 1
    p_sibling: int = 1
    p_distance: int = 1
    p_boarding: int = 0  # context only by default

    @classmethod
    def from_settings(cls) -> Thresholds:
        from django.conf import settings

        overrides = getattr(settings, "RISK_RULES", {}) or {}
        names = {f.name for f in fields(cls)}
        unknown = set(overrides) - names
        if unknown:
            raise ValueError(f"RISK_RULES: unknown names {sorted(unknown)}")
        return replace(cls(), **overrides)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


REASON_CODES = (
    "absence_severe",
    "absence_chronic",
    "unexcused",
    "consecutive",
    "not_back",
    "trend",
    "over_age",
    "repeated",
    "academic",
    "marriage",
    "working",
    "moving",
    "arrival",
    "sibling",
    "distance",
    "boarding",
)


@dataclass(frozen=True)
class Assessment:
    level: str
    points: int
    reasons: tuple[dict[str, Any], ...]


def evaluate(ind: Indicators, t: Thresholds) -> Assessment:
    """The level and reasons of one student's indicators (strongest reason first)."""
    found: list[tuple[int, dict[str, Any]]] = []

    def add(points: int, code: str, **params: Any) -> None:
        found.append((points, {"code": code, **params}))

    window = ind.days
    if ind.sessions and ind.absent:
        rate = ind.rate
        # The unexcused count is said here only when it is not a reason of its own below.
        k = ind.unexcused if ind.unexcused < t.unexcused_sessions else 0
        params = {"n": ind.absent, "k": k, "days": window}
        if rate >= t.severe_rate:
            add(t.p_severe, "absence_severe", **params)
        elif rate >= t.chronic_rate:
            add(t.p_chronic, "absence_chronic", **params)
    if ind.unexcused >= t.unexcused_sessions:
        add(t.p_unexcused, "unexcused", n=ind.unexcused, days=window)
    if ind.consecutive_unexcused >= t.consecutive_days:
        add(t.p_consecutive, "consecutive", n=ind.consecutive_unexcused)
    if ind.not_back_days >= t.not_back_days:
        add(t.p_not_back, "not_back", n=ind.not_back_days, name=ind.break_name)
    if ind.recent - ind.earlier >= t.trend_increase:
        add(t.p_trend, "trend", recent=ind.recent, earlier=ind.earlier, half=window - window // 2)
    if ind.over_age >= t.over_age_years:
        add(t.p_over_age, "over_age", n=ind.over_age)
    if ind.repeated:
        add(t.p_repeated, "repeated")
    if FLAG_ACADEMIC in ind.flags:
        add(t.p_academic, "academic")
    if FLAG_EARLY_MARRIAGE in ind.flags:
        add(t.p_marriage, "marriage")
    if FLAG_WORKING in ind.flags or ind.working_absences >= t.working_absences:
        add(t.p_working, "working", n=ind.working_absences)
    if FLAG_FAMILY_MOVING in ind.flags:
        add(t.p_moving, "moving")
    if ind.days_since_arrival is not None and ind.days_since_arrival <= t.arrival_days:
        add(t.p_arrival, "arrival", kind=ind.arrival_kind, n=ind.days_since_arrival)
    if ind.sibling_dropped_out:
        add(t.p_sibling, "sibling")
    if (
        ind.distance_km is not None
        and ind.distance_km >= t.distance_km
        and not ind.boarding
        and t.p_distance
    ):
        add(t.p_distance, "distance", km=ind.distance_km)
    if ind.boarding and t.p_boarding:
        add(t.p_boarding, "boarding")
    points = sum(p for p, _ in found)
    level = HIGH if points >= t.high_points else MEDIUM if points >= t.medium_points else LOW
    ordered = sorted(found, key=lambda pr: -pr[0])  # stable: equal points keep rule order
    return Assessment(level, points, tuple(r for p, r in ordered if p > 0))


def quiet(f: StudentFacts, t: Thresholds) -> bool:
    """True when the facts alone show `evaluate(compute(f))` is low with no reason (no
    mark, no flag, nothing in the record): most children on most days. A shortcut for
    a province's nightly run; `evaluate` stays the definition (tests check they agree)."""
    return (
        not f.marks
        and not f.flags
        and not f.repeated
        and not f.sibling_dropped_out
        and (f.arrived_on is None or (f.as_of - f.arrived_on).days > t.arrival_days)
        and (
            f.distance_km is None or f.distance_km < t.distance_km or f.boarding or not t.p_distance
        )
        and not (f.boarding and t.p_boarding)
        and over_age(f.grade, f.school_year, f.birth_year) < t.over_age_years
    )


def reason_text(reason: dict[str, Any]) -> str:
    """One reason in the active language (Vietnamese by default)."""
    code = reason.get("code", "")
    n = int(reason.get("n", 0) or 0)
    if code in ("absence_severe", "absence_chronic"):
        k = int(reason.get("k", 0))
        days = int(reason.get("days", 0))
        text = ngettext(
            "absent %(n)s session in the last %(days)s school days",
            "absent %(n)s sessions in the last %(days)s school days",
            n,
        ) % {"n": n, "days": days}
        if k:
            text += " " + _("(%(k)s without leave)") % {"k": k}
        return text
    if code == "unexcused":
        return ngettext(
            "absent %(n)s session without leave in the last %(days)s school days",
            "absent %(n)s sessions without leave in the last %(days)s school days",
            n,
        ) % {"n": n, "days": reason.get("days", 0)}
    if code == "consecutive":
        return ngettext(
            "absent without leave %(n)s school day in a row",
            "absent without leave %(n)s school days in a row",
            n,
        ) % {"n": n}
    if code == "not_back":
        return ngettext(
            "not back after %(name)s for %(n)s school day",
            "not back after %(name)s for %(n)s school days",
            n,
        ) % {"n": n, "name": reason.get("name") or _("the break")}
    if code == "trend":
        return _(
            "absences rising: %(recent)s sessions in the last %(half)s school days, "
            "%(earlier)s in the %(half)s before"
        ) % {
            "recent": reason.get("recent", 0),
            "earlier": reason.get("earlier", 0),
            "half": reason.get("half", 0),
        }
    if code == "over_age":
        return ngettext(
            "%(n)s year older than the class's age",
            "%(n)s years older than the class's age",
            n,
        ) % {"n": n}
    if code == "repeated":
        return _("has repeated a grade")
    if code == "academic":
        return _("teacher notes learning difficulties")
    if code == "marriage":
        return _("teacher notes a risk of early marriage")
    if code == "working":
        if n:
            return ngettext(
                "absent %(n)s session to work",
                "absent %(n)s sessions to work",
                n,
            ) % {"n": n}
        return _("teacher notes the student is working")
    if code == "moving":
        return _("teacher notes the family may move away")
    if code == "arrival":
        if reason.get("kind") == "returned":
            return _("came back to school %(n)s days ago after time away") % {"n": n}
        return _("transferred in %(n)s days ago") % {"n": n}
    if code == "sibling":
        return _("a brother or sister has dropped out")
    if code == "distance":
        km = float(reason.get("km", 0))
        return _("lives %(km)s km from school") % {"km": f"{km:.1f}".replace(".", ",")}
    if code == "boarding":
        return _("boards at school")
    return code


def reasons_text(reasons: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> list[str]:
    return [reason_text(r) for r in reasons]
