"""Browser tests: Playwright driving Debian's chromium at phone width, in Vietnamese."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import PHONE, assert_fits_phone, log_in
from tests.cast import Cast, build_cast

pytestmark = pytest.mark.browser


@pytest.fixture
def live_cast(transactional_db: None) -> Cast:
    return build_cast()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    yield context.new_page()
    context.close()


def test_teacher_sees_only_their_class(page: Page, live_server: object, live_cast: Cast) -> None:
    base = str(live_server)
    log_in(page, base, live_cast.teacher.username)
    expect(page.get_by_test_id("role")).to_contain_text("Giáo viên chủ nhiệm")
    assert_fits_phone(page)
    page.get_by_role("link", name="3A").click()
    rows = page.get_by_test_id("roster-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Đặng Thị Ánh")
    assert_fits_phone(page)

    page.goto(f"{base}/students/")
    expect(page.get_by_test_id("student-row")).to_have_count(1)
    body = page.locator("main").inner_text()
    assert "Nguyễn Văn An" not in body and "Sùng A Páo" not in body
    # Out of scope looks like "does not exist".
    response = page.goto(f"{base}/students/{live_cast.other_student.pk}/")
    assert response is not None and response.status == 404


def test_commune_officer_sees_the_commune(page: Page, live_server: object, live_cast: Cast) -> None:
    base = str(live_server)
    log_in(page, base, live_cast.commune_officer.username)
    expect(page.get_by_test_id("student-count")).to_have_text("2")
    page.goto(f"{base}/students/")
    rows = page.get_by_test_id("student-row")
    expect(rows).to_have_count(2)
    # Vietnamese roster order: An before Ánh.
    expect(rows.nth(0)).to_contain_text("Nguyễn Văn An")
    expect(rows.nth(1)).to_contain_text("Đặng Thị Ánh")
    assert_fits_phone(page)

    page.get_by_label("Tìm theo tên hoặc mã định danh").fill("dang thi")
    expect(page.get_by_test_id("student-row")).to_have_count(1)
    expect(page.get_by_test_id("student-row").first).to_contain_text("Đặng Thị Ánh")

    page.goto(f"{base}/children/")
    expect(page.get_by_test_id("child-row")).to_have_count(1)
    expect(page.get_by_test_id("child-row").first).to_contain_text("Đặng Văn Bình")
    assert "Sùng Thị Mỷ" not in page.locator("main").inner_text()
    assert_fits_phone(page)


def test_bad_input_gets_vietnamese_errors(page: Page, live_server: object, live_cast: Cast) -> None:
    base = str(live_server)
    log_in(page, base, live_cast.school_leader.username)
    page.goto(f"{base}/students/{live_cast.student.pk}/edit/")
    page.get_by_label("Mã định danh cá nhân").fill("12345")
    page.get_by_label("Ngày sinh").fill("31/02/2018")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_test_id("error-national_id")).to_contain_text("12 chữ số")
    expect(page.get_by_test_id("error-birth_date")).to_be_visible()
    assert_fits_phone(page)


def test_english_switch(page: Page, live_server: object, live_cast: Cast) -> None:
    base = str(live_server)
    log_in(page, base, live_cast.commune_officer.username)
    page.get_by_role("button", name="EN").click()
    expect(page.locator("h1")).to_contain_text("Hello")
    expect(page.get_by_role("link", name="Students", exact=True)).to_be_visible()
