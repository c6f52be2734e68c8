"""Pages and API behaviour by role: what each user sees, bad input, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dentruong.accounts.models import Membership
from dentruong.enrollment.services import enroll_student
from dentruong.lib.national_id import make_national_id
from dentruong.people.models import Guardian, Student
from dentruong.people.services import create_student
from tests.cast import PASSWORD, Cast


def login(client: Client, username: str) -> Client:
    assert client.login(username=username, password=PASSWORD)
    return client


def body(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_home_is_vietnamese_by_default(cast: Cast, client: Client) -> None:
    login(client, "cuc")
    page = body(client, reverse("home"))
    assert "Xin chào" in page and "Cán bộ xã" in page


def test_english_browser_still_gets_vietnamese_until_switched(cast: Cast, client: Client) -> None:
    login(client, "cuc")
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Xin chào" in response.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Hello" in client.get(reverse("home")).content.decode()


def test_sensitive_facts_only_for_roles_that_need_them(cast: Cast, client: Client) -> None:
    url = reverse("student-detail", args=[cast.student.pk])
    for username in ("tam", "lan", "cuc"):
        client.logout()
        login(client, username)
        assert 'data-testid="sensitive"' in body(client, url), username
    for username in ("phong", "doan"):
        client.logout()
        login(client, username)
        assert 'data-testid="sensitive"' not in body(client, url), username


def test_partner_sees_only_campaign_fields(cast: Cast, client: Client) -> None:
    login(client, "doan")
    page = body(client, reverse("student-detail", args=[cast.student.pk]))
    assert "Đặng Thị Ánh" in page and "Thôn Bản Vược" in page
    assert cast.student.national_id not in page
    assert "0912" not in page and "+84912345678" not in page  # guardian phone not granted
    api = client.get(reverse("api-v1:get_student", args=[cast.student.pk])).json()
    assert api["national_id"] is None and api["birth_date"] is None


def test_partner_access_ends_on_its_date(cast: Cast, client: Client) -> None:
    url = reverse("student-detail", args=[cast.student.pk])
    with time_machine.travel(dt.datetime(2027, 6, 30, 8, tzinfo=dt.UTC)):
        login(client, "doan")
        assert client.get(url).status_code == 200
    with time_machine.travel(dt.datetime(2027, 7, 1, 8, tzinfo=dt.UTC)):
        login(client, "doan")
        assert client.get(url).status_code == 404


def test_partner_cannot_edit(cast: Cast, client: Client) -> None:
    login(client, "doan")
    assert client.get(reverse("student-edit", args=[cast.student.pk])).status_code == 403


def test_edit_with_bad_input_gets_clear_errors_and_writes_nothing(
    cast: Cast, client: Client
) -> None:
    login(client, "lan")
    url = reverse("student-edit", args=[cast.student.pk])
    response = client.post(
        url,
        {
            "national_id": "12345",
            "family_and_middle_name": "Đặng Thị",
            "given_name": "Ánh",
            "birth_date": "31/02/2018",
            "gender": "F",
            "ethnicity": "09",
            "village": cast.village.pk,
            "poverty": "poor",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Mã định danh cá nhân phải có đúng 12 chữ số." in page
    assert "Nhập" in page  # Django's Vietnamese "enter a valid date"
    cast.student.refresh_from_db()
    assert cast.student.national_id != "12345"


@pytest.mark.parametrize(
    ("national_id", "message"),
    [
        ("003218000001", "Ba chữ số đầu không phải mã tỉnh hợp lệ."),
        ("010117000001", "Mã định danh không khớp với năm sinh."),
        ("010218000001", "Mã định danh không khớp với giới tính."),
    ],
)
def test_national_id_rules(cast: Cast, client: Client, national_id: str, message: str) -> None:
    login(client, "lan")
    response = client.post(
        reverse("student-edit", args=[cast.student.pk]),
        {
            "national_id": national_id,
            "family_and_middle_name": "Đặng Thị",
            "given_name": "Ánh",
            "birth_date": "02/03/2018",
            "gender": "F",
            "ethnicity": "09",
            "village": cast.village.pk,
        },
    )
    assert message in response.content.decode()


def test_future_birth_date_is_refused(cast: Cast, client: Client) -> None:
    login(client, "lan")
    response = client.post(
        reverse("student-edit", args=[cast.student.pk]),
        {
            "national_id": cast.student.national_id,
            "family_and_middle_name": "Đặng Thị",
            "given_name": "Ánh",
            "birth_date": "01/01/2099",
            "gender": "F",
            "ethnicity": "09",
            "village": cast.village.pk,
        },
    )
    assert "Ngày sinh ở tương lai." in response.content.decode()


def test_edit_keeps_nfc_and_reindexes(cast: Cast, client: Client) -> None:
    login(client, "lan")
    nfd_name = "A\u0301nh"  # Ánh typed with a combining accent
    response = client.post(
        reverse("student-edit", args=[cast.student.pk]),
        {
            "national_id": cast.student.national_id,
            "family_and_middle_name": "  Đặng   Thị ",
            "given_name": nfd_name,
            "birth_date": "02/03/2018",
            "gender": "F",
            "ethnicity": "09",
            "village": cast.village2.pk,
            "poverty": "near_poor",
        },
    )
    assert response.status_code == 302
    cast.student.refresh_from_db()
    assert cast.student.given_name == "Ánh" and cast.student.family_and_middle_name == "Đặng Thị"
    assert cast.student.village == cast.village2
    assert cast.student.sensitive.poverty == "near_poor"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("0912 345 678", "+84912345678"),
        ("(+84) 912-345-678", "+84912345678"),
        ("0168 123 4567", "+84381234567"),
    ],
)
def test_guardian_phone_is_normalised(cast: Cast, client: Client, raw: str, stored: str) -> None:
    login(client, "tam")
    url = reverse("guardian-add", args=[cast.student.pk])
    response = client.post(url, {"full_name": "Lò Thị Mai", "relationship": "mother", "phone": raw})
    assert response.status_code == 302
    assert Guardian.objects.filter(full_name="Lò Thị Mai", phone=stored).exists()


def test_guardian_phone_in_odd_format_is_refused(cast: Cast, client: Client) -> None:
    login(client, "tam")
    url = reverse("guardian-add", args=[cast.student.pk])
    response = client.post(
        url, {"full_name": "Lò Thị Mai", "relationship": "mother", "phone": "09123"}
    )
    assert response.status_code == 400
    assert "không phải số điện thoại Việt Nam" in response.content.decode()
    assert not Guardian.objects.filter(full_name="Lò Thị Mai").exists()


def test_create_student(cast: Cast, client: Client) -> None:
    login(client, "cuc")
    response = client.post(
        reverse("student-create"),
        {
            "national_id": "010 2 18 000 555",
            "family_and_middle_name": "Hầu A",
            "given_name": "Dợ",
            "birth_date": "09/12/2018",
            "gender": "M",
            "ethnicity": "08",
            "village": cast.village.pk,
            "poverty": "poor",
        },
    )
    assert response.status_code == 302
    student = Student.objects.get(national_id="010218000555")
    assert student.sensitive.poverty == "poor"
    assert student.household is not None


def test_teacher_cannot_create(cast: Cast, client: Client) -> None:
    login(client, "tam")
    assert client.get(reverse("student-create")).status_code == 403


def test_api_validation_errors_are_machine_readable(cast: Cast, client: Client) -> None:
    login(client, "cuc")
    response = client.post(
        reverse("api-v1:create_student"),
        {
            "national_id": "abc",
            "family_and_middle_name": "Lò Văn",
            "given_name": "Tú",
            "birth_date": "2018-02-30",
            "gender": "X",
            "ethnicity": "99",
            "village_id": cast.village.pk,
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"birth_date", "gender", "ethnicity"} <= set(errors)
    assert all({"message", "code"} <= set(e) for errs in errors.values() for e in errs)
    assert not Student.objects.filter(given_name="Tú").exists()


def _more_students(cast: Cast, n: int) -> None:
    for i in range(n):
        s = create_student(
            national_id=make_national_id(province=10, birth_year=2017, gender="M", serial=1000 + i),
            family_and_middle_name="Lò Văn",
            given_name=f"Tú{i}",
            birth_date=dt.date(2017, 5, 1),
            gender="M",
            ethnicity="03",
            village=cast.village,
        )
        enroll_student(student=s, school_class=cast.class_4a, on=dt.date(2026, 9, 5), by=None)


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_student_list_queries_do_not_grow_with_page_size(
    cast: Cast, client: Client, settings: object
) -> None:
    login(client, "cuc")
    url = reverse("student-list")
    settings.LIST_PAGE_SIZE = 2  # type: ignore[attr-defined]
    small = _count_queries(client, url)
    _more_students(cast, 12)
    settings.LIST_PAGE_SIZE = 50  # type: ignore[attr-defined]
    large = _count_queries(client, url)
    assert small == large


def test_search_queries_do_not_grow_with_page_size(
    cast: Cast, client: Client, settings: object
) -> None:
    login(client, "cuc")
    url = reverse("student-list") + "?q=lo+van"
    settings.LIST_PAGE_SIZE = 2  # type: ignore[attr-defined]
    _more_students(cast, 12)
    small = _count_queries(client, url)
    settings.LIST_PAGE_SIZE = 50  # type: ignore[attr-defined]
    assert _count_queries(client, url) == small


def test_student_list_query_count(
    cast: Cast, client: Client, django_assert_num_queries: object
) -> None:
    login(client, "cuc")
    _more_students(cast, 5)
    # session, user, memberships, schools, villages, capped count, page, enrollments
    with django_assert_num_queries(8):  # type: ignore[operator]
        client.get(reverse("student-list"))


def test_roster_is_in_vietnamese_order(cast: Cast, client: Client) -> None:
    names = [
        ("Nguyễn Văn", "Anh"),
        ("Lê Minh", "Anh"),
        ("Trần Thị", "Ánh"),
        ("Vàng Thị", "Ân"),
        ("Đỗ Văn", "Ba"),
        ("Lò Văn", "Đào"),
        ("Hà Văn", "Dương"),
    ]
    for i, (family, given) in enumerate(names):
        s = create_student(
            national_id=make_national_id(province=10, birth_year=2017, gender="M", serial=5000 + i),
            family_and_middle_name=family,
            given_name=given,
            birth_date=dt.date(2017, 1, 1),
            gender="M",
            ethnicity="01",
            village=cast.village,
        )
        enroll_student(student=s, school_class=cast.class_3a, on=dt.date(2026, 9, 5), by=None)
    login(client, "tam")
    page = body(client, reverse("class-roster", args=[cast.class_3a.pk]))
    order = [
        "Lê Minh <b>Anh",
        "Nguyễn Văn <b>Anh",
        "Đặng Thị <b>Ánh",
        "Trần Thị <b>Ánh",
        "Vàng Thị <b>Ân",
        "Đỗ Văn <b>Ba",
        "Hà Văn <b>Dương",
        "Lò Văn <b>Đào",
    ]
    positions = [page.index(name) for name in order]
    assert positions == sorted(positions)


def test_no_role_user_sees_nothing(cast: Cast, client: Client) -> None:
    Membership.objects.filter(user=cast.commune_officer).delete()
    login(client, "cuc")
    assert client.get(reverse("student-detail", args=[cast.student.pk])).status_code == 404
    assert "Đặng Thị Ánh" not in body(client, reverse("student-list"))


def test_link_resident_child_to_student(cast: Cast, client: Client) -> None:
    login(client, "cuc")
    url = reverse("child-link", args=[cast.child.pk])
    # A student out of scope is "not found", like a number that does not exist.
    response = client.post(url, {"national_id": cast.other_student.national_id})
    assert response.status_code == 400
    assert "Không có học sinh nào mang mã định danh này." in response.content.decode()
    response = client.post(url, {"national_id": cast.student.national_id})
    assert "sinh năm 2018, sổ địa bàn ghi 2020" in response.content.decode()
    cast.child.birth_year = 2018
    cast.child.save()
    response = client.post(url, {"national_id": cast.student.national_id})
    assert response.status_code == 302
    cast.child.refresh_from_db()
    assert cast.child.student == cast.student


def test_api_schema_errors_have_the_same_shape(cast: Cast, client: Client) -> None:
    login(client, "cuc")
    response = client.post(
        reverse("api-v1:create_student"), {"given_name": 5}, content_type="application/json"
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "national_id" in errors and "given_name" in errors
    assert all({"message", "code"} <= set(e) for errs in errors.values() for e in errs)
