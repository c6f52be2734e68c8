"""The official document (NĐ 30/2020) as .docx and PDF, and the Excel tables."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from dentruong.reports import documents
from dentruong.reports.tests.factories import submission
from tests.cast import Cast


def test_place_date_has_leading_zeros() -> None:
    assert documents.place_date("Bát Xát", dt.date(2026, 2, 5)) == (
        "Bát Xát, ngày 05 tháng 02 năm 2026"
    )
    assert documents.place_date("Bát Xát", dt.date(2026, 11, 22)) == (
        "Bát Xát, ngày 22 tháng 11 năm 2026"
    )


def test_docx_opens_and_its_text_is_right(cast: Cast) -> None:
    from docx import Document

    sub = submission(cast)
    d = Document(io.BytesIO(documents.docx(sub)))
    head = d.tables[0]
    left = head.cell(0, 0).text
    right = head.cell(0, 1).text
    assert "UBND XÃ BÁT XÁT" in left and "TRƯỜNG TIỂU HỌC BÁT XÁT" in left
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in right
    assert "Độc lập - Tự do - Hạnh phúc" in right
    assert head.cell(1, 0).text.strip() == f"Số: {sub.number}"
    assert sub.number == "1/BC-THBX"
    assert head.cell(1, 1).text.strip() == "Bát Xát, ngày 05 tháng 10 năm 2026"
    body = "\n".join(p.text for p in d.paragraphs)
    assert "BÁO CÁO" in body
    assert "28/09/2026 – 04/10/2026" in body
    assert "Các lớp điểm danh đầy đủ." in body
    assert "Đề nghị hỗ trợ gạo cho học sinh bán trú../." in body or body.rstrip().endswith("./.")
    foot = d.tables[-1]
    assert foot.cell(0, 0).text.startswith("Nơi nhận:")
    assert "Xã Bát Xát" in foot.cell(0, 0).text and "Lưu: VT" in foot.cell(0, 0).text
    sign = foot.cell(0, 1).text
    assert "HIỆU TRƯỞNG" in sign and "Phạm Thị Lan" in sign
    assert d.styles["Normal"].font.name == "Times New Roman"  # type: ignore[attr-defined]
    # the figures' table: header and total row
    figures = d.tables[1]
    assert figures.rows[0].cells[1].text == "Số lớp" or figures.rows[0].cells[1].text == "Classes"
    assert figures.rows[-1].cells[0].text in ("Tổng", "Total", "Tổng cộng")
    assert unicodedata.is_normalized("NFC", body)


def test_pdf_renders_vietnamese(cast: Cast, tmp_path: Path) -> None:
    from pypdf import PdfReader

    sub = submission(cast)
    data = documents.pdf(sub)
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    text = " ".join(unicodedata.normalize("NFC", text).split())  # lines wrap in columns
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "TRƯỜNG TIỂU HỌC BÁT XÁT",
        f"Số: {sub.number}",
        "ngày 05 tháng 10 năm 2026",
        "Nơi nhận:",
        "Phạm Thị Lan",
        "Đề nghị hỗ trợ gạo cho học sinh bán trú",
    ):
        assert expected in text, expected
    fonts = {
        str(f.get_object()["/BaseFont"])
        for page in reader.pages
        for f in page["/Resources"]["/Font"].values()
    }
    assert any("LiberationSerif" in f for f in fonts), fonts
    if shutil.which("pdftoppm"):
        pdf = tmp_path / "r.pdf"
        pdf.write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
            check=True,
        )
        assert list(tmp_path.glob("p*.png"))


def test_xlsx_has_the_tables(cast: Cast) -> None:
    from openpyxl import load_workbook

    sub = submission(cast)
    book = load_workbook(io.BytesIO(documents.xlsx(sub)))
    values = [
        c for row in book["Báo cáo"].iter_rows(values_only=True) for c in row if c is not None
    ]
    assert "TRƯỜNG TIỂU HỌC BÁT XÁT" in values
    assert any(isinstance(v, str) and "28/09/2026" in v for v in values)


@pytest.mark.parametrize("name", ["LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf"])
def test_bundled_font_covers_vietnamese(name: str) -> None:
    from reportlab.pdfbase.ttfonts import TTFont

    face = TTFont("x", str(documents.FONTS / name)).face
    letters = "ẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸĐđƠơƯư"
    letters += letters.lower()
    assert [c for c in letters if ord(c) not in face.charToGlyph] == []


def test_commune_report_to_the_province(cast: Cast) -> None:
    from docx import Document

    from dentruong.reports import services
    from dentruong.reports.tests.factories import MONDAY

    schedule = services.create_schedule(
        by=cast.province_officer,
        name="Báo cáo tuần của xã",
        report="attendance",
        unit=cast.province,
        reporter_kind="commune",
        recurrence="weekly",
        weekday=0,
        due_time=dt.time(15, 0),
        start_date=dt.date(2026, 9, 7),
    )
    sub = services.submit(
        schedule=schedule,
        unit=cast.commune,
        due_at=MONDAY.replace(hour=15),
        by=cast.commune_officer,
        now=MONDAY.replace(hour=14),
    )
    d = Document(io.BytesIO(documents.docx(sub)))
    left = d.tables[0].cell(0, 0).text
    assert "UBND XÃ BÁT XÁT" in left and "PHÒNG VĂN HÓA - XÃ HỘI" in left
    assert d.tables[0].cell(1, 0).text.strip() == "Số: 1/BC-VHXH"
    assert d.tables[0].cell(1, 1).text.strip() == "Bát Xát, ngày 05 tháng 10 năm 2026"
    sign = d.tables[-1].cell(0, 1).text
    assert "TRƯỞNG PHÒNG" in sign and "Hoàng Thị Cúc" in sign
    assert "Tỉnh Lào Cai (để báo cáo)" in d.tables[-1].cell(0, 0).text
