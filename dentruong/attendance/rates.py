"""Attendance rates as pure functions over summary rows (no database access).

There is no official formula for tỷ lệ chuyên cần (vn_domain.md §2.2). The session-based
convention: present sessions ÷ sessions due (sĩ số × số buổi), with absences with leave
(P) and without leave (K) counted separately; late (T) counts as present.

Sessions due are counted over roll calls actually taken on school days: a school day
whose roll call was not taken is reported as missing, never assumed present or absent.
"""

from __future__ import annotations

from collections.abc import Iterable
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
