"""Vietnamese text at the boundary: NFC, folding for search, sort keys for rosters.

Every string that enters the system (form, API, Excel) goes through `clean()`.
Search compares `fold()`ed text: no diacritics, Đ → d, lower case, one space.
Rosters sort by `roster_key(given_name, family_and_middle)`: tên first, then họ đệm,
in ICU's Vietnamese order (a < ă < â, d < đ, tones: none < huyền < hỏi < ngã < sắc < nặng).
"""

from __future__ import annotations

import re
import unicodedata

import vn_collate
import vn_text

_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def clean(text: str | None) -> str:
    """NFC, trimmed, inner runs of white space collapsed to one space."""
    if not text:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", str(text))).strip()


def fold(text: str | None) -> str:
    """Search form: 'Đặng Thị  Ánh' → 'dang thi anh' (old and new tone placement alike)."""
    folded = vn_text.fold(clean(text))
    return _SPACES.sub(" ", _NON_WORD.sub(" ", folded)).strip()


def tokens(text: str | None) -> list[str]:
    """Folded words of a name or a query, in order."""
    folded = fold(text)
    return folded.split(" ") if folded else []


def collation_key(text: str) -> str:
    """ICU Vietnamese sort key as hex; compare it bytewise (binary collation)."""
    return vn_collate.collate_key(clean(text))


def roster_key(given_name: str, family_and_middle: str) -> str:
    """Sort key for a roster: tên, then họ đệm. Fixed-width separator keeps keys comparable."""
    return collation_key(given_name) + "|" + collation_key(family_and_middle)


def full_name(family_and_middle: str, given_name: str) -> str:
    return clean(f"{family_and_middle} {given_name}")
