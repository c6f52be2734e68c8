"""Reading spreadsheets that schools already have: .xlsx (openpyxl, read-only, cached
values) and .xls (xlrd), defensively.

Before openpyxl sees an .xlsx, the zip is checked: total and per-member uncompressed
sizes and compression ratios (a zip bomb is refused before anything is inflated).
Encrypted (password-protected) workbooks, files that are not spreadsheets, and sheets
beyond the row cap are refused with a `FileRejected(code, message)`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from django.conf import settings
from django.utils.translation import gettext as _

# Cell values handed to the parser: str, int, float, bool, datetime/date, None, or one
# of these markers.
FORMULA_WITHOUT_VALUE = "\x00formula-without-value"
FORMULA_ERROR = "\x00formula-error"

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


class FileRejected(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Sheet:
    name: str
    rows: Iterator[tuple[int, list[Any]]]  # (1-based row number, values)
    head: list[tuple[int, list[Any]]] = field(default_factory=list)  # first rows, for headers


class Workbook:
    """Sheets of a workbook. `sheet(name)` streams its rows; `head(name)` the first ones."""

    def sheet_names(self) -> list[str]:
        raise NotImplementedError

    def rows(self, name: str) -> Iterator[tuple[int, list[Any]]]:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def open_workbook(data: bytes, *, file_name: str = "") -> Workbook:
    """A reader for the bytes of an uploaded file, or FileRejected."""
    if len(data) > _limit("IMPORT_MAX_FILE_BYTES", 20 * 2**20):
        raise FileRejected(
            "too_large",
            _("The file is larger than %(mb)s MB.")
            % {"mb": _limit("IMPORT_MAX_FILE_BYTES", 20 * 2**20) // 2**20},
        )
    if data.startswith(ZIP_MAGIC):
        return XlsxWorkbook(data)
    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise FileRejected("encrypted", _encrypted_message())
        return XlsWorkbook(data)
    raise FileRejected(
        "not_excel", _("This is not an Excel file (.xlsx or .xls). Save it from Excel and retry.")
    )


def _encrypted_message() -> str:
    return _("The file is protected by a password. Remove the password in Excel and retry.")


def _damaged_as_rejected(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    """Rows are streamed: a sheet's broken XML (or BIFF record) shows only as it is read,
    after the workbook opened fine. That is a damaged file, not a server error."""
    try:
        yield from rows
    except FileRejected:
        raise
    except Exception:  # the readers raise many kinds (ParseError, KeyError, zlib.error…)
        raise FileRejected("not_excel", _("The file is damaged or not an Excel file.")) from None


# --- .xlsx ------------------------------------------------------------------------------


def _check_zip(archive: zipfile.ZipFile) -> None:
    total = 0
    max_total = _limit("IMPORT_MAX_UNCOMPRESSED_BYTES", 300 * 2**20)
    max_ratio = _limit("IMPORT_MAX_COMPRESSION_RATIO", 200)
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > max_total or (info.file_size > 2**20 and ratio > max_ratio):
            raise FileRejected(
                "zip_bomb",
                _(
                    "The file unpacks to far more data than a class list holds "
                    "(possibly a 'zip bomb'); it was not opened."
                ),
            )


class XlsxWorkbook(Workbook):
    def __init__(self, data: bytes) -> None:
        import openpyxl

        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
            _check_zip(self.archive)
            names = set(self.archive.namelist())
        except zipfile.BadZipFile:
            raise FileRejected(
                "not_excel", _("The file is damaged or not an Excel file.")
            ) from None
        if "xl/workbook.xml" not in names:
            raise FileRejected("not_excel", _("The file is damaged or not an Excel file."))
        try:
            self.book = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
        except Exception:  # openpyxl raises many kinds on a broken file
            raise FileRejected(
                "not_excel", _("The file is damaged or not an Excel file.")
            ) from None

    def sheet_names(self) -> list[str]:
        return list(self.book.sheetnames)

    def _formula_gaps(self, name: str) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
        """Cells with a formula but no cached value, and cells whose formula errs."""
        ws = self.book[name]
        path = getattr(ws, "_worksheet_path", None)
        gaps: set[tuple[int, int]] = set()
        errors: set[tuple[int, int]] = set()
        if not path:
            return gaps, errors
        with self.archive.open(path.lstrip("/")) as src:
            found = False
            tail = b""
            while chunk := src.read(2**20):
                if re.search(rb"<(\w+:)?f[ >/]", tail + chunk):
                    found = True
                    break
                tail = chunk[-8:]
        if not found:
            return gaps, errors
        from openpyxl.utils.cell import coordinate_to_tuple

        with self.archive.open(path.lstrip("/")) as src:
            for _event, elem in ElementTree.iterparse(src):
                if not elem.tag.endswith("}c"):
                    if elem.tag.endswith("}row"):
                        elem.clear()
                    continue
                has_formula = any(child.tag.endswith("}f") for child in elem)
                ref = elem.get("r")
                if has_formula and ref:
                    value = next((c for c in elem if c.tag.endswith("}v")), None)
                    if value is None or value.text in (None, ""):
                        gaps.add(coordinate_to_tuple(ref))
                    elif elem.get("t") == "e":
                        errors.add(coordinate_to_tuple(ref))
        return gaps, errors

    def rows(self, name: str) -> Iterator[tuple[int, list[Any]]]:
        return _damaged_as_rejected(self._rows(name))

    def _rows(self, name: str) -> Iterator[tuple[int, list[Any]]]:
        ws = self.book[name]
        ws.reset_dimensions()  # type: ignore[union-attr]  # trust the cells, not the <dimension>
        gaps, errors = self._formula_gaps(name)
        marks: dict[int, dict[int, str]] = {}
        for (r, c), mark in [(g, FORMULA_WITHOUT_VALUE) for g in gaps] + [
            (e, FORMULA_ERROR) for e in errors
        ]:
            marks.setdefault(r, {})[c - 1] = mark
        for number, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            values = list(cells)
            for col, mark in marks.get(number, {}).items():
                if col >= len(values):
                    values.extend([None] * (col + 1 - len(values)))
                if mark == FORMULA_ERROR or values[col] is None:
                    values[col] = mark
            yield number, values

    def close(self) -> None:
        self.book.close()
        self.archive.close()


# --- .xls ---------------------------------------------------------------------------------


class XlsWorkbook(Workbook):
    def __init__(self, data: bytes) -> None:
        import xlrd

        try:
            self.book = xlrd.open_workbook(file_contents=data, on_demand=True)
        except xlrd.XLRDError as e:
            if "encrypted" in str(e).lower():
                raise FileRejected("encrypted", _encrypted_message()) from None
            raise FileRejected(
                "not_excel", _("The file is damaged or not an Excel file.")
            ) from None
        except Exception:
            raise FileRejected(
                "not_excel", _("The file is damaged or not an Excel file.")
            ) from None

    def sheet_names(self) -> list[str]:
        return list(self.book.sheet_names())

    def rows(self, name: str) -> Iterator[tuple[int, list[Any]]]:
        return _damaged_as_rejected(self._rows(name))

    def _rows(self, name: str) -> Iterator[tuple[int, list[Any]]]:
        import xlrd

        sheet = self.book.sheet_by_name(name)
        for r in range(sheet.nrows):
            values: list[Any] = []
            for cell in sheet.row(r):
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        values.append(xlrd.xldate_as_datetime(cell.value, self.book.datemode))
                    except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                        values.append(cell.value)
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    values.append(FORMULA_ERROR)
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    values.append(None)
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    values.append(bool(cell.value))
                else:
                    values.append(cell.value)
            yield r + 1, values

    def close(self) -> None:
        self.book.release_resources()


def is_date(value: Any) -> bool:
    return isinstance(value, dt.date)
