"""The roll call page (Django test client, Vietnamese): the roster of the day in Vietnamese
order, school days only, the no-JavaScript submission (idempotent, corrections with their
history), errors that write nothing, read-only readers, outsiders, a fixed query count, and
the service worker's URL."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from dentruong.attendance.models import Absence, RollCall, RollCallRevision
from dentruong.enrollment.services import enroll_student
from dentruong.lib.national_id import make_national_id
from dentruong.people.models import Student
from dentruong.people.services import create_student
from tests.cast import PASSWORD, Cast

from .conftest import IN_TET, MONDAY, SUNDAY, TODAY, D, add_students, counts, submit, uid

FRIDAY = D(2027, 3, 12)  # the school day before MONDAY


def login(client: Client, user: Any) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def url(cast: Cast, day: dt.date | None = MONDAY, session: str | None = "am", **more: Any) -> str:
    query = {"date": day.isoformat() if day else None, "session": session} | more
    params = "&".join(f"{k}={v}" for k, v in query.items() if v is not None)
    return reverse("roll-call", args=[cast.class_3a.pk]) + (f"?{params}" if params else "")


def page(client: Client, address: str) -> str:
    response = client.get(address)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def row_names(html: str) -> list[str]:
    """The names of the roster rows, in page order."""
    return re.findall(r'data-testid="student-row"[^>]*data-name="([^"]+)"', html)


def form(cast: Cast, marks: dict[int, tuple[str, str]], **changes: Any) -> dict[str, Any]:
    """What the page's form posts: a code and a reason select per student."""
    data: dict[str, Any] = {
        "date": MONDAY.isoformat(),
        "session": "am",
        "client_id": str(uid()),
        "base_version": "",
    }
    for student_id, (code, reason) in marks.items():
        data[f"code-{student_id}"] = code
        data[f"reason-{student_id}"] = reason
    return data | changes


def named(cast: Cast, family: str, given: str, serial: int, start: dt.date) -> Student:
    student = create_student(
        national_id=make_national_id(province=10, birth_year=2018, gender="F", serial=serial),
        family_and_middle_name=family,
        given_name=given,
        birth_date=D(2018, 5, 5),
        gender="F",
        ethnicity="01",
        village=cast.village,
    )
    enroll_student(student=student, school_class=cast.class_3a, on=start, by=None)
    return student


# --- the roster --------------------------------------------------------------------------


def test_roster_of_the_day_in_vietnamese_order(cast: Cast, client: Client) -> None:
    named(cast, "Vàng Thị", "Ân", 7001, D(2026, 9, 5))
    named(cast, "Lê Minh", "Anh", 7002, D(2026, 9, 5))
    named(cast, "Hà Văn", "Dương", 7003, D(2026, 9, 5))
    named(cast, "Lò Văn", "Đào", 7004, D(2026, 9, 5))
    named(cast, "Mùa A", "Chớ", 7005, TODAY)  # arrives after Monday
    leaver = named(cast, "Giàng Thị", "Bầu", 7006, D(2026, 9, 5))
    enroll_student(student=leaver, school_class=cast.class_4a, on=MONDAY, by=None)  # left

    names = row_names(page(login(client, cast.teacher), url(cast)))
    # a < á < â, d < đ: Vietnamese alphabetical order of the given name
    assert names == ["Lê Minh Anh", "Đặng Thị Ánh", "Vàng Thị Ân", "Hà Văn Dương", "Lò Văn Đào"]

    on_friday = row_names(page(client, url(cast, FRIDAY)))
    assert "Giàng Thị Bầu" in on_friday and "Mùa A Chớ" not in on_friday
    assert "Mùa A Chớ" in row_names(page(client, url(cast, TODAY)))


def test_defaults_today_and_first_session_everyone_present(cast: Cast, client: Client) -> None:
    add_students(cast, cast.class_3a, 2)
    html = page(login(client, cast.teacher), reverse("roll-call", args=[cast.class_3a.pk]))
    assert 'name="date" value="2027-03-17"' in html and 'name="session" value="am"' in html
    assert "hôm nay" in html and "Chưa điểm danh" in html
    assert 'data-count="enrolled">3<' in html and 'data-count="present">3<' in html
    assert html.count('data-code=""') == 3
    assert 'data-default-date="1"' in html
    # a client id for this submission, and the upcoming school days for a page kept offline
    client_id = re.search(r'name="client_id" value="([0-9a-f-]{36})"', html)
    assert client_id and uuid.UUID(client_id.group(1))
    assert 'data-ahead="2027-03-18 2027-03-19 2027-03-22' in html


def test_non_school_days_say_so_and_offer_school_days(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    html = page(client, url(cast, SUNDAY))
    assert "không phải ngày học" in html
    assert 'data-testid="student-row"' not in html and '<form method="post"' not in html
    assert f"date={FRIDAY.isoformat()}" in html  # previous school day
    assert f"date={MONDAY.isoformat()}" in html  # next school day
    tet = page(client, url(cast, IN_TET))
    assert "không phải ngày học" in tet
    assert "date=2027-01-29" in tet and "date=2027-02-15" in tet  # around the Tết break


def test_future_date_is_refused(cast: Cast, client: Client) -> None:
    html = page(login(client, cast.teacher), url(cast, D(2027, 3, 18)))
    assert "chưa tới" in html and 'data-testid="student-row"' not in html
    assert f"date={TODAY.isoformat()}" in html  # back to today
    assert "date=2027-03-19" not in html  # never offers a later day


def test_bad_date_or_session_falls_back(cast: Cast, client: Client) -> None:
    html = page(login(client, cast.teacher), url(cast, None, "xx", date="17-03-2027"))
    assert "không phải là ngày hợp lệ" in html
    assert 'name="date" value="2027-03-17"' in html and 'name="session" value="am"' in html
    # the ends of the calendar are days like any other
    assert "chưa tới" in page(client, url(cast, D(9999, 12, 31)))
    assert "không phải ngày học" in page(client, url(cast, D(1, 1, 1)))


# --- submitting ----------------------------------------------------------------------------


def test_post_submits_one_roll_call_and_shows_it_saved(cast: Cast, client: Client) -> None:
    others = add_students(cast, cast.class_3a, 2)
    login(client, cast.teacher)
    data = form(cast, {cast.student.pk: ("K", "family"), others[0].pk: ("", "unknown")})
    response = client.post(url(cast), data)
    assert response.status_code == 302 and response["Location"] == url(cast)
    rc = RollCall.objects.get()
    assert (rc.date, rc.session, rc.taken_by, str(rc.client_id)) == (
        MONDAY,
        "am",
        cast.teacher,
        data["client_id"],
    )
    assert list(rc.absences.values_list("student_id", "code", "reason")) == [
        (cast.student.pk, "K", "family")
    ]
    html = page(client, url(cast))
    assert "Đã lưu điểm danh." in html
    assert "Đã điểm danh lúc 09:00 17/03/2027 bởi Vàng Thị Tâm." in html  # Monday's, today
    assert 'data-count="enrolled">3<' in html and 'data-count="K">1<' in html
    assert 'data-count="present">2<' in html
    assert 'name="base_version" value="1"' in html and "Lưu sửa đổi" in html


def test_resubmitting_the_same_client_id_changes_nothing(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    data = form(cast, {cast.student.pk: ("K", "family")})
    client.post(url(cast), data)
    before = counts()
    again = client.post(url(cast), data)  # a double tap, or the browser resending
    assert again.status_code == 302
    assert counts() == before
    assert RollCall.objects.get().version == 1
    assert "đã được lưu trước đó" in page(client, url(cast))


def test_correction_keeps_history_and_the_page_shows_it(cast: Cast, client: Client) -> None:
    other = add_students(cast, cast.class_3a, 1)[0]
    login(client, cast.teacher)
    client.post(url(cast), form(cast, {cast.student.pk: ("K", "unknown")}))
    client.logout()
    login(client, cast.school_leader)  # a school leader may correct too
    client.post(
        url(cast),
        form(cast, {cast.student.pk: ("P", "sick"), other.pk: ("T", "transport")}, base_version=1),
    )
    rc = RollCall.objects.get()
    assert rc.version == 2
    revisions = list(RollCallRevision.objects.order_by("version"))
    assert [(r.version, r.changed_by) for r in revisions] == [
        (1, cast.teacher),
        (2, cast.school_leader),
    ]
    assert sorted(Absence.objects.values_list("student_id", "code")) == sorted(
        [(cast.student.pk, "P"), (other.pk, "T")]
    )
    html = page(client, url(cast))
    assert "Sửa lần cuối lúc 09:00 17/03/2027 bởi Phạm Thị Lan." in html
    lines = re.findall(r'data-testid="history-line">([^<]+)<', html)
    assert lines == [
        "09:00 17/03/2027 · Phạm Thị Lan · sửa: "
        f"Lò Văn {other.given_name}: có mặt → T; Đặng Thị Ánh: K → P",
        "09:00 17/03/2027 · Vàng Thị Tâm · điểm danh: Đặng Thị Ánh: K",
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"date": SUNDAY.isoformat()}, "không phải ngày học của lớp 3A"),
        ({"date": "2027-03-18"}, "chưa tới"),
        ({"date": "hôm qua"}, "không phải là ngày hợp lệ"),
        ({"session": "pm"}, "Lớp 3A không học buổi này"),
        ({"client_id": "not-a-uuid"}, "hãy tải lại trang"),
        ({"code-{student}": "X"}, "không phải mã điểm danh"),
        ({"reason-{student}": "lazy"}, "không phải mã lý do"),
        ({"code-{stranger}": "K"}, "không có trong lớp 3A"),
    ],
)
def test_refused_submission_is_explained_and_writes_nothing(
    cast: Cast, client: Client, changes: dict[str, str], message: str
) -> None:
    login(client, cast.teacher)
    ids = {"student": cast.student.pk, "stranger": cast.student_4a.pk}
    data = form(cast, {cast.student.pk: ("K", "family")})
    data |= {key.format(**ids): value for key, value in changes.items()}
    before = counts()
    response = client.post(url(cast), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error"' in html and message in html
    assert counts() == before


def test_refused_submission_keeps_the_teachers_marks(cast: Cast, client: Client) -> None:
    other = add_students(cast, cast.class_3a, 1)[0]
    login(client, cast.teacher)
    data = form(cast, {cast.student.pk: ("X", "family"), other.pk: ("K", "sick")})
    html = client.post(url(cast), data).content.decode()
    assert re.search(rf'data-student="{other.pk}"[^>]*data-code="K"', html)
    assert "rc-has-error" in html  # the row at fault is marked


# --- who sees what ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["commune_officer", "province_officer", "admin"])
def test_readers_see_it_read_only_and_cannot_post(cast: Cast, client: Client, who: str) -> None:
    submit(cast, {cast.student.pk: ("K", "family", "")})
    login(client, getattr(cast, who))
    html = page(client, url(cast))
    assert 'data-testid="readonly"' in html and '<form method="post"' not in html
    assert "rollcall.js" not in html
    assert re.search(r'data-code="K"', html) and "Việc gia đình" in html
    before = counts()
    response = client.post(url(cast), form(cast, {}))
    assert response.status_code == 403
    assert counts() == before


def test_school_leader_and_teacher_may_write(cast: Cast, client: Client) -> None:
    for who in (cast.teacher, cast.school_leader):
        client.logout()
        html = page(login(client, who), url(cast))
        assert '<form method="post"' in html and "rollcall.js" in html


def test_partner_may_not_see_marks(cast: Cast, client: Client) -> None:
    response = login(client, cast.partner).get(url(cast))
    assert response.status_code == 403
    assert cast.student.given_name not in response.content.decode()


def test_outsider_gets_404_and_writes_nothing(cast: Cast, client: Client) -> None:
    login(client, cast.outsider)
    assert client.get(url(cast)).status_code == 404
    assert client.post(url(cast), form(cast, {cast.student.pk: ("K", "")})).status_code == 404
    assert counts().roll_calls == 0


def test_anonymous_is_sent_to_login(cast: Cast, client: Client) -> None:
    response = client.get(url(cast))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- the previous school day -----------------------------------------------------------------


def test_shows_who_was_absent_on_the_previous_school_day(cast: Cast, client: Client) -> None:
    other = add_students(cast, cast.class_3a, 2)
    submit(cast, {cast.student.pk: ("K", "", ""), other[0].pk: ("T", "", "")}, date=FRIDAY)
    html = page(login(client, cast.teacher), url(cast))
    previous = re.search(r'data-testid="previous-day">(.*?)</p>', html, re.S)
    assert previous, html
    text = re.sub(r"<[^>]+>", "", previous.group(1))
    assert "Ngày học trước (Thứ 6 12/03):" in text
    assert "Đặng Thị Ánh K" in text and other[0].given_name not in text  # late is not absent
    assert re.search(rf'data-student="{cast.student.pk}".*?hôm trước: K', html, re.S)
    # A Monday looks back to Friday; the day after an untaken day says so.
    tuesday = page(client, url(cast, D(2027, 3, 16)))
    assert "chưa điểm danh." in tuesday


# --- cost ------------------------------------------------------------------------------------


def queries(client: Client, address: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(address).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_the_roster(
    cast: Cast, client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    login(client, cast.teacher)
    submit(cast, {cast.student.pk: ("K", "", "")}, date=FRIDAY)
    submit(cast, {cast.student.pk: ("P", "", "")})
    small = queries(client, url(cast))
    students = add_students(cast, cast.class_3a, 40)
    marks = {s.pk: ("K", "", "") for s in students[:20]}
    submit(cast, marks, date=FRIDAY)
    submit(cast, marks | {cast.student.pk: ("T", "", "")})  # a correction: two revisions
    assert queries(client, url(cast)) == small
    # session, user, class, memberships, calendar (2), roster, roll call, its marks, its
    # revisions, the previous day's roll calls and their absences
    with django_assert_num_queries(12):
        client.get(url(cast))


# --- the service worker and the home page ----------------------------------------------------


def test_service_worker_is_served_at_the_root(cast: Cast, client: Client) -> None:
    response = client.get(reverse("service-worker"))  # no login: it holds no data
    assert reverse("service-worker") == "/sw.js"
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert "const CONFIG" in body and "/static/js/rollcall.js" in body
    assert "addEventListener('fetch'" in body and "Không có mạng" in body


def test_home_links_the_teachers_roll_call(cast: Cast, client: Client) -> None:
    html = page(login(client, cast.teacher), reverse("home"))
    assert reverse("roll-call", args=[cast.class_3a.pk]) in html and "Điểm danh" in html


def test_saved_state_gives_the_time_alone_on_the_day_itself(cast: Cast, client: Client) -> None:
    submit(cast, {}, date=TODAY)
    html = page(login(client, cast.teacher), url(cast, TODAY))
    assert "Đã điểm danh lúc 09:00 bởi Vàng Thị Tâm." in html
