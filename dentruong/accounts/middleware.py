"""Security middleware: response headers (CSP, Permissions-Policy) and session policy
(idle expiry, the password an administrator set must be changed first)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from dentruong.accounts import sessions

# Pages a user who must change their password may still open.
PASSWORD_CHANGE_ALLOWED = frozenset(
    {"password-change", "logout", "login", "login-code", "login-enrol", "set_language"}
)
SERVICE_WORKER = "service-worker"


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response (Django 5.2 has
    no CSP of its own). Scripts and styles come from our static files only: no inline
    script, style attribute or event handler in a template (decision 0011)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class SessionPolicyMiddleware:
    """After AuthenticationMiddleware. A session our login opened ends after
    SESSION_IDLE_MINUTES (officers, administrators) or SESSION_IDLE_MINUTES_SCHOOL
    (everyone else) without a request, and SESSION_COOKIE_AGE after logging in; the
    login page then says why. A user whose password an administrator set can open
    nothing but the password change page until they choose their own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            mark = request.session.get(sessions.MARK)
            now = timezone.now()
            if mark and sessions.expired(mark, now=now):
                logout(request)
                request.session[sessions.EXPIRED] = True
            elif mark:
                sessions.touch(request.session, mark, now=now)
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.must_change_password:
            return None
        match = request.resolver_match
        name = match.url_name if match else None
        if name in PASSWORD_CHANGE_ALLOWED or name == SERVICE_WORKER:
            return None
        if match is not None and match.namespace == "api-v1":
            message = _("Choose your own password first: open the password change page.")
            return JsonResponse(
                {"errors": {"__all__": [{"message": message, "code": "password_change"}]}},
                status=403,
            )
        return redirect("password-change")
