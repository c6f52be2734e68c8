"""The out-of-school list as an .xlsx file (openpyxl, write-only)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from django.utils.translation import gettext as _

from dentruong.audit.exports import ExportStamp
from dentruong.enrollment.codes import EventKind
from dentruong.mobilization.selectors import OutOfSchool
from dentruong.people.models import SchoolingStatus


def _label(choices: type[SchoolingStatus] | type[EventKind], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _cell(sheet: object, value: object) -> object:
    """A cell holding the value as typed: text that starts with '=' stays text, never a
    formula (names and notes come from imported files)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def out_of_school_xlsx(
    title: str,
    rows: Sequence[OutOfSchool],
    sensitive: bool,
    *,
    stamp: ExportStamp | None = None,
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Out of school")[:31])
    bold = Font(bold=True)
    head = WriteOnlyCell(sheet, value=title)
    head.font = bold
    sheet.append([head])
    headers = [
        _("No."),
        _("Full name"),
        _("Birth year"),
        _("Village"),
        _("Address"),
        _("Class last attended"),
        _("School"),
        _("Left on"),
        _("Status"),
    ]
    if sensitive:
        headers.append(_("Family situation"))
    cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for n, r in enumerate(rows, 1):
        status = (
            _label(SchoolingStatus, r.schooling) if r.schooling else _label(EventKind, r.left_kind)
        )
        line: list[object] = [
            n,
            r.full_name,
            r.birth_year,
            r.village_name,
            r.address,
            r.last_class,
            r.last_school,
            r.left_on.strftime("%d/%m/%Y") if r.left_on else "",
            status,
        ]
        if sensitive:
            line.append(r.family_situation or "")
        sheet.append([_cell(sheet, v) for v in line])
    if stamp is not None:  # who exported it, when, why: under the table and in properties
        stamp.write(sheet, rows=len(rows))
        stamp.mark(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
