"""Assignees from outside the scope, support from the case page, the paginated commune
list, the nightly job in chunks, home visits sent twice, the pages kept offline."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dentruong.attendance.tests.conftest import add_students
from dentruong.outreach import rules, services
from dentruong.outreach.models import (
    Case,
    CaseAlert,
    CaseAssignment,
    CaseEvent,
    HomeVisit,
    StepDuration,
    SupportDelivery,
    SupportProgramme,
)
from dentruong.outreach.selectors import UNIT_PAGE_SIZE
from dentruong.outreach.tests.factories import programme
from tests.cast import PASSWORD, Cast, make_user

TODAY = dt.date(2026, 11, 20)
OPENED = dt.date(2026, 11, 10)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today() -> Any:
    with (
        mock.patch("dentruong.outreach.services.local_today", return_value=TODAY),
        mock.patch("dentruong.outreach.views.local_today", return_value=TODAY),
        mock.patch("dentruong.outreach.api.local_today", return_value=TODAY),
        mock.patch("dentruong.enrollment.services.local_today", return_value=TODAY),
    ):
        yield


def login(client: Client, user: Any) -> Client:
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def visit_body(day: str = "2026-11-15", **extra: Any) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()),
        "date": day,
        "visitors": "Vàng Thị Tâm",
        "met": "Đặng Văn Sử (bố)",
        "findings": "Em phải lên nương cùng bố mẹ",
        "causes": ["01"],
        **extra,
    }


def post_json(client: Client, name: str, body: dict[str, Any], **kwargs: Any) -> Any:
    return client.post(reverse(name, kwargs=kwargs), body, content_type="application/json")


# --- assignees from outside the scope ------------------------------------------------------


def test_assignee_without_membership_sees_their_case_only_and_only_what_they_need(
    cast: Cast, client: Client
) -> None:
    """Thào, the village head, has no membership at all: assigned by the commune officer,
    she sees this one case (not the child's record, not the commune's lists, not another
    case), without what the teacher's visit found; she records her own visit; she can
    neither close the case nor hand it to anyone; once the case is closed, it is gone."""
    head = make_user("thao", "Thào Thị Mỷ")
    case = services.open_case(student=cast.student, on=OPENED, by=None)
    other = services.open_case(child=cast.child, on=OPENED, by=None)
    services.record_visit(
        case=case,
        by=cast.teacher,
        **visit_body() | {"client_id": uuid.uuid4(), "date": dt.date(2026, 11, 15)},
    )
    page = reverse("case-detail", args=[case.pk])

    login(client, head)
    assert client.get(page).status_code == 404  # not assigned yet: nothing
    assert client.get(reverse("api-v1:get_case", kwargs={"case_id": case.pk})).status_code == 404

    login(client, cast.commune_officer)
    r = post_json(
        client,
        "api-v1:assign_case",
        {"user_id": head.pk, "role": "village_head"},
        case_id=case.pk,
    )
    assert r.status_code == 201, r.content

    login(client, head)
    mine = client.get(reverse("my-cases")).content.decode()
    assert cast.student.full_name in mine and cast.child.full_name not in mine
    body = client.get(page).content.decode()
    assert cast.student.full_name in body and cast.household.head_name in body
    assert 'data-testid="assignee-view"' in body
    assert "Em phải lên nương" not in body  # what the teacher found
    assert 'data-testid="visit-causes"' not in body  # the causes it found
    assert "15/11/2026" in body and "Vàng Thị Tâm" in body  # that a visit took place
    assert 'id="visit-form"' in body and 'data-testid="close-form"' not in body
    assert client.get(reverse("api-v1:get_case", kwargs={"case_id": case.pk})).status_code == 200
    for url in (
        reverse("case-detail", args=[other.pk]),
        reverse("student-detail", args=[cast.student.pk]),
        reverse("student-support", args=[cast.student.pk]),
        reverse("unit-cases", args=[cast.commune.pk]),
        reverse("unit-what-works", args=[cast.commune.pk]),
    ):
        assert client.get(url).status_code == 404, url

    r = post_json(
        client,
        "api-v1:record_visit",
        visit_body("2026-11-18", findings="Gia đình đồng ý cho em đi học lại"),
        case_id=case.pk,
    )
    assert r.status_code == 201, r.content
    body = client.get(page).content.decode()
    assert "Gia đình đồng ý cho em đi học lại" in body  # her own visit, in full
    assert body.count('data-testid="visit-causes"') == 1
    assert "Em phải lên nương" not in body

    before = (CaseAssignment.objects.count(), Case.objects.get(pk=case.pk).status)
    r = post_json(
        client,
        "api-v1:assign_case",
        {"user_id": cast.outsider.pk, "role": "police"},
        case_id=case.pk,
    )
    assert r.status_code == 403
    r = post_json(
        client,
        "api-v1:close_case",
        {"outcome": "not_back", "on": "2026-11-19", "reason": "moved"},
        case_id=case.pk,
    )
    assert r.status_code == 403
    r = client.post(
        reverse("case-close", args=[case.pk]),
        {"outcome": "not_back", "reason": "moved", "on": "2026-11-19"},
    )
    assert r.status_code == 403
    assert (CaseAssignment.objects.count(), Case.objects.get(pk=case.pk).status) == before

    # The outsider never sees it, even by the visit API.
    login(client, cast.outsider)
    assert client.get(page).status_code == 404
    r = post_json(client, "api-v1:record_visit", visit_body(), case_id=case.pk)
    assert r.status_code == 404
    assert HomeVisit.objects.filter(case=case).count() == 2

    # Closed: the assignment gives nothing any more; the teacher still sees it.
    services.close_case(case=case, outcome="not_back", on=TODAY, by=None, reason="moved")
    login(client, head)
    assert client.get(page).status_code == 404
    assert cast.student.full_name not in client.get(reverse("my-cases")).content.decode()
    login(client, cast.teacher)
    assert client.get(page).status_code == 200


def test_assignee_with_a_membership_elsewhere_gets_that_case_and_nothing_more(
    cast: Cast, client: Client
) -> None:
    """Oscar, officer of Y Tý, assigned as the police officer looking for Ánh: her case
    only, seen as an assignee; our other case and our commune's pages stay 404; his own
    commune's list does not grow."""
    case = services.open_case(student=cast.student, on=OPENED, by=None)
    other = services.open_case(student=cast.student_4a, on=OPENED, by=None)
    services.assign(case=case, user=cast.outsider, role="police", on=OPENED, by=None)
    login(client, cast.outsider)
    body = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert 'data-testid="assignee-view"' in body
    assert client.get(reverse("case-detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("unit-cases", args=[cast.commune.pk])).status_code == 404
    own = client.get(reverse("unit-cases", args=[cast.other_commune.pk])).content.decode()
    assert cast.student.full_name not in own
    # the teacher (homeroom, in scope) sees the whole case
    login(client, cast.teacher)
    body = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert 'data-testid="assignee-view"' not in body and 'data-testid="close-form"' in body


# --- support from the case page ------------------------------------------------------------


def test_commune_officer_records_a_bicycle_from_the_case_page(cast: Cast, client: Client) -> None:
    case = services.open_case(student=cast.student, on=OPENED, by=None)
    bikes = programme(cast)  # 5 bicycles
    url = reverse("case-support", args=[case.pk])
    form = {"programme": bikes.pk, "date": "2026-11-16", "amount": 1, "delivered_by": "UBND xã"}

    login(client, cast.teacher)  # the teacher sees the case but does not hand out support
    assert (
        'data-testid="support-form"'
        not in client.get(reverse("case-detail", args=[case.pk])).content.decode()
    )
    assert client.post(url, form).status_code == 403

    login(client, cast.commune_officer)
    r = client.post(url, form | {"amount": 6})
    assert r.status_code == 400
    assert "Chương trình chỉ còn 5" in r.content.decode()
    assert not SupportDelivery.objects.exists()
    r = client.post(url, form)
    assert r.status_code == 302
    delivery = SupportDelivery.objects.get()
    assert (delivery.case_id, delivery.student_id, delivery.amount) == (case.pk, cast.student.pk, 1)
    body = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert 'data-testid="support-row"' in body and "UBND xã" in body
    bikes.refresh_from_db()
    assert bikes.delivered == 1

    # The API refuses a delivery to one child recorded on another child's case.
    r = post_json(
        client,
        "api-v1:deliver",
        {
            "student_id": cast.student_4a.pk,
            "case_id": case.pk,
            "date": "2026-11-16",
            "amount": 1,
            "delivered_by": "UBND xã",
        },
        programme_id=bikes.pk,
    )
    assert r.status_code == 422
    assert r.json()["errors"]["case"][0]["code"] == "case_mismatch"
    assert SupportDelivery.objects.count() == 1

    # Nothing left in the programme: no form.
    SupportProgramme.objects.filter(pk=bikes.pk).update(delivered=5)
    body = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert 'data-testid="support-form"' not in body


# --- the commune's list, a page at a time ----------------------------------------------------


def test_unit_cases_is_paginated_with_a_fixed_number_of_queries(
    cast: Cast, client: Client, django_assert_num_queries: Any
) -> None:
    """A page of UNIT_PAGE_SIZE rows whatever the number of cases, in the same queries
    (the session, the user, the memberships, the unit, the count, the rows: 6, plus
    whatever request-wide middleware adds) on every page."""
    students = add_students(cast, cast.class_3a, UNIT_PAGE_SIZE + 10)
    for s in students:
        services.open_case(student=s, on=OPENED, by=None)
    login(client, cast.commune_officer)
    url = reverse("unit-cases", args=[cast.commune.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as first_page:
        body = client.get(url).content.decode()
    queries = len(first_page.captured_queries)
    assert 6 <= queries <= 8, [q["sql"][:80] for q in first_page.captured_queries]
    assert body.count('data-testid="case-row"') == UNIT_PAGE_SIZE and 'rel="next"' in body

    def rows(page: str) -> tuple[int, str]:
        with django_assert_num_queries(queries):
            body = client.get(f"{url}?page={page}").content.decode()
        return body.count('data-testid="case-row"'), body

    second, body = rows("2")
    assert second == 10 and 'rel="prev"' in body and 'rel="next"' not in body
    assert rows("99")[0] == 10  # past the end: the last page
    assert rows("x")[0] == UNIT_PAGE_SIZE
    # Twice the cases, the same queries.
    for s in add_students(cast, cast.class_3a, UNIT_PAGE_SIZE):
        services.open_case(student=s, on=OPENED, by=None)
    first, body = rows("1")
    assert first == UNIT_PAGE_SIZE and f"{2 * UNIT_PAGE_SIZE + 10}" in body


# --- the nightly job, in chunks --------------------------------------------------------------


def test_mark_late_in_chunks_marks_each_step_once(cast: Cast) -> None:
    cases = [
        services.open_case(student=s, on=dt.date(2026, 11, 1), by=None)
        for s in (cast.student, cast.student_4a)
    ]
    with mock.patch.object(services, "LATE_CHUNK", 1):
        result = services.run_nightly(
            today=TODAY, cfg=rules.AutoRules(absences=0, dropout=False, high_risk=False)
        )
    # alert (3/11), home visit (10/11), analysis (13/11), action plan (20/11: not yet)
    assert result.late_steps == 2 * 3
    assert CaseEvent.objects.filter(kind="step_late").count() == 6
    teacher_alerts = CaseAlert.objects.filter(user=cast.teacher, case=cases[0]).count()
    assert teacher_alerts == 3
    again = services.mark_late(TODAY)
    assert again == (0, 0)


def _rows_of(case: Case) -> tuple[object, ...]:
    """What a case holds besides its ids: steps, assignments, events."""
    return (
        case.origin,
        case.opened_on,
        case.next_due,
        list(case.steps.order_by("position").values_list("kind", "position", "due", "done_on")),
        list(case.assignments.values_list("user_id", "role", "start", "end")),
        sorted(case.events.values_list("kind", "on", "note")),
    )


def test_the_nightly_job_opens_in_bulk_what_open_case_writes(cast: Cast) -> None:
    """The bulk path of the nightly job writes the same rows as `open_case` (steps with
    the commune's durations, the homeroom teacher or else the commune officers, the
    events); a child given an open case meanwhile sends the chunk one by one."""
    StepDuration.objects.create(commune=cast.commune, step="home_visit", days=5)
    by_hand = services.open_case(student=cast.student, on=TODAY, by=None)
    by_hand_child = services.open_case(child=cast.child, on=TODAY, by=None)
    expected = (_rows_of(by_hand), _rows_of(by_hand_child))
    for case in (by_hand, by_hand_child):
        case.delete()
    assert services._open_chunk("student", "manual", [cast.student.pk], TODAY) == 1
    assert services._open_chunk("child", "manual", [cast.child.pk], TODAY) == 1
    bulk = (
        _rows_of(Case.objects.get(student=cast.student)),
        _rows_of(Case.objects.get(child=cast.child)),
    )
    assert bulk == expected
    assert expected[0][4] == [(cast.teacher.pk, "homeroom_teacher", TODAY, None)]
    assert expected[1][4] == [(cast.commune_officer.pk, "commune_officer", TODAY, None)]
    # Ánh has an open case now: the chunk falls back to one by one and opens An only.
    opened = services._open_chunk(
        "student", "absences", [cast.student.pk, cast.student_4a.pk], TODAY
    )
    assert opened == 1
    assert Case.objects.filter(student=cast.student).count() == 1
    assert Case.objects.get(student=cast.student_4a).origin == "absences"


# --- a home visit sent twice ------------------------------------------------------------------


def test_visit_client_id_is_unique_in_the_database_and_sent_twice_is_one_visit(
    cast: Cast, client: Client
) -> None:
    case = services.open_case(student=cast.student, on=OPENED, by=None)
    other = services.open_case(student=cast.student_4a, on=OPENED, by=None)
    body = visit_body()
    login(client, cast.teacher)
    first = post_json(client, "api-v1:record_visit", body, case_id=case.pk)
    again = post_json(client, "api-v1:record_visit", body, case_id=case.pk)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and again.json()["created"] is False
    login(client, cast.school_leader)  # the same id on another case: refused, not moved
    r = post_json(client, "api-v1:record_visit", body, case_id=other.pk)
    assert r.status_code == 422 and r.json()["errors"]["client_id"][0]["code"] == "client_id_taken"
    assert HomeVisit.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        HomeVisit.objects.create(
            case=other,
            client_id=uuid.UUID(body["client_id"]),
            date=TODAY,
            visitors="x",
            met="y",
            findings="z",
        )


# --- the pages the phone keeps ------------------------------------------------------------------


def test_my_cases_and_the_case_page_carry_the_offline_visit_script(
    cast: Cast, client: Client
) -> None:
    case = services.open_case(student=cast.student, on=OPENED, by=None)
    login(client, cast.teacher)
    mine = client.get(reverse("my-cases")).content.decode()
    assert 'src="/static/js/visits.js"' in mine and 'id="visits-text"' in mine
    assert f'href="{reverse("case-detail", args=[case.pk])}" data-case-link' in mine
    page = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    api = reverse("api-v1:record_visit", kwargs={"case_id": case.pk})
    assert f'data-api="{api}"' in page and 'type="date"' in page
    assert "<script>" not in page and " onerror=" not in page and 'style="' not in page
    worker = client.get(reverse("service-worker")).content.decode()
    assert "/static/js/visits.js" in worker and '"myCases": "/outreach/cases/mine/"' in worker
    assert "keep-cases" in worker
