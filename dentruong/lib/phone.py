"""Vietnamese phone numbers, normalised to one format: E.164 (+84…).

Accepted: '0912 345 678', '091.234.5678', '(+84) 912-345-678', '84912345678',
'0084912345678', and pre-2018 11-digit mobile numbers ('0168 …'), which are
converted to their current 10-digit form. Landlines (02x + 8 digits) are accepted.
"""

from __future__ import annotations

import re

# Pre-2018 11-digit mobile prefixes → current 3-digit prefixes (MIC conversion, 2018).
LEGACY_MOBILE_PREFIXES = {
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036",
    "0167": "037", "0168": "038", "0169": "039",
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0186": "056", "0188": "058", "0199": "059",
}
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
    digits = re.sub(r"\D", "", text)
    if text.lstrip().startswith("+") or digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:] if digits.startswith("84") else digits
    elif digits.startswith("0084"):
        digits = "0" + digits[4:]
    if not digits.startswith("0"):
        digits = "0" + digits
    if len(digits) == 11 and digits[:4] in LEGACY_MOBILE_PREFIXES:
        digits = LEGACY_MOBILE_PREFIXES[digits[:4]] + digits[4:]
    if len(digits) == 10 and digits[:2] in MOBILE_PREFIXES:
        return "+84" + digits[1:]
    if len(digits) == 11 and digits.startswith("02"):
        return "+84" + digits[1:]
    raise InvalidPhone("format")


def display_phone(e164: str) -> str:
    """'+84912345678' → '0912 345 678' (how people write it)."""
    if not e164.startswith("+84"):
        return e164
    local = "0" + e164[3:]
    if len(local) == 10:
        return f"{local[:4]} {local[4:7]} {local[7:]}"
    return f"{local[:3]} {local[3:7]} {local[7:]}"
