"""The API fuzzed from its own OpenAPI schema (schemathesis → Hypothesis), in-process
through the WSGI app on the test database: every operation, valid and invalid inputs,
as a user with scope (the cast's school leader and homeroom teacher) and as the
outsider. The check that must hold: no server error (no 5xx) for any input.

Bounded and reproducible: derandomized Hypothesis (the same cases every run), at most
EXAMPLES per operation and user, no deadline. Path ids are the cast's own objects
half of the time (ours and the neighbouring commune's), so the operations get past the
404 of a random id. One test per user walks every operation (one cast for all; the
schemathesis pytest plugin's lazy mode does not run on pytest 9), and reports every
failing operation at once. The number of cases tried is printed (`pytest -s`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.cast import PASSWORD, Cast

# Cases per operation and kind of input (valid, invalid), by user: about 75 operations,
# so some 1,600 cases in all, under two minutes on the 2-core machine.
EXAMPLES = {"school_leader": 5, "teacher": 3, "outsider": 3}
CSRF = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"  # a 32-character secret, as Django's cookie holds
TRIED: Counter[str] = Counter()

HYPOTHESIS = settings(
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure shows its own case
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    print(f"\nAPI fuzz cases tried: {dict(TRIED)}, total {sum(TRIED.values())}")


@pytest.fixture
def cookies(cast: Cast) -> dict[str, dict[str, str]]:
    """A logged-in session of each user of these tests (in this test's transaction)."""
    out = {}
    for key in ("school_leader", "teacher", "outsider"):
        client = Client()
        assert client.login(username=getattr(cast, key).username, password=PASSWORD)
        out[key] = {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF}
    return out


def known_ids(cast: Cast) -> dict[str, list[int]]:
    """The cast's objects by path parameter name: ours first, then the neighbour's."""
    return {
        "class_id": [cast.class_3a.pk, cast.class_4a.pk, cast.other_class.pk],
        "student_id": [cast.student.pk, cast.student_4a.pk, cast.other_student.pk],
        "school_id": [cast.school.pk, cast.other_school.pk],
        "unit_id": [cast.commune.pk, cast.province.pk, cast.village.pk, cast.other_commune.pk],
        "commune_id": [cast.commune.pk, cast.other_commune.pk],
        "child_id": [cast.child.pk, cast.other_child.pk],
        "pk": [cast.student.pk, cast.class_3a.pk],
    }


def fire(case: Any, cast: Cast, cookies: dict[str, str]) -> None:
    ids = known_ids(cast)
    for name, value in list((case.path_parameters or {}).items()):
        if name in ids and isinstance(value, int) and value % 2 == 0:
            case.path_parameters[name] = ids[name][value // 2 % len(ids[name])]
    response = case.call(
        cookies=cookies, headers={"X-CSRFToken": CSRF, "Referer": "http://localhost/"}
    )
    case.validate_response(response, checks=[not_a_server_error])


def fuzz(cast: Cast, cookies: dict[str, str], who: str) -> list[str]:
    """Every operation, valid then invalid inputs; the failures, as text."""
    from dentruong.wsgi import application

    failures: list[str] = []
    # As django.test.Client does: a request must not close the test's connection (inside
    # the test's transaction, close_old_connections closes it: PostgreSQL then answers
    # "the connection is closed" to every later query). Fetching the schema is one.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
        _fuzz_operations(schema, cast, cookies, who, failures)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return failures


def _fuzz_operations(
    schema: Any, cast: Cast, cookies: dict[str, str], who: str, failures: list[str]
) -> None:
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            tried = 0

            @settings(HYPOTHESIS, max_examples=EXAMPLES[who])
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                nonlocal tried
                tried += 1
                fire(case, cast, cookies)

            try:
                run()
            except Unsatisfiable:
                pass  # no invalid input can be built for this operation (no parameters)
            except (Exception, BaseExceptionGroup) as failure:  # reported below, all at once
                failures.append(f"{operation.label} ({mode}): {failure}"[:3000])
            TRIED[who] += tried


@pytest.mark.parametrize("who", ["school_leader", "teacher", "outsider"])
def test_no_server_error_for_any_input(cast: Cast, who: str) -> None:
    client = Client()
    assert client.login(username=getattr(cast, who).username, password=PASSWORD)
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF}
    failures = fuzz(cast, cookies, who)
    assert not failures, "\n\n".join(failures)


# --- regressions of what the fuzzing found ------------------------------------------------


def test_an_id_beyond_64_bits_is_a_client_error(cast: Cast) -> None:
    """SQLite cannot bind it (OverflowError → was a 500); PostgreSQL compares it."""
    client = Client()
    assert client.login(username=cast.teacher.username, password=PASSWORD)
    huge = 10**30
    response = client.get(f"/api/v1/students/{huge}")
    assert response.status_code in (404, 422), response.content
    if response.status_code == 422:
        assert response.json()["errors"]["__all__"][0]["code"] == "out_of_range"
    bulk = client.post(
        "/api/v1/roll-calls/bulk",
        {"items": [{"class_id": huge, "date": "2026-11-20", "session": "am",
                    "client_id": "0b6f1c1e-7d1a-4a5b-9a3e-2f1d2c3b4a59", "marks": []}]},
        content_type="application/json",
    )  # fmt: skip
    assert bulk.status_code in (200, 422), bulk.content


def test_the_database_unavailable_is_a_retryable_503(cast: Cast, monkeypatch: Any) -> None:
    from django.db import OperationalError

    from dentruong.attendance import services

    def down(**kwargs: Any) -> None:
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(services, "submit_roll_call", down)
    client = Client()
    assert client.login(username=cast.teacher.username, password=PASSWORD)
    response = client.post(
        "/api/v1/roll-calls",
        {"class_id": cast.class_3a.pk, "date": "2026-11-20", "session": "am",
         "client_id": "6d1e3f0a-2b4c-4d5e-8f90-a1b2c3d4e5f6", "marks": []},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    error = response.json()["errors"]["__all__"][0]
    assert error["code"] == "unavailable" and error["message"]


def test_database_errors_met_by_a_middleware_are_a_503_too() -> None:
    """handler500 (dentruong/front/errors.py): the login policy middleware reads the
    session before any view; a PostgreSQL restart there was a 500 page."""
    from django.db import OperationalError
    from django.test import RequestFactory

    from dentruong.front.errors import server_error

    def answer(path: str, error: Exception) -> Any:
        try:
            raise error
        except Exception:
            return server_error(RequestFactory().get(path))

    down = OperationalError("FATAL: the database system is shutting down")
    api = answer("/api/v1/roll-calls", down)
    assert api.status_code == 503 and api["Retry-After"] == "1"
    assert b'"code": "unavailable"' in api.content
    page = answer("/classes/1/roll-call/", down)
    assert page.status_code == 503 and b"<h1>" in page.content
    assert answer("/classes/1/", KeyError("a bug")).status_code == 500
