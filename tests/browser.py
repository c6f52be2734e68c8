"""Shared set-up for browser tests: Debian's chromium, driven by Playwright, phone-sized."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made there
# by fixtures are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}
# As root, without a sandbox; and no background traffic: this machine's network is closed.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# While "offline", the API of the live server refuses too. Chromium's offline emulation
# alone is not enough: a document just opened from the service worker (a new renderer)
# can run its first request before Playwright has applied offline mode, routes and
# request events to it; seen in CI and reproduced here about 1 run in 8, a queued visit
# then reached the server unseen. The refusal is a 503, which the pages keep and retry,
# as they do when the network fails.
api_down = threading.Event()
_refusing_installed = False


def _install_refusal() -> None:
    global _refusing_installed
    if _refusing_installed:
        return
    from django.core.handlers.wsgi import WSGIHandler

    serve = WSGIHandler.__call__

    def refusing(self: WSGIHandler, environ: Any, start_response: Any) -> Any:
        if api_down.is_set() and str(environ.get("PATH_INFO", "")).startswith("/api/"):
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"detail": "the network is down (test)"}']
        return serve(self, environ, start_response)

    WSGIHandler.__call__ = refusing  # type: ignore[method-assign]
    _refusing_installed = True


def network_down(context: Any) -> None:
    """Cut the phone's network (and, behind it, the live server's API)."""
    _install_refusal()
    api_down.set()
    context.set_offline(True)


def network_up(context: Any) -> None:
    context.set_offline(False)
    api_down.clear()


def log_in(page: Page, base: str, username: str) -> None:
    """Log in through the login page; officers also give their authenticator app's code."""
    # Here, not at the top: tests/conftest.py imports this module before Django is set up.
    from dentruong.accounts.models import TOTPDevice
    from tests.cast import PASSWORD, totp_code

    page.goto(f"{base}/login/")
    expect(page.locator("h1")).to_have_text("Đăng nhập")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    if TOTPDevice.objects.filter(user__username=username).exists():
        # officers: the second step, the code of their authenticator app (tests/cast.py)
        expect(page).to_have_url(f"{base}/login/code/")
        page.get_by_test_id("code").fill(totp_code(username))
        page.get_by_test_id("code").press("Enter")
    expect(page.locator("h1")).to_contain_text("Xin chào")


def assert_fits_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide on a {PHONE['width']}px phone"


def wait_for(predicate: Callable[[], object], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False
