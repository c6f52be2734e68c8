"""Exports: who took the file, when, why, how many rows — in the audit log and in the file.

A view that produces a file (or a JSON list meant for download), after its access checks:

    stamp = export_stamp(request, object_type="class", object_id=school_class.pk)
    body = class_list_xlsx(school_class, stamp=stamp)   # the writer stamps each sheet
    record_export(stamp)                                 # one INSERT

`export_stamp` raises `PurposeRequired` when the export names children (`names=True`,
the default) and the request carries no `purpose`: the audit middleware answers a page
with the small "why" form, the API (dentruong/api.py) a 422 on the `purpose` field.
Call it after the access checks, so that out of scope is still 404, not the form.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from dentruong.accounts.models import User
from dentruong.accounts.scopes import scope_for
from dentruong.audit.models import AuditAction, AuditEvent
from dentruong.audit.requests import origin_of
from dentruong.audit.services import REASON_CHARS, Origin, record_event
from dentruong.lib.xlsx import clean_text

PURPOSE_PARAM = "purpose"


class PurposeRequired(Exception):
    """The export names children and nobody said why (or said too much)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def stated_purpose(request: HttpRequest) -> str | None:
    """The purpose given in the query string: the first non-empty `purpose` (the form's
    radio buttons and its free-text box share the name); None when none was sent."""
    values = [clean_text(v).strip() for v in request.GET.getlist(PURPOSE_PARAM)]
    if not values:
        return None
    # Control characters could not be written in the file's "exported by" line.
    return next((v for v in values if v), "")


def check_purpose(purpose: str | None) -> str:
    if purpose is None:
        raise PurposeRequired("required", _("Say why you export this list of children."))
    if not purpose:
        raise PurposeRequired("blank", _("Say why you export this list of children."))
    if len(purpose) > REASON_CHARS:
        raise PurposeRequired(
            "max_length",
            _("Keep the purpose under %(n)d characters.") % {"n": REASON_CHARS},
        )
    return purpose


@dataclass
class ExportStamp:
    """Who exports what and why; the file writers write `line()` under each table and
    count the rows they wrote (`rows`), `record_export` stores it."""

    user: User
    at: dt.datetime
    purpose: str
    object_type: str
    object_id: int | None
    detail: str
    origin: Origin
    rows: int = 0

    @property
    def who(self) -> str:
        name = self.user.full_name or self.user.username
        return f"{name} ({self.user.username})" if name != self.user.username else name

    def line(self) -> str:
        local = timezone.localtime(self.at)
        text = _("Exported by %(who)s at %(time)s on %(date)s") % {
            "who": self.who,
            "time": f"{local:%H:%M}",
            "date": f"{local:%d/%m/%Y}",
        }
        if self.purpose:
            text += " · " + _("Purpose: %(purpose)s") % {"purpose": self.purpose}
        return text

    def write(self, sheet: Any, *, rows: int) -> None:
        """Under the table of an openpyxl worksheet (write-only or not): an empty row,
        then the stamp as text in column A (an importer reads it as a row holding only
        an STT: skipped). Counts `rows` of data."""
        self.rows += rows
        sheet.append([])
        sheet.append([self.line()])  # starts with a word: text, never a formula

    def mark(self, book: Any) -> None:
        """The workbook's properties name the exporter too (File → Properties)."""
        book.properties.creator = self.who
        book.properties.lastModifiedBy = self.who
        book.properties.created = self.at.astimezone(dt.UTC).replace(tzinfo=None)
        book.properties.modified = book.properties.created
        if self.purpose:
            book.properties.description = self.purpose[:REASON_CHARS]


def export_stamp(
    request: HttpRequest,
    *,
    object_type: str,
    object_id: int | None,
    detail: str = "",
    names: bool = True,
) -> ExportStamp:
    """The stamp of this export; raises PurposeRequired when `names` and no purpose."""
    assert isinstance(request.user, User), "exports are for logged-in users"
    purpose = stated_purpose(request)
    purpose = check_purpose(purpose) if names else (purpose or "")[:REASON_CHARS]
    return ExportStamp(
        user=request.user,
        at=timezone.now(),
        purpose=purpose,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
        origin=origin_of(request, scope=scope_for(request.user)),
    )


def record_export(stamp: ExportStamp, *, rows: int | None = None) -> AuditEvent:
    """Store the export (after the file was built: its rows are counted)."""
    return record_event(
        user=stamp.user,
        action=AuditAction.EXPORT,
        origin=stamp.origin,
        object_type=stamp.object_type,
        object_id=stamp.object_id,
        rows=stamp.rows if rows is None else rows,
        reason=stamp.purpose,
        detail=stamp.detail,
        at=stamp.at,
    )
