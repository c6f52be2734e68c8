"""The monthly attendance sheet on a phone: Playwright driving Debian's chromium at
360 × 740, in Vietnamese. The grid scrolls sideways inside its box, the page itself does
not, and the name column stays in view while the days scroll.

October 2026 (term 1 of the cast's calendar) lies in the past of the real today, so the
roll calls can be submitted for it whatever day the test runs.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from dentruong.attendance.services import submit_roll_call
from dentruong.attendance.tests.conftest import add_students, fresh, uid
from tests.browser import PHONE, assert_fits_phone, log_in
from tests.cast import Cast, build_cast

pytestmark = pytest.mark.browser
MONDAY = dt.date(2026, 10, 5)
# Set to a file path to keep a screenshot of the sheet at 360 px.
SCREENSHOT = os.environ.get("SHEET_SCREENSHOT", "")


@pytest.fixture
def live_cast(transactional_db: None) -> Cast:
    cast = build_cast()
    add_students(cast, cast.class_3a, 5)
    school_class = fresh(cast.class_3a)
    for day, marks in (
        (MONDAY, {cast.student.pk: ("K", "", "")}),
        (MONDAY + dt.timedelta(days=1), {cast.student.pk: ("P", "sick", "")}),
    ):
        submit_roll_call(
            school_class=school_class,
            date=day,
            session="am",
            marks=marks,
            by=cast.teacher,
            client_id=uid(),
        )
    return cast


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=PHONE, locale="vi-VN", has_touch=True)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def test_sheet_on_a_phone(page: Page, live_server: object, live_cast: Cast) -> None:
    base = str(live_server)
    log_in(page, base, live_cast.teacher.username)
    page.goto(f"{base}/classes/{live_cast.class_3a.pk}/")
    page.get_by_test_id("sheet-link").click()
    expect(page.locator("h1")).to_contain_text("Sổ điểm danh")
    page.goto(f"{base}/classes/{live_cast.class_3a.pk}/attendance/2026-10/")
    expect(page.locator("h1")).to_contain_text("tháng 10/2026")
    rows = page.get_by_test_id("sheet-row")
    expect(rows).to_have_count(6)
    first = rows.first
    expect(first.locator("th")).to_contain_text("Đặng Thị Ánh")
    cells = first.locator("td")
    expect(cells.nth(4)).to_have_text("K")  # 5 October
    expect(cells.nth(5)).to_have_text("P")
    expect(cells.nth(4)).to_be_visible()
    assert_fits_phone(page)  # the grid scrolls in its box, not the page

    box = page.get_by_test_id("sheet-scroll")
    wide = box.evaluate("el => el.scrollWidth > el.clientWidth")
    assert wide, "31 days should not fit on a 360 px phone"
    name = first.locator("th")
    before = name.bounding_box()
    box.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    page.wait_for_timeout(100)
    after = name.bounding_box()
    assert before and after and abs(after["x"] - before["x"]) < 1, "the name column is sticky"
    expect(name).to_be_in_viewport()
    expect(page.get_by_test_id("legend")).to_contain_text("nghỉ không phép")
    if SCREENSHOT:
        box.evaluate("el => { el.scrollLeft = 0; }")
        page.screenshot(path=SCREENSHOT, full_page=True)
