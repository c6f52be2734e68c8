"""The monthly sheet on screen, as Excel and through the API, against the hand-computed
February 2027 of test_sheet.py (Ánh K/T/P-after-correction, Dính joined on the 17th, Học 1
left after the 21st, no roll call on the 18th)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pytest_django import DjangoAssertNumQueries

from dentruong.attendance.api import SchoolSheetsOut, SheetOut
from dentruong.attendance.sheet import HEADER_ROWS, sheet_titles
from dentruong.people.models import Student
from tests.cast import PASSWORD, Cast

from .conftest import add_students
from .test_sheet import build_february


@pytest.fixture
def february(cast: Cast) -> dict[str, Student]:
    return build_february(cast)


def login(client: Client, user: Any) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def sheet_url(cast: Cast, month: str = "2027-02") -> str:
    return reverse("attendance-sheet", args=[cast.class_3a.pk, month])


def row_cells(html: str, student: Student) -> list[str]:
    """The texts of a student's day cells on the page."""
    found = re.search(
        rf'data-testid="sheet-row" data-student="{student.pk}">(.*?)</tr>', html, re.S
    )
    assert found, student
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", found[1])
    return cells[:-3]  # P, K, T totals last


def test_the_page_shows_the_register(
    cast: Cast, client: Client, february: dict[str, Student]
) -> None:
    login(client, cast.teacher)
    response = client.get(sheet_url(cast))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sổ điểm danh" in html and "tháng 02/2027" in html
    names = re.findall(r'data-testid="sheet-row" data-student="(\d+)"', html)
    assert [int(n) for n in names] == [february[k].pk for k in ("anh", "dinh", "hoc0", "hoc1")]
    anh = row_cells(html, february["anh"])
    assert len(anh) == 28
    assert anh[14:19] == ["K", "T", "P", "?", "·"]  # 15–19 February
    assert anh[0:14] == [""] * 14  # Tết
    assert row_cells(html, february["dinh"])[14:17] == ["–", "–", "·"]
    assert row_cells(html, february["hoc1"])[21:26] == ["–"] * 5
    assert 'data-testid="joined"' in html and "từ 17/02" in html
    assert 'data-testid="left"' in html and "21/02" in html
    assert 'data-testid="legend"' in html and "không phép" in html
    assert reverse("attendance-sheet", args=[cast.class_3a.pk, "2027-01"]) in html
    assert reverse("attendance-sheet", args=[cast.class_3a.pk, "2027-03"]) in html
    assert reverse("attendance-sheet-xlsx", args=[cast.class_3a.pk, "2027-02"]) in html


def test_page_queries_do_not_grow_with_the_class(
    cast: Cast, client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    login(client, cast.teacher)
    client.get(sheet_url(cast))
    # session, user, scope, class; sheet: calendars 2, teacher, roster, absences, summaries
    with django_assert_num_queries(10):
        client.get(sheet_url(cast))
    add_students(cast, cast.class_3a, 10)
    with django_assert_num_queries(10):
        assert client.get(sheet_url(cast)).status_code == 200


def test_month_picker_and_bad_months(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    now = reverse("attendance-sheet-now", args=[cast.class_3a.pk])
    assert client.get(now).status_code == 200  # this month: March 2027
    response = client.get(f"{now}?month=2027-01")
    assert response.status_code == 302
    assert response["Location"] == sheet_url(cast, "2027-01")
    for bad in ("2027-13", "march"):
        response = client.get(sheet_url(cast, bad))
        assert response.status_code == 400
        assert "không phải là một tháng" in response.content.decode()
    assert client.get(f"{now}?month=13-2027").status_code == 400


def test_partner_may_not_read_marks(cast: Cast, client: Client) -> None:
    login(client, cast.partner)
    assert client.get(sheet_url(cast)).status_code == 403
    assert (
        client.get(reverse("attendance-sheet-xlsx", args=[cast.class_3a.pk, "2027-02"])).status_code
        == 403
    )
    school = reverse("school-attendance-xlsx", args=[cast.school.pk, "2027-02"])
    assert client.get(school).status_code == 403


def test_outsider_gets_404_even_with_a_bad_month(cast: Cast, client: Client) -> None:
    login(client, cast.outsider)
    assert client.get(sheet_url(cast, "2027-13")).status_code == 404
    school = reverse("school-attendance-xlsx", args=[cast.school.pk, "2027-13"])
    assert client.get(school).status_code == 404


def test_excel_file_of_a_class(cast: Cast, client: Client, february: dict[str, Student]) -> None:
    login(client, cast.teacher)
    url = reverse("attendance-sheet-xlsx", args=[cast.class_3a.pk, "2027-02"])
    response = client.get(url, {"purpose": "Nộp sổ điểm danh"})  # a list of names: say why
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="diem-danh-3a-2027-02.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["3A"]
    ws = book["3A"]
    assert ws.freeze_panes == f"C{HEADER_ROWS + 1}"
    assert "02/2027" in ws["A1"].value
    assert ws["A2"].value == "Trường: Trường Tiểu học Bát Xát"
    assert "Vàng Thị Tâm" in ws["A5"].value
    assert "P có phép" in ws["A6"].value or "có phép" in ws["A6"].value
    assert ws.column_dimensions["B"].width == 26
    first = HEADER_ROWS + 1  # Ánh's row
    day = lambda n: 2 + n  # noqa: E731 (column of day n: C is the 1st)
    assert ws.cell(HEADER_ROWS - 1, day(15)).value == 15
    assert [ws.cell(first, day(d)).value for d in (15, 16, 17, 18, 19)] == [
        "K",
        "T",
        "P",
        "?",
        None,  # present: left blank, as on paper
    ]
    assert ws.cell(first, 2).value == "Đặng Thị Ánh"
    assert [ws.cell(first + 1, day(d)).value for d in (15, 16, 17)] == ["-", "-", None]
    assert ws.cell(first + 2, day(23)).value == "K"  # Lò Văn Học 0
    totals = 3 + 28  # P, K, T after the 28 days
    assert [ws.cell(first, totals + i).value for i in range(3)] == [1, 1, 1]
    assert [ws.cell(first + 2, totals + i).value for i in range(3)] == [1, 1, 0]
    assert "17/02" in ws.cell(first + 1, totals + 3).value  # joined
    assert "21/02" in ws.cell(first + 3, totals + 3).value  # left
    enrolled_row = first + 4
    assert ws.cell(enrolled_row, 2).value == "Sĩ số"
    assert [ws.cell(enrolled_row, day(d)).value for d in (15, 17, 18, 22)] == [3, 4, 4, 3]
    assert [ws.cell(enrolled_row + 1, day(d)).value for d in (15, 17, 18, 23)] == [1, 3, None, 2]


def test_excel_file_of_a_school(cast: Cast, client: Client, february: dict[str, Student]) -> None:
    login(client, cast.school_leader)
    url = reverse("school-attendance-xlsx", args=[cast.school.pk, "2027-02"])
    assert 'data-testid="purpose-form"' in client.get(url).content.decode()  # why, first
    response = client.get(url, {"purpose": "Báo cáo cấp trên"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["3A", "4A"]
    assert book["4A"].cell(HEADER_ROWS + 1, 2).value == "Nguyễn Văn An"
    # the teacher of 3A sees their class only
    client.logout()
    login(client, cast.teacher)
    response = client.get(url, {"purpose": "Báo cáo cấp trên"})
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["3A"]


def test_sheet_titles_are_valid_and_unique() -> None:
    long = "Lớp 10A chuyên Toán – Tin học khối chiều"
    titles = sheet_titles(["3A", "3a", "6/1", long, long, "[x]"])
    assert titles[0] == "3A"
    assert titles[1] == "3a (2)"
    assert titles[2] == "6-1"
    assert all(len(t) <= 31 for t in titles)
    assert titles[3] == long[:31] and titles[4].endswith(" (2)")
    assert titles[5] == "-x-"
    assert len({t.casefold() for t in titles}) == len(titles)


def test_api_class_sheet(cast: Cast, client: Client, february: dict[str, Student]) -> None:
    login(client, cast.teacher)
    url = reverse("api-v1:class_attendance_sheet", kwargs={"class_id": cast.class_3a.pk})
    data = client.get(f"{url}?month=2027-02").json()
    SheetOut.model_validate(data)  # served without the schema's check: it must fit
    assert data["month"] == "2027-02"
    assert (data["school_days"], data["roll_calls_due"], data["roll_calls_taken"]) == (10, 10, 9)
    assert (data["excused"], data["unexcused"], data["late"]) == (2, 2, 1)
    anh, dinh, hoc0, hoc1 = data["rows"]
    assert anh["full_name"] == "Đặng Thị Ánh"
    assert anh["cells"][14:19] == ["K", "T", "P", "?", "+"]
    assert dinh["joined"] == "2027-02-17" and hoc1["left"] == "2027-02-21"
    assert hoc0["cells"][22] == "K" and (hoc0["excused"], hoc0["unexcused"]) == (1, 1)
    col = data["columns"][14]
    assert col == {
        "date": "2027-02-15",
        "session": "am",
        "school_day": True,
        "due": True,
        "taken": True,
        "enrolled": 3,
        "present": 1,
        "late": 0,
        "excused": 1,
        "unexcused": 1,
    }
    assert set(data["legend"]) == {"P", "K", "T", "+", "?", "-", ""}


@pytest.mark.parametrize("month", ["2027-13", "2027-2", "x"])
def test_api_bad_month_is_422(cast: Cast, client: Client, month: str) -> None:
    login(client, cast.teacher)
    url = reverse("api-v1:class_attendance_sheet", kwargs={"class_id": cast.class_3a.pk})
    response = client.get(f"{url}?month={month}")
    assert response.status_code == 422
    (error,) = response.json()["errors"]["month"]
    assert error["code"] == "invalid_month"
    school = reverse("api-v1:school_attendance_sheets", kwargs={"school_id": cast.school.pk})
    assert client.get(f"{school}?month={month}").status_code == 422


def test_api_school_sheets_in_constant_queries(
    cast: Cast,
    client: Client,
    february: dict[str, Student],
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    login(client, cast.school_leader)
    url = reverse("api-v1:school_attendance_sheets", kwargs={"school_id": cast.school.pk})
    client.get(url)
    # session, user, scope, school, classes; sheets: calendars 2, teacher, roster,
    # absences, summaries; the audit log's export event (an insert in its savepoint: 3)
    with django_assert_num_queries(14):
        data = client.get(f"{url}?month=2027-02").json()
    SchoolSheetsOut.model_validate(data)
    assert [s["class_name"] for s in data["sheets"]] == ["3A", "4A"]
    assert [len(s["rows"]) for s in data["sheets"]] == [4, 1]
    login(client, cast.partner)
    assert client.get(url).status_code == 403
    login(client, cast.outsider)
    assert client.get(url).status_code == 404


def test_openapi_lists_the_sheet_operations(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    paths = client.get(reverse("api-v1:openapi-json")).json()["paths"]
    assert "/api/v1/classes/{class_id}/attendance-sheet" in paths
    assert "/api/v1/schools/{school_id}/attendance-sheets" in paths
