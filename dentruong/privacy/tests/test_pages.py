"""The pages: register a request, the queue with its clock, acting, the export; who may."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from dentruong.privacy.models import RightsRequest
from dentruong.privacy.tests.factories import answered_access_request, rights_request
from tests.cast import PASSWORD, Cast


def vi(msgid: str) -> str:
    """The Vietnamese the page shows (the msgid itself until the catalogue has it)."""
    with translation.override("vi"):
        return translation.gettext(msgid)


def login(client: Client, user: Any) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


FORM = {
    "kind": "delete",
    "requester_name": "Đặng Văn Sử",
    "requester_relationship": "father",
    "requester_contact": "0912 345 678",
    "details": "Xoá số điện thoại",
    "received_at": "",
}


def test_a_school_leader_registers_a_request_from_the_student(cast: Cast, client: Client) -> None:
    login(client, cast.school_leader)
    page = client.get(reverse("student-detail", args=[cast.student.pk])).content.decode()
    assert reverse("student-rights-request", args=[cast.student.pk]) in page
    url = reverse("student-rights-request", args=[cast.student.pk])
    response = client.post(url, FORM)
    request = RightsRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("rights-request-detail", args=[request.pk])
    assert (request.student, request.kind, request.received_by) == (
        cast.student,
        "delete",
        cast.school_leader,
    )
    detail = client.get(response["Location"]).content.decode()
    assert "Đặng Văn Sử" in detail and 'data-testid="answer-form"' in detail


def test_the_form_says_what_is_wrong_in_vietnamese(cast: Cast, client: Client) -> None:
    login(client, cast.school_leader)
    url = reverse("student-rights-request", args=[cast.student.pk])
    response = client.post(url, FORM | {"requester_name": "", "received_at": "31/02/2026"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="error-requester_name"' in body
    assert 'data-testid="error-received_at"' in body
    assert "Trường này là bắt buộc." in body
    future = (dt.date.today() + dt.timedelta(days=3)).strftime("%d/%m/%Y")
    response = client.post(url, FORM | {"received_at": future})
    assert response.status_code == 400 and not RightsRequest.objects.exists()


def test_only_handlers_register_requests(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)  # sees Ánh, but does not handle requests
    response = client.post(reverse("student-rights-request", args=[cast.student.pk]), FORM)
    assert response.status_code == 403
    assert client.get(reverse("rights-requests")).status_code == 403
    client.logout()
    login(client, cast.school_leader)  # the register is the commune's
    assert client.get(reverse("child-rights-request", args=[cast.child.pk])).status_code == 404
    client.logout()
    login(client, cast.commune_officer)
    response = client.post(reverse("child-rights-request", args=[cast.child.pk]), FORM)
    assert response.status_code == 302
    assert RightsRequest.objects.get().child == cast.child


def test_the_queue_shows_the_clock_and_overdue_in_red(cast: Cast, client: Client) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)):  # Monday
        late = rights_request(cast)
    with time_machine.travel(dt.datetime(2026, 3, 5, 9, 0, tzinfo=dt.UTC)):  # Thursday
        fresh = rights_request(cast)
        login(client, cast.commune_officer)
        body = client.get(reverse("rights-requests")).content.decode()
    assert late.due_on == dt.date(2026, 3, 4) and fresh.due_on == dt.date(2026, 3, 9)
    rows = body.split('data-testid="request-row"')[1:]
    assert len(rows) == 2
    assert 'data-overdue="1"' in rows[0] and "04/03/2026" in rows[0]  # by due date
    assert "overdue" not in rows[1].split("</tr>")[0] and "09/03/2026" in rows[1]
    assert vi("overdue") in rows[0]


def test_acting_answers_and_the_export_downloads(cast: Cast, client: Client) -> None:
    request = rights_request(cast)
    login(client, cast.school_leader)
    act = reverse("rights-request-act", args=[request.pk])
    assert client.post(act, {"action": "start"}).status_code == 302
    assert client.post(act, {"action": "answer_access"}).status_code == 302
    request.refresh_from_db()
    assert request.status == "answered"
    response = client.get(reverse("rights-request-export", args=[request.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["student"][0]["given_name"] == "Ánh"
    assert data["sensitive_facts"][0]["poverty"] == "poor"
    # Answered: no further action.
    response = client.post(act, {"action": "refuse", "note": "x"})
    assert response.status_code == 400
    assert vi("This request has already been answered.") in response.content.decode()


def test_refusing_needs_a_reason(cast: Cast, client: Client) -> None:
    request = rights_request(cast)
    login(client, cast.school_leader)
    act = reverse("rights-request-act", args=[request.pk])
    response = client.post(act, {"action": "refuse", "note": ""})
    assert response.status_code == 400
    assert 'data-testid="error-note"' in response.content.decode()
    request.refresh_from_db()
    assert request.status == "received"


def test_no_export_before_the_answer(cast: Cast, client: Client) -> None:
    login(client, cast.school_leader)
    pending = rights_request(cast)
    assert client.get(reverse("rights-request-export", args=[pending.pk])).status_code == 404
    done = answered_access_request(cast)
    assert client.get(reverse("rights-request-export", args=[done.pk])).status_code == 200


def test_the_student_page_shows_consents_with_scope_and_withdrawal(
    cast: Cast, client: Client
) -> None:
    from dentruong.notices import services as notices

    guardian = cast.household.guardians.get()
    consent = notices.record_consent(
        guardian=guardian, channel="sms", address="0912345678", by=cast.teacher, scope="all"
    )
    notices.withdraw_consent(consent=consent, by=cast.school_leader)
    login(client, cast.teacher)
    body = client.get(reverse("student-detail", args=[cast.student.pk])).content.decode()
    panel = body.split('data-testid="privacy-panel"')[1]
    assert vi("All notices to the family") in panel  # the scope
    assert "Vàng Thị Tâm" in panel and "Phạm Thị Lan" in panel  # recorded by, withdrawn by
    assert 'data-testid="rights-request-link"' not in panel  # a teacher does not handle them


def test_the_outsider_can_neither_register_nor_act(cast: Cast, client: Client) -> None:
    request = rights_request(cast)
    login(client, cast.outsider)
    assert (
        client.post(reverse("student-rights-request", args=[cast.student.pk]), FORM).status_code
        == 404
    )
    assert (
        client.post(reverse("child-rights-request", args=[cast.child.pk]), FORM).status_code == 404
    )
    act = reverse("rights-request-act", args=[request.pk])
    assert client.post(act, {"action": "answer_access"}).status_code == 404
    assert RightsRequest.objects.count() == 1
    request.refresh_from_db()
    assert request.status == "received" and request.export is None


def test_the_consent_api_records_a_scope(cast: Cast, client: Client) -> None:
    from dentruong.notices.models import ConsentScope, NoticeKind

    guardian = cast.household.guardians.get()
    url = reverse("api-v1:record_notice_consent", kwargs={"student_id": cast.student.pk})
    body = {"guardian_id": guardian.pk, "channel": "sms", "address": "0912345678"}
    login(client, cast.teacher)
    bad = client.post(url, body | {"scope": "gossip"}, content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["errors"]["scope"][0]["code"] == "invalid_scope"
    made = client.post(url, body | {"scope": "all"}, content_type="application/json")
    assert made.status_code == 201 and made.json()["scope"] == "all"
    assert set(ConsentScope.covering(NoticeKind.ABSENCE)) == {"all", "absence"}
    assert ConsentScope.covering(NoticeKind.RISK) == ["all"]


def test_an_erasure_shows_what_went_and_what_stays(cast: Cast, client: Client) -> None:
    request = rights_request(cast, "delete")
    login(client, cast.school_leader)
    detail = reverse("rights-request-detail", args=[request.pk])
    before = client.get(detail).content.decode()
    assert vi("Absences: the attendance register and its rates") in before  # kept, and why
    response = client.post(reverse("rights-request-act", args=[request.pk]), {"action": "erase"})
    assert response.status_code == 302
    after = client.get(detail).content.decode()
    assert escape(vi("Guardians' phone numbers")) in after
    assert vi("Disability and health notes") in after
    assert cast.household.guardians.get().phone == ""
