"""The staff people screens (居民与队伍) of the PWA in headless Chromium against a live server.

The window clerk registers a resident, reveals her phone (audited), imports a
residents sheet that is refused as a whole for one bad row and then a good one,
and looks at the service groups. Waits are explicit (data-testid / data-state).
"""

from __future__ import annotations

import random
import uuid

import pytest
from playwright.sync_api import FilePayload, Page, expect

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "linli-demo-2026"
CLERK = "13800000004"  # 刘芳, window clerk (community_staff) of 登月社区
BUILDING = "410902001001001B001"  # 登月小区1号楼
VIEWPORT_WIDTH = 360


# --- helpers (log_in_ok as in test_wishes_pwa.py) ----------------------------------------------


def log_in_ok(page: Page, phone: str, password: str = DEMO_PASSWORD) -> None:
    if not page.url.startswith("http"):
        page.goto("/")
    expect(page.get_by_test_id("app-shell")).to_have_attribute("data-view", "login")
    page.get_by_test_id("login-phone").fill(phone)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("app-shell")).to_have_attribute("data-view", "home")
    expect(page.get_by_test_id("role-card").first).to_be_visible()


def unique(name: str) -> str:
    return f"{name}{uuid.uuid4().hex[:4]}"


def random_phone() -> str:
    return "139" + "".join(random.choices("0123456789", k=8))


def masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


def no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= VIEWPORT_WIDTH, f"the page scrolls sideways ({width} px wide)"


def csv_file(text: str) -> FilePayload:
    return {"name": "residents.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8")}


def open_people(page: Page) -> None:
    log_in_ok(page, CLERK)
    page.get_by_test_id("home-people").click()
    expect(page.get_by_test_id("app-shell")).to_have_attribute("data-view", "people")
    expect(page.get_by_test_id("people")).to_have_attribute("data-tab", "residents")


# --- tests -------------------------------------------------------------------------------------


def test_clerk_registers_a_resident_and_reveals_her_phone(page: Page) -> None:
    open_people(page)
    expect(page.get_by_test_id("resident-list")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("resident-item").first).to_be_visible()
    no_horizontal_scroll(page)

    name, phone = unique("测试居民"), random_phone()
    page.get_by_test_id("resident-register").click()
    page.get_by_test_id("resident-name").fill(name)
    page.get_by_test_id("resident-phone").fill(phone)
    page.get_by_test_id("resident-building-code").fill(BUILDING)
    page.get_by_test_id("resident-unit").fill("3单元502")
    page.locator('[data-testid="resident-care-tag"][data-value="elderly_alone"]').check()
    no_horizontal_scroll(page)
    page.get_by_test_id("resident-submit").click()

    item = page.get_by_test_id("resident-item").filter(
        has=page.get_by_test_id("resident-item-name").get_by_text(name, exact=True)
    )
    expect(item).to_have_count(1)
    expect(item.get_by_test_id("resident-phone-masked")).to_have_text(masked(phone))
    expect(item.locator('[data-testid="resident-care-chip"][data-value="elderly_alone"]')).to_be_visible()
    assert phone not in (item.text_content() or "")

    item.get_by_test_id("resident-reveal-phone").click()
    expect(item.get_by_test_id("resident-phone-full")).to_have_text(phone)
    expect(item.get_by_test_id("resident-reveal-notice")).to_have_text("已记录查看")
    no_horizontal_scroll(page)


def test_clerk_imports_residents_all_or_none(page: Page) -> None:
    open_people(page)
    page.get_by_test_id("people-tab-import").click()
    expect(page.get_by_test_id("import-kind-residents")).to_have_attribute("aria-pressed", "true")

    first, second = unique("导入甲"), unique("导入乙")
    phone1, phone2 = random_phone(), random_phone()
    header = "姓名,手机,楼栋编码,单元,关爱标签\n"
    good_row = f"{first},{phone1},{BUILDING},1单元101,独居老人\n"
    bad = header + good_row + f"{second},12345,{BUILDING},1单元102,\n"
    page.get_by_test_id("import-file").set_input_files(csv_file(bad))
    page.get_by_test_id("import-submit").click()

    report = page.get_by_test_id("import-report")
    expect(report).to_have_attribute("data-ok", "false")
    expect(page.get_by_test_id("import-created")).to_have_text("0")
    rejected = page.get_by_test_id("import-rejected-row")
    expect(rejected).to_have_count(1)
    expect(rejected).to_have_attribute("data-row", "3")
    expect(rejected.get_by_test_id("import-rejected-reason")).not_to_be_empty()
    no_horizontal_scroll(page)

    # The good row of the refused sheet was not imported either: both are new now.
    good = header + good_row + f"{second},{phone2},{BUILDING},1单元102,\n"
    page.get_by_test_id("import-file").set_input_files(csv_file(good))
    page.get_by_test_id("import-submit").click()
    expect(report).to_have_attribute("data-ok", "true")
    expect(page.get_by_test_id("import-created")).to_have_text("2")
    expect(page.get_by_test_id("import-updated")).to_have_text("0")
    expect(page.get_by_test_id("import-rejected-row")).to_have_count(0)


def test_clerk_sees_service_groups_volunteers_and_hours(page: Page) -> None:
    open_people(page)
    page.get_by_test_id("people-tab-groups").click()
    expect(page.get_by_test_id("group-list")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("group-item")).to_have_count(10)
    expect(page.get_by_test_id("group-count")).to_have_attribute("data-count", "10")
    page.get_by_test_id("group-add-open").first.click()
    expect(page.get_by_test_id("group-member-select").locator("option")).not_to_have_count(1)
    no_horizontal_scroll(page)

    page.get_by_test_id("people-tab-volunteers").click()
    expect(page.get_by_test_id("volunteer-list")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("volunteer-item").first).to_be_visible()
    no_horizontal_scroll(page)

    page.get_by_test_id("people-tab-hours").click()
    expect(page.get_by_test_id("community-hours-total")).to_be_visible()
    no_horizontal_scroll(page)
