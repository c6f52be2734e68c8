"""The only writer of the audit log: one INSERT per event, never an UPDATE or a DELETE."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from dentruong.accounts.models import User
from dentruong.audit.models import AuditEvent

USER_AGENT_CHARS = AuditEvent._meta.get_field("user_agent").max_length or 300
PATH_CHARS = AuditEvent._meta.get_field("path").max_length or 500
REASON_CHARS = 300  # what a user may write as the purpose of an export


@dataclass(frozen=True)
class Origin:
    """Where a request came from and what it addressed (audit/requests.py builds it)."""

    method: str = ""
    path: str = ""
    ip: str | None = None
    user_agent: str = ""
    view_name: str = ""
    url_kwargs: dict[str, Any] = field(default_factory=dict)
    roles: str = ""


def record_event(
    *,
    user: User,
    action: str,
    origin: Origin,
    object_type: str = "",
    object_id: int | None = None,
    rows: int | None = None,
    reason: str = "",
    detail: str = "",
    at: dt.datetime | None = None,
    savepoint: bool = True,
) -> AuditEvent:
    """Append one event. Outside a transaction the INSERT is its own (autocommit: one
    round trip). Inside one it has its own savepoint, so a failed insert leaves the
    caller's transaction usable (the middleware logs and carries on); unless
    `savepoint=False`: the event then belongs to the caller's change and fails with it."""
    own = savepoint and transaction.get_connection().in_atomic_block
    with transaction.atomic() if own else nullcontext():
        return AuditEvent.objects.create(
            at=at or timezone.now(),
            user=user,
            roles=origin.roles[:200],
            action=action,
            view_name=origin.view_name[:150],
            url_kwargs=origin.url_kwargs,
            object_type=object_type,
            object_id=object_id,
            rows=rows,
            reason=reason[:REASON_CHARS],
            detail=detail[:200],
            method=origin.method[:10],
            path=origin.path[:PATH_CHARS],
            ip=origin.ip,
            user_agent=origin.user_agent[:USER_AGENT_CHARS],
        )
