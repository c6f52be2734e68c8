"""What the teacher sees (the roll call page, the API) and the consent API: scope (404),
rights (403), validation (422), and the status of each absent student's notice."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dentruong.notices.models import NoticeConsent
from dentruong.people.models import Household
from dentruong.people.services import add_guardian
from tests.cast import PASSWORD, Cast

from .conftest import TODAY, YESTERDAY, Gateway, consent, guardian, roll, run_worker

pytestmark = pytest.mark.usefixtures("clock")


def login(client: Client, user: Any) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def page(client: Client, cast: Cast, session: str = "am", day: Any = TODAY) -> str:
    url = reverse("roll-call", args=[cast.class_3a.pk]) + f"?date={day}&session={session}"
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def notices_url(cast: Cast, **query: str) -> str:
    url = reverse("api-v1:class_notices", kwargs={"class_id": cast.class_3a.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def consents_url(cast: Cast) -> str:
    return reverse("api-v1:record_notice_consent", kwargs={"student_id": cast.student.pk})


# --- the roll call page ----------------------------------------------------------------------


@pytest.mark.usefixtures("channels")
def test_the_page_shows_each_k_notice_state(cast: Cast, client: Client, gateway: Gateway) -> None:
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    login(client, cast.teacher)
    assert "Đã gửi báo gia đình" not in page(client, cast)
    assert "Đã xếp hàng báo gia đình (SMS)" in page(client, cast)
    run_worker()
    html = page(client, cast)
    assert 'data-testid="notice-status">Đã báo gia đình lúc 07:45 (SMS)<' in html
    # the afternoon K shows the same, single notice of the day
    roll(cast, {cast.student.pk: "K"}, session="pm")
    assert "Đã báo gia đình lúc 07:45 (SMS)" in page(client, cast, "pm")


def test_the_page_says_when_there_is_no_consent(cast: Cast, client: Client) -> None:
    roll(cast, {cast.student.pk: "K"})
    login(client, cast.teacher)
    assert "Không báo: gia đình chưa đồng ý nhận tin" in page(client, cast)


def test_the_page_says_when_the_roll_call_came_too_late(cast: Cast, client: Client) -> None:
    consent(cast)
    roll(cast, {cast.student.pk: "K"}, day=YESTERDAY)
    login(client, cast.teacher)
    assert "Không báo gia đình (không nhập trong ngày)" in page(client, cast, day=YESTERDAY)


@pytest.mark.usefixtures("channels")
def test_the_page_says_will_retry(cast: Cast, client: Client, gateway: Gateway) -> None:
    gateway.script["/sms"] = [(502, {})]
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    run_worker()
    login(client, cast.school_leader)
    assert "Gửi báo lỗi, sẽ thử lại lúc 07:46" in page(client, cast)


def test_the_page_shows_nothing_for_p_or_t(cast: Cast, client: Client) -> None:
    consent(cast)
    roll(cast, {cast.student.pk: "P"})
    login(client, cast.teacher)
    assert 'data-testid="notice-status"' not in page(client, cast)


# --- the status API --------------------------------------------------------------------------


@pytest.mark.usefixtures("channels")
def test_class_notices_api(cast: Cast, client: Client, gateway: Gateway) -> None:
    consent(cast)
    roll(cast, {cast.student.pk: "K"})
    roll(cast, {cast.student.pk: "K"}, session="pm")
    run_worker()
    login(client, cast.teacher)
    body = client.get(notices_url(cast)).json()
    assert body["class_id"] == cast.class_3a.pk and body["date"] == "2027-03-17"
    [item] = body["items"]
    assert item["student_id"] == cast.student.pk
    assert item["sessions"] == ["am", "pm"]
    assert (item["status"], item["channel"], item["attempts"]) == ("sent", "sms", 1)
    assert item["sent_at"] == "2027-03-17T00:45:00Z"  # 07:45 in Việt Nam
    assert client.get(notices_url(cast, date="2027-03-16")).json()["items"] == []


def test_class_notices_api_no_consent_and_scope(cast: Cast, client: Client) -> None:
    roll(cast, {cast.student.pk: "K"})
    login(client, cast.teacher)
    [item] = client.get(notices_url(cast)).json()["items"]
    assert item["status"] == "no_consent" and item["channel"] == ""
    client.logout()
    login(client, cast.outsider)
    assert client.get(notices_url(cast)).status_code == 404
    client.logout()
    login(client, cast.partner)
    response = client.get(notices_url(cast))
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


# --- the consent API -------------------------------------------------------------------------


def test_record_list_and_withdraw_a_consent(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    body = {
        "guardian_id": guardian(cast).pk,
        "channel": "sms",
        "address": "0912 345 678",
        "evidence": "Phiếu ký ngày 5/9/2026",
    }
    created = client.post(consents_url(cast), body, content_type="application/json")
    assert created.status_code == 201, created.content
    out = created.json()
    assert (out["address"], out["active"], out["recorded_by_id"]) == (
        "+84912345678",
        True,
        cast.teacher.pk,
    )
    assert out["guardian_name"] == "Đặng Văn Sử"
    again = client.post(consents_url(cast), body, content_type="application/json")
    assert again.status_code == 422
    assert again.json()["errors"]["channel"][0]["code"] == "already_consented"
    listed = client.get(
        reverse("api-v1:student_notice_consents", kwargs={"student_id": cast.student.pk})
    )
    assert [c["id"] for c in listed.json()] == [out["id"]]
    withdraw = reverse(
        "api-v1:withdraw_notice_consent",
        kwargs={"student_id": cast.student.pk, "consent_id": out["id"]},
    )
    gone = client.post(withdraw)
    assert gone.status_code == 200
    assert gone.json()["active"] is False and gone.json()["withdrawn_by_id"] == cast.teacher.pk
    assert client.post(withdraw).status_code == 422  # already withdrawn


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"address": "12345"}, "address", "invalid_address"),
        ({"channel": "fax"}, "channel", "invalid_channel"),
        ({"channel": "email", "address": "su@"}, "address", "invalid_address"),
        ({"evidence": "x" * 201}, "evidence", "evidence_too_long"),
    ],
)
def test_record_consent_refuses_bad_input(
    cast: Cast, client: Client, changes: dict[str, str], field: str, code: str
) -> None:
    login(client, cast.teacher)
    body = {"guardian_id": guardian(cast).pk, "channel": "sms", "address": "0912345678"}
    response = client.post(consents_url(cast), body | changes, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][field][0]["code"] == code
    assert not NoticeConsent.objects.exists()


def test_a_guardian_of_another_household_is_refused(cast: Cast, client: Client) -> None:
    other = Household.objects.create(village=cast.village, head_name="Lò Văn Khác")
    stranger = add_guardian(household=other, full_name="Lò Văn Khác", relationship="father")
    login(client, cast.teacher)
    body = {"guardian_id": stranger.pk, "channel": "sms", "address": "0912345678"}
    response = client.post(consents_url(cast), body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"]["guardian_id"][0]["code"] == "not_found"


def test_who_may_record_a_consent(cast: Cast, client: Client) -> None:
    body = {"guardian_id": guardian(cast).pk, "channel": "sms", "address": "0912345678"}
    for user, status in [
        (cast.partner, 403),  # sees the student (campaign fields), may not edit
        (cast.province_officer, 403),
        (cast.outsider, 404),
        (cast.commune_officer, 201),
    ]:
        login(client, user)
        response = client.post(consents_url(cast), body, content_type="application/json")
        assert response.status_code == status, (user.username, response.content)
        client.logout()
