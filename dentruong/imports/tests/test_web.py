"""Exports round-trip through the import; the API and the pages; scope of uploads."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dentruong.imports.models import BatchStatus, ImportBatch, ImportKind
from dentruong.imports.services import Target, confirm_import, preview_import
from dentruong.imports.tests.files import xlsx
from dentruong.imports.tests.test_import import counts, snapshot, tcvn3_file
from dentruong.people.models import Student
from tests.cast import PASSWORD, Cast

pytestmark = pytest.mark.django_db
PURPOSE = "Rà soát danh sách"  # exports of names say why (dentruong/audit)


def login(client: Client, user: Any) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def sheet_rows(data: bytes) -> list[tuple[Any, ...]]:
    ws = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    return [tuple(r) for r in ws.iter_rows(values_only=True)]  # type: ignore[union-attr]


# --- exports ----------------------------------------------------------------------------------


def test_class_export_round_trips_unchanged(cast: Cast, client: Client) -> None:
    response = login(client, cast.teacher).get(
        reverse("export-class", args=[cast.class_3a.pk]), {"purpose": PURPOSE}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = sheet_rows(response.content)
    assert rows[0][0] == "Trường Tiểu học Bát Xát"
    assert rows[2] == (
        "STT", "Mã định danh", "Họ đệm", "Tên", "Ngày sinh", "Giới tính", "Dân tộc",
        "Thôn/Bản/Tổ dân phố", "Lớp", "Họ tên cha/mẹ/người giám hộ", "Số điện thoại",
    )  # fmt: skip
    assert rows[3] == (
        1, "010318000001", "Đặng Thị", "Ánh", dt.datetime(2018, 3, 2), "Nữ", "Dao",
        "Thôn Bản Vược", "3A", "Đặng Văn Sử", "0912 345 678",
    )  # fmt: skip
    assert len(rows) == 6  # an empty row, then who exported it (read back as nothing)
    assert "Vàng Thị Tâm (tam)" in rows[5][0] and PURPOSE in rows[5][0]
    # Sensitive facts never leave: Ánh's household is poor in the cast.
    assert b"poor" not in response.content and "nghèo" not in str(rows)
    state = snapshot()
    batch = preview_import(
        target=Target(kind=ImportKind.CLASS_LIST, school_class=cast.class_3a),
        data=response.content,
        file_name="export.xlsx",
        user=cast.teacher,
    )
    assert batch.problems == []
    assert (batch.summary["create"], batch.summary["update"], batch.summary["unchanged"]) == (
        0, 0, 1,
    )  # fmt: skip
    confirm_import(batch=batch, user=cast.teacher)
    assert snapshot() == state


def test_school_export_round_trips_unchanged(cast: Cast, client: Client) -> None:
    # First give the school more students, from the messy TCVN3 file.
    batch = preview_import(
        target=Target(kind=ImportKind.CLASS_LIST, school_class=cast.class_3a),
        data=tcvn3_file(),
        file_name="3a.xls",
        user=cast.teacher,
    )
    confirm_import(batch=batch, user=cast.teacher)
    response = login(client, cast.school_leader).get(
        reverse("export-school", args=[cast.school.pk]), {"purpose": PURPOSE}
    )
    assert response.status_code == 200
    rows = sheet_rows(response.content)
    assert [r[3] for r in rows[3:-2]] == ["An", "Ánh", "Hoa", "Tú"]  # Vietnamese order
    state = snapshot()
    batch = preview_import(
        target=Target(kind=ImportKind.STUDENTS, school=cast.school, school_year=cast.year),
        data=response.content,
        file_name="school.xlsx",
        user=cast.school_leader,
    )
    assert batch.problems == []
    assert batch.summary["unchanged"] == 4
    confirm_import(batch=batch, user=cast.school_leader)
    assert snapshot() == state


def test_children_export_round_trips_unchanged(cast: Cast, client: Client) -> None:
    response = login(client, cast.commune_officer).get(
        reverse("export-children", args=[cast.commune.pk]), {"purpose": PURPOSE}
    )
    assert response.status_code == 200
    rows = sheet_rows(response.content)
    assert rows[3] == (
        1, None, "Đặng Văn", "Bình", None, 2020, "Nam", "Dao", "Thôn Bản Vược",
        "Chưa từng đi học", None,
    )  # fmt: skip
    assert "Mỷ" not in str(rows)  # the neighbouring commune's child
    state = snapshot()
    batch = preview_import(
        target=Target(kind=ImportKind.CHILDREN, commune=cast.commune, survey_year=2026),
        data=response.content,
        file_name="children.xlsx",
        user=cast.commune_officer,
    )
    assert batch.problems == []
    assert batch.summary["unchanged"] == 1
    confirm_import(batch=batch, user=cast.commune_officer)
    assert snapshot() == state


def test_partner_gets_no_export(cast: Cast, client: Client) -> None:
    response = login(client, cast.partner).get(reverse("export-class", args=[cast.class_3a.pk]))
    assert response.status_code == 403


# --- API ------------------------------------------------------------------------------------------


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_api_preview_then_confirm(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    response = client.post(
        reverse("api-v1:create_import"),
        {
            "kind": "class_list",
            "target_id": cast.class_3a.pk,
            "file": upload("3a.xlsx", tcvn3_file()),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["create"], body["update"], body["unchanged"], body["problems"]) == (2, 1, 1, [])
    assert body["rows"][1] == {
        "row": 9, "action": "create", "changes": [], "name": "Lò Văn Tú", "born": "15/04/2018",
    }  # fmt: skip
    assert body["encodings"]["given_name"] == "tcvn3"
    before = Student.objects.count()
    confirm = reverse("api-v1:confirm_import_api", kwargs={"import_id": body["id"]})
    response = client.post(confirm)
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    assert Student.objects.count() == before + 2
    again = client.post(confirm)
    assert again.status_code == 422
    assert again.json()["errors"]["__all__"][0]["code"] == "not_waiting"


def test_api_problems_and_refusals(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    bad = xlsx(
        ["Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc", "Thôn", "Mã định danh"],
        [["Trần Văn Bình", "31/02/2018", "Nam", "Kinh", "Bản Vược", "010218000111"]],
    )
    response = client.post(
        reverse("api-v1:create_import"),
        {"kind": "class_list", "target_id": cast.class_3a.pk, "file": upload("x.xlsx", bad)},
    )
    assert response.status_code == 201
    problems = response.json()["problems"]
    assert problems == [
        {
            "row": 2,
            "column": "Ngày sinh",
            "code": "date",
            "message": "Dòng 2, cột Ngày sinh: '31/02/2018' không phải ngày hợp lệ (dd/mm/yyyy).",
        }
    ]
    before = counts()
    refused = client.post(
        reverse("api-v1:confirm_import_api", kwargs={"import_id": response.json()["id"]})
    )
    assert refused.status_code == 422
    assert refused.json()["problems"] == problems
    assert refused.json()["errors"]["file"][0]["code"] == "date"
    assert counts() == before
    not_excel = client.post(
        reverse("api-v1:create_import"),
        {"kind": "class_list", "target_id": cast.class_3a.pk, "file": upload("x.xlsx", b"hi")},
    )
    assert not_excel.status_code == 422
    assert not_excel.json()["errors"]["file"][0]["code"] == "not_excel"
    wrong_kind = client.post(
        reverse("api-v1:create_import"),
        {"kind": "grades", "target_id": cast.class_3a.pk, "file": upload("x.xlsx", bad)},
    )
    assert wrong_kind.status_code == 422
    assert "kind" in wrong_kind.json()["errors"]


@pytest.mark.parametrize(
    ("user", "kind", "target", "status"),
    [
        ("outsider", "class_list", "class_3a", 404),
        ("outsider", "students", "school", 404),
        ("outsider", "children", "commune", 404),
        ("partner", "class_list", "class_3a", 403),
        ("province_officer", "class_list", "class_3a", 403),
        ("teacher", "class_list", "class_4a", 404),
        ("teacher", "students", "school", 403),
        ("school_leader", "children", "commune", 404),
        ("commune_officer", "children", "commune", 201),
        ("school_leader", "class_list", "class_4a", 201),
    ],
)
def test_api_upload_is_scoped(
    cast: Cast, client: Client, user: str, kind: str, target: str, status: int
) -> None:
    login(client, getattr(cast, user))
    data = xlsx(["Họ và tên", "Ngày sinh", "Lớp"], [["Đặng Thị Ánh", "02/03/2018", "3A"]])
    before = (counts(), ImportBatch.objects.count())
    response = client.post(
        reverse("api-v1:create_import"),
        {"kind": kind, "target_id": getattr(cast, target).pk, "file": upload("x.xlsx", data)},
    )
    assert response.status_code == status, response.content
    if status != 201:
        assert (counts(), ImportBatch.objects.count()) == before
        assert cast.school.name not in response.content.decode()


# --- pages ---------------------------------------------------------------------------------------


def test_upload_preview_confirm_pages(
    cast: Cast, client: Client, django_assert_num_queries: Any
) -> None:
    login(client, cast.teacher)
    roster = client.get(reverse("class-roster", args=[cast.class_3a.pk])).content.decode()
    assert reverse("import-class", args=[cast.class_3a.pk]) in roster
    page = client.get(reverse("import-class", args=[cast.class_3a.pk]))
    assert page.status_code == 200
    assert "Nhập từ Excel" in page.content.decode()
    response = client.post(
        reverse("import-class", args=[cast.class_3a.pk]),
        {"file": upload("lop 3A.xlsx", tcvn3_file())},
    )
    assert response.status_code == 302
    batch = ImportBatch.objects.latest("pk")
    assert response["Location"] == reverse("import-batch", args=[batch.pk])
    with django_assert_num_queries(4):  # session, user, memberships, batch
        preview = client.get(response["Location"])
    text = preview.content.decode()
    assert "Xem trước dữ liệu nhập" in text
    assert "Lò Văn Tú" in text and "Hoàng Thị Hoa" in text
    assert 'data-testid="confirm"' in text
    done = client.post(reverse("import-confirm", args=[batch.pk]))
    assert done.status_code == 302
    result = client.get(done["Location"]).content.decode()
    assert "Kết quả nhập dữ liệu" in result and "Đã nhập" in result
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CONFIRMED


def test_upload_page_errors_in_vietnamese(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    response = client.post(
        reverse("import-class", args=[cast.class_3a.pk]),
        {"file": upload("danh sach.csv", b"Ho ten;Ngay sinh\n")},
    )
    assert response.status_code == 400
    assert "Đây không phải tệp Excel (.xlsx hoặc .xls)" in response.content.decode()
    bad = xlsx(
        ["Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc", "Thôn", "Mã định danh"],
        [["Trần Văn Bình", "31/02/2018", "Nam", "Kinh", "Bản Vược", "010218000111"]],
    )
    response = client.post(
        reverse("import-class", args=[cast.class_3a.pk]), {"file": upload("x.xlsx", bad)}
    )
    text = client.get(response["Location"]).content.decode()
    assert "Dòng 2, cột Ngày sinh: &#x27;31/02/2018&#x27; không phải ngày hợp lệ" in text
    assert 'data-testid="confirm"' not in text


def test_import_home_lists_what_the_user_may_import_into(cast: Cast, client: Client) -> None:
    text = login(client, cast.commune_officer).get(reverse("import-home")).content.decode()
    assert reverse("import-children", args=[cast.commune.pk]) in text
    assert reverse("import-school", args=[cast.school.pk]) in text
    assert reverse("import-school", args=[cast.other_school.pk]) not in text
    client.logout()
    text = login(client, cast.teacher).get(reverse("import-home")).content.decode()
    assert reverse("import-class", args=[cast.class_3a.pk]) in text
    assert reverse("import-school", args=[cast.school.pk]) not in text


def test_another_users_batch_is_not_found(cast: Cast, client: Client) -> None:
    batch = preview_import(
        target=Target(kind=ImportKind.CLASS_LIST, school_class=cast.class_3a),
        data=tcvn3_file(),
        file_name="3a.xlsx",
        user=cast.teacher,
    )
    login(client, cast.school_leader)
    assert client.get(reverse("import-batch", args=[batch.pk])).status_code == 404
    assert client.post(reverse("import-confirm", args=[batch.pk])).status_code == 404
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PREVIEWED
