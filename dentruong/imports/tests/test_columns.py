"""Finding the header row and the field of each column (pure)."""

from __future__ import annotations

from dentruong.imports import columns as C


def test_header_below_title_rows_in_any_order() -> None:
    rows = [
        ["SỞ GD&ĐT LÀO CAI"],
        ["DANH SÁCH HỌC SINH"],
        [],
        ["STT", "Giới tính", "HỌ VÀ TÊN", "Ngày, tháng, năm sinh", "Mã định danh cá nhân", "Ghi"],
        [1, "Nam", "Lò Văn Tú", "15/04/2018", "010218000123", ""],
    ]
    header = C.find_header(rows)
    assert header is not None
    assert header.last_row == 3  # data from the next row
    assert header.fields == {
        0: C.ROW_NUMBER, 1: C.GENDER, 2: C.FULL_NAME, 3: C.BIRTH_DATE, 4: C.NATIONAL_ID,
    }  # fmt: skip
    assert header.ignored == ["Ghi"]


def test_two_row_header_with_merged_groups() -> None:
    rows = [
        ["TT", "Họ và tên", None, "Ngày sinh", "Cha mẹ/người giám hộ", None],
        [None, "Họ đệm", "Tên", None, "Họ tên", "Số điện thoại"],
        [1, "Lò Văn", "Tú", "15/04/2018", "Lò Thị Mai", "0987654321"],
    ]
    header = C.find_header(rows)
    assert header is not None and header.last_row == 1
    assert header.fields == {
        0: C.ROW_NUMBER, 1: C.FAMILY, 2: C.GIVEN, 3: C.BIRTH_DATE, 4: C.GUARDIAN_NAME,
        5: C.GUARDIAN_PHONE,
    }  # fmt: skip


def test_merged_name_over_two_columns_without_sub_titles() -> None:
    rows = [["Họ và tên", None, "Ngày sinh"], ["Lò Văn", "Tú", "15/04/2018"]]
    header = C.find_header(rows)
    assert header is not None
    assert header.fields == {0: C.FAMILY, 1: C.GIVEN, 2: C.BIRTH_DATE}


def test_legacy_font_and_sector_database_headers() -> None:
    assert C.match("Hä vµ tªn") == C.FULL_NAME  # TCVN3
    assert C.match("Ngaøy sinh") == C.BIRTH_DATE  # VNI
    assert C.match("MaDinhDanh") == C.NATIONAL_ID  # CSDL ngành field name
    assert C.match("TenHocSinh") == C.GIVEN
    assert C.match("  số   CCCD ") == C.NATIONAL_ID
    assert C.match("Thôn/Bản/Tổ dân phố") == C.VILLAGE


def test_no_header() -> None:
    assert C.find_header([["Hướng dẫn"], ["Điền danh sách vào trang sau"]]) is None
    assert C.find_header([["Ngày sinh", "Giới tính"]]) is None  # no name column
