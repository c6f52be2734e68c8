"""When failed logins lock a username or an address: a pure rule over failure times.

A failure that is the `limit`-th within `window` locks the key (a username, an IP
address) for `lockout` after it. Attempts refused while locked are not failures: waiting
out the lock is enough, and nobody learns anything by trying during it. After a lock ends,
the failures before it have mostly aged out of the window, so an attacker gets about
`limit` guesses per `lockout` — 5 per quarter of an hour by default — and a person who
mistyped five times waits a quarter of an hour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    limit: int
    window: dt.timedelta
    lockout: dt.timedelta


def locked_until(failures: Iterable[dt.datetime], rule: Rule) -> dt.datetime | None:
    """The end of the latest lock these failures (any order) set off, or None."""
    times = sorted(failures)
    until: dt.datetime | None = None
    for i in range(rule.limit - 1, len(times)):
        if times[i] - times[i - rule.limit + 1] <= rule.window:
            end = times[i] + rule.lockout
            until = end if until is None else max(until, end)
    return until


def lock_in_force(
    failures: Iterable[dt.datetime], rule: Rule, now: dt.datetime
) -> dt.datetime | None:
    """When the lock in force at `now` ends; None when there is none."""
    until = locked_until(failures, rule)
    return until if until is not None and until > now else None


def lookback(rule: Rule) -> dt.timedelta:
    """How far back a failure can still matter: one that old could start a window whose
    lock ends only now."""
    return rule.window + rule.lockout
