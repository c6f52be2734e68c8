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

from tests.cast import PASSWORD, Cast

# Routes that hold no data of ours and need no scope case.
NO_DATA = {
    "login",
    "logout",
    "set_language",
    "api-v1:openapi-json",
    "api-v1:openapi-view",
    "api-v1:api-root",
    "service-worker",  # /sw.js: code only, no data
}

# name → (url kwargs from the cast, the user who may see it)
OBJECT_ROUTES: dict[str, tuple[Callable[[Cast], dict[str, Any]], str]] = {
    "student-detail": (lambda c: {"pk": c.student.pk}, "teacher"),
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
}
# POST-only object routes: the outsider's write must 404 and change nothing.
POST_ROUTES: dict[str, Callable[[Cast], dict[str, Any]]] = {
    "guardian-add": lambda c: {"pk": c.student.pk},
    "child-link": lambda c: {"pk": c.child.pk},
}
# name → (the user who sees our rows, text of one of our rows)
LIST_ROUTES: dict[str, str] = {
    "home": "commune_officer",
    "student-list": "commune_officer",
    "student-create": "commune_officer",
    "children-list": "commune_officer",
    "api-v1:list_students": "commune_officer",
    "api-v1:create_student": "commune_officer",
    "api-v1:list_schools": "commune_officer",
    "api-v1:list_children": "commune_officer",
    "api-v1:submit_roll_call": "school_leader",
    "api-v1:bulk_submit_roll_calls": "school_leader",
}
# POST-only API routes (JSON body) among LIST_ROUTES: not fetched with GET below; their
# scope tests are test_api_create_is_scoped and dentruong/attendance/tests/test_api.py.
JSON_POST_ROUTES = {
    "api-v1:create_student",
    "api-v1:submit_roll_call",
    "api-v1:bulk_submit_roll_calls",
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
    url = reverse(name, kwargs=kwargs(cast))
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
