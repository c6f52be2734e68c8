"""Mã định danh cá nhân: the 12-digit personal identification number that is also the
learner's identifier (mã định danh) across the education sector.

Structure (Thông tư 59/2021/TT-BCA, Điều 7): 3 digits = province of birth registration
(pre-2025 GSO province codes, zero-padded), 1 digit = century and gender (0/1: 1900s
male/female, 2/3: 2000s, 4/5: 2100s), 2 digits = last two digits of the birth year,
6 digits = sequence. See docs/decisions/0004-national-id.md.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

# fmt: off
PROVINCE_CODES = frozenset({
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35,
    36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70,
    72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
})
# fmt: on
_TWELVE_DIGITS = re.compile(r"^[0-9]{12}$")


class InvalidNationalId(ValueError):
    """`code` says which rule failed: format, province, century, birth_year, gender."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def normalize_national_id(raw: str) -> str:
    """Full-width digits (some phone keyboards) become ASCII; spaces, dots, dashes go."""
    return re.sub(r"[\s.\-]", "", unicodedata.normalize("NFKC", raw or ""))


def validate_national_id(
    value: str, *, birth_date: dt.date | None = None, gender: str | None = None
) -> str:
    """Return the normalised id, or raise InvalidNationalId.

    `gender` is 'M' or 'F'. When the birth date or gender is known, the id must agree.
    """
    nid = normalize_national_id(value)
    if not _TWELVE_DIGITS.match(nid):
        raise InvalidNationalId("format")
    if int(nid[:3]) not in PROVINCE_CODES:
        raise InvalidNationalId("province")
    century_gender = int(nid[3])
    if century_gender > 5:
        raise InvalidNationalId("century")
    century = 1900 + 100 * (century_gender // 2)
    year = century + int(nid[4:6])
    if birth_date is not None and birth_date.year != year:
        raise InvalidNationalId("birth_year")
    if gender is not None and gender != ("F" if century_gender % 2 else "M"):
        raise InvalidNationalId("gender")
    return nid


def make_national_id(*, province: int, birth_year: int, gender: str, serial: int) -> str:
    """Build a structurally valid id (demo data, tests)."""
    century_gender = 2 * ((birth_year - 1900) // 100) + (1 if gender == "F" else 0)
    return f"{province:03d}{century_gender}{birth_year % 100:02d}{serial:06d}"
