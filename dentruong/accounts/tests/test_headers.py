"""Security headers on every response, and templates the Content-Security-Policy can
serve: no inline script, style attribute or event handler."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.cast import PASSWORD, Cast


def test_pages_carry_the_policy(cast: Cast, client: Client) -> None:
    client.force_login(cast.teacher)
    for url in (
        reverse("home"),
        reverse("login"),
        reverse("roll-call", args=[cast.class_3a.pk]),
        reverse("api-v1:list_students"),
        "/admin/",
    ):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self';" in csp, url
        assert "style-src 'self';" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "camera=()" in response["Permissions-Policy"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_http_only_and_lax(cast: Cast, client: Client) -> None:
    response = client.post("/login/", {"username": "tam", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == settings.SESSION_COOKIE_AGE


TEMPLATES = sorted((Path(settings.BASE_DIR) / "templates").rglob("*.html"))
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"), "script"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style[\s>]", re.I), "style element"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_templates_need_nothing_inline(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for pattern, what in INLINE:
        found = pattern.search(text)
        assert found is None, f"{what} in {path.name}: {found and found.group(0)} (decision 0011)"
