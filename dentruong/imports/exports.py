"""Exports of the same lists to Excel, with the column titles the import reads, so that
export → import changes nothing. Sensitive facts (poverty, disability, health) are never
exported: they live in another table and no column here reads it."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from dentruong.audit.exports import ExportStamp
from dentruong.enrollment.models import Enrollment
from dentruong.imports import columns as C
from dentruong.imports.parsing import GENDER_TITLES, SCHOOLING_TITLES
from dentruong.lib.phone import display_phone
from dentruong.lib.xlsx import text_cell
from dentruong.orgs.models import OrgUnit, School, SchoolClass, SchoolYear
from dentruong.people.ethnicity import ETHNICITY_NAMES
from dentruong.people.models import Gender, Guardian, ResidentChild, SchoolingStatus

STUDENT_COLUMNS = (
    C.ROW_NUMBER,
    C.NATIONAL_ID,
    C.FAMILY,
    C.GIVEN,
    C.BIRTH_DATE,
    C.GENDER,
    C.ETHNICITY,
    C.VILLAGE,
    C.CLASS_NAME,
    C.GUARDIAN_NAME,
    C.GUARDIAN_PHONE,
)
CHILD_COLUMNS = (
    C.ROW_NUMBER,
    C.NATIONAL_ID,
    C.FAMILY,
    C.GIVEN,
    C.BIRTH_DATE,
    C.BIRTH_YEAR,
    C.GENDER,
    C.ETHNICITY,
    C.VILLAGE,
    C.SCHOOLING,
    C.NOTES,
)
WIDTHS = {C.ROW_NUMBER: 5, C.NATIONAL_ID: 15, C.FAMILY: 20, C.GIVEN: 10, C.BIRTH_DATE: 12}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _book(
    titles: Sequence[str],
    keys: Sequence[str],
    rows: Iterable[Sequence[Any]],
    stamp: ExportStamp | None = None,
) -> bytes:
    """`stamp`: who exported, under the table (read back as a row with only an STT:
    skipped) and in the workbook's properties."""
    wb = Workbook(write_only=True)
    ws: WriteOnlyWorksheet = wb.create_sheet("Danh sách")
    for i, key in enumerate(keys):
        ws.column_dimensions[get_column_letter(i + 1)].width = WIDTHS.get(key, 16)
    bold = Font(bold=True)
    for title in titles:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = bold
        ws.append([cell])
    header = []
    for key in keys:
        cell = WriteOnlyCell(ws, value=C.TITLES[key])
        cell.font = bold
        header.append(cell)
    ws.append(header)
    n = 0
    for n, row in enumerate(rows, start=1):
        cells: list[Any] = [n]
        for value in row:
            if hasattr(value, "isoformat") and not isinstance(value, str):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "dd/mm/yyyy"
                cells.append(cell)
            else:
                cells.append(text_cell(ws, value))  # text, never a formula
        ws.append(cells)
    if stamp is not None:
        stamp.write(ws, rows=n)
        stamp.mark(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _first_guardians(household_ids: set[int]) -> dict[int, tuple[str, str]]:
    found: dict[int, tuple[str, str]] = {}
    ids = sorted(household_ids)
    for i in range(0, len(ids), 900):
        for hh, name, phone in (
            Guardian.objects.filter(household_id__in=ids[i : i + 900])
            .order_by("household_id", "pk")
            .values_list("household_id", "full_name", "phone")
        ):
            found.setdefault(hh, (name, display_phone(phone) if phone else ""))
    return found


def _student_rows(enrollments: QuerySet[Enrollment]) -> list[list[Any]]:
    rows = list(
        enrollments.order_by(
            "school_class__grade", "school_class__name", "student__sort_key"
        ).values_list(
            "student__national_id",
            "student__family_and_middle_name",
            "student__given_name",
            "student__birth_date",
            "student__gender",
            "student__ethnicity",
            "student__village__name",
            "school_class__name",
            "student__household_id",
        )
    )
    guardians = _first_guardians({r[8] for r in rows if r[8]})
    out = []
    for nid, family, given, born, gender, eth, village, class_name, hh in rows:
        g_name, g_phone = guardians.get(hh, ("", "")) if hh else ("", "")
        out.append(
            [
                nid,
                family,
                given,
                born,
                GENDER_TITLES.get(Gender(gender), gender),
                ETHNICITY_NAMES.get(eth, eth),
                village,
                class_name,
                g_name,
                g_phone,
            ]
        )
    return out


def class_list_xlsx(school_class: SchoolClass, *, stamp: ExportStamp | None = None) -> bytes:
    rows = _student_rows(Enrollment.objects.current().filter(school_class=school_class))
    titles = [
        school_class.school.name,
        f"Danh sách học sinh lớp {school_class.name} · năm học {school_class.school_year}",
    ]
    return _book(titles, STUDENT_COLUMNS, rows, stamp)


def school_students_xlsx(
    school: School, school_year: SchoolYear, *, stamp: ExportStamp | None = None
) -> bytes:
    rows = _student_rows(
        Enrollment.objects.current().filter(
            school_class__school=school, school_class__school_year=school_year
        )
    )
    titles = [school.name, f"Danh sách học sinh · năm học {school_year}"]
    return _book(titles, STUDENT_COLUMNS, rows, stamp)


def children_xlsx(
    commune: OrgUnit,
    children: QuerySet[ResidentChild],
    *,
    stamp: ExportStamp | None = None,
    family: bool = False,
) -> bytes:
    """`family`: the family situation column, for the roles that see sensitive facts
    (mobilization.access.sees_family_situation); without it the column is left out."""
    found = children.order_by("village__name", "sort_key", "pk").values_list(
        "national_id",
        "family_and_middle_name",
        "given_name",
        "birth_date",
        "birth_year",
        "gender",
        "ethnicity",
        "village__name",
        "schooling",
        "notes",
    )
    rows = [
        [
            nid or "",
            family_name,
            given,
            born,
            year,
            GENDER_TITLES.get(Gender(gender), gender),
            ETHNICITY_NAMES.get(eth, eth),
            village,
            SCHOOLING_TITLES.get(SchoolingStatus(schooling), schooling),
            *([notes] if family else []),
        ]
        for nid, family_name, given, born, year, gender, eth, village, schooling, notes in found
    ]
    titles = [commune.name, "Danh sách trẻ em trong địa bàn (điều tra phổ cập)"]
    keys = CHILD_COLUMNS if family else tuple(k for k in CHILD_COLUMNS if k != C.NOTES)
    return _book(titles, keys, rows, stamp)
