"""What every router of the API shares (dentruong/api.py mounts them): the shape of an
error a client can fix, and the signed-in user of a request."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Schema

from dentruong.accounts.models import User


class FieldError(Schema):
    message: str
    code: str


class ValidationErrors(Schema):
    errors: dict[str, list[FieldError]]


def error_body(code: str, message: str, field: str = "__all__") -> dict[str, Any]:
    """A 422's body: `{"errors": {field: [{"message", "code"}]}}`."""
    return {"errors": {field: [{"message": message, "code": code}]}}


def signed_in_user(request: HttpRequest) -> User:
    """The request's user; django_auth lets only signed-in users through."""
    if not isinstance(request.user, User):
        raise Http404
    return request.user
