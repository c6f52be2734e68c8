"""What the login flow keeps in the session, and when a session ends.

- Between the password and the code, the session (still anonymous) holds the pending
  user: id, backend, when, where to go next, and the user's session hash (so a password
  changed meanwhile voids it). It lasts LOGIN_PENDING_MINUTES.
- A session our login views opened carries MARK: how the user logged in, when, when last
  seen, and its idle limit. `SessionPolicyMiddleware` ends it after that many idle
  minutes or SESSION_COOKIE_AGE after logging in, whichever comes first.
- A session opened by `django.contrib.auth.login()` anywhere else carries no MARK. In the
  product nothing else calls it (the admin's login page redirects to ours; the test
  `test_no_other_login_view` walks the URLs); the test client's `login()`/`force_login()`
  do, and such sessions are trusted as they are, without idle expiry: they stand for a
  user who completed the whole login (docs/decisions/0011-accounts-security.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest

from dentruong.accounts.models import User
from dentruong.audit.requests import client_ip as audited_ip

MARK = "dentruong.auth"
PENDING = "dentruong.pending"
EXPIRED = "dentruong.expired"
SEEN_EVERY = 60  # seconds: the last-seen time is written at most this often


@dataclass(frozen=True)
class Pending:
    user: User
    backend: str
    next_url: str


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, as the audit log sees it: REMOTE_ADDR, or behind a proxy
    listed in AUDIT_TRUSTED_PROXIES the address that proxy saw (one setting for both)."""
    return audited_ip(request)


def begin_pending(request: HttpRequest, *, user: User, next_url: str, now: dt.datetime) -> None:
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[0]),
        "at": now.timestamp(),
        "next": next_url,
        "hash": user.get_session_auth_hash(),
    }


def pending(request: HttpRequest, *, now: dt.datetime) -> Pending | None:
    data: dict[str, Any] | None = request.session.get(PENDING)
    if not data:
        return None
    if now.timestamp() - float(data["at"]) > settings.LOGIN_PENDING_MINUTES * 60:
        return None
    user = User.objects.filter(pk=data["user"], is_active=True).first()
    if user is None or user.get_session_auth_hash() != data["hash"]:
        return None
    return Pending(user=user, backend=str(data["backend"]), next_url=str(data["next"]))


def complete_login(
    request: HttpRequest, *, user: User, backend: str, via: str, strict: bool, now: dt.datetime
) -> None:
    """Log the user in (a new session key) and mark the session as ours."""
    request.session.pop(PENDING, None)
    auth_login(request, user, backend=backend)
    idle = settings.SESSION_IDLE_MINUTES if strict else settings.SESSION_IDLE_MINUTES_SCHOOL
    stamp = now.timestamp()
    request.session[MARK] = {"via": via, "at": stamp, "seen": stamp, "idle": idle}


def expired(mark: dict[str, Any], *, now: dt.datetime) -> bool:
    """Idle too long, or logged in longer ago than SESSION_COOKIE_AGE."""
    stamp = now.timestamp()
    idle = float(mark.get("idle", settings.SESSION_IDLE_MINUTES)) * 60
    return (
        stamp - float(mark["seen"]) > idle
        or stamp - float(mark["at"]) > settings.SESSION_COOKIE_AGE
    )


def touch(session: SessionBase, mark: dict[str, Any], *, now: dt.datetime) -> None:
    stamp = now.timestamp()
    if stamp - float(mark["seen"]) >= SEEN_EVERY:
        session[MARK] = {**mark, "seen": stamp}
