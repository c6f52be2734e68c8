"""Cases, visits, support and the nightly job, with the named cast."""

from __future__ import annotations

import datetime as dt
import uuid
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from dentruong.enrollment.services import record_event
from dentruong.outreach import rules, services
from dentruong.outreach.models import (
    Case,
    CaseAlert,
    CaseEvent,
    HomeVisit,
    StepDuration,
    SupportDelivery,
    SupportProgramme,
)
from dentruong.outreach.services import OutreachError
from tests.cast import PASSWORD, Cast

TODAY = dt.date(2026, 11, 20)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today() -> object:
    with (
        mock.patch("dentruong.outreach.services.local_today", return_value=TODAY),
        mock.patch("dentruong.outreach.views.local_today", return_value=TODAY),
        mock.patch("dentruong.outreach.api.local_today", return_value=TODAY),
        mock.patch("dentruong.enrollment.services.local_today", return_value=TODAY),
    ):
        yield


def login(client: Client, user: object) -> Client:
    assert client.login(username=user.username, password=PASSWORD)  # type: ignore[attr-defined]
    return client


def test_schedule_is_cumulative_and_follows_done_steps() -> None:
    start = dt.date(2026, 11, 1)
    due = rules.schedule(start, rules.STEP_ORDER, rules.DEFAULT_DAYS)
    # 2, +7, +3, +7, +30, +30, +30 days
    assert due["alert"] == dt.date(2026, 11, 3)
    assert due["action_plan"] == dt.date(2026, 11, 20)
    assert due["follow_up_60"] == dt.date(2027, 2, 18)  # 20/11 +30 +30 +30
    again = rules.schedule(
        start, rules.STEP_ORDER, rules.DEFAULT_DAYS, {"back_in_school": dt.date(2026, 12, 1)}
    )
    assert again["follow_up_30"] == dt.date(2026, 12, 31)
    assert again["follow_up_60"] == dt.date(2027, 1, 30)
    assert rules.median([5, 1, 3, 10]) == 4.0


def test_should_open() -> None:
    d = dt.date
    assert rules.should_open(d(2026, 11, 1), None, TODAY, 180)
    assert not rules.should_open(d(2026, 11, 1), d(2026, 11, 5), TODAY, 180)
    assert rules.should_open(d(2026, 11, 10), d(2026, 11, 5), TODAY, 180)
    assert not rules.should_open(None, d(2026, 6, 1), TODAY, 180)
    assert rules.should_open(None, d(2026, 5, 1), TODAY, 180)


def test_open_case_steps_assignee_and_one_open(cast: Cast) -> None:
    StepDuration.objects.create(commune=cast.commune, step="alert", days=1)
    case = services.open_case(student=cast.student, on=TODAY, by=cast.teacher)
    steps = list(case.steps.order_by("position").values_list("kind", "due"))
    assert steps[0] == ("alert", dt.date(2026, 11, 21))
    assert steps[1] == ("home_visit", dt.date(2026, 11, 28))
    assert case.commune == cast.commune
    assert list(case.assignments.values_list("user__username", "role")) == [
        ("tam", "homeroom_teacher")
    ]
    with pytest.raises(OutreachError) as err:
        services.open_case(student=cast.student, on=TODAY, by=cast.teacher)
    assert err.value.code == "already_open"
    assert Case.objects.count() == 1
    child_case = services.open_case(child=cast.child, on=TODAY, by=cast.commune_officer)
    assert list(child_case.assignments.values_list("user__username", flat=True)) == ["cuc"]


def test_close_needs_outcome_and_follow_ups(cast: Cast) -> None:
    case = services.open_case(student=cast.student, on=TODAY, by=None)
    for outcome, code in [("", "outcome_required"), ("back_in_school", "follow_ups_pending")]:
        with pytest.raises(OutreachError) as err:
            services.close_case(case=case, outcome=outcome, on=TODAY, by=None)
        assert err.value.code == code
    with pytest.raises(OutreachError) as err:
        services.close_case(case=case, outcome="not_back", on=TODAY, by=None)
    assert err.value.code == "reason_required"
    case.refresh_from_db()
    assert case.status == "open"
    services.complete_step(case=case, step="follow_up_60", on=TODAY, by=None)
    closed = services.close_case(case=case, outcome="back_in_school", on=TODAY, by=None)
    assert (closed.status, closed.outcome) == ("closed", "back_in_school")
    assert CaseEvent.objects.filter(case=case, kind="closed").count() == 1
    # a new case may be opened once the first is closed
    services.open_case(student=cast.student, on=TODAY, by=None)


def test_back_in_school_needs_an_enrolment(cast: Cast) -> None:
    case = services.open_case(child=cast.child, on=TODAY, by=None)
    with pytest.raises(OutreachError) as err:
        services.complete_step(case=case, step="back_in_school", on=TODAY, by=None)
    assert err.value.code == "not_enrolled"
    assert not case.steps.filter(done_on__isnull=False).exists()


def test_visit_is_idempotent_and_refuses_the_future(cast: Cast) -> None:
    case = services.open_case(student=cast.student, on=dt.date(2026, 11, 10), by=None)
    cid = uuid.uuid4()
    kw = dict(
        case=case,
        client_id=cid,
        visitors="Vàng Thị Tâm",
        met="Đặng Văn Sử (bố)",
        findings="Em phải ở nhà trông em",
        causes=["01", "03"],
        by=cast.teacher,
    )
    with pytest.raises(OutreachError) as err:
        services.record_visit(date=TODAY + dt.timedelta(days=1), **kw)  # type: ignore[arg-type]
    assert err.value.code == "future_date"
    with pytest.raises(OutreachError) as err:
        services.record_visit(date=TODAY, **kw | {"causes": ["99"]})  # type: ignore[arg-type]
    assert err.value.code == "invalid_cause"
    assert not HomeVisit.objects.exists()
    visit, created = services.record_visit(date=dt.date(2026, 11, 15), **kw)  # type: ignore[arg-type]
    again, created2 = services.record_visit(date=dt.date(2026, 11, 15), **kw)  # type: ignore[arg-type]
    assert (created, created2, again.pk) == (True, False, visit.pk)
    assert sorted(visit.causes.values_list("code", flat=True)) == ["01", "03"]
    done = dict(case.steps.values_list("kind", "done_on"))
    assert done["alert"] == done["home_visit"] == dt.date(2026, 11, 15)
    assert done["analysis"] is None
    # analysis is now due 3 days after the visit
    assert case.steps.get(kind="analysis").due == dt.date(2026, 11, 18)


def test_delivery_refused_beyond_budget(cast: Cast) -> None:
    prog = SupportProgramme.objects.create(
        commune=cast.commune, kind="bicycle", name="Xe đạp 2026", measure="items", capacity=2
    )
    services.deliver(
        programme=prog,
        student=cast.student,
        date=TODAY,
        amount=2,
        delivered_by="Hoàng Thị Cúc",
        by=None,
    )
    with pytest.raises(OutreachError) as err:
        services.deliver(
            programme=prog,
            child=cast.child,
            date=TODAY,
            amount=1,
            delivered_by="Hoàng Thị Cúc",
            by=None,
        )
    assert err.value.code == "beyond_budget"
    prog.refresh_from_db()
    assert (prog.delivered, SupportDelivery.objects.count()) == (2, 1)


def test_nightly_opens_dropouts_and_marks_late(cast: Cast) -> None:
    record_event(
        student=cast.student_4a,
        kind="dropped_out",
        on=dt.date(2026, 11, 2),
        by=None,
        reason_code="01",
    )
    manual = services.open_case(student=cast.student, on=dt.date(2026, 11, 1), by=None)
    cfg = rules.AutoRules(absences=0, high_risk=False, not_enrolled=False)
    result = services.run_nightly(today=TODAY, cfg=cfg)
    assert result.opened["dropout"] == 1
    assert Case.objects.get(student=cast.student_4a, status="open").origin == "dropout"
    # manual case: alert due 3/11, home visit 10/11, analysis 13/11 → 3 late on 20/11
    assert result.late_steps == 3
    assert CaseAlert.objects.filter(user=cast.teacher, case=manual).count() == 3
    again = services.run_nightly(today=TODAY, cfg=cfg)
    assert (again.opened["dropout"], again.late_steps, again.alerts) == (0, 0, 0)


def test_outsider_gets_404_and_insider_acts(cast: Cast, client: Client) -> None:
    case = services.open_case(student=cast.student, on=TODAY, by=None)
    urls = [
        reverse("case-detail", args=[case.pk]),
        reverse("api-v1:get_case", kwargs={"case_id": case.pk}),
    ]
    login(client, cast.outsider)
    for url in urls:
        assert client.get(url).status_code == 404
    r = client.post(
        reverse("case-close", args=[case.pk]),
        {"outcome": "not_back", "reason": "moved", "on": "20/11/2026"},
    )
    assert r.status_code == 404
    r = client.post(
        reverse("api-v1:open_case"),
        {"student_id": cast.student_4a.pk},
        content_type="application/json",
    )
    assert r.status_code == 404
    assert Case.objects.count() == 1
    client.logout()
    login(client, cast.teacher)
    for url in urls:
        assert client.get(url).status_code == 200


def test_close_page_and_api_errors(cast: Cast, client: Client) -> None:
    case = services.open_case(student=cast.student, on=TODAY, by=None)
    login(client, cast.teacher)
    r = client.post(reverse("case-close", args=[case.pk]), {"outcome": "", "on": "20/11/2026"})
    assert r.status_code == 400
    assert (
        "A case cannot be closed without an outcome." in r.content.decode()
        or "kết quả" in r.content.decode()
    )
    r = client.post(
        reverse("api-v1:record_visit", kwargs={"case_id": case.pk}),
        {
            "client_id": str(uuid.uuid4()),
            "date": "2026-11-21",
            "visitors": "Tâm",
            "met": "bố",
            "findings": "x",
            "causes": ["01"],
        },
        content_type="application/json",
    )
    assert r.status_code == 422
    assert r.json()["errors"]["date"][0]["code"] == "future_date"
    case.refresh_from_db()
    assert case.status == "open" and not HomeVisit.objects.exists()


def test_my_cases_sorted_and_constant_queries(
    cast: Cast, client: Client, django_assert_num_queries: object
) -> None:
    c1 = services.open_case(student=cast.student, on=dt.date(2026, 11, 18), by=None)
    services.assign(
        case=services.open_case(child=cast.child, on=TODAY, by=None),
        user=cast.teacher,
        role="village_head",
        on=TODAY,
        by=None,
    )
    login(client, cast.teacher)
    url = reverse("my-cases")
    client.get(url)
    with django_assert_num_queries(5):  # type: ignore[operator]
        body = client.get(url).content.decode()
    assert body.index(cast.student.full_name) < body.index(cast.child.full_name)
    r = client.get(reverse("api-v1:my_cases"))
    assert [row["id"] for row in r.json()][0] == c1.pk
