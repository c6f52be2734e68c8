"""The API of guardians' requests: the queue and its clock, one request and its history,
registering for a student or a register child; scope (404), rights (403), refusals (422,
nothing written), a fixed number of queries for the queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from dentruong.privacy.models import RightsRequest
from dentruong.privacy.tests.factories import answered_access_request, rights_request
from tests.cast import PASSWORD, Cast

pytestmark = pytest.mark.django_db

QUEUE = "api-v1:rights_request_queue"
DETAIL = "api-v1:rights_request_detail"
FOR_STUDENT = "api-v1:register_student_rights_request"
FOR_CHILD = "api-v1:register_child_rights_request"


def login(client: Client, user: Any) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def body(**changes: Any) -> dict[str, Any]:
    return {
        "kind": "correct",
        "requester_name": "Đặng Văn Sử",
        "requester_relationship": "father",
        "details": "Ngày sinh của cháu sai.",
    } | changes


def post(client: Client, name: str, pk: int, data: dict[str, Any]) -> Any:
    kwargs = {"student_id": pk} if name == FOR_STUDENT else {"child_id": pk}
    return client.post(reverse(name, kwargs=kwargs), data, content_type="application/json")


def test_the_queue_with_its_clock(cast: Cast, client: Client) -> None:
    waiting = rights_request(cast)
    answered = answered_access_request(cast)
    data = login(client, cast.school_leader).get(reverse(QUEUE)).json()
    assert [r["id"] for r in data["open"]] == [waiting.pk]
    row = data["open"][0]
    assert row["due_on"] == waiting.due_on.isoformat() and row["overdue"] is False
    assert row["working_days_left"] is not None and row["has_export"] is False
    closed = {r["id"]: r for r in data["closed"]}
    assert closed[answered.pk]["has_export"] is True
    assert closed[answered.pk]["working_days_left"] is None


def test_the_queue_is_scoped_and_only_for_handlers(cast: Cast, client: Client) -> None:
    rights_request(cast)
    data = login(client, cast.outsider).get(reverse(QUEUE)).json()  # Y Tý's officer
    assert data == {"open": [], "closed": []}
    client.logout()
    response = login(client, cast.teacher).get(reverse(QUEUE))
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_the_queue_takes_a_fixed_number_of_queries(
    cast: Cast, client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    login(client, cast.commune_officer)
    rights_request(cast)
    client.get(reverse(QUEUE))  # warm: session, calendars of holidays
    with django_assert_num_queries(5):  # session, user, memberships, open, closed
        client.get(reverse(QUEUE))
    for _ in range(3):
        rights_request(cast)
        answered_access_request(cast)
    with django_assert_num_queries(5):
        data = client.get(reverse(QUEUE)).json()
    assert len(data["open"]) == 4 and len(data["closed"]) == 3


def test_one_request_with_its_history(cast: Cast, client: Client) -> None:
    rr = answered_access_request(cast)
    data = login(client, cast.school_leader).get(reverse(DETAIL, args=[rr.pk])).json()
    assert data["status"] == "answered" and data["student_id"] == cast.student.pk
    assert [s["status"] for s in data["steps"]] == ["received", "answered"]
    assert data["steps"][0]["by_id"] == cast.school_leader.pk
    client.logout()
    assert login(client, cast.outsider).get(reverse(DETAIL, args=[rr.pk])).status_code == 404


def test_register_for_a_student(cast: Cast, client: Client) -> None:
    response = post(login(client, cast.school_leader), FOR_STUDENT, cast.student.pk, body())
    assert response.status_code == 201, response.content
    data = response.json()
    rr = RightsRequest.objects.get(pk=data["id"])
    assert (rr.kind, rr.student, rr.received_by) == ("correct", cast.student, cast.school_leader)
    assert data["due_on"] == rr.due_on.isoformat()
    assert [s["status"] for s in data["steps"]] == ["received"]


def test_register_for_a_register_child(cast: Cast, client: Client) -> None:
    response = post(login(client, cast.commune_officer), FOR_CHILD, cast.child.pk, body())
    assert response.status_code == 201, response.content
    assert RightsRequest.objects.get().child == cast.child


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"kind": "everything"}, "kind", "invalid_kind"),
        ({"requester_relationship": "neighbour"}, "requester_relationship", "invalid_relationship"),
        ({"requester_name": "  "}, "requester_name", "required"),
        ({"received_at": "2099-01-01T08:00:00+07:00"}, "received_at", "future"),
        ({"received_at": "yesterday"}, "received_at", "datetime_from_date_parsing"),
    ],
)
def test_refusals_are_422_and_write_nothing(
    cast: Cast, client: Client, changes: dict[str, Any], field: str, code: str
) -> None:
    response = post(
        login(client, cast.school_leader), FOR_STUDENT, cast.student.pk, body(**changes)
    )
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert [e["code"] for e in errors[field]] == [code], errors
    assert not RightsRequest.objects.exists()


def test_registering_is_scoped(cast: Cast, client: Client) -> None:
    login(client, cast.outsider)
    assert post(client, FOR_STUDENT, cast.student.pk, body()).status_code == 404
    assert post(client, FOR_CHILD, cast.child.pk, body()).status_code == 404
    client.logout()
    login(client, cast.teacher)  # sees the student, handles no requests
    response = post(client, FOR_STUDENT, cast.student.pk, body())
    assert response.status_code == 403
    assert not RightsRequest.objects.exists()


def test_a_request_received_yesterday_keeps_its_clock(cast: Cast, client: Client) -> None:
    received = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    data = post(
        login(client, cast.school_leader),
        FOR_STUDENT,
        cast.student.pk,
        body(received_at=received.isoformat()),
    ).json()
    rr = RightsRequest.objects.get(pk=data["id"])
    assert rr.received_at == received and data["due_on"] == rr.due_on.isoformat()
    assert rr.due_on > received.date()
