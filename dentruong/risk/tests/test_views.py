"""The pages and the API of the early warning, on the cast's world."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from dentruong.attendance.services import VN_TZ, submit_roll_call
from dentruong.risk import services
from dentruong.risk.models import RiskAssessment, TeacherFlag
from tests.cast import PASSWORD, Cast

NOW = dt.datetime(2027, 3, 17, 9, 0, tzinfo=VN_TZ)
TODAY = dt.date(2027, 3, 17)


@pytest.fixture(autouse=True)
def _vietnam_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def login(client: Client, user: object) -> Client:
    assert client.login(username=user.username, password=PASSWORD)  # type: ignore[attr-defined]
    return client


@pytest.fixture
def assessed(cast: Cast) -> Cast:
    for day in (dt.date(2027, 3, 15), dt.date(2027, 3, 16), TODAY):
        submit_roll_call(
            school_class=cast.class_3a,
            date=day,
            session="am",
            marks={cast.student.pk: ("K", "", "")},
            by=cast.teacher,
            client_id=uuid.uuid4(),
        )
    services.compute_risk(path=cast.province.path, day=TODAY, notify=False)
    return cast


def test_class_list_shows_reasons_in_vietnamese(
    assessed: Cast, client: Client, django_assert_max_num_queries: object
) -> None:
    login(client, assessed.teacher)
    url = reverse("class-risk", args=[assessed.class_3a.pk])
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        body = client.get(url).content.decode()
    assert "Đặng Thị Ánh" in body
    assert "nghỉ không phép 3 ngày học liền" in body
    assert "Cao" in body
    # The roster links to it.
    roster = client.get(reverse("class-roster", args=[assessed.class_3a.pk])).content.decode()
    assert url in roster


def test_class_list_queries_do_not_grow_with_students(
    assessed: Cast, client: Client, django_assert_num_queries: object
) -> None:
    login(client, assessed.school_leader)
    url = reverse("class-risk", args=[assessed.class_3a.pk])
    client.get(url)  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    row = RiskAssessment.objects.get()
    RiskAssessment.objects.create(
        student=assessed.student_4a,
        date=TODAY,
        level="medium",
        reasons=[{"code": "repeated"}],
        school_class=assessed.class_3a,
        unit_path=row.unit_path,
    )
    with CaptureQueriesContext(connection) as two:
        body = client.get(url).content.decode()
    assert "đã lưu ban" in body
    assert len(one.captured_queries) == len(two.captured_queries)


def test_call_list_and_history_page(assessed: Cast, client: Client) -> None:
    login(client, assessed.commune_officer)
    body = client.get(reverse("unit-risk", args=[assessed.commune.pk])).content.decode()
    assert "Đặng Thị Ánh" in body
    bad = client.get(reverse("unit-risk", args=[assessed.commune.pk]), {"limit": "zero"})
    assert "“zero” không phải là một số." in bad.content.decode()
    past = client.get(
        reverse("unit-risk", args=[assessed.commune.pk]), {"date": "2027-03-16"}
    ).content.decode()
    assert "Đặng Thị Ánh" not in past
    detail = client.get(reverse("student-detail", args=[assessed.student.pk])).content.decode()
    assert 'data-testid="risk-panel"' in detail
    assert "nghỉ không phép 3 ngày học liền" in detail


def test_partner_may_not_see_risk(assessed: Cast, client: Client) -> None:
    login(client, assessed.partner)
    assert client.get(reverse("class-risk", args=[assessed.class_3a.pk])).status_code == 403
    api = client.get(f"/api/v1/classes/{assessed.class_3a.pk}/risk")
    assert api.status_code == 403


def test_teacher_adds_and_clears_a_flag(assessed: Cast, client: Client) -> None:
    login(client, assessed.teacher)
    url = reverse("risk-flag-add", args=[assessed.student.pk])
    bad = client.post(url, {"kind": "ethnicity", "start": "2027-03-17"})
    assert bad.status_code == 422
    assert "không phải là một loại ghi nhận" in bad.content.decode()
    assert not TeacherFlag.objects.exists()
    ok = client.post(url, {"kind": "academic", "start": "2027-03-17", "note": "Yếu toán"})
    assert ok.status_code == 302
    flag = TeacherFlag.objects.get()
    assert (flag.kind, flag.note, flag.created_by_id) == (
        "academic",
        "Yếu toán",
        assessed.teacher.pk,
    )
    client.post(reverse("risk-flag-clear", args=[flag.pk]))
    flag.refresh_from_db()
    assert flag.cleared_on == TODAY


def test_api_lists_and_flag_errors(assessed: Cast, client: Client) -> None:
    login(client, assessed.teacher)
    data = client.get(f"/api/v1/classes/{assessed.class_3a.pk}/risk").json()
    (item,) = data["items"]
    assert item["level"] == "high" and item["student_id"] == assessed.student.pk
    assert item["reasons"][0] == {
        "code": "consecutive",
        "text": "nghỉ không phép 3 ngày học liền",
        "params": {"n": 3},
    }
    history = client.get(f"/api/v1/students/{assessed.student.pk}/risk").json()
    assert [h["level"] for h in history] == ["high"]
    bad = client.post(
        f"/api/v1/students/{assessed.student.pk}/risk-flags",
        json.dumps({"kind": "poverty"}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["errors"]["kind"][0]["code"] == "invalid_kind"
    created = client.post(
        f"/api/v1/students/{assessed.student.pk}/risk-flags",
        json.dumps({"kind": "moving", "start": "2027-03-17"}),
        content_type="application/json",
    )
    assert created.status_code == 201
    cleared = client.post(f"/api/v1/risk-flags/{created.json()['id']}/clear")
    assert cleared.json()["cleared_on"] == "2027-03-17"
    login(client, assessed.commune_officer)
    unit = client.get(f"/api/v1/units/{assessed.commune.pk}/risk", {"level": "high"}).json()
    assert [i["student_id"] for i in unit["items"]] == [assessed.student.pk]
    wrong = client.get(f"/api/v1/units/{assessed.commune.pk}/risk", {"level": "low"})
    assert wrong.status_code == 422 and "level" in wrong.json()["errors"]


def test_compute_risk_command(cast: Cast) -> None:
    from io import StringIO

    out = StringIO()
    call_command("compute_risk", "--unit", cast.commune.path, "--date", "2027-03-17", stdout=out)
    result = json.loads(out.getvalue())
    assert (result["students"], result["written"], result["date"]) == (2, 0, "2027-03-17")
    out = StringIO()
    call_command("compute_risk", "--incremental", "--since", "06:30", stdout=out)
    assert json.loads(out.getvalue())["incremental"] is True


def test_outsider_cannot_flag_through_the_api(assessed: Cast, client: Client) -> None:
    login(client, assessed.outsider)
    response = client.post(
        f"/api/v1/students/{assessed.student.pk}/risk-flags",
        json.dumps({"kind": "academic"}),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not TeacherFlag.objects.exists()
