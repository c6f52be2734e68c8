"""The 500 handler (dentruong/urls.py `handler500`): when the database is restarting,
unreachable or its disk is full, the answer is a retryable 503, also when a middleware
(sessions, the login policy, the audit log) met the error before any view did. Anything
else is Django's own 500 page.

No template: rendering one would ask the database again (the user, the session)."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views import defaults


def database_unavailable() -> str:
    return _(
        "The server cannot reach its database right now (it may be restarting or its "
        "disk may be full). Try again in a moment."
    )


def server_error(request: HttpRequest) -> HttpResponse:
    error = sys.exc_info()[1]
    if not isinstance(error, OperationalError | InterfaceError):
        return defaults.server_error(request)
    message = database_unavailable()
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"errors": {"__all__": [{"message": message, "code": "unavailable"}]}}, status=503
        )
    else:
        title = escape(_("Try again in a moment"))
        response = HttpResponse(
            f'<!doctype html><html lang="vi"><meta charset="utf-8"><title>{title}</title>'
            f"<h1>{title}</h1><p>{escape(message)}</p></html>",
            status=503,
        )
    response["Retry-After"] = "1"
    return response
