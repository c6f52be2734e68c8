"""Vietnamese text at the boundary: NFC, folding for search, sort keys for rosters.

Every string that enters the system (form, API, Excel) goes through `clean()`.
Search compares `fold()`ed text: no diacritics, Đ → d, lower case, one space.
Rosters sort by `roster_key(given_name, family_and_middle)`: tên first, then họ đệm,
in ICU's Vietnamese order (a < ă < â, d < đ, tones: none < huyền < hỏi < ngã < sắc < nặng).

`collation_key` builds on vn-collate's letter weights with two corrections for names:
- a space or punctuation sorts before every letter, as in ICU ("Tô Thị" < "Tôn Thị",
  "H'Hen" < "Ha"); vn-collate gives them its fallback weight, after "z";
- a syllable's tone counts once, wherever the mark sits, so the old and new placements
  ("Hoà"/"Hòa", "Thuỷ"/"Thủy") are one name and sort by họ đệm, and "Hòa" (huyền) sorts
  before "Hoá" (sắc). ICU, comparing mark by mark, would put "Hoá" between them.
"""

from __future__ import annotations

import re
import unicodedata

import vn_collate
import vn_text

_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^0-9a-z]+")
# A word for collation: letters and digits, with any combining marks they carry.
_WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")


def clean(text: str | None) -> str:
    """NFC, trimmed, inner runs of white space collapsed to one space."""
    if not text:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", str(text))).strip()


def fold(text: str | None) -> str:
    """Search form: 'Đặng Thị  Ánh' → 'dang thi anh' (old and new tone placement alike)."""
    # Legacy files often carry Ð (eth) for Đ; in a Vietnamese register it is always Đ.
    folded = vn_text.fold(vn_text.repair_mojibake(clean(text)))
    return _SPACES.sub(" ", _NON_WORD.sub(" ", folded)).strip()


def tokens(text: str | None) -> list[str]:
    """Folded words of a name or a query, in order."""
    folded = fold(text)
    return folded.split(" ") if folded else []


def _word_levels(word: str) -> tuple[bytes, bytes, bytes]:
    """vn-collate's weights for one word: primaries (shifted up by one to leave room for
    the separator), the syllable's tones, and the case bits."""
    key = bytes.fromhex(vn_collate.collate_key(word))
    n = len(key) // 3 - 1  # the key is n primaries, n tones, n case bits, each + b"\0"
    primaries = bytes(weight + 1 for weight in key[:n])
    tones = bytes(tone for tone in key[n + 1 : 2 * n + 1] if tone)
    return primaries, tones, key[2 * n + 2 : 3 * n + 2]


def collation_key(text: str) -> str:
    """Vietnamese sort key as hex; compare it bytewise (binary collation).

    Levels as in ICU, each ended by 0x00: primaries of the words joined by 0x01 (any run
    of spaces or punctuation, lower than every letter or digit); then each word's tones
    followed by 0x00; then case bits. Secondaries and case bits are only compared when
    the primaries are equal, i.e. when both strings have the same words of the same length.
    """
    levels = [_word_levels(word) for word in _WORD.findall(clean(text))]
    primary = b"\x01".join(p for p, _, _ in levels)
    secondary = b"".join(tones + b"\x00" for _, tones, _ in levels)
    tertiary = b"".join(case for _, _, case in levels)
    return (primary + b"\x00" + secondary + b"\x00" + tertiary + b"\x00").hex()


def roster_key(given_name: str, family_and_middle: str) -> str:
    """Sort key for a roster: tên, then họ đệm. Fixed-width separator keeps keys comparable."""
    return collation_key(given_name) + "|" + collation_key(family_and_middle)


def full_name(family_and_middle: str, given_name: str) -> str:
    return clean(f"{family_and_middle} {given_name}")
