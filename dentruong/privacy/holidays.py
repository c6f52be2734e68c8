"""Working days of the civil service, for the 2-working-day answer to a data subject's
request (NĐ 356/2025/NĐ-CP; vn_domain §7.3 item 5). Pure: no database.

A working day is Monday to Friday, except the public holidays and Tết days off of cán bộ,
công chức (Bộ luật Lao động 2019 Điều 112, the days off the Government fixes each year,
and the day off in lieu when a holiday falls on a weekend, Điều 111). These are not the
school breaks of `orgs.CalendarBreak`: a school on Tết break and the state's Tết days
off differ, and the deadline runs on the state's.

PUBLIC_HOLIDAYS is this table, by year. Rule kept when a date is not certain: leave it
out. A missing day off makes a deadline one day EARLIER than the law's, never later;
add the days the Government announces with the PUBLIC_HOLIDAYS_EXTRA setting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

D = dt.date

PUBLIC_HOLIDAYS: dict[int, tuple[dt.date, ...]] = {
    2025: (
        D(2025, 1, 1),  # Tết Dương lịch
        *(D(2025, 1, d) for d in range(27, 32)),  # Tết Ất Tỵ: 27/1–31/1
        D(2025, 4, 7),  # Giỗ Tổ Hùng Vương (10/3 âm lịch)
        D(2025, 4, 30),
        D(2025, 5, 1),
        D(2025, 5, 2),  # swapped with Saturday 26/4 (WORKING_SATURDAYS)
        D(2025, 9, 1),  # Quốc khánh: 1/9 and 2/9
        D(2025, 9, 2),
    ),
    2026: (
        D(2026, 1, 1),
        *(D(2026, 2, d) for d in range(16, 21)),  # Tết Bính Ngọ: Mon 16/2–Fri 20/2
        D(2026, 4, 27),  # Giỗ Tổ is Sunday 26/4: Monday in lieu
        D(2026, 4, 30),
        D(2026, 5, 1),
        D(2026, 9, 2),  # the day next to it (1/9 or 3/9) is fixed yearly: add it in settings
    ),
    2027: (
        D(2027, 1, 1),
        # Tết Đinh Mùi (mùng 1 = Saturday 6/2/2027): days off not announced yet [U]
        D(2027, 4, 30),
        D(2027, 5, 3),  # 1/5 is a Saturday: Monday in lieu
        D(2027, 9, 2),
    ),
}
# Saturdays worked in exchange for a weekday off (a swap the Government allows).
WORKING_SATURDAYS: frozenset[dt.date] = frozenset({D(2025, 4, 26)})


def days_off(extra: Iterable[str | dt.date] = ()) -> frozenset[dt.date]:
    """The table plus `extra` (ISO strings or dates, from the settings)."""
    out = {d for days in PUBLIC_HOLIDAYS.values() for d in days}
    out |= {d if isinstance(d, dt.date) else dt.date.fromisoformat(d.strip()) for d in extra}
    return frozenset(out)


def is_working_day(day: dt.date, holidays: frozenset[dt.date]) -> bool:
    if day in WORKING_SATURDAYS:
        return True
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: dt.date, n: int, holidays: frozenset[dt.date]) -> dt.date:
    """The n-th working day after `start` (the day of receipt does not count, whether
    it is a working day or not): received Friday, 2 working days → Tuesday."""
    day, left = start, n
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays):
            left -= 1
    return day


def working_days_left(today: dt.date, due: dt.date, holidays: frozenset[dt.date]) -> int:
    """Working days from `today` (excluded) to `due` (included); negative when late."""
    if today == due:
        return 0
    step, lo, hi = (1, today, due) if today < due else (-1, due, today)
    count, day = 0, lo
    while day < hi:
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays):
            count += 1
    return step * count
