"""The API and the pages: who may record what, machine-readable refusals, Vietnamese
errors on the pages, the transfers page, the dropout report page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from dentruong.enrollment.models import Enrollment, EnrollmentEvent, Transfer
from dentruong.enrollment.services import record_event
from dentruong.orgs.models import SchoolClass
from tests.cast import PASSWORD, Cast

from .factories import pending_transfer, second_school

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2027, 3, 20, 9, 0, tzinfo=VN), tick=False):
        yield


def as_user(client: Client, username: str) -> Client:
    assert client.login(username=username, password=PASSWORD)
    return client


def post(client: Client, name: str, body: dict[str, Any], **kwargs: Any) -> Any:
    return client.post(reverse(name, kwargs=kwargs), body, content_type="application/json")


def test_record_and_list_events(cast: Cast, client: Client) -> None:
    as_user(client, "lan")
    response = post(
        client,
        "api-v1:record_student_event",
        {"kind": "dropped_out", "date": "2027-02-17", "reason_code": "01"},
        student_id=cast.student.pk,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["period"], body["after_tet"], body["status_code"]) == (
        "dropped_out",
        "term2",
        True,
        "09",
    )
    assert body["recorded_by"] == "Phạm Thị Lan"
    refused = post(
        client,
        "api-v1:record_student_event",
        {"kind": "dropped_out", "date": "2027-02-18", "reason_code": "01"},
        student_id=cast.student.pk,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"]["__all__"][0]["code"] == "already_left"
    future = post(
        client,
        "api-v1:record_student_event",
        {"kind": "dropped_out", "date": "2027-04-01", "reason_code": "01"},
        student_id=cast.student_4a.pk,
    )
    assert future.json()["errors"]["date"][0]["code"] == "future_date"
    schema = post(
        client,
        "api-v1:record_student_event",
        {"kind": "dropped_out", "date": "31/02"},
        student_id=cast.student_4a.pk,
    )
    assert schema.status_code == 422 and "date" in schema.json()["errors"]
    listed = client.get(reverse("api-v1:student_events", kwargs={"student_id": cast.student.pk}))
    assert [e["kind"] for e in listed.json()] == ["enrolled", "dropped_out"]


def test_the_homeroom_teacher_records_a_dropout_not_a_transfer(cast: Cast, client: Client) -> None:
    as_user(client, "tam")
    school = second_school(cast)
    out = post(
        client,
        "api-v1:record_student_event",
        {"kind": "transferred_out", "date": "2027-03-01", "to_school_id": school.pk},
        student_id=cast.student.pk,
    )
    assert out.status_code == 403
    assert not Transfer.objects.exists()
    left = post(
        client,
        "api-v1:record_student_event",
        {"kind": "left_locality", "date": "2027-03-01", "whereabouts": "03"},
        student_id=cast.student.pk,
    )
    assert left.status_code == 201
    client.logout()
    as_user(client, "doan")  # partner: sees the student, not the events
    got = client.get(reverse("api-v1:student_events", kwargs={"student_id": cast.student.pk}))
    assert got.status_code == 403


def test_transfer_confirmed_through_the_api(cast: Cast, client: Client) -> None:
    from dentruong.accounts.models import Membership, Role
    from tests.cast import make_user

    transfer = pending_transfer(cast)
    as_user(client, "lan")  # the sending school cannot confirm
    assert (
        post(
            client,
            "api-v1:confirm_transfer",
            {"class_id": cast.class_3a.pk, "date": "2026-10-02"},
            transfer_id=transfer.pk,
        ).status_code
        == 403
    )
    listed = client.get(reverse("api-v1:school_transfers", kwargs={"school_id": cast.school.pk}))
    assert [t["student_name"] for t in listed.json()["outgoing"]] == ["Nguyễn Văn An"]
    client.logout()
    Membership.objects.create(
        user=make_user("hieu", "Lò Văn Hiếu"),
        role=Role.SCHOOL_LEADER,
        unit=transfer.to_school.unit,
    )
    as_user(client, "hieu")
    c6 = SchoolClass.objects.get(school=transfer.to_school, name="6A")
    wrong = post(
        client,
        "api-v1:confirm_transfer",
        {"class_id": c6.pk, "date": "2026-09-20"},
        transfer_id=transfer.pk,
    )
    assert wrong.json()["errors"]["date"][0]["code"] == "arrival_before_departure"
    ok = post(
        client,
        "api-v1:confirm_transfer",
        {"class_id": c6.pk, "date": "2026-10-02"},
        transfer_id=transfer.pk,
    )
    assert ok.status_code == 200 and ok.json()["kind"] == "transferred_in"
    assert Enrollment.objects.current().get(student=cast.student_4a).school_class == c6


def test_reports_through_the_api(cast: Cast, client: Client) -> None:
    record_event(
        student=cast.student, kind="dropped_out", on=dt.date(2026, 12, 1), by=None, reason_code="03"
    )
    pending_transfer(cast)
    as_user(client, "cuc")
    unit = {"unit_id": cast.commune.pk}
    report = client.get(reverse("api-v1:unit_dropouts", kwargs=unit)).json()
    assert (report["still_out"]["total"], report["still_out"]["by_period"]["term1"]) == (1, 1)
    assert [n["full_name"] for n in report["names_still_out"]] == ["Đặng Thị Ánh"]
    lost = client.get(reverse("api-v1:unit_lost_transfers", kwargs=unit)).json()
    assert [t["student_name"] for t in lost] == ["Nguyễn Văn An"] and lost[0]["lost"]
    check = client.get(reverse("api-v1:unit_headcount_check", kwargs=unit)).json()
    assert (check["classes_checked"], check["failing"]) == (5, [])
    bad = client.get(
        reverse("api-v1:unit_headcount_check", kwargs=unit),
        {"date_from": "2027-03-01", "date_to": "2026-03-01"},
    )
    assert bad.json()["errors"]["date_from"][0]["code"] == "invalid_range"


# --- pages ----------------------------------------------------------------------------------


def test_student_page_form_and_vietnamese_refusal(cast: Cast, client: Client) -> None:
    as_user(client, "lan")
    url = reverse("student-detail", args=[cast.student.pk])
    html = client.get(url).content.decode()
    assert 'data-testid="event-form"' in html and "Bỏ đi khỏi địa phương" in html
    add = reverse("student-event-add", args=[cast.student.pk])
    refused = client.post(add, {"kind": "dropped_out", "date": "01/03/2027"})
    assert refused.status_code == 400
    assert "Chọn lý do thôi học." in refused.content.decode()
    assert EnrollmentEvent.objects.filter(student=cast.student).count() == 1
    done = client.post(add, {"kind": "dropped_out", "date": "01/03/2027", "reason_code": "09"})
    assert done.status_code == 302
    html = client.get(url).content.decode()
    assert "Bệnh, không đủ sức khỏe" in html and "sau Tết" in html
    client.logout()
    as_user(client, "doan")
    assert 'data-testid="event-form"' not in client.get(url).content.decode()


def test_transfers_page_confirm(cast: Cast, client: Client, django_assert_num_queries: Any) -> None:
    from dentruong.accounts.models import Membership, Role
    from tests.cast import make_user

    transfer = pending_transfer(cast)
    Membership.objects.create(
        user=make_user("hieu", "Lò Văn Hiếu"),
        role=Role.SCHOOL_LEADER,
        unit=transfer.to_school.unit,
    )
    as_user(client, "hieu")
    page = reverse("school-transfers", args=[transfer.to_school_id])
    client.get(page)  # warm the session
    with django_assert_num_queries(6):
        html = client.get(page).content.decode()
    assert "Nguyễn Văn An" in html and "Lạc giữa hai trường" in html
    c6 = SchoolClass.objects.get(school=transfer.to_school, name="6A")
    bad = client.post(
        reverse("transfer-confirm", args=[transfer.pk]),
        {"school_class": c6.pk, "date": "20/09/2026"},
    )
    assert bad.status_code == 400 and "không thể sớm hơn" in bad.content.decode()
    ok = client.post(
        reverse("transfer-confirm", args=[transfer.pk]),
        {"school_class": c6.pk, "date": "02/10/2026"},
    )
    assert ok.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == "confirmed"


def test_dropout_page_names(cast: Cast, client: Client, django_assert_num_queries: Any) -> None:
    record_event(
        student=cast.student, kind="dropped_out", on=dt.date(2027, 2, 17), by=None, reason_code="01"
    )
    as_user(client, "cuc")
    url = reverse("unit-dropouts", args=[cast.commune.pk])
    client.get(url)
    with django_assert_num_queries(7):
        html = client.get(url).content.decode()
    assert "Đặng Thị Ánh" in html
    assert 'data-count="Sau Tết">1<' in html
