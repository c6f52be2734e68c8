"""The 2-working-day clock: weekends, Tết and other days off, a swapped Saturday."""

from __future__ import annotations

import datetime as dt

import pytest

from dentruong.privacy.holidays import (
    add_working_days,
    days_off,
    is_working_day,
    working_days_left,
)

D = dt.date
OFF = days_off()


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (D(2026, 3, 2), D(2026, 3, 4)),  # Monday → Wednesday
        (D(2026, 3, 5), D(2026, 3, 9)),  # Thursday → Monday
        (D(2026, 3, 6), D(2026, 3, 10)),  # Friday → Tuesday
        (D(2026, 3, 7), D(2026, 3, 10)),  # Saturday: the clock starts Monday
        (D(2026, 3, 8), D(2026, 3, 10)),  # Sunday
        (D(2026, 2, 12), D(2026, 2, 23)),  # Thursday before Tết Bính Ngọ: Fri, then Mon 23/2
        (D(2026, 2, 13), D(2026, 2, 24)),  # Friday before Tết: 16–20/2 off, weekend
        (D(2026, 2, 17), D(2026, 2, 24)),  # received during Tết (mùng 1)
        (D(2026, 4, 24), D(2026, 4, 29)),  # Friday; Monday 27/4 is Giỗ Tổ in lieu
        (D(2026, 4, 29), D(2026, 5, 5)),  # 30/4 and 1/5 off, then a weekend
        (D(2025, 12, 31), D(2026, 1, 5)),  # New Year's Day, then a weekend
    ],
)
def test_due_date(received: dt.date, due: dt.date) -> None:
    assert add_working_days(received, 2, OFF) == due


def test_a_swapped_saturday_is_a_working_day() -> None:
    assert is_working_day(D(2025, 4, 26), OFF)  # worked for Friday 2/5/2025
    assert not is_working_day(D(2025, 5, 2), OFF)
    assert add_working_days(D(2025, 4, 25), 2, OFF) == D(2025, 4, 28)  # Sat 26/4, Mon 28/4


def test_extra_days_off_from_the_settings() -> None:
    assert add_working_days(D(2026, 8, 31), 2, OFF) == D(2026, 9, 3)  # Tue 1/9 counts
    extra = days_off(["2026-09-01"])
    assert add_working_days(D(2026, 8, 31), 2, extra) == D(2026, 9, 4)


def test_working_days_left() -> None:
    assert working_days_left(D(2026, 3, 6), D(2026, 3, 10), OFF) == 2  # Mon, Tue
    assert working_days_left(D(2026, 3, 10), D(2026, 3, 10), OFF) == 0
    assert working_days_left(D(2026, 3, 11), D(2026, 3, 10), OFF) == -1
    assert working_days_left(D(2026, 2, 13), D(2026, 2, 24), OFF) == 2  # across Tết
