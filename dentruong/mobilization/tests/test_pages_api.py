"""Pages and API of mobilization: targets (Vietnamese errors, nothing half-written), the
review queue (accept links, reject never comes back), the out-of-school export."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from dentruong.mobilization.models import GradeTarget, MatchCandidate
from dentruong.mobilization.services import match_residents
from dentruong.mobilization.tests.factories import pending_match
from dentruong.people.models import ResidentChild
from tests.cast import PASSWORD, Cast

pytestmark = pytest.mark.django_db


def login(client: Client, username: str) -> Client:
    assert client.login(username=username, password=PASSWORD)
    return client


def test_targets_page_saves_and_refuses_in_vietnamese(cast: Cast, client: Client) -> None:
    login(client, cast.school_leader.username)
    url = reverse("school-targets", kwargs={"pk": cast.school.pk})
    data = {
        "school_year": "2026",
        "grade_1": "104",
        "grade_2": "134",
        "grade_3": "142",
        "grade_4": "178",
        "grade_5": "148",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert sum(GradeTarget.objects.values_list("target", flat=True)) == 706
    page = client.get(url + "?school_year=2026").content.decode()
    assert "706" in page
    bad = client.post(url, data | {"grade_2": "-3", "grade_3": "abc"})
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "không được âm" in body and "số nguyên" in body
    assert GradeTarget.objects.get(grade=2).target == 134  # nothing half-written


def test_targets_api(cast: Cast, client: Client) -> None:
    url = reverse("api-v1:set_school_targets", kwargs={"school_id": cast.school.pk})
    body = {"school_year": 2026, "targets": {"1": 104, "9": 5}}
    login(client, cast.outsider.username)
    assert client.post(url, body, content_type="application/json").status_code == 404
    client.logout()
    login(client, cast.teacher.username)
    assert client.post(url, body, content_type="application/json").status_code == 403
    client.logout()
    login(client, cast.school_leader.username)
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["errors"]["grade_9"][0]["code"] == "grade_not_taught"
    assert not GradeTarget.objects.exists()
    ok = client.post(
        url, {"school_year": 2026, "targets": {"1": 104}}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["total"] == 104


def test_review_queue_accept_and_reject(cast: Cast, client: Client) -> None:
    candidate = pending_match(cast)
    accept = reverse("api-v1:accept_match", kwargs={"match_id": candidate.pk})
    login(client, cast.outsider.username)
    assert client.post(accept).status_code == 404
    client.logout()
    login(client, cast.school_leader.username)  # sees no register: 404
    assert client.post(accept).status_code == 404
    client.logout()
    login(client, cast.commune_officer.username)
    page = client.get(reverse("unit-matches", kwargs={"pk": cast.commune.pk}))
    assert cast.child.full_name in page.content.decode()
    response = client.post(accept)
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    cast.child.refresh_from_db()
    assert cast.child.student_id == cast.student.pk
    assert MatchCandidate.objects.get().decided_by == cast.commune_officer
    again = client.post(accept)
    assert again.status_code == 422
    assert again.json()["errors"]["__all__"][0]["code"] == "already_decided"


def test_rejected_pair_is_never_proposed_again(cast: Cast, client: Client) -> None:
    # Bình in the register, and a student with his name and birth year but another birth
    # date in the other village: a pair to review.
    import datetime as dt

    from dentruong.people.services import create_student

    create_student(
        national_id="010220000099",
        family_and_middle_name="Đặng Văn",
        given_name="Bình",
        birth_date=dt.date(2020, 4, 4),
        gender="M",
        ethnicity="09",
        village=cast.village,
    )
    run = match_residents(unit_path=cast.commune.path)
    assert (run.linked, run.queued) == (0, 1)
    candidate = MatchCandidate.objects.get()
    login(client, cast.commune_officer.username)
    response = client.post(reverse("match-reject", kwargs={"pk": candidate.pk}))
    assert response.status_code == 302
    assert match_residents(unit_path=cast.commune.path).queued == 0
    assert MatchCandidate.objects.get().status == "rejected"
    assert ResidentChild.objects.get(pk=cast.child.pk).student_id is None


def test_report_pages_and_export(cast: Cast, client: Client) -> None:
    login(client, cast.commune_officer.username)
    report = client.get(reverse("unit-mobilization", kwargs={"pk": cast.commune.pk}))
    assert report.status_code == 200
    names = client.get(
        reverse("unit-mobilization-names", kwargs={"pk": cast.commune.pk})
        + "?measure=enrolled&grade=3"
    )
    assert cast.student.full_name in names.content.decode()
    page = client.get(reverse("unit-out-of-school", kwargs={"pk": cast.commune.pk}))
    assert cast.child.full_name in page.content.decode()
    xlsx = client.get(
        reverse("unit-out-of-school-xlsx", kwargs={"pk": cast.commune.pk}),
        {"purpose": "Vận động ra lớp"},  # a list of names: say why (dentruong/audit)
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][1] == cast.child.full_name and rows[2][2] == 2020
    api = client.get(reverse("api-v1:unit_out_of_school", kwargs={"unit_id": cast.commune.pk}))
    assert api.json()["total"] == 1
    client.logout()
    login(client, cast.partner.username)
    assert (
        client.get(reverse("unit-out-of-school", kwargs={"pk": cast.commune.pk})).status_code == 403
    )
