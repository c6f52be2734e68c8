"""Pages and API: at 10:01 on a Monday the commune officer sees who is late, opens a
school's frozen figures and downloads the official report; fixed query counts."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from dentruong.enrollment.tests.factories import second_school
from dentruong.orgs.models import CodeSet, OrgUnit, School, UnitKind
from dentruong.reports.models import Submission
from dentruong.reports.tests.factories import MONDAY, submission, weekly_schedule
from tests.cast import PASSWORD, Cast


def login(client: Client, username: str) -> Client:
    assert client.login(username=username, password=PASSWORD)
    return client


def add_school(cast: Cast, code: str) -> School:
    node = OrgUnit.child_of(
        cast.commune, kind=UnitKind.SCHOOL, code=code, code_set=CodeSet.MOET, name=f"Trường {code}"
    )
    node.save()
    return School.objects.create(unit=node, commune=cast.commune, name=node.name, levels="TH")


def test_commune_officer_sees_who_is_late_at_1001(cast: Cast, client: Client) -> None:
    second_school(cast)
    sub = submission(cast)  # submitted at 09:59
    url = reverse("schedule-status", kwargs={"pk": weekly_schedule(cast).pk})
    login(client, cast.commune_officer.username)
    with time_machine.travel(MONDAY + dt.timedelta(minutes=1), tick=False):
        body = client.get(url, {"due": MONDAY.isoformat()}).content.decode()
    assert 'data-status="on_time"' in body and 'data-status="missing"' in body
    assert "Trường THCS Bát Xát" in body
    assert reverse("submission-detail", kwargs={"pk": sub.pk}) in body
    detail = client.get(reverse("submission-detail", kwargs={"pk": sub.pk})).content.decode()
    assert "Các lớp điểm danh đầy đủ." in detail and sub.number in detail
    for fmt, magic in (("docx", b"PK"), ("xlsx", b"PK"), ("pdf", b"%PDF")):
        response = client.get(reverse("submission-export", kwargs={"pk": sub.pk, "fmt": fmt}))
        assert response.status_code == 200 and response.content.startswith(magic)
    assert (
        client.get(reverse("submission-export", kwargs={"pk": sub.pk, "fmt": "exe"})).status_code
        == 404
    )


def test_status_page_queries_do_not_grow_with_units(
    cast: Cast, client: Client, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    submission(cast)
    url = reverse("schedule-status", kwargs={"pk": weekly_schedule(cast).pk})
    login(client, cast.commune_officer.username)
    client.get(url)  # warm the session
    with django_assert_num_queries(7):  # type: ignore[operator]
        client.get(url, {"due": MONDAY.isoformat()})
    add_school(cast, "TH-A")
    add_school(cast, "TH-B")
    with django_assert_num_queries(7):  # type: ignore[operator]
        response = client.get(url, {"due": MONDAY.isoformat()})
    assert response.content.decode().count('data-status="missing"') == 2


def test_reports_home_and_detail_queries(
    cast: Cast, client: Client, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    sub = submission(cast)
    login(client, cast.school_leader.username)
    client.get(reverse("reports-home"))
    with django_assert_num_queries(7):  # type: ignore[operator]
        body = client.get(reverse("reports-home")).content.decode()
    assert (
        reverse("report-submit", kwargs={"pk": sub.schedule_id, "unit_pk": cast.school.unit.pk})
        in body
    )
    with django_assert_num_queries(5):  # type: ignore[operator]
        client.get(reverse("submission-detail", kwargs={"pk": sub.pk}))


def test_submit_page(cast: Cast, client: Client) -> None:
    schedule = weekly_schedule(cast)
    url = reverse("report-submit", kwargs={"pk": schedule.pk, "unit_pk": cast.school.unit.pk})
    login(client, cast.teacher.username)
    assert client.get(url).status_code == 404  # teachers see no schedules
    client.logout()
    login(client, cast.commune_officer.username)
    assert client.get(url).status_code == 403  # in scope, not the school's leader
    client.logout()
    login(client, cast.school_leader.username)
    with time_machine.travel(MONDAY - dt.timedelta(minutes=30), tick=False):
        # the week of 5/10 – 11/10 has not ended: refused in Vietnamese, nothing written
        nxt = (MONDAY + dt.timedelta(days=7)).isoformat()
        response = client.post(url, {"due": nxt, "assessment": "x"})
        assert response.status_code == 422
        assert "chưa kết thúc" in response.content.decode()
        assert not Submission.objects.exists()
        response = client.post(url, {"due": MONDAY.isoformat(), "assessment": "Ổn định"})
    assert response.status_code == 302
    sub = Submission.objects.get()
    assert sub.status == "on_time" and sub.assessment == "Ổn định"
    with time_machine.travel(MONDAY + dt.timedelta(minutes=30), tick=False):
        response = client.post(url, {"due": MONDAY.isoformat()})
        assert response.status_code == 422  # a new version needs a reason
        response = client.post(url, {"due": MONDAY.isoformat(), "reason": "Sửa số liệu"})
    assert response.status_code == 302
    assert list(Submission.objects.values_list("version", "status")) == [
        (1, "on_time"),
        (2, "late"),
    ]


def test_dashboard_draws_svg(cast: Cast, client: Client) -> None:
    submission(cast)
    login(client, cast.commune_officer.username)
    body = client.get(reverse("unit-dashboard", kwargs={"pk": cast.commune.pk})).content.decode()
    assert body.count("<svg") >= 3
    assert len(body) < 40_000
    client.logout()
    login(client, cast.partner.username)
    assert client.get(reverse("unit-dashboard", kwargs={"pk": cast.commune.pk})).status_code == 403


def test_api_errors_are_machine_readable(cast: Cast, client: Client) -> None:
    login(client, cast.commune_officer.username)
    response = client.post(
        reverse("api-v1:create_report_schedule"),
        {
            "name": "Tết",
            "report": "attendance",
            "unit_id": cast.commune.pk,
            "reporter_kind": "school",
            "recurrence": "fixed",
            "fixed_dates": ["2027-02-03T10:00:00"],
            "due_time": "10:00",
            "start_date": "2027-01-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"]["__all__"][0]["code"] == "no_occurrence"
    schedule = weekly_schedule(cast)
    client.logout()
    login(client, cast.school_leader.username)
    url = reverse(
        "api-v1:submit_report", kwargs={"schedule_id": schedule.pk, "unit_id": cast.school.unit.pk}
    )
    response = client.post(
        url, {"due": "2026-10-06T10:00:00+07:00"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"]["due"][0]["code"] == "not_a_deadline"
    status = client.get(
        reverse("api-v1:report_schedule_status", kwargs={"schedule_id": schedule.pk})
    )
    assert status.status_code == 403  # a school leader does not see the other schools


def test_schedule_form(cast: Cast, client: Client) -> None:
    url = reverse("schedule-create", kwargs={"pk": cast.commune.pk})
    login(client, cast.commune_officer.username)
    assert (
        reverse("schedule-create", kwargs={"pk": cast.commune.pk})
        in client.get(reverse("reports-home")).content.decode()
    )
    base = {
        "name": "Báo cáo Tết",
        "report": "attendance",
        "reporter_kind": "school",
        "recurrence": "fixed",
        "due_time": "10:00",
        "start_date": "01/01/2027",
        "fixed_dates": "03/02/2027 10:00",
        "remind_before_minutes": "120",
    }
    response = client.post(url, base)
    assert response.status_code == 422
    assert "không có hạn nộp" in response.content.decode()
    response = client.post(url, base | {"fixed_dates": "20/01/2027 10:00\n18/02/2027 10:00"})
    assert response.status_code == 302
    from dentruong.reports.models import ReportSchedule

    schedule = ReportSchedule.objects.get()
    assert schedule.fixed_dates == ["2027-01-20T10:00:00", "2027-02-18T10:00:00"]
    client.logout()
    login(client, cast.school_leader.username)
    assert (
        client.get(reverse("schedule-create", kwargs={"pk": cast.school.unit.pk})).status_code
        == 403
    )


def test_reports_home_queries_do_not_grow_with_schedules(
    cast: Cast, client: Client, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    import dentruong.reports.services as services

    weekly_schedule(cast)
    login(client, cast.commune_officer.username)
    client.get(reverse("reports-home"))
    with django_assert_num_queries(7):  # type: ignore[operator]
        client.get(reverse("reports-home"))
    for day in (1, 2, 3):
        services.create_schedule(
            by=cast.commune_officer,
            name=f"Lịch {day}",
            report="dropouts",
            unit=cast.commune,
            reporter_kind="school",
            recurrence="monthly",
            day_of_month=day,
            due_time=dt.time(17),
            start_date=dt.date(2026, 9, 1),
        )
    with django_assert_num_queries(7):  # type: ignore[operator]
        body = client.get(reverse("reports-home")).content.decode()
    assert body.count('data-testid="schedule-row"') == 4
    with django_assert_num_queries(5):  # type: ignore[operator]
        assert len(client.get(reverse("api-v1:list_report_schedules")).json()) == 4
