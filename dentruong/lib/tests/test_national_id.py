"""Mã định danh cá nhân: 12 digits = province (3) + century/gender (1) + year (2) + serial (6)."""

from __future__ import annotations

import datetime as dt

import pytest

from dentruong.lib.national_id import (
    PROVINCE_CODES,
    InvalidNationalId,
    make_national_id,
    normalize_national_id,
    validate_national_id,
)

# Lào Cai (010), girl born 2018, serial 000001.
GIRL_2018 = "010318000001"
# Hà Nội (001), boy born 2017.
BOY_2017 = "001217123456"


def reason(value: str, **kwargs: object) -> str:
    with pytest.raises(InvalidNationalId) as excinfo:
        validate_national_id(value, **kwargs)  # type: ignore[arg-type]
    assert str(excinfo.value) == excinfo.value.code
    return excinfo.value.code


@pytest.mark.parametrize(
    "value",
    [
        GIRL_2018,
        BOY_2017,
        "079205000123",  # TP. Hồ Chí Minh, boy born 2005
        "096310999999",  # Cà Mau, girl born 2010
        "001099000001",  # Hà Nội, man born 1999
        "001185000001",  # woman born 1985
        "002400000001",  # century digit 4: a boy born 2100 is still well formed
    ],
)
def test_valid_ids(value: str) -> None:
    assert validate_national_id(value) == value


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("010 318 000 001", GIRL_2018),
        ("010.318.000.001", GIRL_2018),
        ("010-318-000001", GIRL_2018),
        ("  010318000001\t", GIRL_2018),
    ],
)
def test_separators_are_stripped(raw: str, clean: str) -> None:
    assert normalize_national_id(raw) == clean
    assert validate_national_id(raw) == clean


def test_normalize_empty() -> None:
    assert normalize_national_id("") == ""
    assert normalize_national_id(None) == ""  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "01031800000",  # 11 digits
        "0103180000011",  # 13 digits
        "010318",
        "01031800000A",
        "O10318000001",  # letter O for zero
        "010318000001/",
    ],
)
def test_format(value: str) -> None:
    assert reason(value) == "format"


def test_full_width_digits_become_ascii() -> None:
    assert validate_national_id("０１０３１８０００００１") == "010318000001"


def test_other_unicode_digits_are_refused() -> None:
    assert reason("٠١٠٣١٨٠٠٠٠٠١") == "format"


@pytest.mark.parametrize("value", ["003318000001", "000318000001", "097318000001", "099318000001"])
def test_unknown_province(value: str) -> None:
    assert reason(value) == "province"


@pytest.mark.parametrize("digit", "6789")
def test_century_digit_six_and_above(digit: str) -> None:
    assert reason(f"010{digit}18000001") == "century"


@pytest.mark.parametrize(
    ("value", "birth_date"),
    [
        (GIRL_2018, dt.date(2017, 12, 31)),
        (GIRL_2018, dt.date(1918, 3, 2)),  # same two digits, wrong century
        (BOY_2017, dt.date(2018, 1, 1)),
        ("001099000001", dt.date(2099, 1, 1)),
    ],
)
def test_birth_year_mismatch(value: str, birth_date: dt.date) -> None:
    assert reason(value, birth_date=birth_date) == "birth_year"


def test_birth_year_match() -> None:
    assert validate_national_id(GIRL_2018, birth_date=dt.date(2018, 3, 2)) == GIRL_2018
    assert validate_national_id("001099000001", birth_date=dt.date(1999, 6, 1))


@pytest.mark.parametrize(
    ("value", "gender"),
    [
        ("001017000001", "M"),  # 0: male, 1900s
        ("001117000001", "F"),  # 1: female, 1900s
        ("001217000001", "M"),  # 2: male, 2000s
        ("001317000001", "F"),  # 3: female, 2000s
        ("001417000001", "M"),  # 4: male, 2100s
        ("001517000001", "F"),  # 5: female, 2100s
    ],
)
def test_gender_digit(value: str, gender: str) -> None:
    assert validate_national_id(value, gender=gender) == value
    other = "F" if gender == "M" else "M"
    assert reason(value, gender=other) == "gender"


def test_year_checked_before_gender() -> None:
    assert reason(GIRL_2018, birth_date=dt.date(2017, 1, 1), gender="M") == "birth_year"


def test_full_check_with_birth_date_and_gender() -> None:
    assert (
        validate_national_id("010 218 000 777", birth_date=dt.date(2018, 3, 2), gender="M")
        == "010218000777"
    )


@pytest.mark.parametrize("province", sorted(PROVINCE_CODES))
def test_make_round_trips_for_every_province(province: int) -> None:
    nid = make_national_id(province=province, birth_year=2015, gender="F", serial=42)
    assert nid[:3] == f"{province:03d}"
    assert validate_national_id(nid, birth_date=dt.date(2015, 5, 1), gender="F") == nid


@pytest.mark.parametrize("birth_year", [1900, 1950, 1999, 2000, 2007, 2019, 2099, 2100, 2199])
@pytest.mark.parametrize("gender", ["M", "F"])
def test_make_round_trips_across_centuries(birth_year: int, gender: str) -> None:
    nid = make_national_id(province=15, birth_year=birth_year, gender=gender, serial=999_999)
    assert len(nid) == 12 and nid.isdigit()
    assert nid.endswith("999999")
    assert validate_national_id(nid, birth_date=dt.date(birth_year, 1, 1), gender=gender) == nid


def test_make_2000s_digits() -> None:
    assert make_national_id(province=10, birth_year=2018, gender="M", serial=1)[3] == "2"
    assert make_national_id(province=10, birth_year=2018, gender="F", serial=1)[3] == "3"
    assert make_national_id(province=10, birth_year=2018, gender="F", serial=1) == GIRL_2018
