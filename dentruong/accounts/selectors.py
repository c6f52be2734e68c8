"""Reads about accounts: who needs a second factor, their device, the login throttle."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Max

from dentruong.accounts import throttle
from dentruong.accounts.models import (
    LoginAttempt,
    Membership,
    Outcome,
    RecoveryCode,
    Role,
    TOTPDevice,
    User,
)

# Roles whose scope is a whole commune or province, or everything: they log in with a
# code from an authenticator app as well as the password (so do staff and superusers).
TWO_FACTOR_ROLES = frozenset({Role.PROVINCE_OFFICER, Role.COMMUNE_OFFICER, Role.ADMIN})

COUNTED_FAILURES = (Outcome.FAILED, Outcome.PENDING)
RESETS = (Outcome.SUCCEEDED, Outcome.UNLOCKED)


def requires_two_factor(user: User) -> bool:
    if user.is_superuser or user.is_staff:
        return True
    return Membership.objects.active().filter(user=user, role__in=TWO_FACTOR_ROLES).exists()


def device_for(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user).first()


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def unused_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def username_rule() -> throttle.Rule:
    return throttle.Rule(
        limit=settings.LOGIN_FAILURE_LIMIT,
        window=dt.timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES),
        lockout=dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES),
    )


def ip_rule() -> throttle.Rule:
    return throttle.Rule(
        limit=settings.LOGIN_IP_FAILURE_LIMIT,
        window=dt.timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES),
        lockout=dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES),
    )


def lock_in_force(
    *, username: str, ip: str | None, now: dt.datetime, exclude: int | None = None
) -> dt.datetime | None:
    """When the lock on this username or this address ends (the later), or None.

    `username` is the throttle key (casefolded). A success or an administrator's unlock
    starts a username's count again; an address's count never restarts (one good account
    must not buy an address more guesses at others).
    """
    rule = username_rule()
    since = now - throttle.lookback(rule)
    attempts = LoginAttempt.objects.all()
    if exclude is not None:
        attempts = attempts.exclude(pk=exclude)
    reset = attempts.filter(username=username, outcome__in=RESETS, at__gt=since).aggregate(
        last=Max("at")
    )["last"]
    failures = attempts.filter(
        username=username, outcome__in=COUNTED_FAILURES, at__gt=max(since, reset or since)
    ).values_list("at", flat=True)
    ends = [throttle.lock_in_force(failures, rule, now)]
    if ip:
        by_ip = ip_rule()
        ip_failures = attempts.filter(
            ip=ip, outcome__in=COUNTED_FAILURES, at__gt=now - throttle.lookback(by_ip)
        ).values_list("at", flat=True)
        ends.append(throttle.lock_in_force(ip_failures, by_ip, now))
    found = [end for end in ends if end is not None]
    return max(found) if found else None
