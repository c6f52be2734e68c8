"""The lock rule, pure: the limit-th failure within the window locks for the lockout."""

from __future__ import annotations

import datetime as dt

from dentruong.accounts.throttle import Rule, lock_in_force, locked_until

T0 = dt.datetime(2026, 11, 2, 7, 0, tzinfo=dt.UTC)
RULE = Rule(limit=5, window=dt.timedelta(minutes=15), lockout=dt.timedelta(minutes=15))


def at(*minutes: float) -> list[dt.datetime]:
    return [T0 + dt.timedelta(minutes=m) for m in minutes]


def test_four_failures_do_not_lock() -> None:
    assert locked_until(at(0, 1, 2, 3), RULE) is None


def test_the_fifth_failure_within_the_window_locks_for_the_lockout() -> None:
    assert locked_until(at(0, 1, 2, 3, 4), RULE) == T0 + dt.timedelta(minutes=19)
    assert lock_in_force(at(0, 1, 2, 3, 4), RULE, T0 + dt.timedelta(minutes=18)) is not None
    assert lock_in_force(at(0, 1, 2, 3, 4), RULE, T0 + dt.timedelta(minutes=19)) is None


def test_failures_spread_wider_than_the_window_do_not_lock() -> None:
    assert locked_until(at(0, 4, 8, 12, 16), RULE) is None
    assert locked_until(at(0, 4, 8, 12, 15), RULE) == T0 + dt.timedelta(minutes=30)


def test_order_does_not_matter_and_the_latest_lock_wins() -> None:
    failures = at(40, 0, 1, 2, 3, 4, 41, 42, 43, 44)
    assert locked_until(failures, RULE) == T0 + dt.timedelta(minutes=59)


def test_after_a_lock_about_limit_more_guesses() -> None:
    """After the lock ends, the old failures have aged out: the next lock needs about
    `limit` new ones, never just one."""
    old = at(0, 1, 2, 3, 4)  # locked until 19
    assert lock_in_force([*old, *at(19)], RULE, T0 + dt.timedelta(minutes=19.5)) is None
    four = [*old, *at(19, 19.2, 19.4, 19.6)]
    assert lock_in_force(four, RULE, T0 + dt.timedelta(minutes=20)) is None
    again = [*four, *at(19.8)]
    assert lock_in_force(again, RULE, T0 + dt.timedelta(minutes=20)) is not None
