"""Sensitive facts (poverty, disability, health) and the register's family situation
reach only the roles that need them (accounts.scopes.SENSITIVE_ROLES): one check per page,
API answer and export that could carry them, with a role that has the right and one
that has not (the province officer sees the children but is not such a role)."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from dentruong.enrollment.services import record_event
from dentruong.people.models import ResidentChild
from dentruong.people.services import update_student
from tests.cast import PASSWORD, Cast

DISABILITY, HEALTH, FAMILY = "Khiếm thị nhẹ", "Hen suyễn nặng", "Mồ côi cha"
PURPOSE = {"purpose": "Kiểm tra"}


@pytest.fixture
def world(cast: Cast) -> Cast:
    """Ánh (poor household) has a disability and a health note, and dropped out; Bình,
    on the register, has a family situation."""
    update_student(student=cast.student, disability=DISABILITY, health_notes=HEALTH)
    record_event(
        student=cast.student,
        kind="dropped_out",
        on=dt.date(2026, 11, 10),
        by=None,
        reason_code="01",
    )
    ResidentChild.objects.filter(pk=cast.child.pk).update(notes=FAMILY)
    return cast


def get(client: Client, user: Any, url: str, params: dict[str, str] | None = None) -> str:
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)
    response = client.get(url, params or {})
    assert response.status_code == 200, (user.username, url, response.status_code)
    content = response.content
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return str([list(r) for ws in book.worksheets for r in ws.iter_rows(values_only=True)])
    if response["Content-Type"].startswith("application/json"):
        return json.dumps(json.loads(content), ensure_ascii=False)
    return content.decode()


def carries(text: str) -> set[str]:
    return {word for word in (DISABILITY, HEALTH, FAMILY, "poor", "Hộ nghèo") if word in text}


def test_student_page(world: Cast, client: Client) -> None:
    url = reverse("student-detail", args=[world.student.pk])
    assert DISABILITY in get(client, world.school_leader, url)
    for user in (world.province_officer, world.partner, world.admin):
        assert carries(get(client, user, url)) == set(), user.username


def test_student_api_never(world: Cast, client: Client) -> None:
    for user in (world.school_leader, world.commune_officer, world.province_officer):
        one = get(client, user, reverse("api-v1:get_student", args=[world.student.pk]))
        listed = get(client, user, reverse("api-v1:list_students"))
        assert carries(one) == carries(listed) == set(), user.username


def test_out_of_school_page_xlsx_and_api(world: Cast, client: Client) -> None:
    pk = world.commune.pk
    for name, kwargs in (
        ("unit-out-of-school", {"pk": pk}),
        ("unit-out-of-school-xlsx", {"pk": pk}),
        ("api-v1:unit_out_of_school", {"unit_id": pk}),
    ):
        url = reverse(name, kwargs=kwargs)
        assert {DISABILITY, FAMILY} <= carries(get(client, world.commune_officer, url, PURPOSE))
        assert carries(get(client, world.province_officer, url, PURPOSE)) == set(), name


def test_register_export_page_and_api(world: Cast, client: Client) -> None:
    for url in (
        reverse("export-children", args=[world.commune.pk]),
        reverse("api-v1:export_children_api", args=[world.commune.pk]),
    ):
        assert FAMILY in get(client, world.commune_officer, url, PURPOSE)
        assert carries(get(client, world.province_officer, url, PURPOSE)) == set(), url


def test_register_child_page(world: Cast, client: Client) -> None:
    url = reverse("child-detail", args=[world.child.pk])
    assert FAMILY in get(client, world.commune_officer, url)
    assert carries(get(client, world.province_officer, url)) == set()


def test_class_and_school_exports_never(world: Cast, client: Client) -> None:
    record_event(  # back in 3A, so that the lists have Ánh
        student=world.student,
        kind="returned",
        on=dt.date(2026, 11, 16),
        by=None,
        school_class=world.class_3a,
        eligible_to_continue=True,
        eligibility_note="Đủ điều kiện",
    )
    for user, url in (
        (world.teacher, reverse("export-class", args=[world.class_3a.pk])),
        (world.school_leader, reverse("export-school", args=[world.school.pk])),
        (world.teacher, reverse("api-v1:export_class_api", args=[world.class_3a.pk])),
    ):
        text = get(client, user, url, PURPOSE)
        assert "Ánh" in text and carries(text) == set(), url
