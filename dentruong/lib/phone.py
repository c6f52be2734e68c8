"""Vietnamese phone numbers, normalised to one format: E.164 (+84…).

Accepted: '0912 345 678', '091.234.5678', '(+84) 912-345-678', '84912345678',
'0084912345678', '912345678' (a spreadsheet cell that lost its leading 0), and pre-2018
11-digit mobile numbers ('0168 …'), which are converted to their current 10-digit form.
Landlines (02 + 9 digits: '024 3826 1234', '0203 123 4567') are accepted. Foreign numbers
are not: guardians' phones are Vietnamese.
"""

from __future__ import annotations

import re

# Pre-2018 11-digit mobile prefixes → current 3-digit prefixes (MIC conversion, 2018).
# fmt: off
LEGACY_MOBILE_PREFIXES = {
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036",
    "0167": "037", "0168": "038", "0169": "039",
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0186": "056", "0188": "058", "0199": "059",
}
# fmt: on
MOBILE_PREFIXES = ("03", "05", "07", "08", "09")
_ALLOWED = re.compile(r"^[0-9+\s().\-]+$")


class InvalidPhone(ValueError):
    pass


def normalize_phone(raw: str) -> str:
    """Return '+84xxxxxxxxx' or raise InvalidPhone with the reason (in English; UI translates)."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone("empty")
    if not _ALLOWED.match(text):
        raise InvalidPhone("characters")
    national = _national_digits(re.sub(r"\D", "", text), international=text.startswith(("+", "(+")))
    if len(national) == 11 and national[:4] in LEGACY_MOBILE_PREFIXES:
        national = LEGACY_MOBILE_PREFIXES[national[:4]] + national[4:]
    if len(national) == 10 and national[:2] in MOBILE_PREFIXES:
        return "+84" + national[1:]
    if len(national) == 11 and national.startswith("02"):
        return "+84" + national[1:]
    raise InvalidPhone("format")


def _national_digits(digits: str, *, international: bool) -> str:
    """The number as dialled inside Viet Nam, with its leading 0.

    The country code is '0084…', '+84…', or a bare '84…' of 11+ digits: a national number
    typed without its 0 (a spreadsheet drops it) has only 9 or 10 digits. A repeated
    trunk 0 after the country code ('+84 0912…') is forgiven.
    """
    if digits.startswith("0084"):
        digits = digits[4:]
    elif digits.startswith("84") and (international or len(digits) >= 11):
        digits = digits[2:]
    elif international:
        raise InvalidPhone("format")  # a foreign number
    return "0" + digits.removeprefix("0")


def display_phone(e164: str) -> str:
    """'+84912345678' → '0912 345 678', '+842438261234' → '024 3826 1234' (as people write)."""
    if not e164.startswith("+84"):
        return e164
    local = "0" + e164[3:]
    if len(local) == 10:
        return f"{local[:4]} {local[4:7]} {local[7:]}"
    if local.startswith(("024", "028")):  # Hà Nội, TP. Hồ Chí Minh: 2-digit area code
        return f"{local[:3]} {local[3:7]} {local[7:]}"
    return f"{local[:4]} {local[4:7]} {local[7:]}"
