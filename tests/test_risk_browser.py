"""The teacher opens the class's risk list from the roster, at phone width, in Vietnamese."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from dentruong.attendance.services import submit_roll_call
from dentruong.risk import services
from tests.browser import PHONE
from tests.cast import PASSWORD, Cast, build_cast

pytestmark = pytest.mark.browser


@pytest.fixture
def live_cast(transactional_db: None) -> Cast:
    cast = build_cast()
    for day in (dt.date(2026, 11, 2), dt.date(2026, 11, 3), dt.date(2026, 11, 4)):
        submit_roll_call(
            school_class=cast.class_3a,
            date=day,
            session="am",
            marks={cast.student.pk: ("K", "", "")},
            by=cast.teacher,
            client_id=uuid.uuid4(),
        )
    services.compute_risk(path=cast.province.path, day=dt.date(2026, 11, 4), notify=False)
    return cast


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    yield context.new_page()
    context.close()


def test_teacher_sees_reasons_from_the_roster(
    page: Page, live_server: object, live_cast: Cast
) -> None:
    base = str(live_server)
    page.goto(f"{base}/login/")
    page.get_by_label("Tên đăng nhập").fill(live_cast.teacher.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(f"{base}/classes/{live_cast.class_3a.pk}/")
    page.get_by_test_id("risk-link").click()
    row = page.get_by_test_id("risk-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Đặng Thị Ánh")
    expect(row.get_by_test_id("risk-level")).to_have_text("Cao")
    expect(row.get_by_test_id("risk-reasons")).to_contain_text("nghỉ không phép 3 ngày học liền")
    page.screenshot(path="/tmp/risk_class_list.png", full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide on a {PHONE['width']}px phone"
