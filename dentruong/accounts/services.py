"""Writes about accounts: login attempts and their throttle, the second factor, passwords.

The login checks (`check_password`, `check_code`) are the one place where a password or a
code is tested: the login views call them, nothing else logs a user in (the admin's own
login page redirects to ours). Each writes its `LoginAttempt` row PENDING, in its own
transaction, *before* testing anything, then settles it: so tries running at the same
time in other workers count against each other, and a burst of parallel guesses is
throttled like a sequence (docs/decisions/0011-accounts-security.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import secrets
from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dentruong.accounts import selectors, totp
from dentruong.accounts.models import (
    LoginAttempt,
    Outcome,
    RecoveryCode,
    Stage,
    TOTPDevice,
    User,
)

RECOVERY_CODES = 8
RECOVERY_CODE_CHARS = 16  # base32: 80 random bits, so an unsalted SHA-256 is enough
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


class EnrolmentError(Exception):
    """The user already has a confirmed authenticator app."""


@dataclass(frozen=True)
class Check:
    """What a login check found: the user when it passed, the end of the lock when the
    username or the address is locked (then nothing was tested)."""

    user: User | None = None
    locked_until: dt.datetime | None = None
    stage: str = Stage.PASSWORD
    second_factor: bool = False  # the password was right; a code must follow

    @property
    def ok(self) -> bool:
        return self.user is not None


def login_key(username: str) -> str:
    """The throttle's key for what was typed: 'Cuc ' and 'cuc' are one username."""
    return username.strip().casefold()[:150] or "-"


def clean_ip(raw: str | None) -> str | None:
    """A valid IP address or None (a malformed proxy header must not break the insert)."""
    try:
        return str(ipaddress.ip_address((raw or "").strip()))
    except ValueError:
        return None


@transaction.atomic
def begin_attempt(*, username: str, ip: str | None, stage: str, now: dt.datetime) -> LoginAttempt:
    return LoginAttempt.objects.create(
        at=now, username=login_key(username), ip=clean_ip(ip), stage=stage
    )


@transaction.atomic
def settle_attempt(*, attempt: LoginAttempt, outcome: str) -> None:
    LoginAttempt.objects.filter(pk=attempt.pk).update(outcome=outcome)
    attempt.outcome = outcome


def _locked(attempt: LoginAttempt, now: dt.datetime) -> dt.datetime | None:
    until = selectors.lock_in_force(
        username=attempt.username, ip=attempt.ip, now=now, exclude=attempt.pk
    )
    if until is not None:
        settle_attempt(attempt=attempt, outcome=Outcome.LOCKED)
    return until


def check_password(
    *,
    username: str,
    password: str,
    ip: str | None,
    second_factor: bool | None = None,
    now: dt.datetime | None = None,
) -> Check:
    """The password step. Locked: refused without testing the password, so a locked
    account tells nobody whether the password was right. Right, for a user who needs a
    second factor: PASSED (neither a failure nor a reset: the code is still to come).

    Deliberately not one transaction: the PENDING row must be visible to other workers
    while the (slow) password hash is computed.
    """
    now = now or timezone.now()
    attempt = begin_attempt(username=username, ip=ip, stage=Stage.PASSWORD, now=now)
    until = _locked(attempt, now)
    if until is not None:
        return Check(locked_until=until)
    user = authenticate(None, username=username, password=password)
    if not isinstance(user, User):
        settle_attempt(attempt=attempt, outcome=Outcome.FAILED)
        return Check()
    if second_factor is None:
        second_factor = selectors.requires_two_factor(user)
    settle_attempt(attempt=attempt, outcome=Outcome.PASSED if second_factor else Outcome.SUCCEEDED)
    return Check(user=user, second_factor=second_factor)


def _looks_like_recovery_code(code: str) -> bool:
    return len(normalize_recovery_code(code)) == RECOVERY_CODE_CHARS


def check_code(
    *,
    user: User,
    code: str,
    ip: str | None,
    recovery: bool = True,
    now: dt.datetime | None = None,
) -> Check:
    """The second step: a code from the user's confirmed app, or (if `recovery`) one of
    their unused recovery codes. Throttled like passwords, on the same username."""
    now = now or timezone.now()
    stage = Stage.RECOVERY if recovery and _looks_like_recovery_code(code) else Stage.CODE
    attempt = begin_attempt(username=user.get_username(), ip=ip, stage=stage, now=now)
    until = _locked(attempt, now)
    if until is not None:
        return Check(locked_until=until, stage=stage)
    if stage == Stage.RECOVERY:
        passed = use_recovery_code(user=user, code=code, now=now)
    else:
        device = selectors.confirmed_device(user)
        passed = device is not None and use_totp_code(device=device, code=code, now=now)
    settle_attempt(attempt=attempt, outcome=Outcome.SUCCEEDED if passed else Outcome.FAILED)
    return Check(user=user if passed else None, stage=stage)


@transaction.atomic
def use_totp_code(*, device: TOTPDevice, code: str, now: dt.datetime) -> bool:
    """True when `code` is right and newer than the last one used, which it becomes: a
    conditional update, so two requests with the same code cannot both pass."""
    step = totp.match_step(
        totp.secret_bytes(device.secret), code, now.timestamp(), after_step=device.last_step
    )
    if step is None:
        return False
    won = (
        TOTPDevice.objects.filter(pk=device.pk)
        .filter(Q(last_step__isnull=True) | Q(last_step__lt=step))
        .update(last_step=step)
    )
    device.last_step = step
    return won == 1


def normalize_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash_recovery_code(code: str) -> str:
    return hashlib.sha256(normalize_recovery_code(code).encode("ascii", "replace")).hexdigest()


@transaction.atomic
def use_recovery_code(*, user: User, code: str, now: dt.datetime) -> bool:
    return (
        RecoveryCode.objects.filter(
            user=user, code_hash=_hash_recovery_code(code), used_at__isnull=True
        ).update(used_at=now)
        == 1
    )


@transaction.atomic
def new_recovery_codes(*, user: User, now: dt.datetime | None = None) -> list[str]:
    """Fresh one-time codes ('abcd-efgh-ijkl-mnop'), replacing all earlier ones. Returned
    once to be shown once: only their hashes are kept."""
    now = now or timezone.now()
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_BASE32) for _ in range(RECOVERY_CODE_CHARS))
        codes.append("-".join(raw[i : i + 4] for i in range(0, RECOVERY_CODE_CHARS, 4)))
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=_hash_recovery_code(c), created_at=now) for c in codes
    )
    return codes


@transaction.atomic
def start_enrolment(*, user: User, now: dt.datetime | None = None) -> TOTPDevice:
    """The user's unconfirmed app (a new secret the first time; the same one until it is
    confirmed, so reloading the page does not change the key being typed in)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user).first()
    if device is not None and device.confirmed:
        raise EnrolmentError("already enrolled")
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, secret=totp.new_secret(), created_at=now or timezone.now()
        )
    return device


def confirm_enrolment(
    *, user: User, code: str, ip: str | None, now: dt.datetime | None = None
) -> tuple[Check, list[str]]:
    """The first code from the new app confirms it; the recovery codes are made then.
    Throttled like any code (not one transaction: see `check_password`)."""
    now = now or timezone.now()
    attempt = begin_attempt(username=user.get_username(), ip=ip, stage=Stage.CODE, now=now)
    until = _locked(attempt, now)
    if until is not None:
        return Check(locked_until=until, stage=Stage.CODE), []
    codes = _confirm(user=user, code=code, now=now)
    settle_attempt(attempt=attempt, outcome=Outcome.SUCCEEDED if codes else Outcome.FAILED)
    return Check(user=user if codes else None, stage=Stage.CODE), codes


@transaction.atomic
def _confirm(*, user: User, code: str, now: dt.datetime) -> list[str]:
    device = TOTPDevice.objects.select_for_update().filter(user=user).first()
    if device is None or device.confirmed:
        return []
    step = totp.match_step(totp.secret_bytes(device.secret), code, now.timestamp())
    if step is None:
        return []
    device.confirmed_at = now
    device.last_step = step
    device.save(update_fields=["confirmed_at", "last_step"])
    return new_recovery_codes(user=user, now=now)


@transaction.atomic
def reset_two_factor(*, user: User) -> None:
    """An administrator's answer to a lost phone: the user enrols again at next login."""
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()


@transaction.atomic
def unlock_login(*, username: str, now: dt.datetime | None = None) -> None:
    """Lift a username's lock (an administrator, after checking who is asking): an
    UNLOCKED row restarts its count. An address's lock is left to expire."""
    LoginAttempt.objects.create(
        at=now or timezone.now(),
        username=login_key(username),
        stage=Stage.PASSWORD,
        outcome=Outcome.UNLOCKED,
    )


@transaction.atomic
def purge_login_attempts(*, before: dt.datetime) -> int:
    """Delete login attempts older than `before` (the retention job); returns how many.
    Keep at least the throttle's lookback (window + lockout) or locks end early."""
    deleted, _ = LoginAttempt.objects.filter(at__lt=before).delete()
    return deleted


@transaction.atomic
def change_password(*, user: User, new_password: str) -> None:
    """The user's own choice (already validated by the form): the flag set by an
    administrator is cleared. Other sessions of the user end (Django's session hash)."""
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])


@transaction.atomic
def set_initial_password(*, user: User, password: str) -> None:
    """A password set by an administrator: the user must change it at first login."""
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
