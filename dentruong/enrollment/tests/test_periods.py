"""Pure functions: periods, after Tết, status codes, shares, the dropout tally."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from dentruong.enrollment.codes import EventKind, Period
from dentruong.enrollment.figures import Balance, meets_target, share, tally
from dentruong.enrollment.periods import (
    Terms,
    is_after_tet,
    lost_before,
    period_of,
    status_code,
    tet_break,
)

D = dt.date
# 2024–2025 in Lào Cai: HK I 5/9–18/1, HK II 20/1–31/5, Tết Ất Tỵ 25/1–2/2.
TERMS = Terms(
    term1=(D(2024, 9, 5), D(2025, 1, 18)),
    term2=(D(2025, 1, 20), D(2025, 5, 31)),
    tet=(D(2025, 1, 25), D(2025, 2, 2)),
)


@pytest.mark.parametrize(
    ("day", "period", "after_tet"),
    [
        (D(2024, 8, 20), Period.SUMMER, False),  # before the year starts
        (D(2024, 9, 4), Period.SUMMER, False),
        (D(2024, 9, 5), Period.TERM1, False),
        (D(2025, 1, 18), Period.TERM1, False),
        (D(2025, 1, 19), Period.TERM2, False),  # between the terms: never came to term 2
        (D(2025, 1, 24), Period.TERM2, False),
        (D(2025, 1, 25), Period.TERM2, True),  # first day of the Tết break
        (D(2025, 3, 21), Period.TERM2, True),
        (D(2025, 5, 31), Period.TERM2, True),
        (D(2025, 6, 1), Period.SUMMER, False),  # after the year
    ],
)
def test_period_and_after_tet(day: dt.date, period: str, after_tet: bool) -> None:
    assert period_of(day, TERMS) == period
    assert is_after_tet(day, TERMS) is after_tet


def test_no_tet_break_means_nothing_is_after_tet() -> None:
    terms = Terms(term1=TERMS.term1, term2=TERMS.term2)
    assert not is_after_tet(D(2025, 3, 21), terms)
    assert tet_break([("holiday", D(2025, 4, 30), D(2025, 5, 1))]) is None
    assert tet_break(
        [("holiday", D(2025, 4, 30), D(2025, 5, 1)), ("tet", D(2025, 1, 25), D(2025, 2, 2))]
    ) == (D(2025, 1, 25), D(2025, 2, 2))


@pytest.mark.parametrize(
    ("kind", "period", "code"),
    [
        (EventKind.DROPPED_OUT, Period.TERM1, "05"),
        (EventKind.DROPPED_OUT, Period.TERM2, "09"),
        (EventKind.LEFT_LOCALITY, Period.SUMMER, "12"),
        (EventKind.TRANSFERRED_IN, Period.TERM1, "02"),
        (EventKind.TRANSFERRED_IN, Period.SUMMER, "10"),
        (EventKind.TRANSFERRED_OUT, Period.TERM2, "08"),
        (EventKind.TRANSFERRED_OUT, Period.SUMMER, "11"),
        (EventKind.RETURNED, Period.TERM2, "07"),
        (EventKind.ENROLLED, Period.TERM1, "01"),
        (EventKind.COMPLETED, Period.TERM2, None),
        (EventKind.DROPPED_OUT, "", None),
    ],
)
def test_status_codes(kind: str, period: str, code: str | None) -> None:
    assert status_code(kind, period) == code


def test_shares_and_target() -> None:
    assert share(1, 3) == 33.33
    assert share(0, 0) is None
    assert meets_target(20, 100, 20) is True
    assert meets_target(19, 100, 20) is False
    assert meets_target(1, 5, 20) is True  # exactly 20 %, no float rounding
    assert meets_target(0, 0, 20) is None


def test_lost_before() -> None:
    # Dated 1 March, 15 days to confirm: lost from 17 March (1 March < 17 − 15 = 2 March).
    assert lost_before(D(2027, 3, 16), 15) == D(2027, 3, 1)
    assert lost_before(D(2027, 3, 17), 15) == D(2027, 3, 2)


@dataclass
class Row:
    kind: str
    level: str
    period: str
    after_tet: bool = False
    reason_code: str = ""
    whereabouts: str = ""


def test_tally() -> None:
    rows = [
        Row("dropped_out", "THCS", "term1", reason_code="01"),
        Row("dropped_out", "THCS", "term2", True, "02"),
        Row("left_locality", "THPT", "summer", whereabouts="02"),
        Row("left_locality", "THPT", "term2", True, "06", "03"),
    ]
    t = tally(rows)
    assert t.total == 4
    assert t.by_level == {"THCS": 2, "THPT": 2}
    assert t.by_period == {"term1": 1, "term2": 2, "summer": 1}
    assert t.after_tet == 2
    assert t.by_reason == {"01": 1, "02": 1, "06": 1}
    assert (t.left_locality, t.left_by_whereabouts) == (2, {"02": 1, "03": 1})
    assert t.by_level_period[("THPT", "after_tet")] == 1


def test_balance() -> None:
    b = Balance(start=30, end=29)
    b.ins.update({"transferred_in": 2, "returned": 1})
    b.outs.update({"dropped_out": 3})
    b.moved_out = 1
    assert (b.expected, b.holds, b.gap) == (29, True, 0)
    b.end = 31
    assert (b.holds, b.gap) == (False, 2)
