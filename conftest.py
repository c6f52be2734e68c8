from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from tests.cast import Cast, build_cast


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher() -> Iterator[None]:
    """Tests log in a lot; the production hasher is deliberately slow."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def _calendars_read_fresh() -> Iterator[None]:
    """Tests edit calendars and reuse ids after rollbacks: no per-process copies
    (orgs/calendar.py), except in the test of those copies."""
    with override_settings(CALENDAR_CACHE_SECONDS=0):
        yield


@pytest.fixture
def cast(db: None) -> Cast:
    return build_cast()
