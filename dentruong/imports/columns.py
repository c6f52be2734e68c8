"""Column headers of school spreadsheets: which field each column holds, and which row
is the header. Pure functions, no database.

Headers are matched on a normalised form: legacy fonts converted, folded (no diacritics,
lower case), every non-letter removed — so "Họ và tên", "HỌ VÀ TÊN", "Ho va ten" and
"Hä vµ tªn" (TCVN3) are one header. Synonyms include the sector database's field names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from dentruong.lib import legacy_vn, vntext

# Field keys
NATIONAL_ID = "national_id"
FULL_NAME = "full_name"
FAMILY = "family_and_middle_name"
GIVEN = "given_name"
BIRTH_DATE = "birth_date"
BIRTH_YEAR = "birth_year"
GENDER = "gender"
FEMALE_MARK = "female_mark"  # a "Nữ" column ticked with x
ETHNICITY = "ethnicity"
VILLAGE = "village"
CLASS_NAME = "class_name"
GUARDIAN_NAME = "guardian_name"
GUARDIAN_PHONE = "guardian_phone"
SCHOOLING = "schooling"
NOTES = "notes"
ROW_NUMBER = "row_number"  # STT: recognised, ignored

# The column titles written by the exports (and the first synonym of each field).
TITLES: dict[str, str] = {
    NATIONAL_ID: "Mã định danh",
    FULL_NAME: "Họ và tên",
    FAMILY: "Họ đệm",
    GIVEN: "Tên",
    BIRTH_DATE: "Ngày sinh",
    BIRTH_YEAR: "Năm sinh",
    GENDER: "Giới tính",
    FEMALE_MARK: "Nữ",
    ETHNICITY: "Dân tộc",
    VILLAGE: "Thôn/Bản/Tổ dân phố",
    CLASS_NAME: "Lớp",
    GUARDIAN_NAME: "Họ tên cha/mẹ/người giám hộ",
    GUARDIAN_PHONE: "Số điện thoại",
    SCHOOLING: "Tình trạng học",
    NOTES: "Hoàn cảnh gia đình",
    ROW_NUMBER: "STT",
}

# Human labels for messages (translated; the title above is what files say).
LABELS = {
    NATIONAL_ID: _("Personal identification number"),
    FULL_NAME: _("Full name"),
    FAMILY: _("Family and middle name"),
    GIVEN: _("Given name"),
    BIRTH_DATE: _("Date of birth"),
    BIRTH_YEAR: _("Birth year"),
    GENDER: _("Gender"),
    FEMALE_MARK: _("Female"),
    ETHNICITY: _("Ethnicity"),
    VILLAGE: _("Village"),
    CLASS_NAME: _("Class"),
    GUARDIAN_NAME: _("Guardian"),
    GUARDIAN_PHONE: _("Phone"),
    SCHOOLING: _("Schooling"),
    NOTES: _("Family situation"),
    ROW_NUMBER: "STT",
}

_SYNONYMS: dict[str, tuple[str, ...]] = {
    NATIONAL_ID: (
        "Mã định danh",
        "Mã định danh cá nhân",
        "Mã định danh công dân",
        "Mã ĐDCN",
        "Số định danh",
        "Số định danh cá nhân",
        "Số CCCD",
        "CCCD",
        "Căn cước công dân",
        "Số căn cước",
        "Số CCCD/Mã định danh",
        "MaDinhDanh",
        "SoDinhDanh",
    ),
    FULL_NAME: (
        "Họ và tên",
        "Họ tên",
        "Họ và tên học sinh",
        "Họ tên học sinh",
        "Họ và tên trẻ",
        "Họ tên trẻ",
        "Tên học sinh",
        "Họ và tên HS",
        "HoTen",
    ),
    FAMILY: ("Họ đệm", "Họ và đệm", "Họ và tên đệm", "Họ", "Họ lót", "Họ và chữ lót", "HoDem"),
    GIVEN: ("Tên", "TenHocSinh", "Ten"),
    BIRTH_DATE: (
        "Ngày sinh",
        "Ngày tháng năm sinh",
        "Ngày, tháng, năm sinh",
        "Ngày/tháng/năm sinh",
        "Sinh ngày",
        "NgaySinh",
    ),
    BIRTH_YEAR: ("Năm sinh", "NamSinh"),
    GENDER: ("Giới tính", "Giới", "GT", "Nam/Nữ", "Nam, nữ", "GioiTinh"),
    FEMALE_MARK: ("Nữ",),
    ETHNICITY: ("Dân tộc", "DT", "DanToc"),
    VILLAGE: (
        "Thôn/Bản/Tổ dân phố",
        "Thôn/Bản",
        "Thôn, bản",
        "Thôn",
        "Bản",
        "Thôn bản",
        "Thôn/Tổ dân phố",
        "Tổ dân phố",
        "Thôn/Xóm",
        "Xóm",
        "Ấp",
        "Thôn/Ấp",
        "Nơi ở (thôn/bản)",
        "Địa chỉ (thôn/bản)",
    ),
    CLASS_NAME: ("Lớp", "Tên lớp", "Lớp học", "TenLop"),
    GUARDIAN_NAME: (
        "Họ tên cha/mẹ/người giám hộ",
        "Họ tên cha mẹ",
        "Họ tên cha/mẹ",
        "Họ tên bố/mẹ",
        "Họ tên bố mẹ",
        "Cha mẹ",
        "Cha/mẹ",
        "Phụ huynh",
        "Họ tên phụ huynh",
        "Người giám hộ",
        "Họ tên người giám hộ",
        "Cha mẹ/người giám hộ",
        "Họ tên cha mẹ hoặc người giám hộ",
    ),
    GUARDIAN_PHONE: (
        "Số điện thoại",
        "Điện thoại",
        "SĐT",
        "ĐT",
        "Số ĐT",
        "Điện thoại liên hệ",
        "SĐT liên hệ",
        "SĐT phụ huynh",
        "Số điện thoại phụ huynh",
        "Số điện thoại cha mẹ",
        "Điện thoại cha mẹ",
        "Số điện thoại liên hệ",
    ),
    SCHOOLING: ("Tình trạng học", "Tình trạng đi học", "Tình trạng", "Hiện trạng"),
    NOTES: ("Hoàn cảnh gia đình", "Hoàn cảnh", "Ghi chú"),
    ROW_NUMBER: ("STT", "Số thứ tự", "TT"),
}

# A group header over "Họ tên" | "Điện thoại" that makes them the guardian's.
_GUARDIAN_GROUP = re.compile(r"^(thongtin)?(chame|bome|phuhuynh|nguoigiamho|chamenguoigiamho)$")


def normalise(text: Any) -> str:
    """'Họ và tên:' → 'hovaten'; legacy fonts converted first."""
    if text is None:
        return ""
    converted = legacy_vn.to_unicode(str(text))
    return re.sub(r"[^0-9a-z]", "", vntext.fold(converted))


SYNONYMS: dict[str, str] = {
    normalise(title): key for key, titles in _SYNONYMS.items() for title in titles
}


def match(text: Any) -> str | None:
    return SYNONYMS.get(normalise(text)) if text is not None else None


@dataclass
class Header:
    """Where the header sits and which field each column holds (0-based columns)."""

    first_row: int  # index in the rows given to find_header
    last_row: int
    fields: dict[int, str]  # column → field
    titles: dict[int, str]  # column → title as written (for messages)
    ignored: list[str] = field(default_factory=list)  # titles of unknown columns

    @property
    def keys(self) -> set[str]:
        return set(self.fields.values())

    def column_of(self, key: str) -> int | None:
        for col, k in self.fields.items():
            if k == key:
                return col
        return None


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    return vntext.clean(legacy_vn.to_unicode(str(cell)))


def _map_row(
    row: Sequence[Any], sub: Sequence[Any] | None
) -> tuple[dict[int, str], dict[int, str]]:
    """Fields of one header row, or of a two-row header (group titles above sub-titles)."""
    fields: dict[int, str] = {}
    titles: dict[int, str] = {}
    width = max(len(row), len(sub or ()))
    group = ""
    for col in range(width):
        top = row[col] if col < len(row) else None
        below = sub[col] if sub is not None and col < len(sub) else None
        if top not in (None, ""):
            group = _text(top)
        key_below = match(below) if below not in (None, "") else None
        if key_below is not None:
            guardian_group = match(group) == GUARDIAN_NAME or _GUARDIAN_GROUP.match(
                normalise(group)
            )
            if key_below == FULL_NAME and guardian_group:
                key_below = GUARDIAN_NAME
            key: str | None = key_below
            title = _text(below)
        else:
            key = match(top) if top not in (None, "") else None
            title = _text(top) if key is not None or below in (None, "") else _text(below)
        if key is not None and key not in fields.values():
            fields[col] = key
            titles[col] = title
        elif title:
            titles[col] = title
    # "Họ và tên" over two columns (merged) with the name split below it: họ đệm | tên.
    for col, key in list(fields.items()):
        nxt = col + 1
        if key == FULL_NAME and nxt not in fields and not _text(row[nxt] if nxt < len(row) else ""):
            fields[col], fields[nxt] = FAMILY, GIVEN
            titles[nxt] = titles.get(col, "")
    # "Họ" and "Tên" may only be read as name parts together; "Tên" alone is the name.
    keys = set(fields.values())
    if GIVEN in keys and FAMILY not in keys and FULL_NAME not in keys:
        fields[next(c for c, k in fields.items() if k == GIVEN)] = FULL_NAME
    return fields, titles


def _score(fields: dict[int, str]) -> int:
    keys = set(fields.values())
    has_name = FULL_NAME in keys or {FAMILY, GIVEN} <= keys
    useful = keys - {ROW_NUMBER}
    return len(useful) if has_name and len(useful) >= 2 else 0


def find_header(rows: Sequence[Sequence[Any]], *, scan: int = 30) -> Header | None:
    """The best header among the first `scan` rows: one row, or a group row above a
    sub-title row (merged header cells). None when no row looks like a header."""
    best: Header | None = None
    best_score = 0
    for i, row in enumerate(rows[:scan]):
        candidates: list[tuple[int, Sequence[Any] | None]] = [(i, None)]
        if i + 1 < len(rows):
            candidates.append((i + 1, rows[i + 1]))
        for last, sub in candidates:
            fields, titles = _map_row(row, sub)
            s = _score(fields)
            if s > best_score:
                ignored = [t for c, t in titles.items() if c not in fields and t]
                best = Header(
                    first_row=i, last_row=last, fields=fields, titles=titles, ignored=ignored
                )
                best_score = s
    return best
