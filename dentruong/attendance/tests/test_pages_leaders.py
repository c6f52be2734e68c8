"""The leaders' attendance pages (completeness, rates, lists) in Vietnamese, against
hand-computed cases; the clock is Wednesday 17 March 2027, 09:00 (the morning session).

Class 3A: Đặng Thị Ánh + Lò Văn Học 0–2 (4 students). Roll calls of 3A on Monday 15,
Tuesday 16 and Wednesday 17 March, Ánh K on each; 4A takes none.

- Completeness this week (Mon 15 – Wed 17): 3A owes nothing; 4A owes 3 sessions; this
  session (Wed am): 1 class of 2 missing.
- Rates of the school for 15–16 March by class: 3A 2 roll calls × 4 students = 8 due,
  Ánh absent twice → 6 present: 75,0 %, K 25,0 %; 4A has no roll call: "—".
- Lists: Ánh has 3 consecutive K (15, 16, 17 March), ongoing; 3 absences of 45; and,
  the only roll calls since Tết being these, she is not back after the break.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from tests.cast import PASSWORD, Cast

from .conftest import MONDAY, TODAY, D, add_students, submit


def login(client: Client, user: Any) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def week(cast: Cast) -> Cast:
    add_students(cast, cast.class_3a, 3)
    for day in (MONDAY, D(2027, 3, 16), TODAY):
        submit(cast, {cast.student.pk: ("K", "", "")}, date=day)
    return cast


def html(client: Client, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_completeness_of_a_commune(
    week: Cast, client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    login(client, week.commune_officer)
    url = reverse("unit-completeness", args=[week.commune.pk])
    html(client, url)
    # session, user, scope, unit; selector: classes, calendars 2, roll calls
    with django_assert_num_queries(8):
        page = html(client, url)
    assert "Xã Bát Xát" in page
    assert re.search(r'data-testid="session-missing">1 / 2<', page)
    assert re.search(r'data-testid="today-missing">1 / 2<', page)
    assert re.search(r'data-testid="week-missing">3 / 6<', page)
    missing = re.findall(
        r'data-testid="missing-class"><a href="([^"]+)">([^<]+)</a> · ([^<]+)<', page
    )
    assert missing == [
        (reverse("roll-call", args=[week.class_4a.pk]), "4A", "chưa có giáo viên chủ nhiệm ")
    ]


def test_completeness_of_a_province_by_commune(week: Cast, client: Client) -> None:
    login(client, week.province_officer)
    page = html(client, reverse("unit-completeness", args=[week.province.pk]))
    communes = re.findall(r'data-testid="commune-row"><td><a href="[^"]+">([^<]+)</a>', page)
    assert sorted(communes) == ["Xã Bát Xát", "Xã Y Tý"]


def test_completeness_bad_input(week: Cast, client: Client) -> None:
    login(client, week.commune_officer)
    url = reverse("unit-completeness", args=[week.commune.pk])
    assert 'data-testid="error"' in html(client, f"{url}?date=2027-03-18")  # the future
    assert 'data-testid="error"' in html(client, f"{url}?date=hôm-qua")
    assert 'data-testid="error"' in html(client, f"{url}?session=night")


def test_completeness_of_a_past_day_and_teacher_name(week: Cast, client: Client) -> None:
    login(client, week.school_leader)
    url = reverse("unit-completeness", args=[week.school.unit.pk])
    page = html(client, f"{url}?date=2027-03-12&session=am")  # Friday: nobody took it
    assert re.search(r'data-testid="session-missing">2 / 2<', page)
    assert "Vàng Thị Tâm" in page  # 3A's homeroom teacher, owing Friday's roll call


def test_rates_of_a_school_by_class(
    week: Cast, client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    login(client, week.school_leader)
    url = reverse("unit-rates", args=[week.school.unit.pk]) + (
        "?date_from=2027-03-15&date_to=2027-03-16"
    )
    html(client, url)
    # session, user, scope, unit; rates: classes, calendars 2, summaries, students (on
    # PostgreSQL inside a savepoint with SET LOCAL jit = off: 3 more statements)
    with django_assert_num_queries(12 if connection.vendor == "postgresql" else 9):
        page = html(client, url)
    rows = re.findall(
        r'data-testid="rate-row"><td><a href="([^"]+)">([^<]+)</a></td>\s*'
        r'<td class="num">([^<]+)</td><td class="num">([^<]+)</td>'
        r'<td class="num">([^<]+)</td>',
        page,
    )
    sheet_3a = reverse("attendance-sheet", args=[week.class_3a.pk, "2027-03"])
    school = "Trường Tiểu học Bát Xát"
    assert rows[0] == (sheet_3a, f"3A · {school}", "75,0 %", "0,0 %", "25,0 %")
    assert rows[1][1:] == (f"4A · {school}", "—", "—", "—")
    assert "2 ngày học" in page


def test_rates_drill_down_from_province(week: Cast, client: Client) -> None:
    login(client, week.province_officer)
    page = html(client, reverse("unit-rates", args=[week.province.pk]) + "?date_from=2027-03-15")
    commune_url = reverse("unit-rates", args=[week.commune.pk])
    assert f'href="{commune_url}?' in page
    page = html(client, f"{commune_url}?date_from=2027-03-15&students=1")
    school_url = reverse("unit-rates", args=[week.school.unit.pk])
    assert f'href="{school_url}?' in page
    assert "Lên một cấp" in page  # back to the province


def test_rates_filters_and_errors(week: Cast, client: Client) -> None:
    login(client, week.commune_officer)
    url = reverse("unit-rates", args=[week.commune.pk])
    page = html(client, f"{url}?date_from=2027-03-15&date_to=2027-03-16&grade=4")
    total = re.search(r'data-testid="rate-total"><th>[^<]+</th>\s*<th class="num">([^<]+)<', page)
    assert total and total[1] == "—"  # grade 4 (4A) took no roll call
    for bad in (
        "date_from=2027-03-20&date_to=2027-03-16",
        "grade=abc",
        "grade=13",
        "level=ĐH",
        "max_absences=-1",
    ):
        assert 'data-testid="error"' in html(client, f"{url}?{bad}"), bad


def test_htmx_gets_the_results_alone(week: Cast, client: Client) -> None:
    login(client, week.commune_officer)
    for name in ("unit-rates", "unit-completeness", "unit-absence-lists"):
        part = html(client, reverse(name, args=[week.commune.pk]), HX_Request="true")
        assert "<html" not in part and "<table" in part, name


def test_consecutive_list(
    week: Cast, client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    login(client, week.commune_officer)
    url = reverse("unit-absence-lists", args=[week.commune.pk])
    html(client, url)
    with django_assert_num_queries(12):
        page = html(client, url)
    rows = re.findall(r'data-testid="list-row">\s*<td><a href="([^"]+)">([^<]+)</a>', page)
    assert rows == [(reverse("student-detail", args=[week.student.pk]), "Đặng Thị Ánh")]
    assert ">3 …<" in page
    sheet = reverse("attendance-sheet", args=[week.class_3a.pk, "2027-03"])
    assert f'href="{sheet}">3A<' in page
    assert "1 học sinh" in page
    page = html(client, f"{url}?kind=consecutive&n=4")
    assert 'data-testid="list-row"' not in page


def test_near_limit_and_after_break_lists(week: Cast, client: Client) -> None:
    login(client, week.commune_officer)
    url = reverse("unit-absence-lists", args=[week.commune.pk])
    page = html(client, f"{url}?kind=near_limit&n=3")
    assert "Đặng Thị Ánh" in page and ">42<" in page  # 3 absences, 42 left
    # Since Tết (ended 14 February) the only roll calls of 3A are 15–17 March, all K for
    # Ánh: she is "not back" (3 sessions missed, all K).
    page = html(client, f"{url}?kind=after_break")
    assert "Đặng Thị Ánh" in page and "Tết Đinh Mùi (14/02)" in page
    assert re.search(r'lp-bad">3</td><td class="num">0</td><td class="num">3</td>', page)
    assert 'data-testid="error"' in html(client, f"{url}?kind=truant")
    assert 'data-testid="error"' in html(client, f"{url}?n=0")


def test_lists_are_not_for_partners(week: Cast, client: Client) -> None:
    login(client, week.partner)
    assert client.get(reverse("unit-absence-lists", args=[week.commune.pk])).status_code == 403


def test_teacher_has_no_unit_pages(week: Cast, client: Client) -> None:
    login(client, week.teacher)
    for name in ("unit-rates", "unit-completeness", "unit-absence-lists"):
        assert client.get(reverse(name, args=[week.school.unit.pk])).status_code == 404


def test_home_links_the_unit_pages(week: Cast, client: Client) -> None:
    login(client, week.commune_officer)
    page = html(client, reverse("home"))
    assert reverse("unit-rates", args=[week.commune.pk]) in page
    assert reverse("unit-completeness", args=[week.commune.pk]) in page
    assert reverse("unit-absence-lists", args=[week.commune.pk]) in page
    client.logout()
    login(client, week.teacher)
    assert 'data-testid="unit-attendance-links"' not in html(client, reverse("home"))


def test_roster_links_the_sheet(week: Cast, client: Client) -> None:
    login(client, week.teacher)
    page = html(client, reverse("class-roster", args=[week.class_3a.pk]))
    assert reverse("attendance-sheet-now", args=[week.class_3a.pk]) in page
