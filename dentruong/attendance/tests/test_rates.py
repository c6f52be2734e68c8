from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dentruong.attendance.rates import (
    ABSENCE_LIMIT,
    Coverage,
    Period,
    longest_run,
    not_back,
    ratio,
    runs,
    school_year_of,
    session_key,
    session_rate,
    sessions_left,
    student_rate,
    student_sequence,
)


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


def test_coverage_reports_missing_sessions_apart() -> None:
    c = Coverage(sessions_due=27, roll_calls=25)
    assert (c.missing, c.rate) == (2, 0.9259)
    assert Coverage(0, 0).rate is None and Coverage(3, 4).missing == 0


def test_student_rate_counts_p_plus_k_and_k_alone() -> None:
    # 6 students; absences (P, K): 7 has (1, 2) = 3, 8 has (0, 3), 9 has (1, 0); late
    # marks are not absences and never reach this formula.
    rate = student_rate([1, 2, 3, 7, 8, 9, 9], {7: (1, 2), 8: (0, 3), 9: (1, 0)}, 2)
    assert (rate.students, rate.within, rate.within_unexcused) == (6, 4, 5)
    assert (rate.rate, rate.unexcused_rate) == (0.6667, 0.8333)
    assert student_rate([], {}, 0).rate is None


def test_school_year_of() -> None:
    assert school_year_of(dt.date(2026, 9, 5)) == 2026
    assert school_year_of(dt.date(2027, 5, 29)) == 2026
    assert school_year_of(dt.date(2027, 7, 31)) == 2026  # summer: the year that ended
    assert school_year_of(dt.date(2027, 8, 15)) == 2027  # tựu trường


D = dt.date


def keys(*days: tuple[int, str]) -> list[tuple[dt.date, int]]:
    return sorted(session_key(D(2027, 3, d), s) for d, s in days)


def test_student_sequence_skips_untaken_sessions_and_follows_class_changes() -> None:
    # Class 1 (mornings): taken 1, 2, 4, 5 March (3rd not taken), 8 and 9 (after the move).
    # Class 2 (mornings and afternoons) from Monday 8 March.
    class1 = keys((1, "am"), (2, "am"), (4, "am"), (5, "am"), (8, "am"), (9, "am"))
    class2 = keys((8, "am"), (8, "pm"), (9, "am"))
    periods = [
        Period(2, D(2027, 3, 8), None, class2),
        Period(1, D(2027, 3, 1), D(2027, 3, 8), class1),  # end exclusive: 8th in class 2
    ]
    marks = [
        (1, session_key(D(2027, 3, 2), "am")),
        (1, session_key(D(2027, 3, 4), "am")),
        (1, session_key(D(2027, 3, 5), "am")),
        (2, session_key(D(2027, 3, 8), "am")),
        (1, session_key(D(2027, 3, 9), "am")),  # class 1 after the move: not due
        (2, session_key(D(2027, 3, 10), "am")),  # not a taken session
    ]
    total, found = student_sequence(periods, marks)
    assert total == 4 + 3  # class 1: 1, 2, 4, 5; class 2: 8 am, 8 pm, 9 am
    # K on 2, 4, 5 March then 8 March morning in class 2: four in a row (the untaken
    # 3rd neither counts nor breaks the run).
    assert found == [(p, m[1]) for p, m in zip([1, 2, 3, 4], marks, strict=False)]
    best = longest_run([p for p, _ in found])
    assert best is not None and (best.start, best.length, best.end) == (1, 4, 4)


def test_runs_and_the_latest_longest() -> None:
    assert [(r.start, r.length) for r in runs([0, 1, 3, 4, 5, 9])] == [(0, 2), (3, 3), (9, 1)]
    best = longest_run([0, 1, 5, 6])
    assert best is not None and best.start == 5  # the latest among equals
    assert longest_run([]) is None


def test_not_back_and_the_limit() -> None:
    assert not_back(3, [0, 1, 2]) and not not_back(3, [0, 2]) and not not_back(0, [])
    assert ABSENCE_LIMIT == 45
    assert (sessions_left(36), sessions_left(45), sessions_left(50)) == (9, 0, 0)
