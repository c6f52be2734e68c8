"""Exports of a frozen submission: Excel tables, and the official report (báo cáo) laid
out per Nghị định 30/2020/NĐ-CP as .docx (python-docx) and PDF (reportlab, with the
bundled Liberation Serif: fonts/README.txt). Decision 0009.

`official(submission)` builds an `OfficialDocument` (plain text and tables, pure); the
two writers lay out the same thing: national motto header, issuing body under its
parent, số/ký hiệu, place and date ("…, ngày 05 tháng 10 năm 2026": day and month below
10 with a leading zero), title and trích yếu, body (the figures as tables, assessment,
proposals) ending with "./.", nơi nhận, the signer's title and name."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext as _

from dentruong.audit.exports import ExportStamp
from dentruong.lib import vntext
from dentruong.lib.xlsx import text_cell
from dentruong.reports import deadlines
from dentruong.reports.definitions import (
    COLUMN_LABELS,
    RATE_LABELS,
    REGISTRY,
    SECTION_TITLES,
    row_label,
)
from dentruong.reports.figures import Figures, Section
from dentruong.reports.models import Submission

FONTS = Path(__file__).parent / "fonts"
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
SLOGAN = "Độc lập - Tự do - Hạnh phúc"
SIGNER_TITLES = {"school": "HIỆU TRƯỞNG", "commune": "TRƯỞNG PHÒNG", "province": "GIÁM ĐỐC"}


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]


@dataclass
class OfficialDocument:
    parent_body: str  # e.g. "UBND XÃ BÁT XÁT"
    body: str  # e.g. "TRƯỜNG TIỂU HỌC BÁT XÁT"
    number: str  # "Số: 3/BC-THBX"
    place_date: str  # "Bát Xát, ngày 05 tháng 10 năm 2026"
    title: str  # "BÁO CÁO"
    subject: str  # trích yếu
    paragraphs: list[str]
    tables: list[Table]
    assessment: str
    proposals: str
    recipients: list[str]
    signer_title: str
    signer_name: str
    notes: list[str] = field(default_factory=list)


def place_date(place: str, day: dt.date) -> str:
    """ "Bát Xát, ngày 05 tháng 10 năm 2026" (NĐ 30: a leading zero before 10)."""
    return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")
    return f"{value:,}".replace(",", ".")


def section_table(figures: Figures, section: Section) -> Table:
    rates = section.rates
    header = (
        [str(_("Unit") if section.mode == "units" else "")]
        + [str(COLUMN_LABELS.get(c, c)) for c in section.columns]
        + [str(RATE_LABELS.get(k, k)) for k, _p, _w in rates]
    )
    rows = []
    for row in section.rows:
        rows.append(
            [row_label(section.key, row)]
            + [_fmt(row.values.get(c, 0)) for c in section.columns]
            + [_fmt(section.rate(row.values, p, w)) for _k, p, w in rates]
        )
    rows.append(
        [str(_("Total"))]
        + [_fmt(section.total.get(c, 0)) for c in section.columns]
        + [_fmt(section.rate(section.total, p, w)) for _k, p, w in rates]
    )
    return Table(str(SECTION_TITLES.get(section.key, section.key)), header, rows)


def tables(figures: Figures) -> list[Table]:
    return [section_table(figures, s) for s in figures.sections]


def _place(unit_name: str) -> str:
    for prefix in ("Trường ", "Xã ", "Phường ", "Tỉnh ", "Thành phố ", "Đặc khu "):
        if unit_name.startswith(prefix):
            unit_name = unit_name[len(prefix) :]
    for prefix in (
        "Tiểu học ",
        "THCS ",
        "THPT ",
        "Mầm non ",
        "PTDTBT ",
        "PTDTBT Tiểu học ",
        "TH&THCS ",
    ):
        if unit_name.startswith(prefix):
            unit_name = unit_name[len(prefix) :]
    return unit_name


def official(submission: Submission) -> OfficialDocument:
    """The báo cáo of a frozen submission, in Vietnamese whatever the user's language."""
    with translation.override("vi"):
        figures = Figures.from_json(submission.figures)
        unit = submission.unit
        parent = unit.parent
        definition = REGISTRY.get(submission.report)
        title = str(definition.title) if definition else submission.report
        kind = unit.kind
        if kind == "school":
            parent_body = f"UBND {parent.name}".upper() if parent else ""
            body = unit.name.upper()
        elif kind == "commune":  # education is the commune's culture and society office
            parent_body = f"UBND {unit.name}".upper()
            body = "PHÒNG VĂN HÓA - XÃ HỘI"
        else:
            parent_body = f"UBND {unit.name}".upper()
            body = "SỞ GIÁO DỤC VÀ ĐÀO TẠO"
        period = f"{figures.period_start:%d/%m/%Y} – {figures.period_end:%d/%m/%Y}"
        subject = _("%(title)s, period %(period)s") % {"title": title, "period": period}
        submitted = deadlines.local(submission.submitted_at).date()
        receiver = submission.schedule.unit
        paragraphs = [
            _(
                'Pursuant to the reporting schedule "%(schedule)s" of %(receiver)s, '
                "%(unit)s reports the following figures for the period %(period)s, "
                "computed from the records of the Đến Trường system."
            )
            % {
                "schedule": submission.schedule.name,
                "receiver": receiver.name,
                "unit": unit.name,
                "period": period,
            }
        ]
        doc = OfficialDocument(
            parent_body=parent_body,
            body=body,
            number=f"Số: {submission.number}",
            place_date=place_date(
                _place(unit.name if kind != "school" else (parent.name if parent else unit.name)),
                submitted,
            ),
            title="BÁO CÁO",
            subject=subject,
            paragraphs=paragraphs,
            tables=tables(figures),
            assessment=submission.assessment,
            proposals=submission.proposals,
            recipients=[
                _("%(unit)s (to report)") % {"unit": receiver.name},
                _("Archived: VT"),
            ],
            signer_title=SIGNER_TITLES.get(kind, ""),
            signer_name=submission.submitted_by.full_name or submission.submitted_by.username,
        )
        if submission.version > 1:
            doc.notes.append(
                _("Version %(v)s, replacing the earlier one: %(reason)s")
                % {"v": submission.version, "reason": submission.reason}
            )
    return _nfc(doc)


def _nfc(doc: OfficialDocument) -> OfficialDocument:
    c = vntext.clean
    doc.paragraphs = [c(p) for p in doc.paragraphs]
    doc.subject = c(doc.subject)
    doc.assessment = doc.assessment and c(doc.assessment)
    doc.proposals = doc.proposals and c(doc.proposals)
    doc.recipients = [c(r) for r in doc.recipients]
    return doc


# --- Excel -----------------------------------------------------------------------------------


def xlsx(submission: Submission, *, stamp: ExportStamp | None = None) -> bytes:
    """`stamp`: who exported it, when and why, under each table and in the properties."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    doc = official(submission)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Báo cáo"
    sheet.append([doc.body])
    sheet.append([doc.subject])
    sheet.append([doc.place_date])
    sheet["A1"].font = Font(bold=True)
    for table in doc.tables:
        sheet.append([])
        sheet.append([table.title])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        sheet.append(table.header)
        for row in table.rows:
            sheet.append([_number(x) for x in row])
    if stamp is not None:
        stamp.write(sheet, rows=0)
    names = Figures.from_json(submission.figures).names
    if names:
        ws = book.create_sheet("Danh sách")
        keys = list(names[0])
        ws.append(keys)
        for n in names:
            ws.append([text_cell(ws, n.get(k, "")) for k in keys])  # names stay text
        if stamp is not None:
            stamp.write(ws, rows=len(names))
    if stamp is not None:
        stamp.mark(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _number(text: str) -> object:
    plain = text.replace(".", "")
    if plain.isdigit():
        return int(plain)
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return text


# --- Word (.docx) -------------------------------------------------------------------------


def docx(submission: Submission) -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = official(submission)
    d = Document()
    section = d.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    style = d.styles["Normal"]
    style.font.name = "Times New Roman"  # type: ignore[attr-defined]
    style.font.size = Pt(13)  # type: ignore[attr-defined]
    rpr = style.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), "Times New Roman")

    def para(
        cell_or_doc: object,
        text: str,
        *,
        bold: bool = False,
        italic: bool = False,
        size: int = 13,
        align: object = None,
    ) -> None:
        existing = getattr(cell_or_doc, "paragraphs", [])
        if cell_or_doc is not d and len(existing) == 1 and not existing[0].text:
            p = existing[0]  # a table cell's own first paragraph
        else:
            p = cell_or_doc.add_paragraph()  # type: ignore[attr-defined]
        run = p.add_run(text)
        run.bold, run.italic, run.font.size = bold, italic, Pt(size)
        if align is not None:
            p.alignment = align

    head = d.add_table(rows=2, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = head.cell(0, 0), head.cell(0, 1)
    if doc.parent_body:
        para(left, doc.parent_body, size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(left, doc.body, bold=True, size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(right, MOTTO, bold=True, size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(right, SLOGAN, bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(head.cell(1, 0), doc.number, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(head.cell(1, 1), doc.place_date, italic=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(d, doc.title, bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(d, doc.subject, bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    for text in doc.paragraphs + doc.notes:
        para(d, text, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    for i, table in enumerate(doc.tables, start=1):
        para(d, f"{i}. {table.title}", bold=True)
        t = d.add_table(rows=1, cols=len(table.header))
        t.style = "Table Grid"
        for cell, text in zip(t.rows[0].cells, table.header, strict=True):
            cell.text = text
            for r in cell.paragraphs[0].runs:
                r.bold, r.font.size = True, Pt(11)
        for row in table.rows:
            cells = t.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = text
                for r in cell.paragraphs[0].runs:
                    r.font.size = Pt(11)
    para(d, _assessment_title(), bold=True)
    para(d, doc.assessment or "…", align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    para(d, _proposals_title(), bold=True)
    para(d, (doc.proposals or "…") + "./.", align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    foot = d.add_table(rows=1, cols=2)
    recv = foot.cell(0, 0)
    para(recv, "Nơi nhận:", bold=True, italic=True, size=12)
    for r in doc.recipients:
        para(recv, f"- {r};" if r != doc.recipients[-1] else f"- {r}.", size=11)
    sign = foot.cell(0, 1)
    para(sign, doc.signer_title, bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(
        sign, "(Ký, ghi rõ họ tên, đóng dấu)", italic=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER
    )
    para(sign, "", size=13)
    para(sign, "", size=13)
    para(sign, doc.signer_name, bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _assessment_title() -> str:
    return "Đánh giá"


def _proposals_title() -> str:
    return "Kiến nghị, đề xuất"


# --- PDF ----------------------------------------------------------------------------------

_REGISTERED = False


def _fonts() -> None:
    global _REGISTERED
    if _REGISTERED:
        return
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, file in (
        ("Serif", "LiberationSerif-Regular.ttf"),
        ("Serif-Bold", "LiberationSerif-Bold.ttf"),
        ("Serif-Italic", "LiberationSerif-Italic.ttf"),
    ):
        pdfmetrics.registerFont(TTFont(name, str(FONTS / file)))
    pdfmetrics.registerFontFamily(
        "Serif", normal="Serif", bold="Serif-Bold", italic="Serif-Italic", boldItalic="Serif-Bold"
    )
    _REGISTERED = True


def pdf(submission: Submission) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    _fonts()
    doc = official(submission)
    base = ParagraphStyle(
        "base", fontName="Serif", fontSize=13, leading=17, spaceAfter=6, alignment=TA_JUSTIFY
    )
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER, spaceAfter=0)
    cols = max((len(t.header) for t in doc.tables), default=1)
    size = 10 if cols <= 6 else 8
    small = ParagraphStyle(
        "small", parent=base, fontSize=size, leading=size + 2, spaceAfter=0, alignment=TA_CENTER
    )

    def p(
        text: str, style: ParagraphStyle = base, *, bold: bool = False, italic: bool = False
    ) -> Paragraph:
        t = escape(text)
        if bold:
            t = f"<b>{t}</b>"
        if italic:
            t = f"<i>{t}</i>"
        return Paragraph(t, style)

    width = (210 - 30 - 15) * mm
    story: list[object] = []
    head = PdfTable(
        [
            [
                [p(doc.parent_body, center), p(doc.body, center, bold=True)],
                [
                    p(MOTTO, ParagraphStyle("m", parent=center, fontSize=12), bold=True),
                    p(SLOGAN, center, bold=True),
                ],
            ],
            [p(doc.number, center), p(doc.place_date, center, italic=True)],
        ],
        colWidths=[width * 0.42, width * 0.58],
    )
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [
        head,
        Spacer(1, 8 * mm),
        p(doc.title, ParagraphStyle("t", parent=center, fontSize=14), bold=True),
        p(doc.subject, center, bold=True),
        Spacer(1, 5 * mm),
    ]
    story += [p(x) for x in doc.paragraphs + doc.notes]
    for i, table in enumerate(doc.tables, start=1):
        story.append(p(f"{i}. {table.title}", bold=True))
        data = [[p(h, small, bold=True) for h in table.header]] + [
            [p(x, small) for x in row] for row in table.rows
        ]
        n = len(table.header)
        first = width * (0.2 if n > 8 else 0.28 if n > 2 else 0.6)
        rest = (width - first) / max(n - 1, 1)
        t = PdfTable(data, colWidths=[first] + [rest] * (n - 1), repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        story += [t, Spacer(1, 4 * mm)]
    story += [
        p(_assessment_title(), bold=True),
        p(doc.assessment or "…"),
        p(_proposals_title(), bold=True),
        p((doc.proposals or "…") + "./."),
    ]
    recv_style = ParagraphStyle("r", parent=base, fontSize=11, leading=13, spaceAfter=0)
    recv = [
        p("Nơi nhận:", ParagraphStyle("n", parent=recv_style, fontSize=12), bold=True, italic=True)
    ] + [p(f"- {r};" if r != doc.recipients[-1] else f"- {r}.", recv_style) for r in doc.recipients]
    sign = [
        p(doc.signer_title, center, bold=True),
        p("(Ký, ghi rõ họ tên, đóng dấu)", center, italic=True),
        Spacer(1, 20 * mm),
        p(doc.signer_name, center, bold=True),
    ]
    foot = PdfTable([[recv, sign]], colWidths=[width * 0.5, width * 0.5])
    foot.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [Spacer(1, 6 * mm), foot]

    def page_number(canvas: object, document: object) -> None:
        n = canvas.getPageNumber()  # type: ignore[attr-defined]
        if n > 1:  # NĐ 30: no number on the first page
            canvas.setFont("Serif", 13)  # type: ignore[attr-defined]
            canvas.drawCentredString(A4[0] / 2, A4[1] - 12 * mm, str(n))  # type: ignore[attr-defined]

    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=30 * mm,
        rightMargin=15 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=doc.subject,
        author=doc.body,
    ).build(story, onFirstPage=page_number, onLaterPages=page_number)  # type: ignore[arg-type]
    return out.getvalue()
