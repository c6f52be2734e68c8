"""Legacy Vietnamese fonts: real words in TCVN3 (ABC) and VNI-Windows, converted back to
Unicode NFC; Unicode text left alone."""

from __future__ import annotations

import unicodedata

import pytest

from dentruong.lib import legacy_vn as L

# (as stored in an old file, as meant) — typed by hand from the published tables.
TCVN3_WORDS = [
    ("NguyÔn V¨n An", "Nguyễn Văn An"),
    ("Tr\xadêng TiÓu häc B¸t X¸t", "Trường Tiểu học Bát Xát"),
    ("Hä vµ tªn", "Họ và tên"),
    ("Ngµy sinh", "Ngày sinh"),
    ("Giíi tÝnh", "Giới tính"),
    ("D©n téc", "Dân tộc"),
    ("Lª ThÞ Hoa", "Lê Thị Hoa"),
    ("Th«n B¶n V\xadîc", "Thôn Bản Vược"),
    ("Cèc Mú", "Cốc Mỳ"),
    ("Gi¸y", "Giáy"),
    ("M«ng", "Mông"),
    ("§Æng ThÞ ¸nh", "Đặng Thị Ánh"),  # no capital Á in .VnTime: capitalised like its neighbours
    ("NGUYÔN V¡N AN", "NGUYỄN VĂN AN"),  # .VnTimeH, the capitals font
    ("Kh\xad¬ng", "Khương"),
    ("Phï L¸", "Phù Lá"),
    ("Hoµn c¶nh khã kh¨n", "Hoàn cảnh khó khăn"),
    ("Ch\xada ®i häc", "Chưa đi học"),
    ("¦íc", "Ước"),
]
VNI_WORDS = [
    ("Nguyeãn Vaên An", "Nguyễn Văn An"),
    ("Tröôøng Tieåu hoïc", "Trường Tiểu học"),
    ("Hoï vaø teân", "Họ và tên"),
    ("Ngaøy sinh", "Ngày sinh"),
    ("Ñaëng Thò AÙnh", "Đặng Thị Ánh"),
    ("Coác Myø", "Cốc Mỳ"),
    ("Giaùy", "Giáy"),
    ("Daân toäc", "Dân tộc"),
    ("Giôùi tính", "Giới tính"),
    ("Ngöôøi giaùm hoä", "Người giám hộ"),
    ("Lyù Thò Mæ", "Lý Thị Mỉ"),
    ("Nguyeãn Thò Hueä", "Nguyễn Thị Huệ"),
    ("Huyønh Thò Kim Ngaân", "Huỳnh Thị Kim Ngân"),
    ("Vuõ Ñöùc Thaéng", "Vũ Đức Thắng"),
    ("NGUYEÃN VAÊN AN", "NGUYỄN VĂN AN"),
]
UNICODE_TEXTS = [
    "Toàn",  # o + à: would read as VNI "Tồn"
    "Hoà",
    "Hà Mai",
    "Lò Văn Páo",
    "Sùng A Páo",
    "Giàng Thị Mỷ",
    "Đặng Thị Ánh",
    "Café",
    "Anh",
    "Ksor H'Hen",
]


@pytest.mark.parametrize(("legacy", "meant"), TCVN3_WORDS)
def test_tcvn3_words(legacy: str, meant: str) -> None:
    assert L.detect(legacy) == L.TCVN3
    converted = L.to_unicode(legacy)
    assert converted == meant
    assert unicodedata.is_normalized("NFC", converted)


@pytest.mark.parametrize(("legacy", "meant"), VNI_WORDS)
def test_vni_words(legacy: str, meant: str) -> None:
    assert L.detect(legacy) == L.VNI
    converted = L.to_unicode(legacy)
    assert converted == meant
    assert unicodedata.is_normalized("NFC", converted)


@pytest.mark.parametrize("text", UNICODE_TEXTS)
def test_unicode_text_is_left_alone(text: str) -> None:
    assert L.detect(text) == L.UNICODE
    assert L.to_unicode(text) == text


def test_decomposed_unicode_becomes_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Nguyễn")
    assert len(nfd) == 8
    assert L.to_unicode(nfd) == "Nguyễn"


def test_tcvn3_table_agrees_with_glibc_for_lower_case() -> None:
    """Spot checks against iconv -f TCVN5712-1 (run by hand, see the module docstring)."""
    expected = {
        0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
        0xB5: "à", 0xB8: "á", 0xBE: "ắ", 0xC6: "ặ", 0xCA: "ấ", 0xD4: "ễ", 0xD5: "ế",
        0xDC: "ĩ", 0xE3: "ó", 0xE8: "ố", 0xEA: "ờ", 0xED: "ớ", 0xF3: "ú", 0xF8: "ứ",
        0xFD: "ý", 0xFE: "ỵ", 0xA7: "Đ", 0xA1: "Ă", 0xA6: "Ư",
    }  # fmt: skip
    for code, letter in expected.items():
        assert L.TCVN3_TABLE[chr(code)] == letter, hex(code)


def test_every_vietnamese_letter_round_trips_through_both_tables() -> None:
    """Encode each lower-case Vietnamese letter with the inverse tables and decode it back:
    12 vowels × 6 tones, less the 6 plain ASCII vowels, and đ."""
    tones = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
    letters = {unicodedata.normalize("NFC", v + t) for v in "aăâeêioôơuưy" for t in tones} - set(
        "aeioyu"
    ) | {"đ"}
    assert len(letters) == 67
    inverse_tcvn3 = {v: k for k, v in L.TCVN3_TABLE.items()}
    inverse_vni = {v: k for k, v in L.VNI_TABLE.items()}
    for letter in letters:
        # VNI writes í and ì as themselves; every other letter has a code or a pair.
        assert L.convert_vni(inverse_vni.get(letter, letter)) == letter
        assert L.convert_tcvn3(inverse_tcvn3[letter]) == letter


def test_a_column_is_read_in_one_encoding() -> None:
    """A given-name column of a TCVN3 file: 'Tó' alone is a Unicode syllable too, but the
    column as a whole is TCVN3 (ú = 0xF3 'ó')."""
    column = ["Tó", "¸nh", "Hoa", "Lª"]
    assert L.detect("Tó") == L.UNICODE
    assert L.detect_many(column) == L.TCVN3
    assert [L.to_unicode(t, L.TCVN3) for t in column] == ["Tú", "ánh", "Hoa", "Lê"]
