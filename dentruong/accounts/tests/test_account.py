"""The account page: new recovery codes against a current code; the admin's actions."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dentruong.accounts.models import LoginAttempt, Outcome, RecoveryCode, TOTPDevice
from dentruong.accounts.services import new_recovery_codes, use_recovery_code
from tests.cast import PASSWORD, Cast, totp_code

CODE = re.compile(r"<li>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</li>")


def test_new_recovery_codes_need_a_current_code(cast: Cast, client: Client) -> None:
    old = new_recovery_codes(user=cast.commune_officer)
    client.force_login(cast.commune_officer)
    page = client.get(reverse("account-security")).content.decode()
    assert 'data-testid="two-factor-on"' in page and 'data-testid="recovery-left"' in page

    url = reverse("recovery-codes")
    assert client.post(url, {"code": old[0]}).status_code == 400  # not a recovery code
    assert client.post(url, {"code": ""}).status_code == 400
    response = client.post(url, {"code": totp_code("cuc")})
    assert response.status_code == 200
    fresh = CODE.findall(response.content.decode())
    assert len(fresh) == 8 and not set(fresh) & set(old)
    assert RecoveryCode.objects.filter(user=cast.commune_officer).count() == 8
    assert not use_recovery_code(user=cast.commune_officer, code=old[1], now=timezone.now())
    assert use_recovery_code(user=cast.commune_officer, code=fresh[1], now=timezone.now())
    assert LoginAttempt.objects.filter(outcome=Outcome.FAILED).count() == 1


def test_account_page_without_an_app(cast: Cast, client: Client) -> None:
    client.force_login(cast.teacher)
    page = client.get(reverse("account-security")).content.decode()
    assert 'data-testid="two-factor-on"' not in page
    assert client.post(reverse("recovery-codes"), {"code": "123456"}).status_code == 302
    assert not RecoveryCode.objects.exists()


def admin_client(cast: Cast, client: Client) -> Client:
    cast.admin.is_staff = cast.admin.is_superuser = True
    cast.admin.save()
    client.force_login(cast.admin)
    return client


def test_admin_resets_a_lost_app(cast: Cast, client: Client) -> None:
    new_recovery_codes(user=cast.commune_officer)
    admin = admin_client(cast, client)
    response = admin.post(
        "/admin/accounts/user/",
        {"action": "reset_two_factor", "_selected_action": [cast.commune_officer.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=cast.commune_officer).exists()
    assert not RecoveryCode.objects.filter(user=cast.commune_officer).exists()
    assert TOTPDevice.objects.filter(user=cast.province_officer).exists()
    # next login: enrolment again
    response = Client().post("/login/", {"username": "cuc", "password": PASSWORD})
    assert response["Location"] == reverse("login-enrol")


def test_admin_lifts_a_lock(cast: Cast, client: Client) -> None:
    for i in range(5):
        Client().post("/login/", {"username": "tam", "password": f"guess-{i}-xxxxxxx"})
    assert Client().post("/login/", {"username": "tam", "password": PASSWORD}).status_code == 429
    admin = admin_client(cast, client)
    admin.post(
        "/admin/accounts/user/", {"action": "unlock_login", "_selected_action": [cast.teacher.pk]}
    )
    assert Client().post("/login/", {"username": "tam", "password": PASSWORD}).status_code == 302


def test_the_admin_never_shows_the_secret(cast: Cast, client: Client) -> None:
    admin = admin_client(cast, client)
    device = TOTPDevice.objects.get(user=cast.commune_officer)
    for url in (
        "/admin/accounts/totpdevice/",
        f"/admin/accounts/totpdevice/{device.pk}/change/",
        f"/admin/accounts/user/{cast.commune_officer.pk}/change/",
    ):
        response = admin.get(url)
        assert response.status_code == 200, url
        assert device.secret not in response.content.decode()
