"""Outreach in a real browser: Playwright driving Debian's chromium at 360 × 740, in
Vietnamese.

- A home visit recorded with the network cut: the teacher opens "my cases" online (the
  service worker keeps it and her case pages), the network goes, she opens the case and
  records the visit; it waits on the phone and is sent when the network is back, exactly
  once, also when sent again.
- The whole way of a case (issue 6): a student crosses the absence threshold on the roll
  call page, the nightly job opens a case, the teacher logs a visit offline, the commune
  records a bicycle, the student's attendance returns, the follow-ups pass, the case
  closes as "back in school" and counts in the "what works" table.

Dates lie in the past of the real today (the cast's term 1 of 2026–27): the live server's
clock cannot be frozen from here; the nightly job runs here with explicit dates.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Page, expect

from dentruong.outreach import services
from dentruong.outreach.models import Case, CaseAlert, HomeVisit, SupportDelivery
from dentruong.outreach.tests.factories import programme
from tests.browser import PHONE, assert_fits_phone, log_in, network_down, network_up, wait_for
from tests.cast import Cast, build_cast

pytestmark = pytest.mark.browser
QUEUE = "dentruong:visit:"
SENT = "Đã lưu trên máy, sẽ gửi khi có mạng."  # the queued state's words


@pytest.fixture
def live_cast(transactional_db: None) -> Cast:
    return build_cast()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=PHONE, locale="vi-VN", has_touch=True)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def queued(page: Page) -> list[str]:
    return page.evaluate(f"Object.keys(localStorage).filter(k => k.startsWith({QUEUE!r}))")


def keep_my_cases(page: Page, base: str) -> None:
    """Open "my cases" online and wait until the service worker keeps the case pages."""
    page.goto(f"{base}/outreach/cases/mine/")
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    expect(page.locator("html")).to_have_attribute("data-offline-ready", "yes")
    expect(page.get_by_test_id("cases-offline")).to_be_visible()


def fill_visit(page: Page, day: dt.date, findings: str, causes: list[str]) -> None:
    form = page.get_by_test_id("visit-form")
    form.locator("input[name=date]").fill(day.isoformat())
    form.locator("input[name=visitors]").fill("Vàng Thị Tâm")
    form.locator("input[name=met]").fill("Đặng Văn Sử (bố)")
    form.locator("textarea[name=findings]").fill(findings)
    for label in causes:
        form.get_by_label(label).check()
    form.locator("textarea[name=agreed]").fill("Bố cho em đi học lại từ thứ Hai")


def record_visit_offline(page: Page, context: BrowserContext, base: str, case: Case) -> None:
    """With the network cut: the case page from the phone, a visit queued on it."""
    network_down(context)
    page.get_by_test_id("case-row").filter(has_text="Đặng Thị Ánh").get_by_role("link").click()
    expect(page.locator("h1")).to_have_text("Hồ sơ · Đặng Thị Ánh")
    assert page.url == f"{base}/outreach/cases/{case.pk}/"
    fill_visit(
        page,
        max(case.opened_on, dt.date(2026, 9, 11)),
        "Em phải ở nhà trông em, đường lên trường bị sạt",
        ["Hoàn cảnh kinh tế gia đình khó khăn", "Xa trường, đi lại khó khăn"],
    )
    page.get_by_test_id("visit-submit").click()
    status = page.get_by_test_id("visit-status")
    expect(status).to_have_text(SENT)
    expect(status).to_have_attribute("data-state", "queued")
    expect(page.get_by_test_id("visit-pending")).to_contain_text("Đặng Thị Ánh")
    assert len(queued(page)) == 1
    assert not HomeVisit.objects.exists()


def test_offline_visit_is_sent_once_when_the_network_returns(
    page: Page, context: BrowserContext, live_server: object, live_cast: Cast
) -> None:
    base = str(live_server)
    case = services.open_case(student=live_cast.student, on=dt.date(2026, 11, 2), by=None)
    log_in(page, base, live_cast.teacher.username)
    keep_my_cases(page, base)

    record_visit_offline(page, context, base, case)
    # A second tap on the emptied form queues nothing more: it says what is missing.
    page.get_by_test_id("visit-submit").click()
    expect(page.get_by_test_id("visit-status")).to_have_attribute("data-state", "error")
    assert len(queued(page)) == 1
    key = queued(page)[0]
    kept = page.evaluate("key => localStorage.getItem(key)", key)
    # Still offline, the page opened again from the phone shows the visit waiting.
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.get_by_test_id("visit-pending")).to_contain_text("Đang lưu trên máy, chờ gửi:")
    page.goto(f"{base}/outreach/cases/mine/")  # "my cases" too, from the phone
    expect(page.get_by_test_id("visit-pending")).to_contain_text("Đặng Thị Ánh")
    page.get_by_test_id("case-row").get_by_role("link").click()
    assert not HomeVisit.objects.exists()

    network_up(context)
    assert wait_for(lambda: HomeVisit.objects.exists()), "the queued visit was never sent"
    status = page.get_by_test_id("visit-status")
    expect(status).to_have_attribute("data-state", "sent", timeout=20_000)
    expect(page.get_by_test_id("visit")).to_contain_text("Em phải ở nhà trông em")
    assert queued(page) == []
    visit = HomeVisit.objects.get()
    assert (visit.case_id, visit.date, visit.recorded_by_id) == (
        case.pk,
        dt.date(2026, 11, 2),
        live_cast.teacher.pk,
    )
    assert sorted(visit.causes.values_list("code", flat=True)) == ["01", "03"]
    assert case.steps.get(kind="home_visit").done_on == dt.date(2026, 11, 2)

    # The same visit sent again (a resend after a lost answer): 200 "already recorded",
    # the queue empties, nothing is added.
    page.evaluate("([key, item]) => localStorage.setItem(key, item)", [key, kept])
    with page.expect_response(lambda r: r.url.endswith(f"/cases/{case.pk}/visits")) as replay:
        page.reload()
    assert replay.value.status == 200  # already recorded (201 would be a new visit)
    expect(page.get_by_test_id("visit-status")).to_have_attribute("data-state", "sent")
    assert queued(page) == []
    page.reload()
    assert HomeVisit.objects.count() == 1
    expect(page.get_by_test_id("visit")).to_have_count(1)
    assert_fits_phone(page)


# --- the whole way of a case --------------------------------------------------------------

K_DAYS = (dt.date(2026, 9, 7), dt.date(2026, 9, 8), dt.date(2026, 9, 9))  # Mon–Wed
BACK = (dt.date(2026, 9, 16), dt.date(2026, 9, 17))  # present again


def roll_call(page: Page, base: str, cast: Cast, day: dt.date, absent: bool) -> None:
    page.goto(f"{base}/classes/{cast.class_3a.pk}/roll-call/?date={day.isoformat()}")
    row = page.get_by_test_id("student-row").filter(has_text="Đặng Thị Ánh")
    if absent:
        row.locator(".rc-tap").tap()
        row.locator(".rc-tap").tap()
        expect(row.get_by_test_id("code")).to_have_text("K")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("saved-state")).to_contain_text("Đã điểm danh lúc")


def mark_step(page: Page, step: str, day: dt.date) -> None:
    form = page.get_by_test_id("step-form")
    form.locator("select[name=step]").select_option(step)
    form.locator("input[name=on]").fill(day.isoformat())
    form.get_by_role("button").click()
    done = page.locator(f"[data-testid=step-row][data-step={step}] [data-testid=step-state]")
    expect(done).to_have_text(f"✓ {day:%d/%m/%Y}")


def nightly(day: dt.date) -> dict[str, Any]:
    """`manage.py run_outreach` as the night of `day` runs it (every rule, 3 absences)."""
    out = io.StringIO()
    call_command("run_outreach", "--date", day.isoformat(), "--absences", "3", stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def test_a_case_from_the_absences_to_what_works(
    browser: Browser,
    page: Page,
    context: BrowserContext,
    live_server: object,
    live_cast: Cast,
) -> None:
    base = str(live_server)
    bikes = programme(live_cast)  # Xe đạp 2026: 5 bicycles for Bát Xát

    # 1. Three unexcused absences in a row on the roll call page; the nightly job opens
    # a case, the homeroom teacher its assignee.
    log_in(page, base, live_cast.teacher.username)
    for day in K_DAYS:
        roll_call(page, base, live_cast, day, absent=True)
    opened = nightly(K_DAYS[-1])
    assert opened["opened"]["absences"] == 1
    case = Case.objects.get(student=live_cast.student)
    assert (case.origin, case.status, case.opened_on) == ("absences", "open", K_DAYS[-1])
    assert list(case.assignments.values_list("user_id", "role")) == [
        (live_cast.teacher.pk, "homeroom_teacher")
    ]

    # 2. The teacher's visit, recorded in the village without network, sent later.
    keep_my_cases(page, base)
    expect(page.get_by_test_id("case-row")).to_contain_text("Nghỉ không phép liên tiếp")
    record_visit_offline(page, context, base, case)
    network_up(context)
    assert wait_for(lambda: HomeVisit.objects.filter(case=case).exists())
    expect(page.get_by_test_id("visit-status")).to_have_attribute(
        "data-state", "sent", timeout=20_000
    )
    mark_step(page, "analysis", dt.date(2026, 9, 14))

    # 3. The commune officer records a bicycle for Ánh from the case page.
    officer = browser.new_context(viewport=PHONE, locale="vi-VN")
    try:
        cuc = officer.new_page()
        log_in(cuc, base, live_cast.commune_officer.username)
        cuc.goto(f"{base}/outreach/cases/{case.pk}/")
        form = cuc.get_by_test_id("support-form")
        form.locator("select[name=programme]").select_option(str(bikes.pk))
        form.locator("input[name=date]").fill("2026-09-15")
        form.locator("input[name=amount]").fill("1")
        form.locator("input[name=delivered_by]").fill("UBND xã Bát Xát")
        form.get_by_role("button").click()
        expect(cuc.get_by_test_id("support-row")).to_contain_text("Xe đạp 2026")
        mark_step(cuc, "action_plan", dt.date(2026, 9, 15))
        delivery = SupportDelivery.objects.get()
        assert (delivery.case_id, delivery.student_id) == (case.pk, live_cast.student.pk)

        # 4. Ánh is back: present at the roll calls; the teacher marks her return.
        for day in BACK:
            roll_call(page, base, live_cast, day, absent=False)
        page.goto(f"{base}/outreach/cases/{case.pk}/")
        mark_step(page, "back_in_school", BACK[0])

        # 5. The follow-ups pass: the nightly job finds nothing late, opens nothing new;
        # the teacher marks each follow-up.
        follow_ups = (
            (dt.date(2026, 10, 16), "follow_up_30"),
            (dt.date(2026, 11, 15), "follow_up_60"),
        )
        for day, step in follow_ups:
            night = nightly(day)
            assert night["opened"]["absences"] == 0
            mark_step(page, step, day)
        nightly(dt.date(2026, 11, 16))
        assert not CaseAlert.objects.filter(case=case).exists()
        assert not case.steps.filter(late_since__isnull=False).exists()

        # 6. Closed: back in school and still there at the last follow-up.
        close = page.get_by_test_id("close-form")
        close.locator("select[name=outcome]").select_option("back_in_school")
        close.locator("input[name=on]").fill("2026-11-16")
        close.get_by_role("button").click()
        expect(page.get_by_test_id("case-status")).to_have_text("Đã đóng")
        expect(page.get_by_test_id("case-outcome")).to_have_text(
            "Đã trở lại lớp và vẫn đi học ở lần theo dõi cuối"
        )
        assert_fits_phone(page)

        # 7. It counts in the commune's "what works": the bicycle, the visit, the causes.
        cuc.goto(f"{base}/outreach/units/{live_cast.commune.pk}/what-works/")
        rows = cuc.get_by_test_id("works-row").filter(has_text="Xã Bát Xát")
        for label in ("Xe đạp", "Thăm gia đình", "Xa trường, đi lại khó khăn"):
            row = rows.filter(has_text=label)
            expect(row).to_have_count(1)
            cells = row.locator("td")
            expect(cells.nth(2)).to_have_text("1")  # closed cases
            expect(cells.nth(3)).to_have_text("1")  # back and stayed
            expect(cells.nth(4)).to_have_text("100")
            expect(cells.nth(5)).to_have_text("7,0")  # days, 9/9 → 16/9
    finally:
        officer.close()
    case.refresh_from_db()
    assert (case.status, case.outcome, case.closed_on) == (
        "closed",
        "back_in_school",
        dt.date(2026, 11, 16),
    )
