"""Every page and API operation, walked mechanically: the outsider (a commune officer of
the neighbouring commune) gets 404 for each of our objects, the right user gets it.

A route missing from ROUTE_CASES fails `test_every_route_has_a_case`, so a new page
cannot ship without its scope test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dentruong.enrollment.tests.factories import pending_transfer
from dentruong.imports.tests.factories import class_batch
from dentruong.mobilization.tests.factories import pending_match
from dentruong.outreach.tests.factories import (
    mentor_pair,
    open_case,
    partner_list,
    programme,
    village_meeting,
)
from dentruong.privacy.tests.factories import answered_access_request, rights_request
from dentruong.reports.tests.factories import submission, weekly_schedule
from dentruong.risk.tests.factories import risk_flag
from tests.cast import PASSWORD, Cast

# Routes that hold no data of ours and need no scope case.
NO_DATA = {
    "login",
    "logout",
    "login-code",  # the pending user's own second step (dentruong/accounts/tests)
    "login-enrol",  # the pending user's own authenticator app
    "admin-login",  # a redirect to "login"
    "recovery-codes",  # POST: the requester's own new codes (accounts/tests/test_views.py)
    "set_language",
    "api-v1:openapi-json",
    "api-v1:openapi-view",
    "api-v1:api-root",
    "service-worker",  # /sw.js: code only, no data
}

# name → (url kwargs from the cast, the user who may see it)
OBJECT_ROUTES: dict[str, tuple[Callable[[Cast], dict[str, Any]], str]] = {
    "case-detail": (lambda c: {"pk": open_case(c).pk}, "teacher"),
    "unit-cases": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "student-support": (lambda c: {"pk": c.student.pk}, "teacher"),
    "api-v1:get_case": (lambda c: {"case_id": open_case(c).pk}, "teacher"),
    "api-v1:student_support": (lambda c: {"student_id": c.student.pk}, "teacher"),
    "unit-what-works": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "unit-meetings": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "unit-meetings-xlsx": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "partner-list": (lambda c: {"pk": partner_list(c).pk}, "partner"),
    "api-v1:unit_what_works": (lambda c: {"unit_id": c.commune.pk}, "commune_officer"),
    "api-v1:unit_meetings": (lambda c: {"unit_id": c.commune.pk}, "commune_officer"),
    "api-v1:partner_list": (lambda c: {"list_id": partner_list(c).pk}, "partner"),
    "student-detail": (lambda c: {"pk": c.student.pk}, "teacher"),
    "student-access": (lambda c: {"pk": c.student.pk}, "school_leader"),
    "child-access": (lambda c: {"pk": c.child.pk}, "commune_officer"),
    "student-edit": (lambda c: {"pk": c.student.pk}, "school_leader"),
    "class-roster": (lambda c: {"pk": c.class_3a.pk}, "teacher"),
    "roll-call": (lambda c: {"pk": c.class_3a.pk}, "teacher"),
    "child-detail": (lambda c: {"pk": c.child.pk}, "commune_officer"),
    "api-v1:get_student": (lambda c: {"student_id": c.student.pk}, "teacher"),
    "api-v1:class_students": (lambda c: {"class_id": c.class_3a.pk}, "teacher"),
    "api-v1:get_child": (lambda c: {"child_id": c.child.pk}, "commune_officer"),
    "api-v1:class_roll_calls": (lambda c: {"class_id": c.class_3a.pk}, "teacher"),
    "api-v1:class_attendance_summary": (lambda c: {"class_id": c.class_3a.pk}, "teacher"),
    "api-v1:unit_attendance_rates": (lambda c: {"unit_id": c.commune.pk}, "commune_officer"),
    "api-v1:unit_roll_call_completeness": (
        lambda c: {"unit_id": c.commune.pk},
        "commune_officer",
    ),
    "api-v1:unit_absence_lists": (lambda c: {"unit_id": c.commune.pk}, "commune_officer"),
    "api-v1:class_notices": (lambda c: {"class_id": c.class_3a.pk}, "teacher"),
    "api-v1:student_notice_consents": (lambda c: {"student_id": c.student.pk}, "teacher"),
    "attendance-sheet-now": (lambda c: {"pk": c.class_3a.pk}, "teacher"),
    "attendance-sheet": (lambda c: {"pk": c.class_3a.pk, "month": "2026-11"}, "teacher"),
    "attendance-sheet-xlsx": (lambda c: {"pk": c.class_3a.pk, "month": "2026-11"}, "teacher"),
    "school-attendance-xlsx": (
        lambda c: {"pk": c.school.pk, "month": "2026-11"},
        "school_leader",
    ),
    "api-v1:class_attendance_sheet": (lambda c: {"class_id": c.class_3a.pk}, "teacher"),
    "api-v1:school_attendance_sheets": (lambda c: {"school_id": c.school.pk}, "school_leader"),
    "unit-completeness": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "unit-rates": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "unit-absence-lists": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "school-transfers": (lambda c: {"pk": c.school.pk}, "school_leader"),
    "unit-dropouts": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "api-v1:student_events": (lambda c: {"student_id": c.student.pk}, "teacher"),
    "api-v1:school_transfers": (lambda c: {"school_id": c.school.pk}, "school_leader"),
    "api-v1:unit_dropouts": (lambda c: {"unit_id": c.commune.pk}, "commune_officer"),
    "api-v1:unit_destinations": (lambda c: {"unit_id": c.commune.pk}, "commune_officer"),
    "api-v1:unit_lost_transfers": (lambda c: {"unit_id": c.commune.pk}, "commune_officer"),
    "api-v1:unit_headcount_check": (lambda c: {"unit_id": c.commune.pk}, "commune_officer"),
    "import-class": (lambda c: {"pk": c.class_3a.pk}, "teacher"),
    "import-school": (lambda c: {"pk": c.school.pk}, "school_leader"),
    "import-children": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "import-batch": (lambda c: {"pk": class_batch(c).pk}, "teacher"),
    "export-class": (lambda c: {"pk": c.class_3a.pk}, "teacher"),
    "export-school": (lambda c: {"pk": c.school.pk}, "school_leader"),
    "export-children": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "api-v1:get_import": (lambda c: {"import_id": class_batch(c).pk}, "teacher"),
    "api-v1:export_class_api": (lambda c: {"class_id": c.class_3a.pk}, "teacher"),
    "api-v1:export_school_api": (lambda c: {"school_id": c.school.pk}, "school_leader"),
    "api-v1:export_children_api": (lambda c: {"commune_id": c.commune.pk}, "commune_officer"),
    "class-risk": (lambda c: {"pk": c.class_3a.pk}, "teacher"),
    "unit-risk": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "unit-risk-evaluation": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "student-risk": (lambda c: {"pk": c.student.pk}, "teacher"),
    "api-v1:class_risk": (lambda c: {"class_id": c.class_3a.pk}, "teacher"),
    "api-v1:unit_risk": (lambda c: {"unit_id": c.commune.pk}, "commune_officer"),
    "api-v1:unit_risk_models": (lambda c: {"unit_id": c.commune.pk}, "commune_officer"),
    "api-v1:student_risk": (lambda c: {"student_id": c.student.pk}, "teacher"),
    "api-v1:student_risk_flags": (lambda c: {"student_id": c.student.pk}, "teacher"),
    "school-targets": (lambda c: {"pk": c.school.pk}, "school_leader"),
    "unit-mobilization": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "unit-mobilization-names": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "unit-out-of-school": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "unit-out-of-school-xlsx": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "unit-matches": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "api-v1:school_targets": (lambda c: {"school_id": c.school.pk}, "school_leader"),
    "api-v1:unit_mobilization": (lambda c: {"unit_id": c.commune.pk}, "commune_officer"),
    "api-v1:unit_mobilization_names": (lambda c: {"unit_id": c.commune.pk}, "commune_officer"),
    "api-v1:unit_out_of_school": (lambda c: {"unit_id": c.commune.pk}, "commune_officer"),
    "api-v1:unit_matches": (lambda c: {"unit_id": c.commune.pk}, "commune_officer"),
    "schedule-status": (lambda c: {"pk": weekly_schedule(c).pk}, "commune_officer"),
    "report-submit": (
        lambda c: {"pk": weekly_schedule(c).pk, "unit_pk": c.school.unit.pk},
        "school_leader",
    ),
    "submission-detail": (lambda c: {"pk": submission(c).pk}, "commune_officer"),
    "submission-export": (lambda c: {"pk": submission(c).pk, "fmt": "docx"}, "school_leader"),
    "unit-dashboard": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "schedule-create": (lambda c: {"pk": c.commune.pk}, "commune_officer"),
    "api-v1:report_schedule_status": (
        lambda c: {"schedule_id": weekly_schedule(c).pk},
        "commune_officer",
    ),
    "api-v1:report_unit_figures": (
        lambda c: {"schedule_id": weekly_schedule(c).pk, "unit_id": c.school.unit.pk},
        "school_leader",
    ),
    "api-v1:get_report_submission": (
        lambda c: {"submission_id": submission(c).pk},
        "commune_officer",
    ),
    "rights-request-detail": (lambda c: {"pk": rights_request(c).pk}, "school_leader"),
    "rights-request-export": (lambda c: {"pk": answered_access_request(c).pk}, "school_leader"),
    "student-rights-request": (lambda c: {"pk": c.student.pk}, "school_leader"),
    "child-rights-request": (lambda c: {"pk": c.child.pk}, "commune_officer"),
    "api-v1:rights_request_detail": (
        lambda c: {"request_id": rights_request(c).pk},
        "school_leader",
    ),
}
# Query strings an insider's GET needs: the API's exports of names want a purpose (422
# without; the pages answer the "why" form, 200). The outsider still gets 404 first.
QUERIES = {
    "api-v1:export_class_api": "?purpose=Ki%E1%BB%83m+tra",
    "api-v1:export_school_api": "?purpose=Ki%E1%BB%83m+tra",
    "api-v1:export_children_api": "?purpose=Ki%E1%BB%83m+tra",
}
# POST-only object routes: the outsider's write must 404 and change nothing.
POST_ROUTES: dict[str, Callable[[Cast], dict[str, Any]]] = {
    "case-step": lambda c: {"pk": open_case(c).pk},
    "case-visit": lambda c: {"pk": open_case(c).pk},
    "case-close": lambda c: {"pk": open_case(c).pk},
    "case-support": lambda c: {"pk": open_case(c).pk},
    "student-case-open": lambda c: {"pk": c.student.pk},
    "child-case-open": lambda c: {"pk": c.child.pk},
    "programme-deliver": lambda c: {"pk": programme(c).pk},
    "mentor-meeting": lambda c: {"pk": mentor_pair(c).pk},
    "student-mentor": lambda c: {"pk": c.student.pk},
    "meeting-create": lambda c: {"pk": c.commune.pk},
    "meeting-attendance": lambda c: {"pk": village_meeting(c).pk},
    "student-event-add": lambda c: {"pk": c.student.pk},
    "transfer-confirm": lambda c: {"pk": pending_transfer(c).pk},
    "transfer-decline": lambda c: {"pk": pending_transfer(c).pk},
    "guardian-add": lambda c: {"pk": c.student.pk},
    "import-confirm": lambda c: {"pk": class_batch(c).pk},
    "api-v1:confirm_import_api": lambda c: {"import_id": class_batch(c).pk},
    "child-link": lambda c: {"pk": c.child.pk},
    "risk-flag-add": lambda c: {"pk": c.student.pk},
    "risk-flag-clear": lambda c: {"pk": risk_flag(c).pk},
    "api-v1:clear_risk_flag": lambda c: {"flag_id": risk_flag(c).pk},
    "match-accept": lambda c: {"pk": pending_match(c).pk},
    "match-reject": lambda c: {"pk": pending_match(c).pk},
    "rights-request-act": lambda c: {"pk": rights_request(c).pk},
}
# name → (the user who sees our rows, text of one of our rows)
LIST_ROUTES: dict[str, str] = {
    "my-cases": "teacher",
    "outreach-programmes": "commune_officer",
    "api-v1:my_cases": "teacher",
    "api-v1:list_programmes": "commune_officer",
    "api-v1:open_case": "teacher",
    "api-v1:complete_case_step": "teacher",
    "api-v1:close_case": "teacher",
    "api-v1:assign_case": "teacher",
    "api-v1:record_visit": "teacher",
    "api-v1:deliver": "commune_officer",
    "my-mentees": "teacher",
    "api-v1:my_mentees": "teacher",
    "api-v1:pair_mentor": "teacher",
    "api-v1:log_mentor_meeting": "teacher",
    "api-v1:plan_village_meeting": "commune_officer",
    "api-v1:share_with_partner": "commune_officer",
    "api-v1:record_student_event": "school_leader",
    "api-v1:record_graduate_destination": "school_leader",
    "api-v1:confirm_transfer": "school_leader",
    "api-v1:decline_transfer": "school_leader",
    "home": "commune_officer",
    "account-security": "commune_officer",  # the requester's own account only
    "password-change": "commune_officer",
    "student-list": "commune_officer",
    "student-create": "commune_officer",
    "children-list": "commune_officer",
    "api-v1:list_students": "commune_officer",
    "api-v1:create_student": "commune_officer",
    "api-v1:list_schools": "commune_officer",
    "api-v1:list_children": "commune_officer",
    "api-v1:submit_roll_call": "school_leader",
    "api-v1:bulk_submit_roll_calls": "school_leader",
    "api-v1:record_notice_consent": "teacher",
    "api-v1:withdraw_notice_consent": "teacher",
    "import-home": "commune_officer",
    "api-v1:create_import": "teacher",
    "api-v1:add_risk_flag": "teacher",
    "api-v1:set_school_targets": "school_leader",
    "api-v1:accept_match": "commune_officer",
    "api-v1:reject_match": "commune_officer",
    "reports-home": "commune_officer",
    "api-v1:report_definitions": "commune_officer",
    "api-v1:list_report_schedules": "commune_officer",
    "api-v1:create_report_schedule": "commune_officer",
    "api-v1:submit_report": "school_leader",
    "rights-requests": "commune_officer",
    "api-v1:rights_request_queue": "commune_officer",
    "api-v1:register_student_rights_request": "school_leader",
    "api-v1:register_child_rights_request": "commune_officer",
}
# POST-only API routes (JSON body) among LIST_ROUTES: not fetched with GET below; their
# scope tests are test_api_create_is_scoped, test_notice_consent_writes_are_scoped and
# dentruong/attendance/tests/test_api.py.
JSON_POST_ROUTES = {
    "api-v1:open_case",  # test_outreach_writes_are_scoped
    "api-v1:complete_case_step",
    "api-v1:close_case",
    "api-v1:assign_case",
    "api-v1:record_visit",
    "api-v1:deliver",
    "api-v1:pair_mentor",  # dentruong/outreach/tests/test_outreach2.py
    "api-v1:log_mentor_meeting",
    "api-v1:plan_village_meeting",
    "api-v1:share_with_partner",
    "api-v1:record_student_event",
    "api-v1:record_graduate_destination",
    "api-v1:confirm_transfer",
    "api-v1:decline_transfer",
    "api-v1:create_student",
    "api-v1:submit_roll_call",
    "api-v1:bulk_submit_roll_calls",
    "api-v1:record_notice_consent",
    "api-v1:withdraw_notice_consent",
    "api-v1:create_import",  # multipart; dentruong/imports/tests/test_api.py
    "api-v1:add_risk_flag",  # dentruong/risk/tests/test_views.py
    "api-v1:set_school_targets",  # dentruong/mobilization/tests/test_pages_api.py
    "api-v1:accept_match",
    "api-v1:reject_match",
    "api-v1:create_report_schedule",  # test_report_writes_are_scoped
    "api-v1:submit_report",  # test_report_writes_are_scoped
    "api-v1:register_student_rights_request",  # dentruong/privacy/tests/test_api.py
    "api-v1:register_child_rights_request",
}


def walk(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.app_name == "admin":
                continue
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}{p.name}"


def login(client: Client, username: str) -> Client:
    assert client.login(username=username, password=PASSWORD)
    return client


def test_every_route_has_a_case() -> None:
    names = set(walk(get_resolver().url_patterns))
    covered = NO_DATA | set(OBJECT_ROUTES) | set(POST_ROUTES) | set(LIST_ROUTES)
    assert names - covered == set(), "routes without a scope test"
    assert covered - names == set(), "scope cases for routes that no longer exist"


@pytest.mark.parametrize("name", sorted(OBJECT_ROUTES))
def test_outsider_gets_404_and_insider_gets_it(cast: Cast, client: Client, name: str) -> None:
    kwargs, insider = OBJECT_ROUTES[name]
    url = reverse(name, kwargs=kwargs(cast)) + QUERIES.get(name, "")
    login(client, cast.outsider.username)
    assert client.get(url).status_code == 404
    client.logout()
    login(client, getattr(cast, insider).username)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("name", sorted(OBJECT_ROUTES))
def test_anonymous_gets_nothing(cast: Cast, client: Client, name: str) -> None:
    kwargs, _ = OBJECT_ROUTES[name]
    response = client.get(reverse(name, kwargs=kwargs(cast)))
    assert response.status_code in (302, 401)
    assert cast.student.given_name not in response.content.decode()


@pytest.mark.parametrize("name", sorted(POST_ROUTES))
def test_outsider_cannot_write(cast: Cast, client: Client, name: str) -> None:
    login(client, cast.outsider.username)
    url = reverse(name, kwargs=POST_ROUTES[name](cast))
    before = (cast.household.guardians.count(), cast.child.student_id)
    response = client.post(
        url,
        {
            "full_name": "Kẻ Lạ",
            "relationship": "other",
            "phone": "",
            "national_id": cast.other_student.national_id,
        },
    )
    assert response.status_code == 404
    cast.child.refresh_from_db()
    assert (cast.household.guardians.count(), cast.child.student_id) == before


@pytest.mark.parametrize("name", sorted(n for n in LIST_ROUTES if n not in JSON_POST_ROUTES))
def test_lists_never_leak(cast: Cast, client: Client, name: str) -> None:
    url = reverse(name)
    login(client, cast.outsider.username)
    body = client.get(url).content.decode()
    for ours in (
        cast.student.given_name,
        cast.student_4a.full_name,
        cast.child.full_name,
        cast.school.name,
    ):
        assert ours not in body
    client.logout()
    login(client, getattr(cast, LIST_ROUTES[name]).username)
    assert client.get(url).status_code == 200


def test_api_create_is_scoped(cast: Cast, client: Client) -> None:
    """The outsider cannot create a student in our village: it does not exist for them."""
    login(client, cast.outsider.username)
    payload = {
        "national_id": "010218000777",
        "family_and_middle_name": "Lò Văn",
        "given_name": "Tú",
        "birth_date": "02/03/2018",
        "gender": "M",
        "ethnicity": "03",
        "village_id": cast.village.pk,
    }
    response = client.post(
        reverse("api-v1:create_student"), payload, content_type="application/json"
    )
    assert response.status_code == 422
    assert "village" in response.json()["errors"]


def test_notice_consent_writes_are_scoped(cast: Cast, client: Client) -> None:
    """The outsider can neither record nor withdraw a consent of our guardians (404, no
    change); the homeroom teacher can."""
    from dentruong.notices.models import NoticeConsent

    guardian = cast.household.guardians.get()
    record = reverse("api-v1:record_notice_consent", kwargs={"student_id": cast.student.pk})
    body = {"guardian_id": guardian.pk, "channel": "sms", "address": "0912345678"}
    login(client, cast.outsider.username)
    assert client.post(record, body, content_type="application/json").status_code == 404
    assert not NoticeConsent.objects.exists()
    client.logout()
    login(client, cast.teacher.username)
    created = client.post(record, body, content_type="application/json")
    assert created.status_code == 201, created.content
    withdraw = reverse(
        "api-v1:withdraw_notice_consent",
        kwargs={"student_id": cast.student.pk, "consent_id": created.json()["id"]},
    )
    client.logout()
    login(client, cast.outsider.username)
    assert client.post(withdraw).status_code == 404
    assert NoticeConsent.objects.get().withdrawn_at is None
    client.logout()
    login(client, cast.teacher.username)
    assert client.post(withdraw).status_code == 200
    assert NoticeConsent.objects.get().withdrawn_at is not None


def test_enrollment_writes_are_scoped(cast: Cast, client: Client) -> None:
    """The outsider cannot record an event, a destination, or decide a transfer of ours
    (404, nothing written); the school leaders can."""
    from dentruong.enrollment.models import EnrollmentEvent, Transfer

    transfer = pending_transfer(cast)
    event = EnrollmentEvent.objects.filter(student=cast.student).first()
    assert event is not None
    cases = [
        (
            "api-v1:record_student_event",
            {"student_id": cast.student.pk},
            {"kind": "dropped_out", "date": "2026-10-05", "reason_code": "01"},
            201,
        ),
        (
            "api-v1:record_graduate_destination",
            {"event_id": event.pk},
            {"destination": "thpt"},
            422,
        ),  # insider: refused, Ánh is no graduate
        ("api-v1:decline_transfer", {"transfer_id": transfer.pk}, {"reason": "Nhầm trường"}, 200),
    ]
    before = (EnrollmentEvent.objects.count(), Transfer.objects.filter(status="pending").count())
    login(client, cast.outsider.username)
    for name, kwargs, body, _ in cases + [
        (
            "api-v1:confirm_transfer",
            {"transfer_id": transfer.pk},
            {"class_id": cast.class_3a.pk, "date": "2026-10-02"},
            0,
        )
    ]:
        response = client.post(reverse(name, kwargs=kwargs), body, content_type="application/json")
        assert response.status_code == 404, name
    assert (
        EnrollmentEvent.objects.count(),
        Transfer.objects.filter(status="pending").count(),
    ) == before
    client.logout()
    for name, kwargs, body, status in cases:
        user = "school_leader" if "transfer" not in name else "thcs_leader"
        if user == "thcs_leader":
            from dentruong.accounts.models import Membership, Role
            from tests.cast import make_user

            leader = make_user("hieu", "Lò Văn Hiếu")
            Membership.objects.create(
                user=leader, role=Role.SCHOOL_LEADER, unit=transfer.to_school.unit
            )
            login(client, "hieu")
        else:
            login(client, cast.school_leader.username)
        response = client.post(reverse(name, kwargs=kwargs), body, content_type="application/json")
        assert response.status_code == status, (name, response.content)
        client.logout()


def test_report_writes_are_scoped(cast: Cast, client: Client) -> None:
    """The outsider can neither create a schedule on our commune nor submit our school's
    report (404, nothing written); the commune officer and the school leader can."""
    from dentruong.reports.models import ReportSchedule, Submission

    schedule = weekly_schedule(cast)
    create = reverse("api-v1:create_report_schedule")
    body = {
        "name": "Báo cáo tháng",
        "report": "dropouts",
        "unit_id": cast.commune.pk,
        "reporter_kind": "school",
        "recurrence": "monthly",
        "day_of_month": 5,
        "due_time": "17:00",
        "start_date": "2026-09-01",
    }
    submit = reverse(
        "api-v1:submit_report",
        kwargs={"schedule_id": schedule.pk, "unit_id": cast.school.unit.pk},
    )
    report = {"due": "2026-11-16T10:00:00+07:00", "assessment": "Tốt"}
    login(client, cast.outsider.username)
    assert client.post(create, body, content_type="application/json").status_code == 404
    assert client.post(submit, report, content_type="application/json").status_code == 404
    assert (ReportSchedule.objects.count(), Submission.objects.count()) == (1, 0)
    client.logout()
    login(client, cast.commune_officer.username)
    response = client.post(create, body, content_type="application/json")
    assert response.status_code == 201, response.content
    # the commune officer is not the school's leader
    assert client.post(submit, report, content_type="application/json").status_code == 403
    client.logout()
    login(client, cast.school_leader.username)
    response = client.post(submit, report, content_type="application/json")
    assert response.status_code == 201, response.content


def test_outreach_writes_are_scoped(cast: Cast, client: Client) -> None:
    """The outsider's well-formed writes on our case, student and programme: 404 each,
    and nothing changes."""
    from dentruong.outreach.models import Case, CaseEvent, HomeVisit, SupportDelivery

    case, prog = open_case(cast), programme(cast)
    before = (
        Case.objects.count(),
        CaseEvent.objects.count(),
        HomeVisit.objects.count(),
        SupportDelivery.objects.count(),
    )
    day = "2026-11-20"
    writes = [
        ("api-v1:open_case", {}, {"student_id": cast.student.pk}),
        ("api-v1:complete_case_step", {"case_id": case.pk}, {"step": "visit", "on": day}),
        (
            "api-v1:close_case",
            {"case_id": case.pk},
            {"outcome": "not_back", "on": day, "reason": "moved"},
        ),
        (
            "api-v1:assign_case",
            {"case_id": case.pk},
            {"user_id": cast.outsider.pk, "role": "mentor"},
        ),
        (
            "api-v1:record_visit",
            {"case_id": case.pk},
            {
                "client_id": "6f1c2a3b-1d2e-4f50-8a9b-0c1d2e3f4a5b",
                "date": day,
                "visitors": "Kẻ Lạ",
                "met": "Mẹ",
                "findings": "…",
                "causes": ["01"],
            },
        ),
        (
            "api-v1:deliver",
            {"programme_id": prog.pk},
            {"student_id": cast.student.pk, "date": day, "amount": 1, "delivered_by": "Kẻ Lạ"},
        ),
    ]
    login(client, cast.outsider.username)
    for name, kwargs, body in writes:
        response = client.post(reverse(name, kwargs=kwargs), body, content_type="application/json")
        assert response.status_code == 404, (name, response.status_code, response.content)
    after = (
        Case.objects.count(),
        CaseEvent.objects.count(),
        HomeVisit.objects.count(),
        SupportDelivery.objects.count(),
    )
    assert after == before
