"""Vietnamese text typed in the legacy 8-bit fonts, converted to Unicode (NFC).

Old school spreadsheets were typed with the ABC keyboard in TCVN3 fonts (.VnTime,
.VnArial) or with VNI-Windows fonts (VNI-Times). The file stores the font's byte codes;
Excel readers hand them back as Latin-1/cp1252 characters, so a name comes out as
"NguyÔn V¨n An" (TCVN3) or "Nguyeãn Vaên An" (VNI) instead of "Nguyễn Văn An".

- TCVN3 (TCVN 5712:1993, VN3) is one byte per letter: 0xA1–0xA7 Ă Â Ê Ô Ơ Ư Đ,
  0xA8–0xAE ă â ê ô ơ ư đ, 0xB5–0xFE the toned lower-case letters. Upper-case toned
  letters come from the companion "H" font (.VnTimeH) with the same lower-case codes, so
  text whose ASCII letters are all capitals is converted to capitals. The VN1 positions of
  upper-case letters and the combining marks 0xB0–0xB4 are accepted too. Checked byte by
  byte against glibc's TCVN5712-1 converter (iconv) for 0xA0–0xFF.
- VNI-Windows writes a base letter followed by a mark character: "a" + "ù" = á, "a" +
  "â" = â, "a" + "ê" = ă, "a" + "á" = ấ, "ô" = ơ, "ö" = ư, "ñ" = đ, "æ" = ỉ, "ó" = ĩ,
  "ò" = ị, "î" = ỵ (table of the VNI keyboard; same order as xvnkb's vni.h).

`detect()` decides per text, `detect_many()` for many cells typed in one font: each
candidate reading (as is, TCVN3, VNI) is scored by how many of its words are well-formed
Vietnamese syllables (spelling rules included); a legacy reading wins only when it scores
strictly better than the others. Pure: no database.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

UNICODE, TCVN3, VNI = "unicode", "tcvn3", "vni"

# --- TCVN3 ------------------------------------------------------------------------------
# fmt: off
_TCVN3_CODES: dict[int, str] = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
    # VN1 only: a few upper-case letters and the combining tone marks.
    0xAF: "Ằ", 0xBA: "Ẳ", 0xBF: "Ẵ", 0xC0: "Ắ", 0xC1: "Ầ", 0xC2: "Ẩ", 0xC3: "Ẫ",
    0xC4: "Ấ", 0xC5: "Ề", 0xCD: "Ể", 0xD9: "Ễ", 0xDA: "Ế", 0xDB: "Ồ", 0xE0: "Ổ",
    0xF0: "Ỗ", 0xFF: "Ố",
    0xB0: "\u0300", 0xB1: "\u0309", 0xB2: "\u0303", 0xB3: "\u0301", 0xB4: "\u0323",
}
# fmt: on
TCVN3_TABLE = {chr(code): letter for code, letter in _TCVN3_CODES.items()}
_TCVN3_TRANS = str.maketrans(TCVN3_TABLE)

# --- VNI ----------------------------------------------------------------------------------
# Tones in the order of the VNI table: none, sắc, huyền, hỏi, ngã, nặng.
_TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
_VNI_TONE_MARKS = ("", "ù", "ø", "û", "õ", "ï")
# (Unicode base letter, its VNI spelling, VNI tone marks for none…nặng; None = own code)
_VNI_ROWS: list[tuple[str, str, tuple[str, ...]]] = [
    ("a", "a", _VNI_TONE_MARKS),
    ("â", "a", ("â", "á", "à", "å", "ã", "ä")),
    ("ă", "a", ("ê", "é", "è", "ú", "ü", "ë")),
    ("e", "e", _VNI_TONE_MARKS),
    ("ê", "e", ("â", "á", "à", "å", "ã", "ä")),
    ("o", "o", _VNI_TONE_MARKS),
    ("ô", "o", ("â", "á", "à", "å", "ã", "ä")),
    ("ơ", "ô", _VNI_TONE_MARKS),
    ("u", "u", _VNI_TONE_MARKS),
    ("ư", "ö", _VNI_TONE_MARKS),
    ("y", "y", ("", "ù", "ø", "û", "õ", "î")),
]
# i is one code per tone: i, í, ì, æ (ỉ), ó (ĩ), ò (ị).
_VNI_I = ("i", "í", "ì", "æ", "ó", "ò")


def _compose(base: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + tone)


def _vni_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for letter, spelling, marks in _VNI_ROWS:
        for tone, mark in zip(_TONES, marks, strict=True):
            seq = spelling + mark
            if letter == "y" and tone == "\u0323":
                seq = "î"  # ỵ has its own code
            table[seq] = _compose(letter, tone)
    for tone, code in zip(_TONES, _VNI_I, strict=True):
        table[code] = _compose("i", tone)
    table["ñ"] = "đ"
    upper = {seq.upper(): uni.upper() for seq, uni in table.items()}
    table.update(upper)
    # Drop identities (plain a, e, i, …): nothing to convert.
    return {seq: uni for seq, uni in table.items() if seq != uni}


VNI_TABLE = _vni_table()
_VNI_RE = re.compile("|".join(re.escape(s) for s in sorted(VNI_TABLE, key=len, reverse=True)))

# --- Vietnamese syllables, for detection ---------------------------------------------------
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
_ONSET = r"(?:ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdđghklmnprstvx])?"
# Vowel groups of Vietnamese rhymes, without their tone: those that may end the syllable
# or take a final consonant, those that end in a glide (no final consonant), those that
# need a final consonant.
# fmt: off
_OPEN_OR_CLOSED = "a e ê i o ô ơ u ư y oa oe uê uy".split()
_GLIDE_ENDED = (
    "ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui ưa ưi ưu iêu yêu oai oao oay oeo uây uôi "
    "ươi ươu uya uyu"
).split()
_CLOSED_ONLY = "ă â oă uâ iê yê uô ươ uyê".split()
# fmt: on


def _alternation(items: list[str]) -> str:
    return "|".join(sorted(items, key=len, reverse=True))


_SYLLABLE = re.compile(
    rf"^(?P<onset>{_ONSET})(?:"
    rf"(?P<open>{_alternation(_OPEN_OR_CLOSED)})(?P<coda>ng|nh|ch|[cmnpt])?"
    rf"|(?P<glide>{_alternation(_GLIDE_ENDED)})"
    rf"|(?P<closed>{_alternation(_CLOSED_ONLY)})(?P<coda2>ng|nh|ch|[cmnpt])"
    r")$"
)
_FRONT = ("e", "ê", "i", "y")
_VN_LETTERS = set("abcdefghijklmnopqrstuvwxyzđăâêôơư")
_WORDS = re.compile(r"[^\s,.;:()/\\\-'\"0-9]+")


def convert_tcvn3(text: str) -> str:
    """TCVN3 (ABC) text → Unicode NFC. Text typed in capitals (two or more ASCII letters,
    all capitals: the .VnTimeH font) is converted to capitals."""
    converted = text.translate(_TCVN3_TRANS)
    letters = [c for c in text if c.isascii() and c.isalpha()]
    if converted != text and len(letters) >= 2 and all(c.isupper() for c in letters):
        converted = converted.upper()
    elif converted != text:
        converted = _capitalise_like_neighbours(text, converted)
    return unicodedata.normalize("NFC", converted)


def _capitalise_like_neighbours(text: str, converted: str) -> str:
    """The normal TCVN3 font has no capital toned vowels: 'Đặng Thị ánh' was meant as
    'Đặng Thị Ánh'. When every other word is capitalised, capitalise those too."""
    words, new_words = text.split(" "), converted.split(" ")
    if len(words) != len(new_words) or len(words) < 2:
        return converted
    legacy_start = [bool(w) and w[0] in TCVN3_TABLE for w in words]
    others = [w for w, legacy in zip(words, legacy_start, strict=True) if w and not legacy]
    if not others or not all(w[0].isupper() for w in others):
        return converted
    return " ".join(
        n[:1].upper() + n[1:] if legacy else n
        for n, legacy in zip(new_words, legacy_start, strict=True)
    )


def convert_vni(text: str) -> str:
    """VNI-Windows text → Unicode NFC."""
    return unicodedata.normalize("NFC", _VNI_RE.sub(lambda m: VNI_TABLE[m.group(0)], text))


CONVERTERS = {TCVN3: convert_tcvn3, VNI: convert_vni}


def is_syllable(word: str) -> bool:
    """A well-formed Vietnamese syllable: at most one tone, a known vowel group, the
    spelling rules (k/gh/ngh before e ê i y, c/g/ng elsewhere), and only the sắc or nặng
    tone before a final c, ch, p, t."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [c for c in decomposed if c in _TONE_MARKS]
    if len(tones) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    if not set(bare) <= _VN_LETTERS:
        return False
    m = _SYLLABLE.match(bare)
    if m is None:
        return False
    onset = m["onset"] or ""
    vowels = m["open"] or m["glide"] or m["closed"] or ""
    front = vowels.startswith(_FRONT)
    if onset in ("k", "gh", "ngh") and not front:
        return False
    if onset in ("c", "g", "ng") and front and not (onset == "g" and vowels.startswith("i")):
        return False
    coda = m["coda"] or m["coda2"] or ""
    return not (coda in ("c", "ch", "p", "t") and tones and tones[0] not in "\u0301\u0323")


def score(text: str) -> int:
    """Well-formed syllables minus malformed words (words with letters only)."""
    total = 0
    for word in _WORDS.findall(text):
        total += 1 if is_syllable(word) else -1
    return total


def _may_be_legacy(text: str) -> bool:
    """Legacy text is Latin-1 range only, with at least one non-ASCII character."""
    return not text.isascii() and all(ord(c) < 0x100 for c in text)


def detect(text: str) -> str:
    """UNICODE, TCVN3 or VNI for one piece of text."""
    return detect_many([text])


def scores(texts: Iterable[str]) -> dict[str, int]:
    """Total score of each reading over the texts that could be legacy text."""
    totals = {UNICODE: 0, TCVN3: 0, VNI: 0}
    distinct = Counter(t for t in texts if isinstance(t, str))  # cells repeat a lot
    for text, n in distinct.items():
        if not _may_be_legacy(text):
            continue
        totals[UNICODE] += n * score(text)
        for name, convert in CONVERTERS.items():
            totals[name] += n * score(convert(text))
    return totals


def best(totals: dict[str, int], candidates: tuple[str, ...] = (TCVN3, VNI)) -> str:
    """The legacy reading that scores strictly better than Unicode and than the other
    candidates; Unicode otherwise (a tie is no evidence)."""
    ranked = sorted(candidates, key=lambda name: totals[name], reverse=True)
    top = ranked[0]
    if totals[top] <= totals[UNICODE] or (len(ranked) > 1 and totals[ranked[1]] == totals[top]):
        return UNICODE
    return top


def detect_many(texts: Iterable[str]) -> str:
    """The encoding of cells typed in one font (a column, a sheet)."""
    return best(scores(texts))


def to_unicode(text: str, encoding: str | None = None) -> str:
    """`text` in NFC, converted from `encoding` (detected when None). Text that cannot be
    legacy (pure ASCII, or characters beyond Latin-1) is only normalised."""
    if not _may_be_legacy(text):
        return unicodedata.normalize("NFC", text)
    encoding = encoding or detect(text)
    convert = CONVERTERS.get(encoding)
    return convert(text) if convert else unicodedata.normalize("NFC", text)
