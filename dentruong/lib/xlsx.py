"""Cells of the workbooks we write (openpyxl): text stays text.

openpyxl stores a string that starts with "=" as a formula, which Excel runs when the file
is opened: a student named "=HYPERLINK(…)" (typed in a form, or imported) must come out
as the name, not as a link or a calculation. And characters XML cannot hold (control
characters pasted from elsewhere) make openpyxl refuse the whole file: they are dropped.
The value is otherwise unchanged, so an export imported again changes nothing.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE


def clean_text(value: str) -> str:
    """`value` without the characters a worksheet cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def text_cell(sheet: Any, value: Any) -> Any:
    """What to append to `sheet` (write-only or not) for `value`: a string becomes a cell
    typed as text (never a formula); anything else is returned as it is."""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=clean_text(value))
    cell.data_type = "s"
    return cell
