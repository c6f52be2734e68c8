"""The REST API, versioned under /api/v1/ (django-ninja; schema at /api/v1/openapi.json).

Every error a client can fix comes back as 422 `{"errors": {field: [{message, code}]}}`,
whether a form rule or the schema (a malformed date, a missing field) refused it.
"""

from __future__ import annotations

from typing import Any

from django.db import DataError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.security import django_auth

from dentruong.audit.exports import PurposeRequired
from dentruong.front import errors
from dentruong.people.api import router as people_router

api = NinjaAPI(
    title="Đến Trường API",
    version="1",
    urls_namespace="api-v1",
    auth=django_auth,
)
api.add_router("/", people_router)
api.add_router("/", "dentruong.attendance.api.router")
api.add_router("/", "dentruong.notices.api.router")
api.add_router("/", "dentruong.enrollment.api.router")
api.add_router("/", "dentruong.imports.api.router")
api.add_router("/", "dentruong.risk.api.router")
api.add_router("/", "dentruong.reports.api.router")
api.add_router("/", "dentruong.mobilization.api.router")
api.add_router("/", "dentruong.outreach.api.router")
api.add_router("/", "dentruong.privacy.api.router")

# Where a schema error sits: ninja's location prefix ("body", "payload") is not a field.
_LOCATION_PREFIXES = {"body", "query", "path", "form", "payload", "header", "cookie"}


def schema_errors(errors: list[dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        while loc and loc[0] in _LOCATION_PREFIXES:
            loc = loc[1:]
        field = ".".join(loc) or "__all__"
        out.setdefault(field, []).append(
            {"message": str(error.get("msg", "")), "code": str(error.get("type", "invalid"))}
        )
    return out


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"errors": schema_errors(exc.errors)}, status=422)


@api.exception_handler(PurposeRequired)
def purpose_required(request: HttpRequest, exc: PurposeRequired) -> HttpResponse:
    """An export of children's names without `purpose` (audit/exports.py): 422."""
    error = {"message": exc.message, "code": exc.code}
    return api.create_response(request, {"errors": {"purpose": [error]}}, status=422)


@api.exception_handler(DataError)  # PostgreSQL: a value beyond its column's type
@api.exception_handler(OverflowError)  # SQLite: an integer beyond 64 bits
def out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A number (or text) the database cannot hold, e.g. an id of 30 digits: the client's
    input, so a 422 like any other refused value; the transaction was rolled back."""
    message = _("A value in the request is too large for the server to store or look up.")
    return api.create_response(
        request, {"errors": {"__all__": [{"message": message, "code": "out_of_range"}]}}, status=422
    )


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The database is restarting, unreachable or its disk is full: a retryable 503 (the
    transaction was rolled back; writes are idempotent by client id), not a traceback."""
    message = errors.database_unavailable()
    response = api.create_response(
        request, {"errors": {"__all__": [{"message": message, "code": "unavailable"}]}}, status=503
    )
    response["Retry-After"] = "1"
    return response
