"""The login page: one step for school staff, two for officers and administrators, the
throttle (a brute-forced login), and no other way in."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils.translation import gettext as _

from dentruong.accounts import totp
from dentruong.accounts.models import (
    LoginAttempt,
    Membership,
    Outcome,
    Role,
    Stage,
    TOTPDevice,
    User,
)
from dentruong.accounts.services import purge_login_attempts, unlock_login
from dentruong.accounts.sessions import MARK
from tests.cast import PASSWORD, Cast, totp_code

T0 = dt.datetime(2026, 11, 2, 7, 0, tzinfo=dt.UTC)
LOGIN = "/login/"


def post_password(client: Client, username: str, password: str = PASSWORD, **extra: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def without_csrf(body: bytes) -> str:
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body.decode())
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", text)


def test_teacher_logs_in_with_the_password_alone(cast: Cast, client: Client) -> None:
    response = client.post(LOGIN, {"username": "tam", "password": PASSWORD, "next": "/students/"})
    assert response.status_code == 302 and response["Location"] == "/students/"
    assert logged_in(client)
    assert client.session[MARK]["via"] == "password"
    assert LoginAttempt.objects.get().outcome == Outcome.SUCCEEDED


def test_next_pointing_elsewhere_is_ignored(cast: Cast, client: Client) -> None:
    response = client.post(
        LOGIN, {"username": "tam", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_wrong_password_is_refused_in_vietnamese(cast: Cast, client: Client) -> None:
    response = post_password(client, "tam", "wrong-password-123")
    assert response.status_code == 400
    assert _("Wrong username or password.") in response.content.decode()
    assert not logged_in(client)
    assert LoginAttempt.objects.get().outcome == Outcome.FAILED


def test_officer_logs_in_in_two_steps(cast: Cast, client: Client) -> None:
    response = post_password(client, "cuc")
    assert response.status_code == 302 and response["Location"] == reverse("login-code")
    assert not logged_in(client)  # nothing opens before the code
    assert client.get(reverse("home")).status_code == 302
    assert LoginAttempt.objects.get().outcome == Outcome.PASSED

    response = client.post(reverse("login-code"), {"code": totp_code("cuc")})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert logged_in(client) and client.session[MARK]["via"] == Stage.CODE
    assert client.get(reverse("home")).status_code == 200


def test_wrong_code_is_refused(cast: Cast, client: Client) -> None:
    post_password(client, "cuc")
    good = totp_code("cuc")
    wrong = f"{(int(good) + 1) % 10**6:06d}"
    response = client.post(reverse("login-code"), {"code": wrong})
    assert response.status_code == 400
    assert 'data-testid="code-error"' in response.content.decode()
    assert not logged_in(client)
    assert client.post(reverse("login-code"), {"code": ""}).status_code == 400


def test_a_code_cannot_be_used_twice(cast: Cast, client: Client) -> None:
    device = TOTPDevice.objects.get(user=cast.commune_officer)
    with time_machine.travel(T0, tick=False):
        code = totp_code("cuc")
        post_password(client, "cuc")
        assert client.post(reverse("login-code"), {"code": code}).status_code == 302
        other = Client()
        post_password(other, "cuc")
        response = other.post(reverse("login-code"), {"code": code})
        assert response.status_code == 400, "a replayed code must be refused"
        assert not logged_in(other)
        # the next step's code (the app shows it 30 s later) is good
        nxt = totp.hotp(totp.secret_bytes(device.secret), totp.time_step(T0.timestamp()) + 1)
        assert other.post(reverse("login-code"), {"code": nxt}).status_code == 302


def test_recovery_code_logs_in_once(cast: Cast, client: Client) -> None:
    from dentruong.accounts.services import new_recovery_codes

    codes = new_recovery_codes(user=cast.commune_officer)
    post_password(client, "cuc")
    response = client.post(reverse("login-code"), {"code": codes[0].upper()})
    assert response.status_code == 302 and logged_in(client)
    assert client.session[MARK]["via"] == Stage.RECOVERY
    other = Client()
    post_password(other, "cuc")
    assert other.post(reverse("login-code"), {"code": codes[0]}).status_code == 400


def test_the_code_step_expires(cast: Cast, client: Client) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        post_password(client, "cuc")
        clock.shift(dt.timedelta(minutes=6))
        response = client.post(reverse("login-code"), {"code": totp_code("cuc")})
        assert response.status_code == 302 and response["Location"] == reverse("login")
        assert not logged_in(client)


def test_a_password_changed_meanwhile_voids_the_code_step(cast: Cast, client: Client) -> None:
    post_password(client, "cuc")
    cast.commune_officer.set_password("another-Password-2026")
    cast.commune_officer.save()
    response = client.post(reverse("login-code"), {"code": totp_code("cuc")})
    assert response["Location"] == reverse("login") and not logged_in(client)


def test_roles_requiring_a_code(cast: Cast) -> None:
    from dentruong.accounts.selectors import requires_two_factor

    needs = {u.username for u in User.objects.all() if requires_two_factor(u)}
    assert needs == {"phong", "cuc", "quan", "oscar"}  # province, commune, admin
    cast.teacher.is_staff = True  # may open the admin: a code too
    assert requires_two_factor(cast.teacher)


def test_enrolment_at_first_login(cast: Cast, client: Client) -> None:
    """A commune officer without an app is sent to set one up, and can open nothing else
    until its first code is confirmed; the key is never shown again."""
    user = User.objects.create_user(username="moi", password=PASSWORD, full_name="Cán Bộ Mới")
    Membership.objects.create(user=user, role=Role.COMMUNE_OFFICER, unit=cast.commune)
    response = post_password(client, "moi")
    assert response["Location"] == reverse("login-enrol")
    assert client.get(reverse("login-code"))["Location"] == reverse("login-enrol")
    page = client.get(reverse("login-enrol"))
    body = page.content.decode()
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed_at is None
    assert totp.grouped(device.secret) in body
    assert f"secret={device.secret}" in body and "<svg" in body
    assert client.get(reverse("home")).status_code == 302  # not logged in yet
    assert client.get(reverse("login-enrol")).content.decode().count(device.secret) >= 1

    assert client.post(reverse("login-enrol"), {"code": "000000"}).status_code == 400
    code = totp.totp(totp.secret_bytes(device.secret), dt.datetime.now(dt.UTC).timestamp())
    response = client.post(reverse("login-enrol"), {"code": code})
    assert response.status_code == 200 and logged_in(client)
    codes = re.findall(r"<li>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</li>", response.content.decode())
    assert len(codes) == 8 and len(set(codes)) == 8
    device.refresh_from_db()
    assert device.confirmed_at is not None
    # Never shown again: not on the enrolment page, not on the account page.
    assert client.get(reverse("login-enrol")).status_code == 302
    assert device.secret not in client.get(reverse("account-security")).content.decode()


def test_enrolment_needs_the_password_first(cast: Cast, client: Client) -> None:
    response = client.get(reverse("login-enrol"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert not TOTPDevice.objects.filter(user__username="moi").exists()


# --- brute force ---------------------------------------------------------------------


def test_brute_forcing_a_password(cast: Cast, client: Client) -> None:
    """Five wrong passwords lock the username for a quarter of an hour: the right
    password is then refused, with the same answer as a wrong one; afterwards it works."""
    with time_machine.travel(T0, tick=False) as clock:
        for i in range(5):
            assert post_password(client, "tam", f"guess-{i}-xxxxxxx").status_code == 400
            clock.shift(dt.timedelta(seconds=20))
        right = post_password(client, "tam")
        wrong = post_password(client, "tam", "guess-6-xxxxxxx")
        assert right.status_code == wrong.status_code == 429
        assert without_csrf(right.content) == without_csrf(wrong.content), "no tell"
        assert 'data-testid="locked"' in right.content.decode()
        assert int(right["Retry-After"]) > 14 * 60
        assert not logged_in(client)
        # Another person's login from another address is not affected.
        assert post_password(Client(), "lan", REMOTE_ADDR="10.0.0.9").status_code == 302

        clock.shift(dt.timedelta(minutes=14))
        assert post_password(client, "tam").status_code == 429
        clock.shift(dt.timedelta(minutes=1, seconds=30))
        assert post_password(client, "tam").status_code == 302
        assert logged_in(client)
    outcomes = list(LoginAttempt.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes.count(Outcome.FAILED) == 5
    assert outcomes.count(Outcome.LOCKED) == 3
    assert outcomes[-1] == Outcome.SUCCEEDED


def test_the_username_is_throttled_whatever_its_case(cast: Cast, client: Client) -> None:
    for i in range(5):
        post_password(client, "TAM" if i % 2 else " tam", f"guess-{i}-xxxxxxx")
    assert post_password(client, "tam").status_code == 429


def test_unknown_usernames_are_throttled_too(cast: Cast, client: Client) -> None:
    for i in range(5):
        post_password(client, "khong-co", f"guess-{i}-xxxxxxx")
    assert post_password(client, "khong-co").status_code == 429


def test_a_success_starts_the_count_again(cast: Cast, client: Client) -> None:
    for _i in range(4):
        post_password(client, "tam", "wrong-password-1")
    assert post_password(client, "tam").status_code == 302
    client.logout()
    for _i in range(4):
        assert post_password(client, "tam", "wrong-password-1").status_code == 400
    assert post_password(client, "tam").status_code == 302


def test_parallel_guesses_count_against_each_other(cast: Cast, client: Client) -> None:
    """Tries still being checked in other workers (PENDING rows) count: a burst of
    parallel guesses cannot get past the limit."""
    for _i in range(5):
        LoginAttempt.objects.create(username="tam", stage=Stage.PASSWORD, ip="10.1.1.1")
    assert post_password(client, "tam").status_code == 429


def test_one_address_guessing_many_usernames(cast: Cast, client: Client, settings: Any) -> None:
    settings.LOGIN_IP_FAILURE_LIMIT = 6
    for i in range(6):
        post_password(client, f"user{i}", "wrong-password-1", REMOTE_ADDR="203.0.113.7")
    assert post_password(client, "tam", REMOTE_ADDR="203.0.113.7").status_code == 429
    assert post_password(client, "tam", REMOTE_ADDR="203.0.113.8").status_code == 302


def test_codes_are_throttled_like_passwords(cast: Cast, client: Client) -> None:
    """Knowing the password does not buy unlimited guesses at the code: wrong codes
    count on the username, and the password step is locked with it."""
    post_password(client, "cuc")
    for i in range(5):
        assert client.post(reverse("login-code"), {"code": f"00000{i}"}).status_code == 400
    response = client.post(reverse("login-code"), {"code": totp_code("cuc")})
    assert response.status_code == 429 and not logged_in(client)
    assert post_password(Client(), "cuc").status_code == 429
    # …and a right password in between does not start the count again
    assert not LoginAttempt.objects.filter(outcome=Outcome.SUCCEEDED).exists()


def test_an_administrator_lifts_the_lock(cast: Cast, client: Client) -> None:
    for i in range(5):
        post_password(client, "tam", f"guess-{i}-xxxxxxx")
    assert post_password(client, "tam").status_code == 429
    unlock_login(username="tam")
    assert post_password(client, "tam").status_code == 302


def test_purge_login_attempts(cast: Cast, client: Client) -> None:
    with time_machine.travel(T0, tick=False):
        post_password(client, "tam", "wrong-password-1")
    post_password(client, "tam", "wrong-password-2")
    assert purge_login_attempts(before=T0 + dt.timedelta(days=1)) == 1
    assert LoginAttempt.objects.count() == 1


# --- no other way in -------------------------------------------------------------------


def test_the_admin_login_page_sends_to_ours(cast: Cast, client: Client) -> None:
    assert resolve("/admin/login/").url_name == "admin-login"
    response = client.post("/admin/login/?next=/admin/", {"username": "quan", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/admin/"
    assert not logged_in(client)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_the_api_takes_no_password(cast: Cast, client: Client) -> None:
    """The API knows only the session cookie: HTTP Basic credentials open nothing."""
    import base64

    basic = base64.b64encode(f"tam:{PASSWORD}".encode()).decode()
    response = client.get(reverse("api-v1:list_students"), HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 401
    assert not LoginAttempt.objects.exists()


def walk(patterns: list[object]) -> list[URLPattern]:
    found: list[URLPattern] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            found += walk(p.url_patterns)
        elif isinstance(p, URLPattern):
            found.append(p)
    return found


def test_no_other_login_view() -> None:
    """Only our views log a user in: no route serves Django's LoginView (the admin's own
    login route is shadowed by a redirect to ours)."""
    from django.contrib.auth.views import LoginView

    for pattern in walk(get_resolver().url_patterns):
        view_class = getattr(pattern.callback, "view_class", None)
        assert not (view_class and issubclass(view_class, LoginView)), pattern
    assert resolve("/admin/login/").url_name == "admin-login"


@pytest.mark.parametrize("name", ["login-code", "login-enrol"])
def test_second_step_pages_need_a_pending_login(cast: Cast, client: Client, name: str) -> None:
    client.force_login(cast.teacher)
    assert client.get(reverse(name))["Location"] == reverse("login")
