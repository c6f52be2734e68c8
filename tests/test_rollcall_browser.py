"""The roll call in a real browser: Playwright driving Debian's chromium at 360 × 740, in
Vietnamese. A teacher taps a student to K and saves; and the same with the network cut:
the roll call is kept on the phone, sent when the network is back, exactly once.

Dates come from the cast's calendar, in the past of the real today (term 1 of 2026–27),
passed as ?date= because the live server's clock cannot be frozen from here.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from dentruong.attendance.models import Absence, RollCall
from dentruong.attendance.tests.conftest import add_students
from tests.browser import PHONE, assert_fits_phone, log_in, network_down, network_up, wait_for
from tests.cast import Cast, build_cast

pytestmark = pytest.mark.browser
MONDAY = dt.date(2026, 9, 7)  # term 1 began on Saturday 5 September 2026
TUESDAY = dt.date(2026, 9, 8)
QUEUE = "dentruong:rollcall:"
# Set to a file path to keep a screenshot of the page at 360 px.
SCREENSHOT = os.environ.get("ROLLCALL_SCREENSHOT", "")


@pytest.fixture
def live_cast(transactional_db: None) -> Cast:
    cast = build_cast()
    add_students(cast, cast.class_3a, 5)  # "Lò Văn Học 0…4", after Đặng Thị Ánh
    return cast


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=PHONE, locale="vi-VN", has_touch=True)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def tap(page: Page, name: str, times: int = 1) -> None:
    button = page.get_by_test_id("student-row").filter(has_text=name).locator(".rc-tap")
    for _ in range(times):
        button.tap()


def code_of(page: Page, name: str) -> Locator:
    return page.get_by_test_id("student-row").filter(has_text=name).get_by_test_id("code")


def queued(page: Page) -> list[str]:
    return page.evaluate(f"Object.keys(localStorage).filter(k => k.startsWith({QUEUE!r}))")


def test_teacher_marks_a_student_k_and_saves(
    page: Page, live_server: object, live_cast: Cast
) -> None:
    base = str(live_server)
    log_in(page, base, live_cast.teacher.username)
    link = page.get_by_test_id("roll-call-link")
    expect(link).to_have_text("Điểm danh")
    link.click()
    expect(page.locator("h1")).to_have_text("Điểm danh · lớp 3A")
    assert_fits_phone(page)

    page.goto(f"{base}/classes/{live_cast.class_3a.pk}/roll-call/?date={MONDAY.isoformat()}")
    rows = page.get_by_test_id("student-row")
    expect(rows).to_have_count(6)
    expect(rows.first).to_contain_text("Đặng Thị Ánh")
    counts = page.get_by_test_id("counts")
    expect(counts).to_contain_text("Sĩ số 6")
    expect(counts).to_contain_text("Có mặt 6")

    tap(page, "Đặng Thị Ánh")
    expect(code_of(page, "Đặng Thị Ánh")).to_have_text("P")
    tap(page, "Đặng Thị Ánh")
    expect(code_of(page, "Đặng Thị Ánh")).to_have_text("K")
    expect(page.locator("[data-count=K]")).to_have_text("1")
    expect(page.locator("[data-count=present]")).to_have_text("5")
    reason = rows.first.get_by_test_id("reason")
    expect(reason).to_be_visible()
    expect(rows.nth(1).get_by_test_id("reason")).to_be_hidden()  # present: no reason
    reason.select_option("family")
    # a full cycle comes back to present
    tap(page, "Lò Văn Học 0", 4)
    expect(code_of(page, "Lò Văn Học 0")).to_have_text("✓")
    assert_fits_phone(page)
    if SCREENSHOT:
        Path(SCREENSHOT).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOT)
        page.screenshot(path=SCREENSHOT.replace(".png", "-full.png"), full_page=True)

    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("saved-state")).to_contain_text("Đã điểm danh lúc")
    expect(page.get_by_test_id("saved-state")).to_contain_text("Vàng Thị Tâm")
    expect(page.get_by_test_id("status")).to_have_text("Đã lưu điểm danh.")
    expect(code_of(page, "Đặng Thị Ánh")).to_have_text("K")
    rc = RollCall.objects.get()
    assert (rc.date, rc.session, rc.school_class_id) == (MONDAY, "am", live_cast.class_3a.pk)
    assert list(rc.absences.values_list("student_id", "code", "reason")) == [
        (live_cast.student.pk, "K", "family")
    ]

    # Saving again without a change sends nothing.
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("status")).to_have_text(
        "Không có thay đổi nào so với lần lưu trước."
    )
    # A correction: K → T; the history shows both.
    tap(page, "Đặng Thị Ánh")
    expect(code_of(page, "Đặng Thị Ánh")).to_have_text("T")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("saved-state")).to_contain_text("Sửa lần cuối lúc")
    page.get_by_test_id("history").locator("summary").click()
    expect(page.get_by_test_id("history-line").first).to_contain_text("Đặng Thị Ánh: K → T")
    assert RollCall.objects.get().version == 2
    assert_fits_phone(page)


def test_offline_roll_call_is_sent_once_when_the_network_returns(
    page: Page, context: BrowserContext, live_server: object, live_cast: Cast
) -> None:
    base = str(live_server)
    log_in(page, base, live_cast.teacher.username)
    address = f"{base}/classes/{live_cast.class_3a.pk}/roll-call/?date={TUESDAY.isoformat()}"
    page.goto(address)
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    expect(page.locator("html")).to_have_attribute("data-offline-ready", "yes")

    network_down(context)
    # The page comes back from the service worker's cache, its static files too.
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.locator("h1")).to_have_text("Điểm danh · lớp 3A")
    expect(page.get_by_test_id("student-row")).to_have_count(6)
    tap(page, "Đặng Thị Ánh")  # P
    tap(page, "Lò Văn Học 2", 2)  # K
    page.get_by_test_id("student-row").filter(has_text="Lò Văn Học 2").get_by_test_id(
        "reason"
    ).select_option("working")
    expect(page.locator("[data-count=present]")).to_have_text("4")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("status")).to_have_text("Đã lưu trên máy, sẽ gửi khi có mạng.")
    expect(page.get_by_test_id("pending")).to_contain_text("lớp 3A, ngày 08/09/2026")
    page.get_by_test_id("submit").click()  # a second tap: still one roll call waiting
    assert len(queued(page)) == 1
    key = queued(page)[0]
    kept = page.evaluate("key => localStorage.getItem(key)", key)
    # Still offline, the page opened again shows the marks waiting on the phone.
    page.reload()
    expect(code_of(page, "Đặng Thị Ánh")).to_have_text("P")
    expect(code_of(page, "Lò Văn Học 2")).to_have_text("K")
    expect(page.get_by_test_id("status")).to_have_text("Đã lưu trên máy, sẽ gửi khi có mạng.")
    assert RollCall.objects.count() == 0  # nothing reached the server

    network_up(context)
    assert wait_for(lambda: RollCall.objects.exists()), "the queued roll call was never sent"
    expect(page.get_by_test_id("saved-state")).to_contain_text("Đã điểm danh lúc", timeout=20_000)
    expect(page.get_by_test_id("status")).to_have_text("Đã gửi điểm danh lưu trên máy.")
    assert queued(page) == []
    rc = RollCall.objects.get(school_class=live_cast.class_3a, date=TUESDAY, session="am")
    absences = {
        (a.student.given_name, a.code, a.reason)
        for a in Absence.objects.filter(roll_call=rc).select_related("student")
    }
    assert absences == {("Ánh", "P", "unknown"), ("Học 2", "K", "working")}
    assert rc.version == 1

    # The same submission again (a resend after a lost answer): the server answers 200
    # "duplicate", the queue empties, nothing changes.
    page.evaluate(
        "([key, item]) => localStorage.setItem(key, item)",
        [key, kept],
    )
    with page.expect_response(lambda r: r.url.endswith("/api/v1/roll-calls")) as replay:
        page.reload()
    assert replay.value.status == 200  # 200: already accepted (201 would be a new one)
    # sent, the page reloads itself to show the saved roll call
    expect(page.get_by_test_id("status")).to_have_text("Đã gửi điểm danh lưu trên máy.")
    assert queued(page) == []
    # Reload and save again: still the one roll call.
    page.reload()
    expect(code_of(page, "Đặng Thị Ánh")).to_have_text("P")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("status")).to_have_text(
        "Không có thay đổi nào so với lần lưu trước."
    )
    assert RollCall.objects.count() == 1
    assert RollCall.objects.get().version == 1
    assert Absence.objects.count() == 2
    assert_fits_phone(page)


def test_without_javascript_the_page_is_a_plain_form(
    browser: Browser, live_server: object, live_cast: Cast
) -> None:
    context = browser.new_context(viewport=PHONE, locale="vi-VN", java_script_enabled=False)
    try:
        page = context.new_page()
        base = str(live_server)
        log_in(page, base, live_cast.teacher.username)
        page.goto(f"{base}/classes/{live_cast.class_3a.pk}/roll-call/?date={MONDAY.isoformat()}")
        first = page.get_by_test_id("student-row").first
        first.locator("select[name^=code-]").select_option("K")
        first.get_by_test_id("reason").select_option("sick")
        page.get_by_test_id("submit").click()
        expect(page.get_by_test_id("saved-state")).to_contain_text("Đã điểm danh lúc")
        expect(page.get_by_test_id("message")).to_have_text("Đã lưu điểm danh.")
        assert list(Absence.objects.values_list("student_id", "code", "reason")) == [
            (live_cast.student.pk, "K", "sick")
        ]
        assert_fits_phone(page)
    finally:
        context.close()
