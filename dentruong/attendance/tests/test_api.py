"""The attendance API: status codes, the 422 error shape, scope (404) and write rights
(403), reads of marks and summaries, bulk submission."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dentruong.attendance.models import RollCall
from dentruong.audit.models import AuditEvent
from dentruong.orgs.models import BreakKind, CalendarBreak
from tests.cast import PASSWORD, Cast

from .conftest import IN_TET, MONDAY, SUNDAY, TODAY, D, add_students, counts, submit, uid

SUBMIT = "api-v1:submit_roll_call"
BULK = "api-v1:bulk_submit_roll_calls"


def login(client: Client, user: Any) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def payload(cast: Cast, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "class_id": cast.class_3a.pk,
        "date": MONDAY.isoformat(),
        "session": "am",
        "client_id": str(uid()),
        "marks": [{"student_id": cast.student.pk, "code": "K", "reason": "family"}],
    }
    return body | changes


def post(client: Client, name: str, body: dict[str, Any]) -> Any:
    return client.post(reverse(name), body, content_type="application/json")


# --- submit ------------------------------------------------------------------------------


def test_submit_then_resend_then_correct(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    body = payload(cast)
    first = post(client, SUBMIT, body)
    assert first.status_code == 201, first.content
    data = first.json()
    assert (data["created"], data["duplicate"]) == (True, False)
    rc = data["roll_call"]
    assert (rc["version"], rc["class_id"], rc["session"], rc["client_id"]) == (
        1,
        cast.class_3a.pk,
        "am",
        body["client_id"],
    )
    assert rc["absences"] == [
        {"student_id": cast.student.pk, "code": "K", "reason": "family", "note": ""}
    ]
    assert rc["summary"] | {} == {
        "date": "2027-03-15",
        "session": "am",
        "enrolled": 1,
        "present": 0,
        "late": 0,
        "excused": 0,
        "unexcused": 1,
    }

    again = post(client, SUBMIT, body)
    assert again.status_code == 200
    assert (again.json()["duplicate"], again.json()["roll_call"]["version"]) == (True, 1)

    correction = payload(
        cast,
        base_version=1,
        marks=[
            {"student_id": cast.student.pk, "code": "P", "reason": "sick", "note": "Mẹ gọi điện"}
        ],
    )
    fixed = post(client, SUBMIT, correction)
    assert fixed.status_code == 200
    out = fixed.json()
    assert (out["created"], out["duplicate"], out["stale_base"]) == (False, False, False)
    assert out["roll_call"]["version"] == 2
    assert out["roll_call"]["summary"]["excused"] == 1
    assert RollCall.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"date": SUNDAY.isoformat()}, "date", "not_school_day"),
        ({"date": IN_TET.isoformat()}, "date", "not_school_day"),
        ({"date": (TODAY + dt.timedelta(days=1)).isoformat()}, "date", "future_date"),
        ({"session": "pm"}, "session", "session_not_held"),
        ({"marks": [{"student_id": "other", "code": "K"}]}, "marks.other", "not_enrolled"),
        ({"marks": [{"student_id": "me", "code": "X"}]}, "marks.me", "invalid_code"),
        (
            {"marks": [{"student_id": "me", "code": "K", "reason": "?"}]},
            "marks.me",
            "invalid_reason",
        ),
        (
            {"marks": [{"student_id": "me", "code": "K"}, {"student_id": "me", "code": "P"}]},
            "marks.me",
            "duplicate_student",
        ),
    ],
)
def test_bad_input_is_a_422_and_writes_nothing(
    cast: Cast, client: Client, changes: dict[str, Any], field: str, code: str
) -> None:
    ids = {"me": cast.student.pk, "other": cast.student_4a.pk}
    for mark in changes.get("marks", []):
        mark["student_id"] = ids[mark["student_id"]]
    field = field.replace("me", str(ids["me"])).replace("other", str(ids["other"]))
    login(client, cast.teacher)
    before = counts()
    response = post(client, SUBMIT, payload(cast, **changes))
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert errors[field][0]["code"] == code and errors[field][0]["message"]
    assert counts() == before


def test_client_id_reused_is_a_422(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    body = payload(cast)
    assert post(client, SUBMIT, body).status_code == 201
    response = post(client, SUBMIT, body | {"date": "2027-03-16"})
    assert response.status_code == 422
    assert response.json()["errors"]["client_id"][0]["code"] == "client_id_reused"


def test_outsider_gets_404_and_nothing_is_written(cast: Cast, client: Client) -> None:
    login(client, cast.outsider)
    response = post(client, SUBMIT, payload(cast))
    assert response.status_code == 404
    assert cast.student.given_name not in response.content.decode()
    assert counts().roll_calls == 0


def test_teacher_of_another_class_gets_404(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    response = post(client, SUBMIT, payload(cast, class_id=cast.class_4a.pk, marks=[]))
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["partner", "commune_officer", "province_officer", "admin"])
def test_readers_get_403(cast: Cast, client: Client, who: str) -> None:
    login(client, getattr(cast, who))
    response = post(client, SUBMIT, payload(cast))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert counts().roll_calls == 0


def test_school_leader_may_take_any_class_of_the_school(cast: Cast, client: Client) -> None:
    login(client, cast.school_leader)
    response = post(client, SUBMIT, payload(cast, class_id=cast.class_4a.pk, marks=[]))
    assert response.status_code == 201


def test_anonymous_gets_401(cast: Cast, client: Client) -> None:
    assert post(client, SUBMIT, payload(cast)).status_code == 401
    assert counts().roll_calls == 0


# Session, user, memberships, class, calendar and its breaks, then in one transaction (a
# savepoint here): roster, roll call, absences; revision, summary, term tallies and term
# summary sent together (one round trip on PostgreSQL, four statements on SQLite:
# lib/db.py); and the audit event of the change (the same transaction).
API_SUBMIT = 13 if connection.vendor == "postgresql" else 16


def test_api_submit_cost_does_not_grow_with_the_class(cast: Cast, client: Client) -> None:
    students = add_students(cast, cast.class_3a, 44)
    login(client, cast.teacher)

    def queries(day: dt.date, n: int) -> int:
        marks = [{"student_id": s.pk, "code": "K"} for s in students[:n]]
        with CaptureQueriesContext(connection) as ctx:
            response = post(client, SUBMIT, payload(cast, date=day.isoformat(), marks=marks))
        assert response.status_code == 201
        return len(ctx)

    assert queries(D(2027, 3, 8), 1) == queries(D(2027, 3, 9), 40) == API_SUBMIT


# --- bulk ----------------------------------------------------------------------------------


def test_bulk_reports_each_item(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    items = [
        payload(cast, date="2027-03-08"),
        payload(cast, date=SUNDAY.isoformat()),  # not a school day
        payload(cast, class_id=cast.class_4a.pk, marks=[]),  # not the teacher's class
        payload(cast, class_id=cast.other_class.pk, marks=[]),  # out of scope
        payload(cast, class_id=999_999, marks=[]),  # does not exist: the same answer
        payload(cast, date="2027-03-09", marks=[]),
    ]
    response = post(client, BULK, {"items": items})
    assert response.status_code == 200, response.content
    data = response.json()
    assert [i["status"] for i in data["items"]] == [201, 422, 404, 404, 404, 201]
    assert [i["index"] for i in data["items"]] == list(range(6))
    assert (data["accepted"], data["refused"]) == (2, 4)
    assert data["items"][1]["errors"]["date"][0]["code"] == "not_school_day"
    assert data["items"][0]["summary"]["unexcused"] == 1
    assert data["items"][3] == data["items"][4] | {"index": 3}
    assert counts().roll_calls == 2

    # One audit event per roll call written, each in the roll call's own transaction.
    events = AuditEvent.objects.values_list("view_name", "object_type", "object_id")
    assert sorted(events) == [("api-v1:bulk_submit_roll_calls", "class", cast.class_3a.pk)] * 2

    resent = post(client, BULK, {"items": items}).json()
    assert [i["status"] for i in resent["items"]] == [200, 422, 404, 404, 404, 200]
    assert all(i["duplicate"] for i in resent["items"] if i["status"] == 200)
    assert counts().roll_calls == 2
    assert AuditEvent.objects.count() == 2  # a resent batch changed nothing


def test_bulk_forbidden_item(cast: Cast, client: Client) -> None:
    login(client, cast.commune_officer)
    response = post(client, BULK, {"items": [payload(cast)]})
    assert response.json()["items"][0]["status"] == 403
    assert counts().roll_calls == 0


def test_bulk_is_capped(cast: Cast, client: Client) -> None:
    login(client, cast.school_leader)
    response = post(client, BULK, {"items": [payload(cast)] * 501})
    assert response.status_code == 422
    assert response.json()["errors"]["items"][0]["code"] == "too_many"
    assert counts().roll_calls == 0


# --- reads -----------------------------------------------------------------------------------


def marks_url(cast: Cast, **query: str) -> str:
    url = reverse("api-v1:class_roll_calls", kwargs={"class_id": cast.class_3a.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def summary_url(cast: Cast, **query: str) -> str:
    url = reverse("api-v1:class_attendance_summary", kwargs={"class_id": cast.class_3a.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_class_marks(cast: Cast, client: Client) -> None:
    (other,) = add_students(cast, cast.class_3a, 1)
    submit(cast, {cast.student.pk: ("K", "unknown", "")}, date=D(2027, 3, 8))
    submit(cast, {other.pk: ("T", "weather", "Lũ")}, date=D(2027, 3, 8))  # a correction
    submit(cast, {}, date=D(2027, 3, 9))
    submit(cast, {}, date=D(2027, 2, 26))  # before the range
    login(client, cast.teacher)
    response = client.get(marks_url(cast, date_from="2027-03-01", date_to="2027-03-12"))
    assert response.status_code == 200
    data = response.json()
    assert (data["date_from"], data["date_to"]) == ("2027-03-01", "2027-03-12")
    items = data["items"]
    assert [(i["date"], i["version"], i["revisions"]) for i in items] == [
        ("2027-03-08", 2, 2),
        ("2027-03-09", 1, 1),
    ]
    assert items[0]["absences"] == [
        {"student_id": other.pk, "code": "T", "reason": "weather", "note": "Lũ"}
    ]
    assert items[1]["absences"] == []


def test_class_marks_default_window_is_the_last_31_days(cast: Cast, client: Client) -> None:
    submit(cast, {}, date=D(2027, 2, 15))  # 31 days before today: just out
    submit(cast, {}, date=D(2027, 2, 16))
    login(client, cast.teacher)
    data = client.get(marks_url(cast)).json()
    assert (data["date_from"], data["date_to"]) == ("2027-02-15", "2027-03-17")
    assert [i["date"] for i in data["items"]] == ["2027-02-15", "2027-02-16"]


def test_partner_sees_summaries_not_marks(cast: Cast, client: Client) -> None:
    submit(cast, {cast.student.pk: ("K", "sick", "")})
    login(client, cast.partner)
    assert client.get(marks_url(cast)).status_code == 403
    summary = client.get(summary_url(cast))
    assert summary.status_code == 200
    assert "student_id" not in summary.content.decode()  # head counts only


def test_reads_are_scoped(cast: Cast, client: Client) -> None:
    login(client, cast.outsider)
    assert client.get(marks_url(cast)).status_code == 404
    assert client.get(summary_url(cast)).status_code == 404


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"date_from": "2027-03-10", "date_to": "2027-03-01"}, "invalid_range"),
        ({"date_from": "2025-01-01", "date_to": "2027-03-01"}, "range_too_long"),
    ],
)
def test_bad_ranges(cast: Cast, client: Client, query: dict[str, str], code: str) -> None:
    login(client, cast.teacher)
    for url in (marks_url(cast, **query), summary_url(cast, **query)):
        response = client.get(url)
        assert response.status_code == 422
        assert response.json()["errors"]["date_from"][0]["code"] == code


def test_summary_rate_by_hand(cast: Cast, client: Client) -> None:
    """3 students; Mon 8 – Fri 12 March 2027. Mon: 1 K. Tue: 1 P, 1 T. Wed: all present.
    Thu and Fri: not taken. Due 9, present 7 (late counts), P 1, K 1."""
    a, b = add_students(cast, cast.class_3a, 2)
    submit(cast, {cast.student.pk: ("K", "unknown", "")}, date=D(2027, 3, 8))
    submit(cast, {a.pk: ("P", "sick", ""), b.pk: ("T", "transport", "")}, date=D(2027, 3, 9))
    submit(cast, {}, date=D(2027, 3, 10))
    login(client, cast.teacher)
    data = client.get(summary_url(cast, date_from="2027-03-08", date_to="2027-03-14")).json()
    assert data["school_days"] == 5
    assert data["missing"] == [
        {"date": "2027-03-11", "session": "am"},
        {"date": "2027-03-12", "session": "am"},
    ]
    assert [(d["date"], d["present"], d["late"]) for d in data["days"]] == [
        ("2027-03-08", 2, 0),
        ("2027-03-09", 2, 1),
        ("2027-03-10", 3, 0),
    ]
    assert data["totals"] == {
        "roll_calls": 3,
        "due": 9,
        "present": 7,
        "late": 1,
        "excused": 1,
        "unexcused": 1,
        "rate": 0.7778,
        "excused_rate": 0.1111,
        "unexcused_rate": 0.1111,
    }

    # A closure declared afterwards (flood on Wednesday) takes that day out of the rate.
    CalendarBreak.objects.create(
        calendar=cast.calendar,
        kind=BreakKind.OTHER,
        name="Lũ",
        start=D(2027, 3, 10),
        end=D(2027, 3, 10),
    )
    data = client.get(summary_url(cast, date_from="2027-03-08", date_to="2027-03-14")).json()
    assert data["school_days"] == 4
    assert (data["totals"]["due"], data["totals"]["present"], data["totals"]["rate"]) == (
        6,
        4,
        0.6667,
    )


def test_summary_counts_school_days_only_up_to_today(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    data = client.get(summary_url(cast, date_from="2027-03-15", date_to="2027-03-19")).json()
    assert data["school_days"] == 3  # Mon–Wed; Thu and Fri are not due yet
    assert data["totals"]["rate"] is None


def test_openapi_documents_the_operations(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    paths = client.get(reverse("api-v1:openapi-json")).json()["paths"]
    for path in (
        "/api/v1/roll-calls",
        "/api/v1/roll-calls/bulk",
        "/api/v1/classes/{class_id}/roll-calls",
        "/api/v1/classes/{class_id}/attendance-summary",
    ):
        assert path in paths
    assert paths["/api/v1/roll-calls"]["post"]["tags"] == ["attendance"]


def test_uuid_is_required(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    assert post(client, SUBMIT, payload(cast, client_id="not-a-uuid")).status_code == 422
    assert uuid.UUID(payload(cast)["client_id"])


# --- the audit event of a roll call --------------------------------------------------------


def test_a_roll_call_and_its_audit_event_commit_together(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    body = payload(cast)
    assert post(client, SUBMIT, body).status_code == 201
    assert post(client, SUBMIT, body).status_code == 200  # resent: nothing changed
    event = AuditEvent.objects.get()
    assert (event.user, event.action, event.view_name) == (
        cast.teacher,
        "change",
        "api-v1:submit_roll_call",
    )
    assert (event.object_type, event.object_id) == ("class", cast.class_3a.pk)
    corrected = payload(cast, marks=[])
    assert post(client, SUBMIT, corrected).status_code == 200
    assert AuditEvent.objects.count() == 2


def test_no_roll_call_without_its_audit_event(
    cast: Cast, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> AuditEvent:
        raise DatabaseError("disk full")

    monkeypatch.setattr("dentruong.audit.requests.record_event", broken)
    login(client, cast.teacher)
    with pytest.raises(DatabaseError):
        post(client, SUBMIT, payload(cast))
    assert not RollCall.objects.exists()
    assert not AuditEvent.objects.exists()
