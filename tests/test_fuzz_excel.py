"""The Excel importer against malformed files: hand-made hostile workbooks, random bytes,
damaged copies of a good file (Hypothesis: bytes flipped, cut short) and well-formed
workbooks full of odd values. Through the import service and the upload page: never an
unhandled exception or a 5xx, always a clear error (a refused file, or problems by row and
column), and nothing saved but the preview itself.

Hypothesis is derandomized (the same cases every run) and bounded (EXAMPLES each).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dentruong.imports.models import ImportBatch, ImportKind
from dentruong.imports.readers import FileRejected
from dentruong.imports.services import ImportRefused, Target, confirm_import, preview_import
from dentruong.imports.tests.files import with_huge_cell, xlsx, zip_bomb
from dentruong.imports.tests.test_import import counts
from tests.cast import PASSWORD, Cast

pytestmark = pytest.mark.django_db

EXAMPLES = 25
TODAY = dt.date(2026, 11, 22)
HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc", "Thôn", "Mã định danh"]
GOOD_ROW = [1, "Đặng Thị Ánh", "02/03/2018", "Nữ", "Dao", "Bản Vược", "010318000001"]
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def good_file() -> bytes:
    rows = [GOOD_ROW] + [
        [n, f"Lò Văn Tú{'ABCDEFGH'[n % 8]}", "15/04/2018", "Nam", "Giáy", "Cốc Mỳ", ""]
        for n in range(2, 12)
    ]
    return xlsx(HEADER, rows, titles=["TRƯỜNG TIỂU HỌC BÁT XÁT", "DANH SÁCH LỚP 3A"])


GOOD = good_file()


def attempt(cast: Cast, data: bytes, **kw: Any) -> ImportBatch | FileRejected:
    """Preview `data`: the batch, or the refusal. Anything else is a bug (raised)."""
    before = (counts(), ImportBatch.objects.count())
    try:
        batch = preview_import(
            target=Target(kind=ImportKind.CLASS_LIST, school_class=cast.class_3a),
            data=data,
            file_name="lop.xlsx",
            user=cast.teacher,
            today=TODAY,
            **kw,
        )
    except FileRejected as refused:
        assert refused.code and refused.message.strip(), refused
        assert (counts(), ImportBatch.objects.count()) == before  # nothing saved
        return refused
    assert counts() == before[0]  # a preview saves its batch, nothing else
    for problem in batch.problems:
        assert problem["message"].strip() and problem["code"], problem
    return batch


def confirm_or_refuse(cast: Cast, batch: ImportBatch) -> None:
    """Confirming writes everything or (ImportRefused) nothing."""
    before = counts()
    try:
        confirm_import(batch=batch, user=cast.teacher)
    except ImportRefused as refused:
        assert refused.problems or refused.code != "problems"
        assert counts() == before


# --- hand-made hostile files ------------------------------------------------------------------


def truncated(data: bytes, keep: float) -> bytes:
    return data[: int(len(data) * keep)]


def rezip(data: bytes, change: Any) -> bytes:
    """A copy of the .xlsx `data` with each member's bytes passed through `change`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            z.writestr(info.filename, change(info.filename, source.read(info.filename)))
    return out.getvalue()


def book_with(cells: dict[str, Any], formats: dict[str, str] | None = None, **kw: Any) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER)
    ws.append(GOOD_ROW)
    for ref, value in cells.items():
        ws[ref] = value
    for ref, number_format in (formats or {}).items():
        ws[ref].number_format = number_format
    for rng in kw.get("merges", ()):
        ws.merge_cells(rng)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def empty_rows_then_a_student() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER)
    ws.cell(row=10_002, column=2, value="Đặng Thị Ánh")  # 10,000 empty rows between
    ws.cell(row=10_002, column=3, value="02/03/2018")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


ENTITY_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&c;</t></is></c>'
    b"</row></sheetData></worksheet>"
)
HTML_XLS = (
    b"<html xmlns:x='urn:schemas-microsoft-com:office:excel'><body><table><tr>"
    b"<td>STT</td><td>H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan</td></tr></table></body></html>"
)
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sheets_only(new: bytes) -> Any:
    return lambda name, old: new if "worksheets/" in name else old


def control_characters() -> bytes:
    """Raw control characters in the shared strings: XML no parser accepts."""
    data = book_with({"E3": "CONTROL-CHARS", "B3": "An"})
    return rezip(data, lambda n, b: b.replace(b"CONTROL-CHARS", b"\x01\x02\x7f\x00"))


HOSTILE: dict[str, bytes] = {
    "random bytes named .xlsx": random.Random(1).randbytes(4096),
    "zip signature then garbage": b"PK\x03\x04" + random.Random(2).randbytes(2048),
    "truncated zip (half)": truncated(GOOD, 0.5),
    "truncated zip (last byte missing)": truncated(GOOD, 0.999),
    "zip bomb": zip_bomb(64 * 2**20),
    "zip without workbook.xml": GOOD.replace(b"xl/workbook.xml", b"xl/w0rkbook.xml"),
    "sheet XML not XML": rezip(GOOD, sheets_only(b"<sheetData><row><c")),
    "sheet XML with an entity bomb": rezip(GOOD, sheets_only(ENTITY_BOMB)),
    "shared strings missing": rezip(GOOD, lambda n, b: b"" if "sharedStrings" in n else b),
    "control characters in the XML": control_characters(),
    "xls that is really HTML": HTML_XLS,
    "OLE header then garbage": OLE + random.Random(3).randbytes(4096),
    "merged header cells": xlsx(
        ["STT", "Họ và tên", None, "Ngày sinh", "Giới tính"],
        [[1, "Đặng Thị", "Ánh", "02/03/2018", "Nữ"]],
        sub_header=[None, "Họ đệm", "Tên", None, None],
        merges=["A1:A2", "B1:C1", "D1:D2", "E1:E2", "A3:E3"],
    ),
    "formulas without values": book_with({"C2": "=DATE(2018,3,2)", "B3": '=B2&" "', "C3": "=1/0"}),
    "a 1 MB cell": with_huge_cell(book_with({"B3": "HUGE", "C3": "01/01/2018"}), "HUGE", 2**20),
    "unicode garbage": book_with(
        {
            "B3": "\u202e\u0301\u0300Ä\u200b\u2028\ufeff𝕬𝖓𝖍 🙂",
            "C3": "٠٢/٠٣/٢٠١٨",
            "D3": "N\u0303\u0303ữ",
            "F3": "Bản\u00a0Vược\u3000",
            "G3": "０１０３１８０００００２",
        }
    ),
    "dates out of range": book_with(
        {
            "C3": 10**10,
            "C4": -5,
            "C5": 2958466,
            "C6": dt.datetime(9999, 12, 31),
            "C7": 1e308,
            "B3": "An",
            "B4": "Bình",
            "B5": "Chi",
            "B6": "Dũng",
            "B7": "Em",
        },  # fmt: skip
        {"C3": "dd/mm/yyyy", "C4": "dd/mm/yyyy", "C5": "dd/mm/yyyy", "C7": "dd/mm/yyyy"},
    ),
    "10,000 empty rows": empty_rows_then_a_student(),
    "header only": xlsx(HEADER, []),
    "empty file": b"",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_through_the_import_service(cast: Cast, name: str) -> None:
    outcome = attempt(cast, HOSTILE[name])
    if isinstance(outcome, ImportBatch):
        confirm_or_refuse(cast, outcome)


def test_a_sheet_that_does_not_exist_is_refused(cast: Cast) -> None:
    outcome = attempt(cast, GOOD, sheet="Không có")
    assert isinstance(outcome, FileRejected) and outcome.code == "no_sheet"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_through_the_upload_page(cast: Cast, name: str) -> None:
    client = Client()
    assert client.login(username=cast.teacher.username, password=PASSWORD)
    before = counts()
    upload = SimpleUploadedFile("lop.xlsx", HOSTILE[name], content_type="application/octet-stream")
    response = client.post(reverse("import-class", args=[cast.class_3a.pk]), {"file": upload})
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        assert b'class="errorlist' in response.content or b"error" in response.content
    assert counts() == before


# --- Hypothesis ----------------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=4096))
def test_random_bytes_are_refused(cast: Cast, data: bytes) -> None:
    assert isinstance(attempt(cast, data), FileRejected)


@FUZZ
@given(
    damage=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.binary(min_size=1, max_size=8)),
        min_size=1,
        max_size=6,
    ),
    keep=st.floats(0.05, 1),
)
def test_damaged_copies_of_a_good_file(
    cast: Cast, damage: list[tuple[float, bytes]], keep: float
) -> None:
    data = bytearray(GOOD)
    for where, junk in damage:
        at = int(where * len(data))
        data[at : at + len(junk)] = junk
    outcome = attempt(cast, bytes(data[: max(1, int(len(data) * keep))]))
    if isinstance(outcome, ImportBatch):
        confirm_or_refuse(cast, outcome)


CELL = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.text(alphabet="ĐđÁáÀàẢảÃãẠạĂăÂâÊêÔôƠơƯưÝý0123456789/-. ", max_size=20),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=True, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
    st.sampled_from(["=1/0", "=A1", "#N/A", "Nam", "Nữ", "Kinh", "Bản Vược", "010318000001"]),
)


def legal(value: Any) -> Any:
    """openpyxl refuses control characters in the files it writes (Excel's rule too)."""
    if isinstance(value, str):
        return "".join(c for c in value if c >= " " or c in "\t\n")
    return value


@FUZZ
@given(rows=st.lists(st.lists(CELL, min_size=1, max_size=9), min_size=1, max_size=12))
def test_odd_values_under_a_good_header(cast: Cast, rows: list[list[Any]]) -> None:
    data = xlsx(HEADER, [[legal(v) for v in row] for row in rows])
    outcome = attempt(cast, data)
    assert isinstance(outcome, ImportBatch) or outcome.code in ("too_many_rows", "no_header")
    if isinstance(outcome, ImportBatch) and not outcome.problems:
        confirm_or_refuse(cast, outcome)
