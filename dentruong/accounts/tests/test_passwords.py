"""Password rules, the change page (Vietnamese errors), and the first-login change of a
password an administrator set."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dentruong.accounts.forms import InitialPasswordForm
from dentruong.accounts.models import User
from dentruong.accounts.validators import only_identity
from tests.cast import PASSWORD, Cast


@pytest.mark.parametrize(
    "password",
    ["cuc@@cuc@@", "Cúc1234567", "CUC-2026-cuc", "0912345678!", "+84912345678", "912345678@@"],
)
def test_only_username_or_phone_is_refused(password: str) -> None:
    assert only_identity(password, username="cuc", phone="+84912345678")


@pytest.mark.parametrize(
    "password", ["cucxyz12345", "Hoa cúc vàng 2026", "correct-horse-battery", "0912ab345678"]
)
def test_other_passwords_pass_this_rule(password: str) -> None:
    assert not only_identity(password, username="cuc", phone="+84912345678")


def test_a_phone_number_as_username(db: None) -> None:
    user = User(username="0912345678")
    with pytest.raises(ValidationError) as refused:
        validate_password("+84912345678##", user)
    assert "password_is_username_or_phone" in [e.code for e in refused.value.error_list]


def test_the_settings_apply_all_the_rules(db: None) -> None:
    user = User(username="hoangcuc", phone="+84912345678", full_name="Hoàng Thị Cúc")
    for weak in ("short1", "1234567890123", "password123", "hoangcuc!!!!!!"):
        with pytest.raises(ValidationError):
            validate_password(weak, user)
    validate_password("Mùa xuân Bát Xát 2026", user)


def change(client: Client, old: str, new1: str, new2: str | None = None) -> object:
    return client.post(
        reverse("password-change"),
        {"old_password": old, "new_password1": new1, "new_password2": new2 or new1},
    )


def test_change_page_errors_are_vietnamese(cast: Cast, client: Client) -> None:
    client.force_login(cast.teacher)
    response = change(client, PASSWORD, "ngan1")
    assert response.status_code == 400  # type: ignore[attr-defined]
    body = response.content.decode()  # type: ignore[attr-defined]
    too_short = ngettext(
        "This password is too short: it must have at least %(min_length)d character.",
        "This password is too short: it must have at least %(min_length)d characters.",
        10,
    )
    assert too_short % {"min_length": 10} in body
    response = change(client, "not-my-password", "Mùa xuân Bát Xát 2026")
    assert "Mật khẩu cũ không chính xác" in response.content.decode()  # type: ignore[attr-defined]
    response = change(client, PASSWORD, "tam@@tam@@tam")
    assert _("The password must not be just your username or phone number.") in (
        response.content.decode()  # type: ignore[attr-defined]
    )
    cast.teacher.refresh_from_db()
    assert cast.teacher.check_password(PASSWORD)  # nothing half-written


def test_admin_set_password_must_be_changed_first(cast: Cast, client: Client) -> None:
    form = InitialPasswordForm(
        cast.teacher, {"password1": "Tạm thời 2026 xyz", "password2": "Tạm thời 2026 xyz"}
    )
    assert form.is_valid(), form.errors
    form.save()
    cast.teacher.refresh_from_db()
    assert cast.teacher.must_change_password

    response = client.post("/login/", {"username": "tam", "password": "Tạm thời 2026 xyz"})
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert home.status_code == 302 and home["Location"] == reverse("password-change")
    roster = client.get(reverse("class-roster", args=[cast.class_3a.pk]))
    assert roster["Location"] == reverse("password-change")
    api = client.get(reverse("api-v1:list_students"))
    assert api.status_code == 403
    assert api.json()["errors"]["__all__"][0]["code"] == "password_change"
    page = client.get(reverse("password-change"))
    assert page.status_code == 200 and 'data-testid="forced"' in page.content.decode()

    assert change(client, "Tạm thời 2026 xyz", "Mùa xuân Bát Xát 2026").status_code == 302  # type: ignore[attr-defined]
    cast.teacher.refresh_from_db()
    assert not cast.teacher.must_change_password
    assert client.get(reverse("home")).status_code == 200


def test_admin_created_users_must_change_their_password(cast: Cast, client: Client) -> None:
    cast.admin.is_staff = cast.admin.is_superuser = True
    cast.admin.save()
    client.force_login(cast.admin)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "giaovien_moi",
            "password1": "Tạm thời 2026 xyz",
            "password2": "Tạm thời 2026 xyz",
            "usable_password": "true",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert User.objects.get(username="giaovien_moi").must_change_password
