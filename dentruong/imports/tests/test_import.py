"""Imports of real-world files, hand-checked: the cast's school (Bát Xát, classes 3A and
4A; Đặng Thị Ánh in 3A, Nguyễn Văn An in 4A) and Sùng A Páo of the neighbouring school."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import pytest
from django.utils import translation

from dentruong.enrollment.models import Enrollment, EnrollmentEvent
from dentruong.imports.models import BatchStatus, ImportBatch, ImportKind
from dentruong.imports.readers import FileRejected
from dentruong.imports.services import ImportRefused, Target, confirm_import, preview_import
from dentruong.imports.tests.files import with_huge_cell, xls, xlsx, zip_bomb
from dentruong.people.models import (
    Guardian,
    Household,
    NameToken,
    ResidentChild,
    SensitiveFacts,
    Student,
)
from tests.cast import Cast

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 22)


def counts() -> dict[str, int]:
    models = (Student, Enrollment, EnrollmentEvent, Household, Guardian, NameToken,
              SensitiveFacts, ResidentChild)  # fmt: skip
    return {m.__name__: m.objects.count() for m in models}


def snapshot() -> list[Any]:
    return [
        list(Student.objects.order_by("pk").values_list(
            "national_id", "family_and_middle_name", "given_name", "birth_date", "gender",
            "ethnicity", "village_id", "school_id", "household_id", "search_name", "sort_key",
        )),
        list(Enrollment.objects.order_by("pk").values_list(
            "student_id", "school_class_id", "start_date", "end_date"
        )),
        list(Guardian.objects.order_by("pk").values_list("household_id", "full_name", "phone")),
        list(NameToken.objects.order_by("student_id", "token").values_list("student_id", "token")),
        list(ResidentChild.objects.order_by("pk").values_list(
            "national_id", "family_and_middle_name", "given_name", "birth_year", "birth_date",
            "gender", "ethnicity", "village_id", "schooling", "notes", "survey_year",
        )),
    ]  # fmt: skip


def class_target(cast: Cast, which: str = "3A") -> Target:
    school_class = cast.class_3a if which == "3A" else cast.class_4a
    return Target(kind=ImportKind.CLASS_LIST, school_class=school_class)


def preview(cast: Cast, data: bytes, target: Target | None = None, **kw: Any) -> ImportBatch:
    return preview_import(
        target=target or class_target(cast),
        data=data,
        file_name="lop.xlsx",
        user=cast.teacher,
        today=TODAY,
        **kw,
    )


# A class list of 3A typed in TCVN3 in an old school file: title rows, a two-row header
# with merged cells, a date as text, an Excel date, a date serial number, an id typed as a
# number (its leading 0 lost), a phone typed as a number, empty rows and a total row.
SERIAL_2017_07_09 = (dt.date(2017, 7, 9) - dt.date(1899, 12, 30)).days
TCVN3_FILE = dict(
    titles=["UBND X· B¸T X¸T", "TR\xadêNG TIÓU HäC B¸T X¸T", "DANH S¸CH HäC SINH LíP 3A", ""],
    header=["STT", "Hä vµ tªn", None, "Giíi tÝnh", "Ngµy sinh", "D©n téc", "Th«n/B¶n",
            "M· ®Þnh danh", "Cha mÑ/ng\xadêi gi¸m hé", None],
    sub_header=[None, "Hä ®Öm", "Tªn", None, None, None, None, None, "Hä tªn", "§iÖn tho¹i"],
    rows=[
        [1, "§Æng ThÞ", "¸nh", "N÷", "02/03/2018", "Dao", "B¶n V\xadîc", "010318000001",
         "§Æng V¨n Sö", "0912 345 678"],
        [],
        [2, "Lß V¨n", "Tó", "Nam", dt.date(2018, 4, 15), "Gi¸y", "Cèc Mú", "010218000123",
         "Lß ThÞ Mai", 987654321],
        [3, "NguyÔn V¨n", "An", "Nam", SERIAL_2017_07_09, "Kinh", "Cèc Mú", "010217000002"],
        [None, None, None, None, None],
        [4, "Hoµng ThÞ", "Hoa", "N÷", "5/9/2018", "Tµy", "B¶n V\xadîc", 10318000456],
        ["Tæng sè: 4 häc sinh"],
    ],
    merges=["A5:A6", "B5:C5", "D5:D6", "E5:E6", "I5:J5"],
)  # fmt: skip


@functools.cache
def tcvn3_file() -> bytes:
    """Built once: openpyxl stamps the save time into the file, and the same file must
    hash the same when it is imported again."""
    return xlsx(**TCVN3_FILE)  # type: ignore[arg-type]


def test_messy_tcvn3_class_list_preview_and_import(cast: Cast) -> None:
    before = counts()
    batch = preview(cast, tcvn3_file())
    assert batch.problems == []
    assert batch.sheet == "Danh sách"
    assert batch.columns["encodings"]["family_and_middle_name"] == "tcvn3"
    assert batch.summary["create"] == 2
    assert batch.summary["update"] == 1
    assert batch.summary["unchanged"] == 1
    # Rows counted in the sheet: 4 title rows, 2 header rows, then data from row 7.
    assert batch.summary["rows"] == [
        [7, "unchanged", [], "Đặng Thị Ánh", "02/03/2018"],
        [9, "create", [], "Lò Văn Tú", "15/04/2018"],
        [10, "update", ["class"], "Nguyễn Văn An", "09/07/2017"],
        [12, "create", [], "Hoàng Thị Hoa", "05/09/2018"],
    ]
    assert counts() == before  # a preview writes nothing but its batch

    confirm_import(batch=batch, user=cast.teacher)
    tu = Student.objects.get(national_id="010218000123")
    assert (tu.family_and_middle_name, tu.given_name, tu.birth_date, tu.gender, tu.ethnicity) == (
        "Lò Văn", "Tú", dt.date(2018, 4, 15), "M", "25",
    )  # fmt: skip
    assert tu.village == cast.village2  # "Cèc Mú" = Cốc Mỳ
    assert tu.school == cast.school
    assert tu.search_name == "lo van tu"
    assert sorted(NameToken.objects.filter(student=tu).values_list("token", flat=True)) == [
        "lo", "tu", "van",
    ]  # fmt: skip
    assert tu.household is not None
    assert list(tu.household.guardians.values_list("full_name", "phone")) == [
        ("Lò Thị Mai", "+84987654321")
    ]
    hoa = Student.objects.get(national_id="010318000456")
    assert (hoa.full_name, hoa.birth_date, hoa.gender, hoa.ethnicity, hoa.household) == (
        "Hoàng Thị Hoa", dt.date(2018, 9, 5), "F", "02", None,
    )  # fmt: skip
    assert SensitiveFacts.objects.get(student=hoa).poverty == "none"
    roster = Enrollment.objects.current().filter(school_class=cast.class_3a)
    assert sorted(roster.values_list("student__given_name", flat=True)) == [
        "An", "Hoa", "Tú", "Ánh",
    ]  # fmt: skip
    assert not Enrollment.objects.current().filter(school_class=cast.class_4a).exists()
    after = counts()
    assert after["Student"] == before["Student"] + 2
    assert after["EnrollmentEvent"] == before["EnrollmentEvent"] + 3
    assert after["Guardian"] == before["Guardian"] + 1
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CONFIRMED

    # The same file again: every row unchanged, nothing written.
    state = snapshot()
    again = preview(cast, tcvn3_file())
    assert again.file_sha256 == batch.file_sha256
    assert (again.summary["create"], again.summary["update"], again.summary["unchanged"]) == (
        0, 0, 4,
    )  # fmt: skip
    confirm_import(batch=again, user=cast.teacher)
    assert snapshot() == state
    assert counts() == after


def test_vni_list_with_shuffled_columns_and_dashed_dates(cast: Cast) -> None:
    data = xlsx(
        ["Ngaøy sinh", "Mã định danh", "Hoï vaø teân", "Sôû thích", "Giôùi tính", "Daân toäc",
         "Thoân"],
        [
            ["09-07-2017", "010217000002", "Nguyeãn Vaên An", "", "Nam", "Kinh", "Coác Myø"],
            ["20.12.2017", "010317000888", "Vaøng Thò Dung", "môùi", "Nöõ", "Moâng", "Baûn Vöôïc"],
        ],
    )  # fmt: skip
    batch = preview(cast, data, class_target(cast, "4A"))
    assert batch.problems == []
    assert batch.columns["ignored"] == ["Sở thích"]
    assert [r[:4] for r in batch.summary["rows"]] == [
        [2, "unchanged", [], "Nguyễn Văn An"],
        [3, "create", [], "Vàng Thị Dung"],
    ]
    confirm_import(batch=batch, user=cast.school_leader)
    dung = Student.objects.get(national_id="010317000888")
    assert (dung.full_name, dung.birth_date, dung.ethnicity, dung.village) == (
        "Vàng Thị Dung", dt.date(2017, 12, 20), "08", cast.village,
    )  # fmt: skip


def test_problems_by_row_and_column_in_vietnamese_and_nothing_saved(cast: Cast) -> None:
    data = xlsx(
        ["Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc", "Thôn", "Mã định danh"],
        [
            ["Trần Văn Bình", "31/02/2018", "Nam", "Kinh", "Thôn Bản Vược", "010218000111"],
            ["Lý Văn Sáng", "01/01/2018", "Nam", "Kinh", "Bản Vược", "010218000222"],
            ["Lý Văn Tối", "02/01/2018", "Nam", "Kinh", "Bản Vược", "010218000222"],
            ["Sùng A Páo", "20/01/2018", "Nam", "Mông", "Cốc Mỳ", "010218000003"],
            ["Lò Thị Na", "03/03/2018", "X", "Kinh", "Thôn Không Có", "010318000333"],
            ["Giàng A Chư", "=DATE(2018,1,1)", "Nam", "Mông", "Cốc Mỳ", "010218000444"],
            ["Vàng", "04/04/2018", "Nam", "Mông", "Cốc Mỳ", "010218000555"],
            ["Lù Văn Páo", "05/05/2018", "Nam", "Ngoài hành tinh", "Cốc Mỳ", "010218000666"],
        ],
    )
    before, state = counts(), snapshot()
    with translation.override("vi"):
        batch = preview(cast, data)
    messages = [p["message"] for p in batch.problems]
    assert messages == [
        "Dòng 2, cột Ngày sinh: '31/02/2018' không phải ngày hợp lệ (dd/mm/yyyy).",
        "Dòng 4, cột Mã định danh: số này đã có ở dòng 3.",
        "Dòng 5, cột Mã định danh: học sinh này đang học ở trường khác; trường đó phải "
        "ghi nhận chuyển trường trước.",
        "Dòng 6, cột Giới tính: 'X' không phải Nam hoặc Nữ.",
        "Dòng 6, cột Thôn: không có thôn nào tên 'Thôn Không Có' trong xã này.",
        "Dòng 7, cột Ngày sinh: công thức không có giá trị (hãy mở và lưu lại tệp bằng Excel).",
        "Dòng 8, cột Họ và tên: 'Vàng' cần có cả họ và tên.",
        "Dòng 9, cột Dân tộc: 'Ngoài hành tinh' không thuộc 54 dân tộc.",
    ]
    assert [(p["row"], p["column"], p["code"]) for p in batch.problems][:3] == [
        (2, "Ngày sinh", "date"),
        (4, "Mã định danh", "duplicate"),
        (5, "Mã định danh", "other_school"),
    ]
    with pytest.raises(ImportRefused):
        confirm_import(batch=batch, user=cast.teacher)
    assert counts() == before
    assert snapshot() == state
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PREVIEWED


def test_same_person_twice_without_ids(cast: Cast) -> None:
    data = xlsx(
        ["Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc", "Thôn"],
        [
            ["Đặng Thị Ánh", "02/03/2018", "Nữ", "Dao", "Bản Vược"],
            ["ĐẶNG THỊ ÁNH", "02/03/2018", "Nữ", "Dao", "Bản Vược"],
        ],
    )
    batch = preview(cast, data)
    assert [(p["row"], p["code"]) for p in batch.problems] == [(3, "duplicate")]
    # Without an id the first row matches the existing student by name + date of birth.
    assert batch.summary["rows"][0][:2] == [2, "unchanged"]


def test_new_student_needs_an_id(cast: Cast) -> None:
    data = xlsx(
        ["Họ và tên", "Ngày sinh", "Nữ", "Dân tộc", "Thôn"],
        [["Ma Thị Nga", "06/06/2018", "x", "Tày", "Bản Vược"]],
    )
    batch = preview(cast, data)
    assert [(p["row"], p["code"]) for p in batch.problems] == [(2, "required")]


def test_confirm_rechecks_the_database(cast: Cast) -> None:
    """Between preview and confirm, the student was enrolled by another school."""
    from dentruong.enrollment.services import enroll_student

    batch = preview(cast, tcvn3_file())
    assert batch.problems == []
    enroll_student(student=cast.student_4a, school_class=cast.other_class, on=TODAY, by=None)
    before, state = counts(), snapshot()
    with pytest.raises(ImportRefused) as refused:
        confirm_import(batch=batch, user=cast.teacher)
    assert [(p["row"], p["code"]) for p in refused.value.problems] == [(10, "other_school")]
    assert (counts(), snapshot()) == (before, state)


def test_confirm_twice_is_refused(cast: Cast) -> None:
    batch = preview(cast, tcvn3_file())
    confirm_import(batch=batch, user=cast.teacher)
    state = snapshot()
    with pytest.raises(ImportRefused) as refused:
        confirm_import(batch=batch, user=cast.teacher)
    assert refused.value.code == "not_waiting"
    assert snapshot() == state


def test_a_failure_while_writing_leaves_nothing(cast: Cast, monkeypatch: Any) -> None:
    import dentruong.imports.services as services

    def broken(**kwargs: Any) -> int:
        raise RuntimeError("disk full")

    batch = preview(cast, tcvn3_file())
    before, state = counts(), snapshot()
    monkeypatch.setattr(services, "bulk_enroll", broken)
    with pytest.raises(RuntimeError):
        confirm_import(batch=batch, user=cast.teacher)
    assert (counts(), snapshot()) == (before, state)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PREVIEWED


# --- hostile files --------------------------------------------------------------------------


def test_the_sheet_with_a_header_is_chosen(cast: Cast) -> None:
    data = xlsx(
        ["Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc", "Thôn", "Mã định danh"],
        [["Đặng Thị Ánh", "02/03/2018", "Nữ", "Dao", "Bản Vược", "010318000001"]],
        sheet="DS 3A",
        before=[("Hướng dẫn", [["Điền danh sách vào trang sau"], ["Không sửa tiêu đề"]])],
    )
    batch = preview(cast, data)
    assert batch.sheet == "DS 3A"
    assert batch.columns["sheets"] == ["Hướng dẫn", "DS 3A"]
    with pytest.raises(FileRejected) as e:
        preview(cast, data, sheet="Hướng dẫn")
    assert e.value.code == "no_header"
    with pytest.raises(FileRejected) as e:
        preview(cast, data, sheet="Sheet9")
    assert e.value.code == "no_sheet"


def test_a_10_mb_cell_is_refused_not_loaded(cast: Cast) -> None:
    data = xlsx(
        ["Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc", "Thôn", "Mã định danh"],
        [["Đặng Thị Ánh", "02/03/2018", "Nữ", "Dao", "HUGE-CELL", "010318000001"]],
    )
    data = with_huge_cell(data, "HUGE-CELL", 10 * 2**20)
    assert len(data) > 5 * 2**20  # a real 10 MB cell, not a zip bomb
    batch = preview(cast, data)
    assert [(p["row"], p["column"], p["code"]) for p in batch.problems] == [(2, "Thôn", "too_long")]
    assert "10.485.760" in batch.problems[0]["message"]
    assert len(str(batch.rows)) < 1000 and len(str(batch.problems)) < 1000


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"Ho va ten;Ngay sinh\nAn;01/01/2018\n", "not_excel"),
        (b"", "not_excel"),
        (b"PK\x03\x04 not really a zip", "not_excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512 + "EncryptedPackage".encode("utf-16-le"),
         "encrypted"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024, "not_excel"),
    ],
)  # fmt: skip
def test_files_that_are_not_spreadsheets(cast: Cast, data: bytes, code: str) -> None:
    before = (counts(), ImportBatch.objects.count())
    with pytest.raises(FileRejected) as e:
        preview(cast, data)
    assert e.value.code == code
    assert (counts(), ImportBatch.objects.count()) == before


def test_zip_bomb_is_refused_before_inflating(cast: Cast) -> None:
    import resource

    data = zip_bomb(400 * 2**20)
    assert len(data) < 2 * 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(FileRejected) as e:
        preview(cast, data)
    assert e.value.code == "zip_bomb"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 100 * 1024  # KiB


def test_too_many_rows(cast: Cast, settings: Any) -> None:
    settings.IMPORT_MAX_ROWS = 3
    rows = [[f"Lý Văn Số{i}", "01/01/2018", "Nam", "Kinh", "Bản Vược"] for i in range(4)]
    data = xlsx(["Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc", "Thôn"], rows)
    with pytest.raises(FileRejected) as e:
        preview(cast, data)
    assert e.value.code == "too_many_rows"


def test_xls_file(cast: Cast) -> None:
    data = xls(
        ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc", "Thôn", "Mã định danh"],
        [
            [1, "Đặng Thị Ánh", dt.date(2018, 3, 2), "Nữ", "Dao", "Bản Vược", "010318000001"],
            [2, "Lò Thị Hồng", "11/11/2018", "Nữ", "Giáy", "Cốc Mỳ", 10318000999.0],
        ],
        titles=["DANH SÁCH LỚP 3A"],
    )
    assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    batch = preview(cast, data)
    assert batch.problems == []
    assert [r[:4] for r in batch.summary["rows"]] == [
        [3, "unchanged", [], "Đặng Thị Ánh"],
        [4, "create", [], "Lò Thị Hồng"],
    ]
    confirm_import(batch=batch, user=cast.teacher)
    assert Student.objects.get(national_id="010318000999").birth_date == dt.date(2018, 11, 11)


# --- student records of a school ----------------------------------------------------------


def school_target(cast: Cast) -> Target:
    return Target(kind=ImportKind.STUDENTS, school=cast.school, school_year=cast.year)


def test_student_records_with_class_names(cast: Cast) -> None:
    data = xlsx(
        ["Lớp", "Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc", "Thôn", "Mã định danh"],
        [
            ["3A", "Đặng Thị Ánh", "02/03/2018", "Nữ", "Dao", "Bản Vược", "010318000001"],
            ["Lớp 3A", "Nguyễn Văn An", "09/07/2017", "Nam", "Kinh", "Cốc Mỳ", "010217000002"],
            ["5C", "Lò Văn Tú", "15/04/2018", "Nam", "Giáy", "Cốc Mỳ", "010218000123"],
        ],
    )
    batch = preview(cast, data, school_target(cast))
    assert [(p["row"], p["column"], p["code"]) for p in batch.problems] == [(4, "Lớp", "class")]
    ok = xlsx(
        ["Lớp", "Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc", "Thôn", "Mã định danh"],
        [
            ["3A", "Đặng Thị Ánh", "02/03/2018", "Nữ", "Dao", "Bản Vược", "010318000001"],
            ["Lớp 3A", "Nguyễn Văn An", "09/07/2017", "Nam", "Kinh", "Cốc Mỳ", "010217000002"],
        ],
    )
    batch = preview(cast, ok, school_target(cast))
    assert [r[1:3] for r in batch.summary["rows"]] == [["unchanged", []], ["update", ["class"]]]
    confirm_import(batch=batch, user=cast.school_leader)
    assert Enrollment.objects.current().get(student=cast.student_4a).school_class == cast.class_3a


def test_student_records_need_a_class_column(cast: Cast) -> None:
    data = xlsx(["Họ và tên", "Ngày sinh"], [["Đặng Thị Ánh", "02/03/2018"]])
    with pytest.raises(FileRejected) as e:
        preview(cast, data, school_target(cast))
    assert e.value.code == "no_class_column"


# --- resident children register ----------------------------------------------------------


def children_target(cast: Cast) -> Target:
    return Target(kind=ImportKind.CHILDREN, commune=cast.commune, survey_year=2026)


def test_children_register(cast: Cast) -> None:
    data = xlsx(
        ["Họ và tên trẻ", "Năm sinh", "Giới tính", "Dân tộc", "Thôn/Bản", "Tình trạng học",
         "Hoàn cảnh gia đình", "Số định danh cá nhân"],
        [
            ["Đặng Văn Bình", 2020, "Nam", "Dao", "Bản Vược", "Chưa từng đi học", "", ""],
            ["Hầu Thị Dua", 2019, "Nữ", "Mông", "Cốc Mỳ", "Bỏ học", "Mồ côi cha", "010319000555"],
            ["Sùng Thị Mỷ", 2019, "Nữ", "Mông", "Cốc Mỳ", "Đang đi học", "", "010319000777"],
        ],
        titles=["ĐIỀU TRA PHỔ CẬP NĂM 2026 - XÃ BÁT XÁT"],
    )  # fmt: skip
    other = ResidentChild.objects.get(pk=cast.other_child.pk)
    other.national_id = "010319000777"
    other.save()
    batch = preview(cast, data, children_target(cast))
    assert [(p["row"], p["code"]) for p in batch.problems] == [(5, "other_commune")]
    fixed = xlsx(
        ["Họ và tên trẻ", "Năm sinh", "Giới tính", "Dân tộc", "Thôn/Bản", "Tình trạng học",
         "Hoàn cảnh gia đình", "Số định danh cá nhân"],
        [
            ["Đặng Văn Bình", 2020, "Nam", "Dao", "Bản Vược", "Chưa từng đi học", "", ""],
            ["Hầu Thị Dua", 2019, "Nữ", "Mông", "Cốc Mỳ", "Bỏ học", "Mồ côi cha", "010319000555"],
        ],
    )  # fmt: skip
    batch = preview(cast, fixed, children_target(cast))
    assert batch.problems == []
    assert [r[:4] for r in batch.summary["rows"]] == [
        [2, "unchanged", [], "Đặng Văn Bình"],
        [3, "create", [], "Hầu Thị Dua"],
    ]
    confirm_import(batch=batch, user=cast.commune_officer)
    dua = ResidentChild.objects.get(national_id="010319000555")
    assert (dua.birth_year, dua.gender, dua.ethnicity, dua.village, dua.schooling, dua.notes) == (
        2019, "F", "08", cast.village2, "dropped_out", "Mồ côi cha",
    )  # fmt: skip
    assert dua.commune == cast.commune and dua.survey_year == 2026
    state = snapshot()
    again = preview(cast, fixed, children_target(cast))
    assert again.summary["unchanged"] == 2
    confirm_import(batch=again, user=cast.commune_officer)
    assert snapshot() == state
