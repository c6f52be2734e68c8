"""Formulas of the enrollment reports: pure functions, no database.

- A **head-count balance** of a unit over a period: start + first entries + transfers in
  + returns + repeats in + class changes in − transfers out − dropouts − left the
  locality − completed − moved out (class changes, repeats and moves recorded as leaving
  this class) = end. `Balance.holds` says whether the enrolment rows agree with events.
- A **dropout tally** counts dropout rows (kind, level, period, after Tết, reason, where
  the student went) — the same function for "recorded" and "still out".
- **Shares**: part ÷ whole × 100; a target is met when part × 100 ≥ target × whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from dentruong.enrollment.codes import EventKind, Period


@dataclass
class Balance:
    """One unit's (class's or school's) head count over a period, from its events."""

    start: int = 0
    end: int = 0
    ins: Counter[str] = field(default_factory=Counter)  # by kind
    outs: Counter[str] = field(default_factory=Counter)  # by kind
    moved_out: int = 0  # left this class by a class change, a repeat or a move elsewhere

    @property
    def expected(self) -> int:
        return self.start + sum(self.ins.values()) - sum(self.outs.values()) - self.moved_out

    @property
    def holds(self) -> bool:
        return self.expected == self.end

    @property
    def gap(self) -> int:
        """end − expected: positive when more students are enrolled than the events explain."""
        return self.end - self.expected

    def add(self, other: Balance) -> None:
        self.start += other.start
        self.end += other.end
        self.ins.update(other.ins)
        self.outs.update(other.outs)
        self.moved_out += other.moved_out

    def as_dict(self) -> dict[str, int]:
        return {
            "start": self.start,
            "first_entries": self.ins[EventKind.ENROLLED],
            "transfers_in": self.ins[EventKind.TRANSFERRED_IN],
            "returns": self.ins[EventKind.RETURNED],
            "repeats_in": self.ins[EventKind.REPEATED],
            "class_changes_in": self.ins[EventKind.CLASS_CHANGED],
            "transfers_out": self.outs[EventKind.TRANSFERRED_OUT],
            "dropouts": self.outs[EventKind.DROPPED_OUT],
            "left_locality": self.outs[EventKind.LEFT_LOCALITY],
            "completed": self.outs[EventKind.COMPLETED],
            "moved_out": self.moved_out,
            "expected": self.expected,
            "end": self.end,
        }


class DropoutRow(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def after_tet(self) -> bool: ...
    @property
    def reason_code(self) -> str: ...
    @property
    def whereabouts(self) -> str: ...


@dataclass
class Tally:
    total: int = 0
    by_level: Counter[str] = field(default_factory=Counter)
    by_period: Counter[str] = field(default_factory=Counter)  # '' = no calendar
    after_tet: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)  # '' = not given
    left_locality: int = 0
    left_by_whereabouts: Counter[str] = field(default_factory=Counter)
    # (level, period) pairs, 'after_tet' as a period of its own slice
    by_level_period: Counter[tuple[str, str]] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "by_level": dict(self.by_level),
            "by_period": {p: self.by_period[p] for p in Period.values}
            | ({"unknown": self.by_period[""]} if self.by_period[""] else {}),
            "after_tet": self.after_tet,
            "by_reason": dict(sorted(self.by_reason.items())),
            "left_locality": self.left_locality,
            "left_by_whereabouts": dict(sorted(self.left_by_whereabouts.items())),
        }


def tally(rows: Iterable[DropoutRow]) -> Tally:
    out = Tally()
    for row in rows:
        out.total += 1
        out.by_level[row.level] += 1
        out.by_period[row.period] += 1
        out.by_level_period[(row.level, row.period)] += 1
        if row.after_tet:
            out.after_tet += 1
            out.by_level_period[(row.level, "after_tet")] += 1
        if row.kind == EventKind.DROPPED_OUT:
            out.by_reason[row.reason_code] += 1
        else:
            out.left_locality += 1
            out.left_by_whereabouts[row.whereabouts] += 1
            if row.reason_code:
                out.by_reason[row.reason_code] += 1
    return out


def share(part: int, whole: int) -> float | None:
    """part ÷ whole × 100, rounded to 2 decimals; None when whole is 0."""
    if whole <= 0:
        return None
    return round(part * 100 / whole, 2)


def meets_target(part: int, whole: int, target_percent: float) -> bool | None:
    """Whether part ÷ whole reaches the target (e.g. ≥ 20 % of graduates to vocational
    training), compared exactly; None when whole is 0."""
    if whole <= 0:
        return None
    return part * 100 >= target_percent * whole
