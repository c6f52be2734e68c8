"""Vietnamese phone numbers → E.164 (no database)."""

from __future__ import annotations

import pytest

from dentruong.lib.phone import (
    LEGACY_MOBILE_PREFIXES,
    InvalidPhone,
    display_phone,
    normalize_phone,
)


@pytest.mark.parametrize(
    "raw",
    [
        "0912 345 678",
        "0912345678",
        "091.234.5678",
        "091-234-5678",
        "(+84) 912-345-678",
        "(+84) 0912 345 678",  # the trunk 0 repeated after the country code
        "+84 912 345 678",
        "+84912345678",
        "84912345678",
        "0084912345678",
        "0084 912 345 678",
        "912345678",  # a spreadsheet cell that lost its leading 0
        "  0912 345 678  ",
    ],
)
def test_mobile_formats(raw: str) -> None:
    assert normalize_phone(raw) == "+84912345678"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0168 123 4567", "+84381234567"),  # Viettel 0168 → 038
        ("01681234567", "+84381234567"),
        ("+84 168 123 4567", "+84381234567"),
        ("84 168 123 4567", "+84381234567"),
        ("0123 456 7890", "+84834567890"),  # VinaPhone 0123 → 083
        ("0120 456 7890", "+84704567890"),  # MobiFone 0120 → 070
        ("0186 456 7890", "+84564567890"),  # Vietnamobile 0186 → 056
        ("0199 456 7890", "+84594567890"),  # Gmobile 0199 → 059
    ],
)
def test_legacy_eleven_digit_mobiles(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


def test_every_legacy_prefix_maps_to_a_current_mobile_prefix() -> None:
    for old, new in LEGACY_MOBILE_PREFIXES.items():
        assert normalize_phone(old + "1234567") == "+84" + new[1:] + "1234567"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("024 3826 1234", "+842438261234"),  # Hà Nội
        ("028 3829 5555", "+842838295555"),  # TP. Hồ Chí Minh
        ("0214 384 0123", "+842143840123"),  # Lào Cai
        ("+84 24 3826 1234", "+842438261234"),
        ("842438261234", "+842438261234"),
        ("0084 24 3826 1234", "+842438261234"),
    ],
)
def test_landlines(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "mobile",
    ["0321234567", "0561234567", "0701234567", "0851234567", "0961234567"],
)
def test_current_mobile_prefixes(mobile: str) -> None:
    assert normalize_phone(mobile) == "+84" + mobile[1:]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("091234567a", "characters"),
        ("0912 ABC 678", "characters"),
        ("không có", "characters"),
        ("0912/345/678", "characters"),
        ("091234567", "format"),  # too short
        ("09123456789", "format"),  # too long
        ("091234567890", "format"),
        ("0112345678", "format"),  # 01x is not a mobile prefix
        ("0412345678", "format"),
        ("0161 123 4567", "format"),  # 0161 was never a mobile prefix
        ("02438261234 5", "format"),
        ("+", "format"),
        ("84", "format"),
        ("+1 202 555 0123", "format"),  # foreign numbers are not accepted
        ("+44 20 7946 0958", "format"),
        ("+84 0 0912 345 678", "format"),
    ],
)
def test_rejects(raw: str, reason: str) -> None:
    with pytest.raises(InvalidPhone) as excinfo:
        normalize_phone(raw)
    assert str(excinfo.value) == reason


def test_none_is_empty() -> None:
    with pytest.raises(InvalidPhone, match="empty"):
        normalize_phone(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+84912345678", "0912 345 678"),
        ("+84381234567", "0381 234 567"),
        ("+842438261234", "024 3826 1234"),
        ("+842838295555", "028 3829 5555"),
        ("+842143840123", "0214 384 0123"),
    ],
)
def test_display_phone(e164: str, shown: str) -> None:
    assert display_phone(e164) == shown
    assert normalize_phone(shown) == e164  # round trip


def test_display_phone_leaves_foreign_values_alone() -> None:
    assert display_phone("") == ""
    assert display_phone("+12025550123") == "+12025550123"


@pytest.mark.parametrize(
    "raw",
    ["0912 345 678", "(+84) 912-345-678", "0168 123 4567", "024 3826 1234", "0084912345678"],
)
def test_normalize_is_idempotent_through_display(raw: str) -> None:
    e164 = normalize_phone(raw)
    assert normalize_phone(e164) == e164
    assert normalize_phone(display_phone(e164)) == e164
