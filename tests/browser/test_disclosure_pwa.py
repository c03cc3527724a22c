"""社区三公开 in the real PWA: the public page read without logging in on a phone (360 px),
in the three languages, with the demo city's commitments and evaluations; and the office
at a desk (1280 px) adding a commitment, marking its progress, then finding it on the
public page.

Screenshots go to ``LINLI_SHOTS_DIR`` when it is set (``disclosure-*.png``)."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import log_in_ok

SHOTS = os.environ.get("LINLI_SHOTS_DIR")
DENGYUE = "410902001001"
CLERK = "13800000004"  # 登月社区's window clerk, of the community office


def shoot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"disclosure-{name}.png"), full_page=True)


def fits(page: Page, width: int) -> None:
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.fixture
def new_page(browser: Any, live_server: str) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(width: int) -> Page:
        ctx = browser.new_context(
            viewport={"width": width, "height": 740 if width < 600 else 800},
            locale="zh-CN",
            base_url=live_server,
            service_workers="block",
        )
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


def test_the_public_page_needs_no_log_in(new_page) -> None:
    page = new_page(360)
    page.goto("/")
    shell = page.get_by_test_id("app-shell")
    expect(shell).to_have_attribute("data-view", "login")
    # From the log-in screen, without an account: the picker, then 登月社区's page.
    page.get_by_test_id("login-disclosure").click()
    expect(shell).to_have_attribute("data-view", "disclosure")
    picker = page.get_by_test_id("disclosure-community")
    expect(picker.locator("option", has_text="登月社区")).to_have_count(1)
    picker.select_option(DENGYUE)
    expect(shell).to_have_attribute("data-view", "disclosure-community")
    assert page.url.endswith(f"#/disclosure/{DENGYUE}")
    view = page.get_by_test_id("disclosure")
    expect(view).to_have_attribute("data-state", "ready")
    page.get_by_test_id("disclosure-year").select_option("2026")
    commitments = page.get_by_test_id("disclosure-commitment")
    expect(commitments.filter(has_text="老旧楼院加装电梯")).to_have_count(1)
    expect(
        commitments.filter(has_text="楼道照明全覆盖").get_by_test_id("disclosure-status")
    ).to_have_text("已完成")
    evaluations = page.get_by_test_id("disclosure-evaluation")
    expect(evaluations.filter(has_text="群众评议")).to_contain_text("较好")
    expect(evaluations.filter(has_text="上级评议")).to_contain_text("好")
    expect(page.get_by_test_id("fig-received")).to_be_visible()
    # Large type for elderly readers, and nothing wider than the phone.
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.disc-commitment__title')).fontSize)"
    )
    assert size >= 20, size
    fits(page, 360)
    shoot(page, "public-360-zh_Hans")
    # The other two languages, from the switch every page has.
    page.get_by_test_id("lang-switch").select_option("zh_Hant")
    expect(commitments.filter(has_text="老舊樓院加裝電梯")).to_have_count(1)
    expect(evaluations.filter(has_text="群眾評議")).to_contain_text("較好")
    page.get_by_test_id("lang-switch").select_option("en")
    expect(commitments.filter(has_text="Lifts for old residential blocks")).to_have_count(1)
    expect(evaluations.filter(has_text="residents' evaluation")).to_contain_text("fairly good")
    fits(page, 360)
    shoot(page, "public-360-en")
    # Still nobody logged in: the page offers the staff log-in, not a home screen.
    expect(page.get_by_test_id("disclosure-login")).to_be_visible()


def test_the_office_edits_a_commitment_the_public_sees_it(new_page) -> None:
    page = new_page(1280)
    page.goto("/")
    log_in_ok(page, CLERK)
    page.get_by_test_id("home-disclosure-edit").click()
    shell = page.get_by_test_id("app-shell")
    expect(shell).to_have_attribute("data-view", "disclosure-edit")
    editor = page.get_by_test_id("disclosure-editor")
    expect(editor).to_have_attribute("data-state", "ready")
    page.get_by_test_id("disclosure-edit-year").select_option("2026")
    title = f"口袋公园改造{random.randrange(10**6)}"
    form = page.get_by_test_id("new-commitment")
    form.get_by_test_id("new-commitment-title").fill(title)
    form.get_by_test_id("new-commitment-target").fill("建成 2 处口袋公园")
    form.get_by_test_id("new-commitment-due").fill("2026-12-31")
    page.get_by_test_id("new-commitment-submit").click()
    row = page.get_by_test_id("edit-commitment").filter(has_text=title)
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("commitment-badge")).to_have_text("未开始")
    # Mark its progress.
    row.get_by_test_id("commitment-status").select_option("in_progress")
    row.get_by_test_id("commitment-note").fill("第一处已开工")
    row.get_by_test_id("commitment-save").click()
    saved = page.get_by_test_id("edit-commitment").filter(has_text=title)
    expect(saved.get_by_test_id("commitment-badge")).to_have_text("推进中")
    shoot(page, "editor-1280")
    # The public page shows it at once.
    page.get_by_test_id("disclosure-edit-public").click()
    expect(shell).to_have_attribute("data-view", "disclosure-community")
    page.get_by_test_id("disclosure-year").select_option("2026")
    shown = page.get_by_test_id("disclosure-commitment").filter(has_text=title)
    expect(shown).to_contain_text("建成 2 处口袋公园")
    expect(shown.get_by_test_id("disclosure-status")).to_have_text("推进中")
    expect(shown.get_by_test_id("disclosure-note")).to_contain_text("第一处已开工")
    fits(page, 1280)
    shoot(page, "public-1280")
