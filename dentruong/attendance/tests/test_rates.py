from __future__ import annotations

from dataclasses import dataclass

from dentruong.attendance.rates import ratio, session_rate


@dataclass
class Row:
    enrolled: int
    present: int
    late: int
    excused: int
    unexcused: int


def test_session_rate_counts_p_and_k_apart_and_late_as_present() -> None:
    rate = session_rate([Row(30, 28, 2, 1, 1), Row(30, 30, 0, 0, 0), Row(29, 26, 1, 0, 3)])
    assert (rate.roll_calls, rate.due, rate.present, rate.late) == (3, 89, 84, 3)
    assert (rate.excused, rate.unexcused) == (1, 4)
    assert rate.rate == round(84 / 89, 4) == 0.9438
    assert rate.excused_rate == 0.0112 and rate.unexcused_rate == 0.0449


def test_nothing_due_has_no_rate() -> None:
    rate = session_rate([])
    assert rate.due == 0 and rate.rate is None and rate.unexcused_rate is None
    assert ratio(0, 0) is None and ratio(0, 5) == 0.0
