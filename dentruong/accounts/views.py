"""Login (password, then a code for officers and administrators), enrolment of an
authenticator app, password change, the account's security page.

Thin views: the checks and their throttle are `services.check_password` / `check_code`,
the session bookkeeping `sessions`. Each page answers 400 for a wrong entry and 429 while
the username or the address is locked.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from dentruong.accounts import qr, selectors, services, sessions, totp
from dentruong.accounts.forms import CodeForm, LoginForm
from dentruong.accounts.models import User


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required
    return user


def _safe_next(request: HttpRequest, raw: str) -> str:
    if raw and url_has_allowed_host_and_scheme(
        raw, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return raw
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _locked(
    request: HttpRequest, template: str, context: dict[str, Any], until: dt.datetime
) -> HttpResponse:
    """429 with the time the lock ends; the same whatever was typed."""
    context["locked_until"] = timezone.localtime(until)
    response = render(request, template, context, status=429)
    seconds = (until - timezone.now()).total_seconds()
    response["Retry-After"] = str(max(1, math.ceil(seconds)))
    return response


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next", "")
    form = LoginForm(request.POST or None)
    context: dict[str, Any] = {
        "form": form,
        "next": next_url,
        "expired": request.session.pop(sessions.EXPIRED, False),
    }
    if request.method != "POST":
        return render(request, "front/login.html", context)
    if not form.is_valid():
        return render(request, "front/login.html", context, status=400)
    now = timezone.now()
    check = services.check_password(
        username=form.cleaned_data["username"],
        password=form.cleaned_data["password"],
        ip=sessions.client_ip(request),
        now=now,
    )
    if check.locked_until is not None:
        return _locked(request, "front/login.html", context, check.locked_until)
    if check.user is None:
        context["wrong"] = True
        return render(request, "front/login.html", context, status=400)
    user = check.user
    target = _safe_next(request, next_url)
    if check.second_factor:
        sessions.begin_pending(request, user=user, next_url=target, now=now)
        return redirect("login-code" if selectors.confirmed_device(user) else "login-enrol")
    backend = getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[0])
    sessions.complete_login(
        request, user=user, backend=backend, via="password", strict=False, now=now
    )
    return redirect(target)


def _start_again(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("Log in again: the time to enter the code has run out."))
    return redirect("login")


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """Step two: the code from the authenticator app, or a recovery code."""
    now = timezone.now()
    pending = sessions.pending(request, now=now)
    if pending is None:
        return _start_again(request)
    if selectors.confirmed_device(pending.user) is None:
        return redirect("login-enrol")
    form = CodeForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method != "POST":
        return render(request, "accounts/code.html", context)
    if not form.is_valid():
        return render(request, "accounts/code.html", context, status=400)
    check = services.check_code(
        user=pending.user, code=form.cleaned_data["code"], ip=sessions.client_ip(request), now=now
    )
    if check.locked_until is not None:
        return _locked(request, "accounts/code.html", context, check.locked_until)
    if check.user is None:
        context["wrong"] = True
        return render(request, "accounts/code.html", context, status=400)
    sessions.complete_login(
        request, user=check.user, backend=pending.backend, via=check.stage, strict=True, now=now
    )
    return redirect(pending.next_url)


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def login_enrol(request: HttpRequest) -> HttpResponse:
    """Step two for a user who must have an authenticator app and has none yet: the key
    (typed, or scanned as a QR code), confirmed by a first code. Nothing else opens until
    then: the user is not logged in before the code is right."""
    now = timezone.now()
    pending = sessions.pending(request, now=now)
    if pending is None:
        return _start_again(request)
    if selectors.confirmed_device(pending.user) is not None:
        return redirect("login-code")
    device = services.start_enrolment(user=pending.user, now=now)
    uri = totp.otpauth_uri(
        device.secret, account=pending.user.get_username(), issuer=settings.TOTP_ISSUER
    )
    form = CodeForm(request.POST or None)
    context: dict[str, Any] = {
        "form": form,
        "key": totp.grouped(device.secret),
        "uri": uri,
        "qr": qr.svg(uri, label=_("QR code of the key for the authenticator app")),
    }
    if request.method != "POST":
        return render(request, "accounts/enrol.html", context)
    if not form.is_valid():
        return render(request, "accounts/enrol.html", context, status=400)
    check, codes = services.confirm_enrolment(
        user=pending.user, code=form.cleaned_data["code"], ip=sessions.client_ip(request), now=now
    )
    if check.locked_until is not None:
        return _locked(request, "accounts/enrol.html", context, check.locked_until)
    if check.user is None:
        context["wrong"] = True
        return render(request, "accounts/enrol.html", context, status=400)
    sessions.complete_login(
        request, user=check.user, backend=pending.backend, via="code", strict=True, now=now
    )
    return render(
        request, "accounts/recovery_codes.html", {"codes": codes, "next": pending.next_url}
    )


@never_cache
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = PasswordChangeForm(user, request.POST or None)
    context = {"form": form, "forced": user.must_change_password}
    if request.method != "POST":
        return render(request, "accounts/password_change.html", context)
    if not form.is_valid():
        return render(request, "accounts/password_change.html", context, status=400)
    services.change_password(user=user, new_password=form.cleaned_data["new_password1"])
    update_session_auth_hash(request, user)  # this session stays, the others end
    messages.success(request, _("Your password has been changed."))
    return redirect("account-security")


def _security_context(user: User) -> dict[str, Any]:
    device = selectors.confirmed_device(user)
    return {
        "required": selectors.requires_two_factor(user),
        "device": device,
        "unused_codes": selectors.unused_recovery_codes(user) if device else 0,
        "form": CodeForm(),
    }


@never_cache
@login_required
def account_security(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/security.html", _security_context(_user(request)))


@never_cache
@sensitive_post_parameters("code")
@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, against a current code from the app (not a recovery code)."""
    user = _user(request)
    context = _security_context(user)
    if context["device"] is None:
        return redirect("account-security")
    form = CodeForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return render(request, "accounts/security.html", context, status=400)
    check = services.check_code(
        user=user, code=form.cleaned_data["code"], ip=sessions.client_ip(request), recovery=False
    )
    if check.locked_until is not None:
        return _locked(request, "accounts/security.html", context, check.locked_until)
    if check.user is None:
        context["wrong"] = True
        return render(request, "accounts/security.html", context, status=400)
    codes = services.new_recovery_codes(user=user)
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": resolve_url("account-security")},
    )
