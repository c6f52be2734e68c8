"""The audit log: reads of a child's record, exports (with their purpose, stamped in the
file), changes (the middleware), immutability on SQLite and PostgreSQL, and the access
history page of a child."""

from __future__ import annotations

import io
import logging
from typing import Any

import openpyxl
import pytest
from django.contrib.admin.sites import site
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import resolve, reverse
from pytest_django import DjangoAssertNumQueries

from dentruong.accounts.models import User
from dentruong.audit import triggers
from dentruong.audit.middleware import AuditMiddleware
from dentruong.audit.models import AuditAction, AuditEvent, AuditLogIsAppendOnly
from dentruong.audit.requests import client_ip, object_of
from dentruong.audit.services import Origin, record_event
from dentruong.imports.views import batch_confirm
from tests.cast import PASSWORD, Cast, make_user

pytestmark = pytest.mark.django_db

PURPOSE = "Rà soát danh sách lớp"


def login(client: Client, user: User) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def only_event() -> AuditEvent:
    events = list(AuditEvent.objects.all())
    assert len(events) == 1, [(e.action, e.view_name) for e in events]
    return events[0]


def last_rows(data: bytes) -> list[tuple[Any, ...]]:
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws is not None
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


# --- reads of a child's record ---------------------------------------------------------------


def test_reading_a_student_page_is_recorded(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    response = client.get(
        reverse("student-detail", args=[cast.student.pk]),
        HTTP_USER_AGENT="Mozilla/5.0 (Android) " + "x" * 400,
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 200
    event = only_event()
    assert (event.user, event.action) == (cast.teacher, AuditAction.VIEW_CHILD)
    assert (event.object_type, event.object_id) == ("student", cast.student.pk)
    assert event.roles == "homeroom_teacher"
    assert (event.method, event.path, event.view_name) == (
        "GET",
        f"/students/{cast.student.pk}/",
        "student-detail",
    )
    assert event.ip == "203.0.113.7"
    assert event.user_agent.startswith("Mozilla/5.0 (Android)") and len(event.user_agent) == 300


def test_reading_a_register_child_and_the_api_gets_are_recorded(cast: Cast, client: Client) -> None:
    login(client, cast.commune_officer)
    assert client.get(reverse("child-detail", args=[cast.child.pk])).status_code == 200
    api_child = reverse("api-v1:get_child", kwargs={"child_id": cast.child.pk})
    assert client.get(api_child).status_code == 200
    api_student = reverse("api-v1:get_student", kwargs={"student_id": cast.student.pk})
    assert client.get(api_student).status_code == 200
    found = list(
        AuditEvent.objects.order_by("pk").values_list("action", "object_type", "object_id")
    )
    assert found == [
        ("view_child", "resident_child", cast.child.pk),
        ("view_child", "resident_child", cast.child.pk),
        ("view_child", "student", cast.student.pk),
    ]


def test_a_child_out_of_scope_records_nothing(cast: Cast, client: Client) -> None:
    login(client, cast.outsider)
    assert client.get(reverse("student-detail", args=[cast.student.pk])).status_code == 404
    api = reverse("api-v1:get_student", kwargs={"student_id": cast.student.pk})
    assert client.get(api).status_code == 404
    assert not AuditEvent.objects.exists()


# --- exports -------------------------------------------------------------------------------


def test_an_export_of_names_asks_why_first(cast: Cast, client: Client) -> None:
    login(client, cast.school_leader)
    url = reverse("export-school", args=[cast.school.pk])
    response = client.get(url, {"year": "2026"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert 'data-testid="purpose-form"' in body
    assert 'name="year" value="2026"' in body  # the same URL comes back with its parameters
    assert f'action="{url}"' in body
    assert not AuditEvent.objects.exists()
    # "Other" chosen, nothing written: refused, said so
    response = client.get(url, {"year": "2026", "purpose": ["", "  "]})
    assert response.status_code == 400
    assert 'data-testid="purpose-error"' in response.content.decode()
    assert not AuditEvent.objects.exists()


def test_an_export_is_recorded_and_names_its_exporter(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    url = reverse("export-class", args=[cast.class_3a.pk])
    # the form's free-text box wins when "Other" is ticked
    response = client.get(url, {"purpose": ["", PURPOSE]}, REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    event = only_event()
    assert (event.user, event.action, event.rows, event.reason) == (
        cast.teacher,
        AuditAction.EXPORT,
        1,
        PURPOSE,
    )
    assert (event.object_type, event.object_id, event.detail) == ("class", cast.class_3a.pk, "xlsx")
    assert event.ip == "198.51.100.4" and event.view_name == "export-class"
    # the file names who took it, when and why: under the table and in its properties
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = last_rows(response.content)
    assert rows[-2] == (None,) * len(rows[-2])  # an empty row, then the stamp
    stamp = rows[-1][0]
    assert "Vàng Thị Tâm (tam)" in stamp and PURPOSE in stamp
    assert event.at.astimezone().strftime("%d/%m/%Y") in stamp
    assert book.properties.creator == "Vàng Thị Tâm (tam)"


def test_the_api_refuses_an_export_of_names_without_purpose(cast: Cast, client: Client) -> None:
    login(client, cast.commune_officer)
    url = reverse("api-v1:export_children_api", kwargs={"commune_id": cast.commune.pk})
    response = client.get(url)
    assert response.status_code == 422
    assert response.json()["errors"]["purpose"][0]["code"] == "required"
    long = client.get(url, {"purpose": "x" * 301})
    assert long.status_code == 422
    assert long.json()["errors"]["purpose"][0]["code"] == "max_length"
    assert not AuditEvent.objects.exists()
    ok = client.get(url, {"purpose": "Điều tra phổ cập"})
    assert ok.status_code == 200
    event = only_event()
    assert (event.action, event.object_type, event.object_id, event.rows, event.reason) == (
        "export",
        "unit",
        cast.commune.pk,
        1,
        "Điều tra phổ cập",
    )
    assert "Hoàng Thị Cúc (cuc)" in last_rows(ok.content)[-1][0]


def test_an_export_without_names_needs_no_purpose(cast: Cast, client: Client) -> None:
    login(client, cast.commune_officer)
    response = client.get(reverse("unit-meetings-xlsx", args=[cast.commune.pk]))
    assert response.status_code == 200
    event = only_event()
    assert (event.action, event.rows, event.reason) == ("export", 0, "")
    assert "Hoàng Thị Cúc (cuc)" in last_rows(response.content)[-1][0]


def test_the_json_sheet_is_recorded_as_an_export(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    url = reverse("api-v1:class_attendance_sheet", kwargs={"class_id": cast.class_3a.pk})
    assert client.get(url, {"month": "2026-11"}).status_code == 200
    event = only_event()
    assert (event.action, event.object_type, event.object_id, event.detail, event.rows) == (
        "export",
        "class",
        cast.class_3a.pk,
        "json",
        1,
    )


def test_a_partner_list_read_is_recorded_with_its_campaign(cast: Cast, client: Client) -> None:
    from dentruong.outreach.tests.factories import partner_list

    shared = partner_list(cast)
    login(client, cast.partner)
    assert client.get(reverse("partner-list", args=[shared.pk])).status_code == 200
    event = only_event()
    assert (event.action, event.object_type, event.object_id, event.reason) == (
        "view_list",
        "partner_list",
        shared.pk,
        shared.name,
    )
    assert event.rows is not None


# --- changes (the middleware) ------------------------------------------------------------------


def test_a_successful_change_is_recorded_with_its_object(cast: Cast, client: Client) -> None:
    login(client, cast.school_leader)
    url = reverse("guardian-add", args=[cast.student.pk])
    secret = "Bí mật 0912000111"
    response = client.post(
        url, {"full_name": secret, "relationship": "mother", "phone": "0912000111"}
    )
    assert response.status_code == 302
    event = only_event()
    assert (event.user, event.action, event.method) == (cast.school_leader, "change", "POST")
    assert (event.view_name, event.url_kwargs) == ("guardian-add", {"pk": cast.student.pk})
    assert (event.object_type, event.object_id) == ("student", cast.student.pk)
    assert event.roles == "school_leader" and event.ip == "127.0.0.1"
    assert secret not in str(AuditEvent.objects.values().get())  # no request body


def test_an_api_change_is_recorded(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    guardian = cast.household.guardians.get()
    url = reverse("api-v1:record_notice_consent", kwargs={"student_id": cast.student.pk})
    body = {"guardian_id": guardian.pk, "channel": "sms", "address": "0912345678"}
    assert client.post(url, body, content_type="application/json").status_code == 201
    event = only_event()
    assert (event.view_name, event.object_type, event.object_id) == (
        "api-v1:record_notice_consent",
        "student",
        cast.student.pk,
    )


def test_failed_anonymous_and_read_requests_are_not_changes(cast: Cast, client: Client) -> None:
    url = reverse("guardian-add", args=[cast.student.pk])
    assert client.post(url, {"full_name": "Kẻ Lạ"}).status_code == 302  # to the login page
    login(client, cast.school_leader)
    assert client.post(url, {"full_name": ""}).status_code == 400  # refused by the form
    login(client, cast.outsider)
    assert client.post(url, {"full_name": "Kẻ Lạ", "relationship": "other"}).status_code == 404
    assert client.get(reverse("student-list")).status_code == 200  # a GET of a list
    assert not AuditEvent.objects.exists()


def test_logging_in_is_not_logged_and_no_password_is_stored(cast: Cast, client: Client) -> None:
    response = client.post(
        reverse("login"), {"username": cast.teacher.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    client.post(reverse("set_language"), {"language": "en"})
    client.post(reverse("logout"))
    assert not AuditEvent.objects.exists()
    login(client, cast.school_leader)
    client.post(
        reverse("guardian-add", args=[cast.student.pk]) + "?next=x",
        {"full_name": "Lò Thị Mai", "relationship": "mother", "password": PASSWORD},
    )
    assert PASSWORD not in str(list(AuditEvent.objects.values()))


def test_a_change_and_its_event_commit_together(
    cast: Cast, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The view and its audit event run in one transaction: when the event cannot be
    written, the change is not written either (a change nobody can account for)."""

    def broken(**kwargs: Any) -> AuditEvent:
        raise DatabaseError("disk full")

    monkeypatch.setattr("dentruong.audit.middleware.record_event", broken)
    login(client, cast.school_leader)
    client.raise_request_exception = False
    response = client.post(
        reverse("guardian-add", args=[cast.student.pk]),
        {"full_name": "Lò Thị Mai", "relationship": "mother"},
    )
    assert response.status_code == 500
    assert not cast.household.guardians.filter(full_name="Lò Thị Mai").exists()


def test_a_change_and_its_event_are_one_commit(cast: Cast, client: Client) -> None:
    login(client, cast.school_leader)
    before = AuditEvent.objects.count()
    response = client.post(
        reverse("guardian-add", args=[cast.student.pk]),
        {"full_name": "Lò Thị Mai", "relationship": "mother"},
    )
    assert response.status_code == 302
    assert cast.household.guardians.filter(full_name="Lò Thị Mai").exists()
    (event,) = AuditEvent.objects.order_by("-pk")[: AuditEvent.objects.count() - before]
    assert (event.action, event.object_type, event.object_id) == (
        AuditAction.CHANGE,
        "student",
        cast.student.pk,
    )


def _post(cast: Cast, name: str, args: list[Any]) -> Any:
    request = RequestFactory().post(reverse(name, args=args))
    request.user = cast.school_leader
    request.resolver_match = resolve(reverse(name, args=args))
    return request


def test_a_view_answering_5xx_leaves_nothing(cast: Cast) -> None:
    request = _post(cast, "guardian-add", [cast.student.pk])

    def fails_after_writing(request: Any, **kwargs: Any) -> HttpResponse:
        cast.household.guardians.create(full_name="Lò Thị Mai", relationship="mother")
        return HttpResponse(status=503)

    middleware = AuditMiddleware(lambda r: HttpResponse())
    response = middleware.process_view(request, fails_after_writing, (), {})
    assert response is not None and response.status_code == 503
    assert not cast.household.guardians.filter(full_name="Lò Thị Mai").exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CHANGE).exists()


def test_a_view_with_its_own_transactions_is_recorded_after_it(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An import keeps its own (long) transaction: the middleware leaves it alone and
    records the change after it; if that insert fails, the change stands and the log
    says so."""
    request = _post(cast, "import-confirm", [1])
    middleware = AuditMiddleware(lambda r: HttpResponse(status=302))
    assert middleware.process_view(request, batch_confirm, (), {"pk": 1}) is None
    assert middleware(request).status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.CHANGE, view_name="import-confirm").exists()

    def broken(**kwargs: Any) -> AuditEvent:
        raise DatabaseError("disk full")

    monkeypatch.setattr("dentruong.audit.middleware.record_event", broken)
    with caplog.at_level(logging.ERROR, logger="dentruong.audit.middleware"):
        assert middleware(_post(cast, "import-confirm", [1])).status_code == 302
    assert "audit: could not record POST" in caplog.text


def test_a_failed_insert_leaves_the_callers_transaction_usable(cast: Cast) -> None:
    """On PostgreSQL a failed statement poisons the transaction; the insert's savepoint
    keeps the middleware's failure from breaking whatever runs after it."""
    with pytest.raises(DatabaseError):
        record_event(user=cast.teacher, action="no-such-action", origin=Origin(path="/"))
    assert User.objects.filter(pk=cast.teacher.pk).exists()


# --- the log cannot be edited ------------------------------------------------------------------


def an_event(cast: Cast) -> AuditEvent:
    return record_event(
        user=cast.teacher,
        action=AuditAction.VIEW_CHILD,
        origin=Origin(method="GET", path="/students/1/"),
        object_type="student",
        object_id=cast.student.pk,
    )


def test_the_application_cannot_change_or_delete_an_event(cast: Cast) -> None:
    event = an_event(cast)
    event.reason = "sửa"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(reason="sửa")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.bulk_update([event], ["reason"])
    event.refresh_from_db()
    assert event.reason == ""


def test_the_database_refuses_update_and_delete(cast: Cast) -> None:
    """Raw SQL, past the ORM: the triggers refuse (SQLite and PostgreSQL)."""
    event = an_event(cast)
    table = AuditEvent._meta.db_table
    for sql in (
        f"UPDATE {table} SET reason = 'sửa' WHERE id = %s",
        f"UPDATE {table} SET user_id = user_id WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, reason="").exists()


def test_triggers_are_installed() -> None:
    """A later migration that rebuilds the table on SQLite drops them: reinstall there."""
    expected = (
        set(triggers.SQLITE_TRIGGERS)
        if connection.vendor == "sqlite"
        else {"audit_event_append_only"}
    )
    assert triggers.installed(connection) == expected


def test_a_user_with_events_cannot_be_deleted(cast: Cast) -> None:
    from django.db.models import ProtectedError

    an_event(cast)
    with pytest.raises(ProtectedError):
        cast.teacher.delete()


def test_the_admin_may_only_look(cast: Cast, client: Client) -> None:
    event = an_event(cast)
    boss = User.objects.create_superuser("boss", "boss@example.invalid", PASSWORD)
    login(client, boss)
    request = RequestFactory().get("/")
    request.user = boss
    model_admin = site._registry[AuditEvent]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    change = reverse("admin:audit_auditevent_change", args=[event.pk])
    assert client.get(change).status_code == 200  # read-only view
    assert client.post(change, {"reason": "sửa"}).status_code == 403
    delete = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, reason="").exists()


# --- the access history of a child -------------------------------------------------------------


def test_the_school_leader_sees_who_saw_the_student(cast: Cast, client: Client) -> None:
    login(client, cast.teacher)
    client.get(reverse("student-detail", args=[cast.student.pk]), REMOTE_ADDR="203.0.113.9")
    client.get(
        reverse("export-class", args=[cast.class_3a.pk]), {"purpose": PURPOSE}
    )  # about the class, not in the student's history
    login(client, cast.school_leader)
    page = client.get(reverse("student-detail", args=[cast.student.pk])).content.decode()
    url = reverse("student-access", args=[cast.student.pk])
    assert f'href="{url}"' in page  # the link, for the leader
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('data-testid="access-row"') == 3  # the teacher, the leader, this page
    assert "Vàng Thị Tâm" in body and "Giáo viên chủ nhiệm" in body and "203.0.113.9" in body
    assert PURPOSE not in body
    newest = AuditEvent.objects.latest("pk")
    assert (newest.action, newest.object_id) == ("view_history", cast.student.pk)


@pytest.mark.parametrize(
    "who", ["teacher", "outsider", "commune_officer", "province_officer", "partner"]
)
def test_nobody_else_sees_a_students_history(cast: Cast, client: Client, who: str) -> None:
    login(client, getattr(cast, who))
    assert client.get(reverse("student-access", args=[cast.student.pk])).status_code == 404
    page = client.get(reverse("student-detail", args=[cast.student.pk])).content.decode()
    assert reverse("student-access", args=[cast.student.pk]) not in page
    assert not AuditEvent.objects.filter(action="view_history").exists()


def test_the_administrator_sees_a_students_history(cast: Cast, client: Client) -> None:
    login(client, cast.admin)
    assert client.get(reverse("student-access", args=[cast.student.pk])).status_code == 200


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("commune_officer", 200),
        ("admin", 200),
        ("province_officer", 404),
        ("school_leader", 404),
        ("outsider", 404),
    ],
)
def test_a_register_childs_history(cast: Cast, client: Client, who: str, status: int) -> None:
    login(client, getattr(cast, who))
    url = reverse("child-access", args=[cast.child.pk])
    assert client.get(url).status_code == status
    if status == 200:
        page = client.get(reverse("child-detail", args=[cast.child.pk])).content.decode()
        assert f'href="{url}"' in page


def test_the_history_page_has_a_fixed_number_of_queries(
    cast: Cast, client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    url = reverse("student-access", args=[cast.student.pk])
    login(client, cast.school_leader)
    client.get(url)  # the session, warmed
    users = [make_user(f"u{i}", f"Người xem {i}") for i in range(4)]
    for i in range(3):
        record_event(
            user=users[i % 4], action="view_child", origin=Origin(), object_type="student",
            object_id=cast.student.pk,
        )  # fmt: skip
    # session, user, scope, student, its school's unit, the insert of this read (in its
    # savepoint: 3), count, page
    with django_assert_num_queries(10) as few:
        assert client.get(url).status_code == 200
    for i in range(80):
        record_event(
            user=users[i % 4], action="view_child", origin=Origin(), object_type="student",
            object_id=cast.student.pk,
        )  # fmt: skip
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('data-testid="access-row"') == 50
    assert client.get(url, {"page": "2"}).content.decode().count('data-testid="access-row"') == 37


# --- pieces ----------------------------------------------------------------------------------


def test_what_a_url_addresses() -> None:
    assert object_of("students/<int:pk>/guardians/", {"pk": 5}) == ("student", 5)
    assert object_of("outreach/children/<int:pk>/case/", {"pk": 7}) == ("resident_child", 7)
    assert object_of("api/v1/classes/<int:class_id>/roll-calls", {"class_id": 3}) == ("class", 3)
    assert object_of(
        "api/v1/students/<int:student_id>/notice-consents/<int:consent_id>/withdraw",
        {"student_id": 4, "consent_id": 9},
    ) == ("student", 4)
    assert object_of("api/v1/resident-children/<int:child_id>", {"child_id": 2}) == (
        "resident_child",
        2,
    )
    assert object_of("students/new/", {}) == ("", None)


def test_client_ip_trusts_only_configured_proxies() -> None:
    factory = RequestFactory()
    forged = factory.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert client_ip(forged) == "203.0.113.5"  # no proxy configured: the header is ignored
    with override_settings(AUDIT_TRUSTED_PROXIES=["127.0.0.1", "10.0.0.0/8"]):
        proxied = factory.get(
            "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.8, 10.0.0.2"
        )
        assert client_ip(proxied) == "198.51.100.8"  # right-most hop not ours
        assert client_ip(forged) == "203.0.113.5"  # not from a trusted proxy
        bad = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="nonsense")
        assert client_ip(bad) == "127.0.0.1"


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_log_and_keeps_the_guard() -> None:
    """`manage.py flush` (and the teardown of every committing test) empties the log; the
    triggers are back afterwards."""
    user = make_user("ghi", "Người Ghi")
    record_event(
        user=user, action="view_child", origin=Origin(), object_type="student", object_id=1
    )
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists() and not User.objects.exists()
    assert triggers.installed(connection) == (
        set(triggers.SQLITE_TRIGGERS)
        if connection.vendor == "sqlite"
        else {"audit_event_append_only"}
    )
    user = make_user("ghi", "Người Ghi")
    event = record_event(
        user=user, action="view_child", origin=Origin(), object_type="student", object_id=1
    )
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [event.pk])
