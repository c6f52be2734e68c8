"""Sessions end: after idle minutes (sooner for officers), after SESSION_COOKIE_AGE, and
everywhere else when the password changes."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from dentruong.accounts.sessions import MARK
from tests.cast import PASSWORD, Cast, totp_code

T0 = dt.datetime(2026, 11, 2, 7, 0, tzinfo=dt.UTC)


def log_in(client: Client, username: str) -> None:
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    if response["Location"] == reverse("login-code"):
        response = client.post(reverse("login-code"), {"code": totp_code(username)})
    assert response.status_code == 302 and SESSION_KEY in client.session


def test_teacher_session_ends_after_two_idle_hours(cast: Cast, client: Client) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        log_in(client, "tam")
        for _ in range(3):  # used every hour: still open after three
            clock.shift(dt.timedelta(minutes=60))
            assert client.get(reverse("home")).status_code == 200
        clock.shift(dt.timedelta(minutes=121))
        response = client.get(reverse("home"))
        assert response.status_code == 302 and response["Location"].startswith("/login/")
        assert SESSION_KEY not in client.session
        page = client.get(response["Location"]).content.decode()
        assert 'data-testid="expired"' in page  # the login page says why
        assert 'data-testid="expired"' not in client.get("/login/").content.decode()  # once


def test_officer_session_ends_after_thirty_idle_minutes(cast: Cast, client: Client) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        log_in(client, "cuc")
        assert client.session[MARK]["idle"] == 30
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(reverse("home")).status_code == 200
        clock.shift(dt.timedelta(minutes=31))
        assert client.get(reverse("home")).status_code == 302
        # the API answers 401, not a page
        assert client.get(reverse("api-v1:list_students")).status_code == 401


def test_session_ends_after_its_age_even_when_used(cast: Cast, client: Client) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        log_in(client, "tam")
        for _ in range(8):
            clock.shift(dt.timedelta(minutes=59))
            assert client.get(reverse("home")).status_code == 200
        clock.shift(dt.timedelta(minutes=9))  # 8 h 01 after logging in
        assert client.get(reverse("home")).status_code == 302


def test_last_seen_is_written_at_most_once_a_minute(cast: Cast, client: Client) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        log_in(client, "tam")
        seen = client.session[MARK]["seen"]
        clock.shift(dt.timedelta(seconds=30))
        client.get(reverse("home"))
        assert client.session[MARK]["seen"] == seen
        clock.shift(dt.timedelta(seconds=31))
        client.get(reverse("home"))
        assert client.session[MARK]["seen"] == seen + 61


def test_force_login_sessions_are_trusted_as_they_are(cast: Cast, client: Client) -> None:
    """The test client's login() opens a session without our mark: it stands for a user
    who went through the whole login (sessions.py); no idle expiry applies to it."""
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(cast.commune_officer)
        clock.shift(dt.timedelta(hours=3))
        assert client.get(reverse("home")).status_code == 200
        assert MARK not in client.session


def test_changing_the_password_ends_the_other_sessions(cast: Cast, client: Client) -> None:
    phone, laptop = Client(), client
    log_in(phone, "tam")
    log_in(laptop, "tam")
    response = laptop.post(
        reverse("password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Mùa xuân Bát Xát 2026",
            "new_password2": "Mùa xuân Bát Xát 2026",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert laptop.get(reverse("home")).status_code == 200  # this one stays
    assert phone.get(reverse("home")).status_code == 302  # the other one ends
