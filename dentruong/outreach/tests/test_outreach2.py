"""Mentoring, "what works", village meetings and partner case lists, with the cast."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from dentruong.accounts.models import Membership
from dentruong.attendance.services import submit_roll_call
from dentruong.outreach import rules, selectors, services
from dentruong.outreach.models import (
    Case,
    MentorMeeting,
    MentorPair,
    PartnerAccess,
    PartnerCaseList,
    SupportProgramme,
    VillageMeeting,
)
from dentruong.outreach.services import OutreachError
from dentruong.outreach.tests.factories import partner_list
from dentruong.risk.models import RiskAssessment
from tests.cast import PASSWORD, Cast, make_user

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


def _students(cast: Cast, n: int) -> list[object]:
    from dentruong.enrollment.services import enroll_student
    from dentruong.lib.national_id import make_national_id
    from dentruong.people.services import create_student

    out = []
    for i in range(n):
        s = create_student(
            national_id=make_national_id(province=10, birth_year=2018, gender="F", serial=50 + i),
            family_and_middle_name="Lò Thị",
            given_name=f"Mai{i}",
            birth_date=dt.date(2018, 1, 1 + i),
            gender="F",
            ethnicity="09",
            village=cast.village,
        )
        enroll_student(student=s, school_class=cast.class_3a, on=dt.date(2026, 9, 5), by=None)
        out.append(s)
    return out


# --- mentoring ---------------------------------------------------------------------------


def test_fourth_mentee_is_refused(cast: Cast) -> None:
    mentor = make_user("hung", "Vàng A Hùng")
    kids = [cast.student, cast.student_4a, *_students(cast, 2)]
    for kid in kids[:3]:
        services.pair_mentor(mentor=mentor, student=kid, on=TODAY, by=None)  # type: ignore[arg-type]
    with pytest.raises(OutreachError) as err:
        services.pair_mentor(mentor=mentor, student=kids[3], on=TODAY, by=None)  # type: ignore[arg-type]
    assert err.value.code == "mentee_limit"
    assert "3" in err.value.message
    assert MentorPair.objects.filter(mentor=mentor).count() == 3
    # a student has one mentor at a time
    with pytest.raises(OutreachError) as err:
        services.pair_mentor(mentor=cast.teacher, student=cast.student, on=TODAY, by=None)
    assert err.value.code == "already_paired"
    # ending a pair frees a place
    services.end_pair(pair=MentorPair.objects.get(student=cast.student), on=TODAY)
    services.pair_mentor(mentor=mentor, student=kids[3], on=TODAY, by=None)  # type: ignore[arg-type]


def test_mentee_limit_is_a_setting(cast: Cast, settings: object) -> None:
    settings.OUTREACH_MENTEE_LIMIT = 1  # type: ignore[attr-defined]
    services.pair_mentor(mentor=cast.teacher, student=cast.student, on=TODAY, by=None)
    with pytest.raises(OutreachError) as err:
        services.pair_mentor(mentor=cast.teacher, student=cast.student_4a, on=TODAY, by=None)
    assert err.value.code == "mentee_limit"


def test_pairing_joins_the_open_case(cast: Cast) -> None:
    mentor = make_user("hung", "Vàng A Hùng")
    case = services.open_case(student=cast.student, on=TODAY, by=None)
    services.pair_mentor(mentor=mentor, student=cast.student, on=TODAY, by=None)
    assert case.assignments.filter(user=mentor, role="mentor", end__isnull=True).count() == 1


def test_api_fourth_mentee_422_and_nothing_saved(cast: Cast, client: Client) -> None:
    kids = [cast.student, cast.student_4a, *_students(cast, 2)]
    login(client, cast.school_leader)
    url = reverse("api-v1:pair_mentor")
    for kid in kids[:3]:
        r = client.post(
            url, {"mentor_id": cast.teacher.pk, "student_id": kid.pk}, "application/json"
        )
        assert r.status_code == 201
    r = client.post(
        url, {"mentor_id": cast.teacher.pk, "student_id": kids[3].pk}, "application/json"
    )
    assert r.status_code == 422
    assert r.json()["errors"]["mentor"][0]["code"] == "mentee_limit"
    assert MentorPair.objects.count() == 3
    # the outsider cannot pair our student: it does not exist for them
    client.logout()
    login(client, cast.outsider)
    r = client.post(
        url, {"mentor_id": cast.outsider.pk, "student_id": kids[3].pk}, "application/json"
    )
    assert r.status_code == 404


def test_my_mentees_shows_attendance_risk_and_meetings(cast: Cast, client: Client) -> None:
    pair = services.pair_mentor(
        mentor=cast.teacher, student=cast.student, on=dt.date(2026, 11, 2), by=None
    )
    for day, session in [(dt.date(2026, 11, 18), "am"), (dt.date(2026, 11, 19), "am")]:
        submit_roll_call(
            school_class=cast.class_3a,
            date=day,
            session=session,
            marks={cast.student.pk: ("K", "unknown", "")},
            by=cast.teacher,
            client_id=uuid.uuid4(),
        )
    submit_roll_call(
        school_class=cast.class_3a,
        date=dt.date(2026, 11, 17),
        session="am",
        marks={cast.student.pk: ("P", "sick", "")},
        by=cast.teacher,
        client_id=uuid.uuid4(),
    )
    RiskAssessment.objects.create(
        student=cast.student,
        date=dt.date(2026, 11, 19),
        level="high",
        reasons=[{"code": "consecutive_k"}],
        school_class=cast.class_3a,
        unit_path=cast.school.unit.path,
    )
    with pytest.raises(OutreachError) as err:
        services.log_meeting(pair=pair, date=TODAY + dt.timedelta(days=1), notes="x", by=None)
    assert err.value.code == "future_date"
    login(client, cast.teacher)
    r = client.post(
        reverse("mentor-meeting", args=[pair.pk]), {"date": "19/11/2026", "notes": "Nói chuyện"}
    )
    assert r.status_code == 302
    rows = selectors.my_mentees(cast.teacher, TODAY)
    assert len(rows) == 1
    row = rows[0]
    assert (row.absences, row.unexcused, row.left) == (3, 2, 42)
    assert (row.risk_level, row.risk_reasons) == ("high", ["consecutive_k"])
    assert (row.meetings, row.last_meeting) == (1, dt.date(2026, 11, 19))
    body = client.get(reverse("my-mentees")).content.decode()
    assert cast.student.full_name in body
    api = client.get(reverse("api-v1:my_mentees")).json()
    assert api[0]["risk_level"] == "high" and api[0]["absences"] == 3
    # someone else may not log the mentor's meetings
    client.logout()
    login(client, cast.school_leader)
    r = client.post(
        reverse("api-v1:log_mentor_meeting", kwargs={"pair_id": pair.pk}),
        {"date": "2026-11-19"},
        "application/json",
    )
    assert r.status_code == 403
    assert MentorMeeting.objects.count() == 1


# --- "what works" ------------------------------------------------------------------------


def test_what_works_pure_aggregation() -> None:
    F = rules.CaseFacts
    facts = [
        F(1, True, 40, frozenset({"cause:01", "home_visit"})),
        F(1, True, 60, frozenset({"cause:01", "support:bicycle"})),
        F(1, False, None, frozenset({"cause:01"})),
        F(2, True, 10, frozenset({"cause:01"})),
    ]
    rows = {(r.commune_id, r.factor): r for r in rules.what_works(facts)}
    c1 = rows[(1, "cause:01")]
    assert (c1.cases, c1.back, c1.median_days) == (3, 2, 50.0)
    assert c1.share == pytest.approx(2 / 3)
    total = rows[(None, "cause:01")]
    assert (total.cases, total.back, total.median_days) == (4, 3, 40.0)
    assert rows[(1, "support:bicycle")].median_days == 60.0
    assert [r.commune_id for r in rules.what_works(facts)][-1] is None


def _closed_back(cast: Cast, student: object, opened: dt.date, back: dt.date) -> Case:
    case = services.open_case(student=student, on=opened, by=None)  # type: ignore[arg-type]
    services.record_visit(
        case=case,
        client_id=uuid.uuid4(),
        date=opened,
        visitors="Tâm",
        met="bố",
        findings="ở nhà",
        causes=["01"],
        by=None,
    )
    services.complete_step(case=case, step="back_in_school", on=back, by=None)
    services.complete_step(case=case, step="follow_up_60", on=TODAY, by=None)
    return services.close_case(case=case, outcome="back_in_school", on=TODAY, by=None)


def test_what_works_selector_counts_and_constant_queries(
    cast: Cast, client: Client, django_assert_num_queries: object
) -> None:
    a = _closed_back(cast, cast.student, dt.date(2026, 9, 10), dt.date(2026, 9, 30))  # 20 days
    _closed_back(cast, cast.student_4a, dt.date(2026, 9, 10), dt.date(2026, 10, 20))  # 40
    prog = SupportProgramme.objects.create(
        commune=cast.commune, kind="bicycle", name="Xe đạp", measure="items", capacity=5
    )
    services.deliver(
        programme=prog,
        student=cast.student,
        date=dt.date(2026, 9, 20),
        amount=1,
        delivered_by="Cúc",
        by=None,
    )
    services.pair_mentor(
        mentor=cast.teacher, student=cast.student, on=dt.date(2026, 9, 12), by=None
    )
    lost = services.open_case(child=cast.child, on=dt.date(2026, 10, 1), by=None)
    services.close_case(case=lost, outcome="not_back", reason="moved", on=TODAY, by=None)
    from dentruong.outreach.access import cases_for_user

    visible = cases_for_user(cast.commune_officer)
    with django_assert_num_queries(5):  # type: ignore[operator]
        lines = selectors.what_works(visible, cast.province)
    by = {(ln.commune, ln.factor): ln for ln in lines}
    visit = by[("Xã Bát Xát", "home_visit")]
    assert (visit.cases, visit.back, visit.median_days) == (2, 2, 30.0)
    assert by[("Xã Bát Xát", "support:bicycle")].median_days == 20.0
    assert by[("Xã Bát Xát", "mentoring")].cases == 1
    assert ("Xã Bát Xát", "cause:02") not in by
    assert a.outcome == "back_in_school"
    login(client, cast.commune_officer)
    page = client.get(reverse("unit-what-works", args=[cast.commune.pk]))
    assert page.status_code == 200 and "Xã Bát Xát" in page.content.decode()
    api = client.get(reverse("api-v1:unit_what_works", kwargs={"unit_id": cast.commune.pk}))
    assert {r["factor"] for r in api.json()} == {
        "home_visit",
        "cause:01",
        "support:bicycle",
        "mentoring",
    }
    client.logout()
    login(client, cast.teacher)  # not an officer
    assert client.get(reverse("unit-what-works", args=[cast.commune.pk])).status_code in (403, 404)


# --- village meetings --------------------------------------------------------------------


def test_village_meeting_schedule_xlsx(cast: Cast, client: Client) -> None:
    from openpyxl import load_workbook

    login(client, cast.commune_officer)
    r = client.post(
        reverse("meeting-create", args=[cast.commune.pk]),
        {
            "village": cast.village.pk,
            "starts_at": "19/11/2026 18:30",
            "roles": ["commune_leaders", "village_head", "parents"],
            "households": [cast.household.pk],
            "campaign": "Vận động ra lớp",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    meeting = VillageMeeting.objects.get()
    r = client.post(
        reverse("meeting-attendance", args=[meeting.pk]),
        {"came": [cast.household.pk], "notes": "Đủ"},
    )
    assert r.status_code == 302
    # a village of another commune is refused, nothing saved
    r = client.post(
        reverse("meeting-create", args=[cast.commune.pk]),
        {"village": cast.other_village.pk, "starts_at": "19/11/2026 18:30", "roles": ["parents"]},
    )
    assert r.status_code == 400 and VillageMeeting.objects.count() == 1
    xlsx = client.get(reverse("unit-meetings-xlsx", args=[cast.commune.pk]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[1] == ["TT", "Thời gian", "Địa điểm", "Thành phần", "Ghi chú"]
    assert rows[2][0] == 1
    assert rows[2][1] == "Lúc 18 giờ 30 phút, ngày 19/11/2026 (thứ 5)"
    assert rows[2][2] == "Thôn Bản Vược"
    assert rows[2][3].startswith("1. ")
    assert "1" in rows[2][4] and rows[2][4].startswith("Đủ")
    api = client.get(reverse("api-v1:unit_meetings", kwargs={"unit_id": cast.commune.pk})).json()
    assert (api[0]["families"], api[0]["came"]) == (1, 1)


# --- partners ----------------------------------------------------------------------------


def test_partner_list_fields_log_and_end(cast: Cast, client: Client) -> None:
    shared = partner_list(cast)
    login(client, cast.partner)
    url = reverse("partner-list", args=[shared.pk])
    body = client.get(url).content.decode()
    assert cast.student.full_name in body and "Thôn Bản Vược" in body
    api = client.get(reverse("api-v1:partner_list", kwargs={"list_id": shared.pk})).json()
    row = api["rows"][0]
    assert row["village"] == "Thôn Bản Vược" and row["school_class"].startswith("3A")
    assert row["birth_year"] is None  # not among the fields given
    assert set(PartnerAccess.objects.values_list("user__username", "via")) == {
        ("doan", "page"),
        ("doan", "api"),
    }
    # the partner sees no case through the ordinary pages
    assert client.get(reverse("case-detail", args=[row["case_id"]])).status_code == 404
    # after the end date: gone, and nothing logged
    PartnerCaseList.objects.filter(pk=shared.pk).update(until=TODAY - dt.timedelta(days=1))
    assert client.get(url).status_code == 404
    assert PartnerAccess.objects.count() == 2


def test_sharing_a_case_list(cast: Cast, client: Client) -> None:
    case = services.open_case(student=cast.student, on=TODAY, by=None)
    membership = Membership.objects.get(user=cast.partner)
    url = reverse("api-v1:share_with_partner")
    body = {
        "membership_id": membership.pk,
        "name": "Tiếp sức",
        "until": "2027-07-30",
        "case_ids": [case.pk],
    }
    login(client, cast.commune_officer)
    r = client.post(url, body, "application/json")
    assert r.status_code == 422 and r.json()["errors"]["until"][0]["code"] == "after_membership"
    r = client.post(url, body | {"until": "2027-06-30"}, "application/json")
    assert r.status_code == 201
    client.logout()
    login(client, cast.outsider)
    assert client.post(url, body | {"until": "2027-06-30"}, "application/json").status_code in (
        403,
        404,
    )
    assert PartnerCaseList.objects.count() == 1
