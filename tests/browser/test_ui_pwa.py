"""The PWA's shared pieces as users meet them (issue 8, section 7): a list that could not load
says so and why, the desktop layout, targets and layout shift, leaders' community choice, the
grid worker's tasks, posting for a resident, offline locate and the volunteer's wording."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.pages import log_in_ok, wait_for_service_worker

GRID_WORKER = "13800000005"  # 陈志强, a grid of 登月社区


def test_a_list_that_could_not_load_says_why_and_retries(page: Page, context: Any) -> None:
    """Offline, never loaded before: the board says it could not load (offline), not "nothing
    waiting"; back online, the retry loads it."""
    page.goto("/")
    log_in_ok(page, GRID_WORKER)
    wait_for_service_worker(page)
    # The chunk is precached; the grid worker's communities come from the map, never fetched.
    context.set_offline(True)
    page.evaluate("() => { window.location.hash = '#/board'; }")
    error = page.get_by_test_id("load-error")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("data-reason", "offline")
    expect(error).to_contain_text("没能加载")
    expect(page.get_by_test_id("board-empty")).to_have_count(0)

    context.set_offline(False)
    page.get_by_test_id("load-retry").click()
    expect(page.get_by_test_id("board")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("load-error")).to_have_count(0)


def test_a_refused_list_says_no_permission(page: Page) -> None:
    """A grid worker who opens the moderation queue by its address is told they may not see it
    (the server's 403), not that nothing waits."""
    log_in_ok(page, GRID_WORKER)
    page.evaluate("() => { window.location.hash = '#/moderate'; }")
    error = page.get_by_test_id("load-error")
    expect(error).to_have_attribute("data-reason", "forbidden")
    expect(error).to_contain_text("没有查看这些内容的权限")
    expect(page.get_by_test_id("queue-empty")).to_have_count(0)


WINDOW_CLERK = "13800000004"  # 刘芳, 登月社区


def test_desktop_puts_navigation_beside_the_content(page: Page) -> None:
    """At 1280 px the screens are in a side navigation beside the content, which uses the width;
    at 360 px the phone layout stays (no side navigation, the home cards are the menu)."""
    log_in_ok(page, WINDOW_CLERK)
    expect(page.get_by_test_id("sidenav")).to_be_hidden()
    page.set_viewport_size({"width": 1280, "height": 800})
    nav = page.get_by_test_id("sidenav")
    expect(nav).to_be_visible()
    page.get_by_test_id("side-home-moderate").click()
    expect(page.get_by_test_id("app-shell")).to_have_attribute("data-view", "moderate")
    expect(page.get_by_test_id("side-home-moderate")).to_have_attribute("aria-current", "page")
    nav_box = nav.bounding_box()
    main_box = page.get_by_test_id("moderation-queue").bounding_box()
    assert nav_box and main_box
    assert nav_box["x"] + nav_box["width"] <= main_box["x"], (nav_box, main_box)
    assert main_box["width"] > 700, main_box  # not the phone column centred on a wide screen
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1280, width
