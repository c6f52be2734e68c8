"""Vietnamese text at the boundary: NFC, folding, roster order (no database)."""

from __future__ import annotations

import random
import unicodedata

import pytest

from dentruong.lib import vntext

NFD_NGUYEN = unicodedata.normalize("NFD", "Nguyễn")


# --- clean: NFC and white space ---------------------------------------------------------


def test_clean_turns_nfd_into_nfc() -> None:
    assert len(NFD_NGUYEN) == 8
    cleaned = vntext.clean(NFD_NGUYEN)
    assert cleaned == "Nguyễn"
    assert len(cleaned) == 6
    assert unicodedata.is_normalized("NFC", cleaned)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Nguyễn   Văn\tAn \n", "Nguyễn Văn An"),
        ("Đặng\u00a0Thị\u2003Ánh", "Đặng Thị Ánh"),  # no-break and em spaces from Excel/Word
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_clean_collapses_white_space(raw: str | None, expected: str) -> None:
    assert vntext.clean(raw) == expected


def test_clean_keeps_tone_placement() -> None:
    # NFC does not unify old and new tone placement; clean() must not rewrite names.
    assert vntext.clean("Hoà") != vntext.clean("Hòa")


def test_full_name() -> None:
    assert vntext.full_name(" Nguyễn  Văn ", "An ") == "Nguyễn Văn An"


# --- fold and tokens ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đặng Thị Ánh", "dang thi anh"),
        ("ĐẶNG THỊ ÁNH", "dang thi anh"),
        ("đặng minh đức", "dang minh duc"),
        (NFD_NGUYEN + " Văn An", "nguyen van an"),
        ("Trần Thị Hoà", "tran thi hoa"),
        ("Trần Thị Hòa", "tran thi hoa"),
        ("Thuỷ", "thuy"),
        ("Thủy", "thuy"),
        ("Sùng A Páo", "sung a pao"),
        ("Giàng Thị Mỷ", "giang thi my"),
        ("Tẩn Láo Lở", "tan lao lo"),
        ("Hầu A Dợ", "hau a do"),
        ("H'Hen Niê", "h hen nie"),
        ("Nguyễn-Văn, An!", "nguyen van an"),
        ("  \t ", ""),
        ("", ""),
        (None, ""),
        ("Lớp 3A", "lop 3a"),
        ("Ðặng", "dang"),  # eth (legacy-file mojibake) read as Đ
    ],
)
def test_fold(text: str | None, folded: str) -> None:
    assert vntext.fold(text) == folded


def test_fold_old_and_new_tone_placement_alike() -> None:
    for old, new in [("Hoà", "Hòa"), ("Khoẻ", "Khỏe"), ("Thuý", "Thúy"), ("Hoạ", "Họa")]:
        assert vntext.fold(old) == vntext.fold(new)


def test_fold_output_is_ascii_words() -> None:
    folded = vntext.fold("Ưng Hoàng Phúc — Đoàn “Tiếp sức” 2026")
    assert folded == "ung hoang phuc doan tiep suc 2026"
    assert all(ch.isascii() for ch in folded)


def test_tokens() -> None:
    assert vntext.tokens("Nguyễn  Văn An") == ["nguyen", "van", "an"]
    assert vntext.tokens("Đặng, Ánh") == ["dang", "anh"]
    assert vntext.tokens("…!?") == []
    assert vntext.tokens("") == []
    assert vntext.tokens(None) == []


# --- collation -------------------------------------------------------------------------

# A roster in Vietnamese order: (tên, họ đệm). ICU order of letters and tones:
# a < ă < â, d < đ, e < ê, o < ô < ơ, u < ư; none < huyền < hỏi < ngã < sắc < nặng.
ROSTER = [
    ("An", "Hà Văn"),
    ("An", "Hàn Văn"),  # a space sorts before a letter: "Hà Văn" < "Hàn Văn"
    ("An", "Nguyễn Văn"),
    ("Anh", "Lê Minh"),
    ("Anh", "Phạm Đức"),
    ("Ánh", "Đặng Thị"),
    ("Ăn", "Lò Văn"),
    ("Ân", "Lê"),
    ("Ẩn", "Lý Thị"),
    ("Ấn", "Hà"),
    ("Ba", "Võ"),
    ("Bà", "Lê"),
    ("Bả", "Lê"),
    ("Bã", "Lê"),
    ("Bá", "Lê"),
    ("Bạ", "Lê"),
    ("Bích", "Lê Ngọc"),
    ("Dợ", "Hầu A"),
    ("Dũng", "Trần Anh"),
    ("Dương", "Lê Văn"),
    ("Đào", "Lê Thị"),
    ("Đức", "Đặng Minh"),
    ("Em", "Lò Thị"),
    ("Ê", "Lò Văn"),
    ("H'Hen", "Niê"),  # punctuation sorts before letters, as in ICU
    ("Ha", "Lê Thị"),
    ("Hòa", "Lê Thị"),  # Hòa and Hoà are one name: ordered by họ đệm
    ("Hoà", "Trần Thị"),
    ("Hoá", "Lê Thị"),
    ("Lở", "Tẩn Láo"),
    ("Mai", "Tô Thị"),
    ("Mai", "Tôn Thị"),
    ("Mỷ", "Giàng Thị"),
    ("Ô", "Lò Văn"),
    ("Ơn", "Lò Văn"),
    ("Páo", "Sùng A"),
    ("Páo", "Sùng Văn"),
    ("Thùy", "Vàng Thị"),  # Thùy and Thuỳ are one name: ordered by họ đệm, Vàng < Vũ
    ("Thuỳ", "Vũ Thị"),
    ("Thúy", "Lê Thị"),  # huyền < sắc, wherever the mark sits
    ("Tú", "Lê Anh"),
    ("Ưng", "Lò Văn"),
    ("Yến", "Hoàng Thị"),
]


def _roster_sorted(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(rows, key=lambda row: vntext.roster_key(row[0], row[1]))


def test_roster_order() -> None:
    shuffled = ROSTER[:]
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert _roster_sorted(shuffled) == ROSTER


def test_roster_order_ignores_input_form() -> None:
    rows = [
        (unicodedata.normalize("NFD", "Ánh"), unicodedata.normalize("NFD", "Đặng  Thị")),
        ("Anh", "Lê Minh"),
        ("An", " Nguyễn Văn "),
    ]
    assert [vntext.clean(g) for g, _ in _roster_sorted(rows)] == ["An", "Anh", "Ánh"]
    assert vntext.roster_key(*rows[0]) == vntext.roster_key("Ánh", "Đặng Thị")


def test_python_default_sort_is_wrong_and_ours_is_right() -> None:
    names = ["Ánh", "Đào", "Bình", "Anh", "Zô", "Ẩn"]
    assert sorted(names)[-1] != "Zô"  # Python's code-point order puts Ánh, Đào, Ẩn after Z
    assert sorted(names, key=vntext.collation_key) == ["Anh", "Ánh", "Ẩn", "Bình", "Đào", "Zô"]


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("a", "ă"),
        ("ă", "â"),
        ("â", "b"),
        ("d", "đ"),
        ("đ", "e"),
        ("e", "ê"),
        ("o", "ô"),
        ("ô", "ơ"),
        ("ơ", "p"),
        ("u", "ư"),
        ("ư", "v"),
        ("Ma", "Mà"),  # none < huyền
        ("Mà", "Mả"),  # huyền < hỏi
        ("Mả", "Mã"),  # hỏi < ngã
        ("Mã", "Má"),  # ngã < sắc
        ("Má", "Mạ"),  # sắc < nặng
        ("Mạ", "Mai"),  # a shorter word first, whatever its tone
        ("an", "An"),  # case last: lower before upper, as ICU
        ("Dũng", "Đào"),
        ("Dương", "Đặng"),
        ("Tô Thị", "Tôn Thị"),
        ("Mã Thị", "Mạc Thị"),
        ("Lê", "Lê Minh"),
        ("Lê Minh", "Lêa"),
        ("9", "a"),
        ("", "a"),
    ],
)
def test_collation_pairs(lower: str, higher: str) -> None:
    assert vntext.collation_key(lower) < vntext.collation_key(higher)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Hoà", "Hòa"),
        ("Thuỷ", "Thủy"),
        ("Khoẻ", "Khỏe"),
        ("Nguyễn  Văn", "Nguyễn Văn"),
        (unicodedata.normalize("NFD", "Nguyễn"), "Nguyễn"),
        ("Lê-Minh", "Lê Minh"),
    ],
)
def test_collation_equal(a: str, b: str) -> None:
    assert vntext.collation_key(a) == vntext.collation_key(b)


def test_collation_key_is_lower_hex() -> None:
    key = vntext.collation_key("Đặng Thị Ánh")
    assert key == key.lower()
    bytes.fromhex(key)


def test_same_given_name_ordered_by_family_name() -> None:
    rows = [("Anh", "Phạm Đức"), ("Anh", "Đỗ Thị"), ("Anh", "Lê Minh"), ("Anh", "Dương Văn")]
    assert [f for _, f in _roster_sorted(rows)] == ["Dương Văn", "Đỗ Thị", "Lê Minh", "Phạm Đức"]


def test_given_name_decides_before_family_name() -> None:
    # "Anh (Phạm)" < "Ánh (Lê)": the whole tên, tone included, comes first.
    assert vntext.roster_key("Anh", "Phạm Đức") < vntext.roster_key("Ánh", "Lê")
    assert vntext.roster_key("An", "Vũ") < vntext.roster_key("Anh", "Bùi")


def test_roster_key_fits_the_column_for_real_names() -> None:
    # Student.sort_key is a 300-character column.
    assert len(vntext.roster_key("Nguyệt", "Nguyễn Hoàng Thị Phương")) <= 300
    assert len(vntext.roster_key("Hoàng Mai", "Tôn Nữ Thị Ngọc Khuê")) <= 300
