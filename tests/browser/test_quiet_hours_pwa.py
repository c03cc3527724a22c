"""Quiet hours (免打扰时段) in the PWA, in headless Chromium against a live server.

The community admin opens the screen from home, sees the defaults, changes the
window and switches it off and on; a refused change (start equal to end) shows
the server's reason. The window clerk has no such card. Waits are explicit.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import log_in_ok

pytestmark = pytest.mark.browser

ADMIN = "13800000003"  # 登月社区 community admin
CLERK = "13800000004"  # 登月社区 window clerk


def test_the_admin_sets_quiet_hours(page: Page) -> None:
    log_in_ok(page, ADMIN)
    page.get_by_test_id("home-quiet-hours").click()
    expect(page.get_by_test_id("app-shell")).to_have_attribute("data-view", "quiet-hours")
    form = page.get_by_test_id("quiet-form")
    expect(form).to_be_visible()
    expect(page.get_by_test_id("quiet-start")).to_have_value("21:30")
    expect(page.get_by_test_id("quiet-end")).to_have_value("07:30")
    expect(page.get_by_test_id("quiet-enabled")).to_be_checked()

    page.get_by_test_id("quiet-start").fill("22:15")
    page.get_by_test_id("quiet-end").fill("06:45")
    page.get_by_test_id("quiet-save").click()
    expect(form).to_have_attribute("data-state", "saved")
    expect(page.get_by_test_id("quiet-defaults")).to_have_count(0)

    # Kept: the screen opened again shows the new window.
    page.reload()
    expect(page.get_by_test_id("quiet-start")).to_have_value("22:15")
    expect(page.get_by_test_id("quiet-end")).to_have_value("06:45")

    # A window of no length is refused with the server's reason, in the user's language.
    page.get_by_test_id("quiet-end").fill("22:15")
    page.get_by_test_id("quiet-save").click()
    expect(form).to_have_attribute("data-state", "error")
    expect(page.get_by_test_id("quiet-error")).to_contain_text("免打扰时段")

    # Off: the times are kept for later, greyed out.
    page.get_by_test_id("quiet-enabled").uncheck()
    expect(page.get_by_test_id("quiet-start")).to_be_disabled()
    page.get_by_test_id("quiet-save").click()
    expect(form).to_have_attribute("data-state", "saved")

    # Back to the defaults for the other tests.
    page.get_by_test_id("quiet-enabled").check()
    page.get_by_test_id("quiet-start").fill("21:30")
    page.get_by_test_id("quiet-end").fill("07:30")
    page.get_by_test_id("quiet-save").click()
    expect(form).to_have_attribute("data-state", "saved")


def test_the_clerk_has_no_quiet_hours_card(page: Page) -> None:
    log_in_ok(page, CLERK)
    expect(page.get_by_test_id("home-people")).to_be_visible()
    expect(page.get_by_test_id("home-quiet-hours")).to_have_count(0)
