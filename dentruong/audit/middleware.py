"""Every change is recorded: each successful (status < 400) POST, PUT, PATCH or DELETE of
a user who was logged in when the request arrived, with the resolved URL name and its
kwargs (the object), the path and the IP. One INSERT after the view answered, outside
the view's transaction; if it fails the request still succeeds and the failure is logged.
Views on the busiest path (a roll call) record instead inside their service's transaction
(`requests.change_recorder`): then nothing is recorded here.
Request bodies are never stored (no password, no form data).

It also turns `PurposeRequired` (an export of names without a purpose) into the small
page that asks why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from dentruong.accounts.models import User
from dentruong.audit.exports import PurposeRequired
from dentruong.audit.models import AuditAction
from dentruong.audit.requests import RECORDED, object_of, origin_of
from dentruong.audit.services import record_event
from dentruong.audit.views import purpose_page

logger = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Sessions and preferences, not data: logging in and out, the language switch.
NOT_CHANGES = frozenset({"login", "logout", "set_language"})


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in WRITE_METHODS:
            return self.get_response(request)
        # Who was logged in before the view ran: a login POST is anonymous here.
        user = request.user if request.user.is_authenticated else None
        response = self.get_response(request)
        if (
            isinstance(user, User)
            and response.status_code < 400
            and not getattr(request, RECORDED, False)
        ):
            self._record(request, user)
        return response

    def _record(self, request: HttpRequest, user: User) -> None:
        match = getattr(request, "resolver_match", None)
        if match is None or match.view_name in NOT_CHANGES:
            return
        try:
            object_type, object_id = object_of(match.route, match.kwargs)
            record_event(
                user=user,
                action=AuditAction.CHANGE,
                origin=origin_of(request),
                object_type=object_type,
                object_id=object_id,
            )
        except (OperationalError, InterfaceError) as error:
            # The database went away after the change was written (a restart, a full
            # disk): the change stands, its audit row is missing, and the log says which.
            logger.warning(
                "audit: could not record %s %s by user %s: database unavailable (%s)",
                request.method,
                request.path,
                user.pk,
                error,
            )
        except Exception:
            logger.exception("audit: could not record %s %s", request.method, request.path)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, PurposeRequired):
            return purpose_page(request, exception)
        return None
