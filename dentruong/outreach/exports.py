"""The village meetings of a commune as the schedule table of seeds/002 (.xlsx): TT,
time ("Lúc 18 giờ 30 phút, ngày 21/3/2024 (thứ 5)"), place, participants, notes."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from dentruong.audit.exports import ExportStamp
from dentruong.outreach.models import ParticipantRole


def when(moment: dt.datetime) -> str:
    """'Lúc 18 giờ 30 phút, ngày 21/3/2024 (thứ 5)' (Sunday: 'chủ nhật')."""
    local = timezone.localtime(moment)
    weekday = local.isoweekday()  # Monday 1
    day_name = "chủ nhật" if weekday == 7 else f"thứ {weekday + 1}"
    return (
        f"Lúc {local.hour} giờ {local.minute:02d} phút, "
        f"ngày {local.day}/{local.month}/{local.year} ({day_name})"
    )


def participants(roles: Iterable[str]) -> str:
    labels = dict(ParticipantRole.choices)
    return " ".join(f"{i}. {labels.get(r, r)}" for i, r in enumerate(roles, start=1))


def meetings_xlsx(
    title: str, meetings: Iterable[Any], *, stamp: ExportStamp | None = None
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Village meetings")[:31])
    bold = Font(bold=True)

    def cell(value: object, strong: bool = False) -> object:
        c = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
        if isinstance(value, str):
            c.data_type = "s"  # text stays text, never a formula
        if strong:
            c.font = bold
        return c

    sheet.append([cell(title, True)])
    sheet.append([cell(h, True) for h in ("TT", "Thời gian", "Địa điểm", "Thành phần", "Ghi chú")])
    i = 0
    for i, m in enumerate(meetings, start=1):
        note = m.notes
        families = getattr(m, "n_families", 0)
        if families:
            came = getattr(m, "n_came", 0)
            note = (f"{note} " if note else "") + _("%(came)d of %(n)d families came") % {
                "came": came,
                "n": families,
            }
        sheet.append(
            [
                cell(i),
                cell(when(m.starts_at)),
                cell(m.village.name),
                cell(participants(m.roles)),
                cell(note),
            ]
        )
    if stamp is not None:  # who exported it and when: under the table and in properties
        stamp.write(sheet, rows=i)
        stamp.mark(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
