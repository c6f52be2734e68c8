"""Spreadsheets built in the tests, like the ones schools keep: title rows above the
header, merged header cells, shuffled columns, legacy fonts, dates as text and as Excel
dates, formulas, empty rows."""

from __future__ import annotations

import datetime as dt
import io
import random
import string
import zipfile
from collections.abc import Sequence
from typing import Any

import openpyxl


def xlsx(
    header: Sequence[Any],
    rows: Sequence[Sequence[Any]],
    *,
    titles: Sequence[str] = (),
    sheet: str = "Danh sách",
    before: Sequence[tuple[str, Sequence[Sequence[Any]]]] = (),
    sub_header: Sequence[Any] | None = None,
    merges: Sequence[str] = (),
    date_format: str = "dd/mm/yyyy",
) -> bytes:
    """An .xlsx with optional sheets `before` the list, title rows, a two-row header."""
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for name, other_rows in before:
        ws = wb.create_sheet(name)
        for r in other_rows:
            ws.append(list(r))
    ws = wb.create_sheet(sheet)
    for title in titles:
        ws.append([title])
    ws.append(list(header))
    if sub_header is not None:
        ws.append(list(sub_header))
    for r in rows:
        ws.append(list(r))
    for rng in merges:
        ws.merge_cells(rng)
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, dt.date | dt.datetime):
                cell.number_format = date_format
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xls(
    header: Sequence[Any], rows: Sequence[Sequence[Any]], *, titles: Sequence[str] = ()
) -> bytes:
    """A BIFF8 .xls written with xlwt (test-only dependency)."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("DS lop")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    r = 0
    for title in titles:
        sheet.write(r, 0, title)
        r += 1
    for c, value in enumerate(header):
        sheet.write(r, c, value)
    r += 1
    for row in rows:
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            elif value is not None:
                sheet.write(r, c, value)
        r += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bomb(size: int = 400 * 2**20) -> bytes:
    """A zip that looks like an .xlsx and inflates a sheet to `size` bytes of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * 2**20
            for _ in range(size // 2**20):
                member.write(chunk)
    return out.getvalue()


def with_huge_cell(data: bytes, placeholder: str, size: int) -> bytes:
    """Replace a shared string with `size` characters (openpyxl itself stops at Excel's
    32,767): a hostile file, as a script could write it."""
    rng = random.Random(7)
    huge = "".join(rng.choices(string.ascii_letters, k=size)).encode()  # hardly compresses
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/") and info.filename.endswith(".xml"):
                content = content.replace(placeholder.encode(), huge)
            z.writestr(info.filename, content)
    return out.getvalue()
