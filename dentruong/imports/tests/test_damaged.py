"""A workbook whose sheet XML is broken opens fine (openpyxl streams sheets) and fails
only while its rows are read: refused as damaged, never a server error (found by
tests/test_fuzz_excel.py)."""

from __future__ import annotations

import io
import zipfile

import pytest

from dentruong.imports.readers import FileRejected, open_workbook
from dentruong.imports.tests.files import xlsx


def with_control_characters(data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            body = source.read(info.filename).replace(b"PLACEHOLDER", b"\x01\x02\x00")
            z.writestr(info.filename, body)
    return out.getvalue()


def test_broken_sheet_xml_is_a_damaged_file() -> None:
    data = with_control_characters(
        xlsx(["Họ và tên", "Ngày sinh"], [["Đặng Thị Ánh", "PLACEHOLDER"]])
    )
    book = open_workbook(data)  # the workbook itself opens
    with pytest.raises(FileRejected) as refused:
        list(book.rows(book.sheet_names()[0]))
    assert refused.value.code == "not_excel"
    book.close()
