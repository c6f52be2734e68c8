"""The two-step login and the Content-Security-Policy in a real browser (Debian's
chromium at phone width): an officer logs in with a code from the authenticator app,
another sets the app up at first login, and no page — htmx, charts, the roll call's
scripts — is broken by the policy (violations are collected with the browser's
`securitypolicyviolation` event, and the collector is shown to catch one)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, expect

from dentruong.accounts import totp
from dentruong.accounts.models import Membership, Role, User
from tests.browser import PHONE
from tests.cast import PASSWORD, Cast, build_cast, totp_code

pytestmark = pytest.mark.browser

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' +
                    e.lineNumber);
});
"""


@pytest.fixture
def live_cast(transactional_db: None) -> Cast:
    cast = build_cast()
    newcomer = User.objects.create_user(username="moi", password=PASSWORD, full_name="Cán Bộ Mới")
    Membership.objects.create(user=newcomer, role=Role.COMMUNE_OFFICER, unit=cast.commune)
    return cast


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=PHONE, locale="vi-VN", has_touch=True)
    context.add_init_script(WATCH)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def violations(page: Page) -> list[str]:
    found: list[str] = page.evaluate("window.__csp || []")
    return found


def password_step(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_officer_logs_in_with_a_code_and_no_page_breaks_the_policy(
    page: Page, live_server: object, live_cast: Cast
) -> None:
    base = str(live_server)
    password_step(page, base, "cuc")
    expect(page).to_have_url(f"{base}/login/code/")
    page.get_by_test_id("code").fill("000000")
    page.get_by_test_id("code").press("Enter")
    expect(page.get_by_test_id("code-error")).to_be_visible()
    page.get_by_test_id("code").fill(totp_code("cuc"))
    page.get_by_test_id("code").press("Enter")
    expect(page.locator("h1")).to_contain_text("Xin chào")
    assert violations(page) == []

    # htmx: the student search updates the list as one types
    page.goto(f"{base}/students/")
    page.get_by_label("Tìm theo tên hoặc mã định danh").fill("dang thi")
    expect(page.get_by_test_id("student-row")).to_have_count(1)
    assert violations(page) == []
    unit = live_cast.commune.pk
    for name in ("unit-dashboard", "unit-rates", "unit-risk", "unit-mobilization"):
        page.goto(base + reverse(name, args=[unit]))
        expect(page.locator("h1")).to_be_visible()
        assert violations(page) == [], name
    page.goto(base + reverse("account-security"))
    expect(page.get_by_test_id("two-factor-on")).to_be_visible()
    assert violations(page) == []

    # the collector does catch a violation (an inline style attribute)
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<b style=\"color:red\">x</b>')")
    page.wait_for_function("window.__csp.length > 0")
    assert "style-src" in violations(page)[0]


def test_roll_call_scripts_run_under_the_policy(
    page: Page, live_server: object, live_cast: Cast
) -> None:
    """rollcall-early.js (formerly an inline script) marks the page for JavaScript, and
    rollcall.js works: a tap sets a code."""
    base = str(live_server)
    password_step(page, base, "tam")
    expect(page.locator("h1")).to_contain_text("Xin chào")
    url = reverse("roll-call", args=[live_cast.class_3a.pk])
    page.goto(f"{base}{url}?date=2026-09-07")
    expect(page.locator("html")).to_have_class("js")
    row = page.get_by_test_id("student-row").first
    row.locator(".rc-tap").tap()
    expect(row.get_by_test_id("code")).to_have_text("P")
    assert violations(page) == []


def test_first_login_sets_up_the_app(page: Page, live_server: object, live_cast: Cast) -> None:
    base = str(live_server)
    password_step(page, base, "moi")
    expect(page).to_have_url(f"{base}/login/enrol/")
    key = page.get_by_test_id("totp-key").inner_text()
    expect(page.locator("svg.qr")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the enrolment page is {width}px wide"
    code = totp.totp(totp.secret_bytes(key), time.time())
    page.get_by_test_id("code").fill(code)
    page.get_by_test_id("code").press("Enter")
    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(8)
    page.get_by_test_id("continue").click()
    expect(page.locator("h1")).to_contain_text("Xin chào")
    assert violations(page) == []


def test_roll_call_falls_back_to_the_plain_form_without_rollcall_js(
    context: BrowserContext, page: Page, live_server: object, live_cast: Cast
) -> None:
    """What the inline onerror="" handler did, rollcall-early.js does: rollcall.js fails
    to load → the page is the plain form again."""
    base = str(live_server)
    password_step(page, base, "tam")
    expect(page.locator("h1")).to_contain_text("Xin chào")
    context.route("**/js/rollcall.js", lambda route: route.abort())
    url = reverse("roll-call", args=[live_cast.class_3a.pk])
    page.goto(f"{base}{url}?date=2026-09-07")
    expect(page.get_by_test_id("student-row").first).to_be_visible()
    expect(page.locator("html")).not_to_have_class("js")
    expect(page.locator("select[name^=code-]").first).to_be_visible()
