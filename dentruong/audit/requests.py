"""From a request to an audit event: where it came from (IP, user agent), which URL it
resolved to and which object that URL addresses; and the one-call recorders the views
use (`record_view_child`, `record_list_read`)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest
from ninja.operation import PathView

from dentruong.accounts.models import User
from dentruong.accounts.scopes import Scope, scope_for
from dentruong.audit.models import AuditAction, AuditEvent, ObjectType
from dentruong.audit.services import Origin, record_event
from dentruong.people.models import ResidentChild, Student

# The first path segment followed by a converter: "students/<int:pk>/…" → students, pk.
_FIRST_OBJECT = re.compile(r"([^/<>]+)/<(?:\w+:)?(\w+)>")
_IRREGULAR = {
    "children": ObjectType.RESIDENT_CHILD.value,
    "resident_children": ObjectType.RESIDENT_CHILD.value,
    "classes": "class",
}


def _trusted_proxies() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    nets = []
    for item in getattr(settings, "AUDIT_TRUSTED_PROXIES", []):
        try:
            nets.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            continue
    return nets


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR; behind a trusted proxy (settings.AUDIT_TRUSTED_PROXIES), the right-most
    address of X-Forwarded-For that is not itself a trusted proxy (the left part of that
    header is whatever the client wrote, never trusted)."""
    remote = _valid_ip(request.META.get("REMOTE_ADDR", "") or "")
    proxies = _trusted_proxies()

    def trusted(ip: str | None) -> bool:
        return ip is not None and any(ipaddress.ip_address(ip) in net for net in proxies)

    if not trusted(remote):
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    while hops:
        hop = _valid_ip(hops.pop())
        if hop is None:
            return remote  # a malformed header: keep the proxy's address
        if not trusted(hop):
            return hop
    return remote


def object_of(route: str, kwargs: dict[str, Any]) -> tuple[str, int | None]:
    """What a URL addresses: the first converter of its route and the segment before it
    ("students/<int:pk>/edit/" → ("student", pk); "…/classes/<int:class_id>" → class)."""
    found = _FIRST_OBJECT.search(route or "")
    if found is None:
        return "", None
    segment, name = found.group(1).replace("-", "_"), found.group(2)
    value = kwargs.get(name)
    if isinstance(value, str) and value.isdigit():
        value = int(value)  # the API's path parameters arrive as text
    if not isinstance(value, int):
        return "", None
    kind = _IRREGULAR.get(segment) or (segment[:-1] if segment.endswith("s") else segment)
    return kind[:40], value


def _roles(user: Any, scope: Scope | None) -> str:
    found = scope or getattr(user, "_dentruong_scope", None)  # never a query of its own
    return ",".join(sorted(found.roles)) if found is not None else ""


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | str | float | bool) or value is None else str(value)


def _closure(func: Any) -> Iterator[Any]:
    for cell in getattr(func, "__closure__", None) or ():
        try:
            yield cell.cell_contents
        except ValueError:  # an empty cell
            continue


def _operation(request: HttpRequest) -> Any:
    """The API (django-ninja) operation answering this request's method, or None (a page:
    one function per URL)."""
    match = getattr(request, "resolver_match", None)
    for path_view in _closure(match.func) if match is not None else ():
        if isinstance(path_view, PathView):
            for operation in path_view.operations:
                if request.method in operation.methods:
                    return operation
    return None


def view_name_of(request: HttpRequest) -> str:
    """The resolved URL name. The API (django-ninja) routes every method of a path through
    the first operation's URL name: the operation answering this method is looked up."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    operation = _operation(request)
    if operation is not None:
        name = getattr(operation, "url_name", "") or operation.view_func.__name__
        return f"{match.namespace}:{name}" if match.namespace else name
    return match.view_name or ""


OWN_TRANSACTIONS = "_dentruong_own_transactions"

F = TypeVar("F", bound=Callable[..., Any])


def own_transactions(view: F) -> F:
    """Mark a page view or an API operation that keeps its own transactions: a long one
    (an import), many short ones (a batch of roll calls, each with its own audit event),
    or a short one that records its audit event itself (a roll call: `change_recorder`).
    The audit middleware then does not run it in one transaction with its audit event
    (middleware.py)."""
    setattr(view, OWN_TRANSACTIONS, True)
    return view


def keeps_own_transactions(request: HttpRequest, view: Callable[..., Any]) -> bool:
    operation = _operation(request)
    target = operation.view_func if operation is not None else view
    return bool(getattr(target, OWN_TRANSACTIONS, False))


def origin_of(request: HttpRequest, *, scope: Scope | None = None) -> Origin:
    match = getattr(request, "resolver_match", None)
    return Origin(
        method=request.method or "",
        path=request.get_full_path(),
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "") or "",
        view_name=view_name_of(request),
        url_kwargs={k: _plain(v) for k, v in match.kwargs.items()} if match else {},
        roles=_roles(request.user, scope),
    )


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User), "audited views are for logged-in users"
    return request.user


def record_view_child(
    request: HttpRequest, *, student: Student | None = None, child: ResidentChild | None = None
) -> AuditEvent:
    """A read of one child's record (the student page, the register child's page, their
    API GETs). Call it after the access helper found the child."""
    assert (student is None) != (child is None)
    user = _user(request)
    if student is not None:
        kind, pk = ObjectType.STUDENT.value, student.pk
    else:
        assert child is not None
        kind, pk = ObjectType.RESIDENT_CHILD.value, child.pk
    return record_event(
        user=user,
        action=AuditAction.VIEW_CHILD,
        origin=origin_of(request, scope=scope_for(user)),
        object_type=kind,
        object_id=pk,
    )


RECORDED = "_dentruong_change_recorded"


def change_recorder(
    request: HttpRequest, *, object_type: str, object_id: int | None
) -> Callable[[], object]:
    """For a view whose service writes its change in one transaction: a function that
    records the change, for the service to call inside that transaction, so the change
    and its audit event commit together or not at all (and in one commit). The
    middleware then records nothing more for this request; a submission that changed
    nothing (a resent one) calls nothing and leaves no event."""
    user = _user(request)
    origin = origin_of(request)
    setattr(request, RECORDED, True)

    def record() -> AuditEvent:
        return record_event(
            user=user,
            action=AuditAction.CHANGE,
            origin=origin,
            object_type=object_type,
            object_id=object_id,
            savepoint=False,
        )

    return record


def record_list_read(
    request: HttpRequest, *, object_type: str, object_id: int, rows: int, reason: str = ""
) -> AuditEvent:
    """A read of a list of children given to someone outside the school (a partner's list):
    how many children, under which campaign."""
    user = _user(request)
    return record_event(
        user=user,
        action=AuditAction.VIEW_LIST,
        origin=origin_of(request, scope=scope_for(user)),
        object_type=object_type,
        object_id=object_id,
        rows=rows,
        reason=reason,
    )
