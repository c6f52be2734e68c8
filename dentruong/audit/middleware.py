"""Every change is recorded: each successful (status < 400) POST, PUT, PATCH or DELETE of
a user who was logged in when the request arrived, with the resolved URL name and its
kwargs (the object), the path and the IP.

The view and its audit event run in one transaction (`process_view`): they commit
together or not at all, in one commit, and a view that answers 5xx leaves nothing. Views
that keep their own transactions (`requests.own_transactions`: an import, a batch of roll
calls, a roll call, which records its event inside its own transaction) run as they are;
for those the event is one INSERT after the view answered, unless the view recorded it
already. If that late INSERT fails the request still succeeds and the failure is logged.
Request bodies are never stored (no password, no form data).

It also turns `PurposeRequired` (an export of names without a purpose) into the small
page that asks why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse

from dentruong.accounts.models import User
from dentruong.audit.exports import PurposeRequired
from dentruong.audit.models import AuditAction
from dentruong.audit.requests import RECORDED, keeps_own_transactions, object_of, origin_of
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

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponse],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        """Run a change and its audit event in one transaction (None: Django runs the view
        as usual). The CSRF and session checks ran before (they come first)."""
        match = getattr(request, "resolver_match", None)
        if (
            request.method not in WRITE_METHODS
            or not isinstance(request.user, User)
            or match is None
            or match.view_name in NOT_CHANGES
            or keeps_own_transactions(request, view)
        ):
            return None
        user = request.user
        try:
            with transaction.atomic():
                response = view(request, *args, **kwargs)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                elif response.status_code < 400:
                    self._event(request, user, savepoint=False)
                    setattr(request, RECORDED, True)
        except Exception as error:
            handled = self.process_exception(request, error)
            if handled is None:
                raise
            return handled
        return response

    def _event(self, request: HttpRequest, user: User, *, savepoint: bool = True) -> None:
        match = request.resolver_match
        assert match is not None
        object_type, object_id = object_of(match.route, match.kwargs)
        record_event(
            user=user,
            action=AuditAction.CHANGE,
            origin=origin_of(request),
            object_type=object_type,
            object_id=object_id,
            savepoint=savepoint,
        )

    def _record(self, request: HttpRequest, user: User) -> None:
        """The event of a view that kept its own transactions, after it answered."""
        match = getattr(request, "resolver_match", None)
        if match is None or match.view_name in NOT_CHANGES:
            return
        try:
            self._event(request, user)
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
