"""The window terminal 办事窗口 in the real PWA, at a desk (1280×800) by keyboard alone: a
walk-in is given a number, the number is called, the resident is found by phone, a matter
is taken in for them, the receipt is printed (the print stylesheet leaves the receipt
alone on the page), and the next number is called. Then the hall's public display, and the
terminal on a narrow screen.

No mouse: after signing in, every step is a key press (``page.keyboard``), and the test
never clicks. Screenshots go to ``LINLI_SHOTS_DIR`` when it is set (``window-*.png``)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import DEMO_PASSWORD
from tests.browser.test_cases_pwa import DENGYUE, SHOTS
from tests.browser.test_wishes_pwa import Api

CLERK = "13800000004"  # 登月社区's window clerk
ZHOU_PHONE = "13900000001"  # 周大爷, no account: he hears back by SMS


def shoot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"window-{name}.png"))


@pytest.fixture
def desk(browser: Any, live_server: str) -> Iterator[Page]:
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 800},
        locale="zh-CN",
        base_url=live_server,
        service_workers="block",
    )
    ctx.set_default_timeout(15_000)
    page: Page = ctx.new_page()
    try:
        yield page
    finally:
        ctx.close()


def sign_in_by_keyboard(page: Page, phone: str) -> None:
    page.goto("/")
    expect(page.get_by_test_id("app-shell")).to_have_attribute("data-view", "login")
    page.get_by_test_id("login-phone").focus()
    page.keyboard.type(phone)
    page.get_by_test_id("login-password").focus()
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("app-shell")).to_have_attribute("data-view", "home")


def focused(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.dataset.testid"))


def test_a_walk_in_served_at_the_window_by_keyboard_alone(desk: Page, live_server: str) -> None:
    page = desk
    sign_in_by_keyboard(page, CLERK)
    expect(page.get_by_test_id("home-window")).to_be_visible()
    page.goto("/#/window")
    terminal = page.get_by_test_id("window-terminal")
    expect(terminal).to_have_attribute("data-step", "lookup")
    expect(page.get_by_test_id("window-counts")).to_be_visible()
    assert focused(page) == "window-lookup-input"
    served_before = int(page.get_by_test_id("window-served").inner_text())

    # Two walk-ins take a number for general business (F9, Tab to the button, Enter).
    labels: list[str] = []
    notice = page.get_by_test_id("window-notice")
    for _ in range(2):
        page.keyboard.press("F9")
        assert focused(page) == "window-ticket-business"
        page.keyboard.press("Tab")
        assert focused(page) == "window-ticket-take"
        page.keyboard.press("Enter")
        if labels:  # the notice of the number before changes to this one's
            expect(notice).not_to_contain_text(f"已取 {labels[-1]} 号")
        expect(notice).to_contain_text("号，请到 1 号窗口办理")
        got = re.search(r"已取 (\d{3}) 号", notice.inner_text())
        assert got, notice.inner_text()
        labels.append(got.group(1))
    assert int(labels[1]) == int(labels[0]) + 1
    shoot(page, "1280-numbers")

    # F4 calls the first of them (a number still being served from earlier is finished).
    page.keyboard.press("F4")
    expect(page.get_by_test_id("window-notice")).to_contain_text(f"请 {labels[0]} 号到 1 号窗口")
    expect(page.get_by_test_id("window-current")).to_have_attribute("data-label", labels[0])
    started = time.monotonic()

    # The resident says their phone number: typed, Enter searches, Enter opens them.
    expect(page.get_by_test_id("window-lookup-input")).to_be_focused()
    page.keyboard.type(ZHOU_PHONE)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("window-found-row")).to_have_count(1)
    expect(page.get_by_test_id("window-found-row")).to_contain_text("139****0001")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("window-card-name")).to_have_text("周大爷")
    expect(page.get_by_test_id("window-card-hears")).to_contain_text("139****0001")
    expect(page.get_by_test_id("window-intake")).to_be_focused()
    assert ZHOU_PHONE not in page.content()
    shoot(page, "1280-card")

    # Enter: a new matter. Part of its name, Enter; its floor; the description; consent.
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("window-item-search")).to_be_focused()
    page.keyboard.type("楼道灯")
    expect(page.get_by_test_id("window-item").first).to_have_attribute("data-value", "stair_light")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("window-item-picked")).to_have_attribute("data-value", "stair_light")
    expect(page.locator('[data-key="floor"] input')).to_be_focused()
    page.keyboard.type("4")
    page.keyboard.press("Tab")
    assert focused(page) == "window-description"
    page.keyboard.type("四楼楼道灯不亮，老人晚上下楼看不见")
    page.keyboard.press("Tab")
    assert focused(page) == "window-consent"
    page.keyboard.press("Space")
    expect(page.get_by_test_id("window-consent")).to_be_checked()
    shoot(page, "1280-intake")
    page.keyboard.press("Control+Enter")

    receipt = page.get_by_test_id("window-receipt")
    expect(receipt).to_be_visible()
    took = time.monotonic() - started
    number = page.get_by_test_id("receipt-number").inner_text()
    assert re.fullmatch(r"\d{4}-\d{6}", number)
    expect(page.get_by_test_id("receipt-item")).to_have_text("楼道灯损坏")
    expect(page.get_by_test_id("receipt-hear")).to_contain_text("短信发到 139****0001")
    expect(page.get_by_test_id("receipt-due")).not_to_be_empty()
    expect(page.get_by_test_id("window-print")).to_be_focused()
    shoot(page, "1280-receipt")
    print(f"window intake: lookup to receipt in {took:.1f} s of browser time, keyboard only")

    # The case is the resident's, taken in at the window with his consent.
    office = Api(live_server, CLERK)
    found = office.call("GET", f"/api/v1/communities/{DENGYUE}/cases?limit=5")
    case = next(c for c in found["items"] if c["number"] == number)
    case = office.call("GET", f"/api/v1/cases/{case['id']}")
    assert case["channel"] == "window" and case["reporter"] == "周大爷"
    assert case["consent_note"] and case["fields"] == {"floor": 4}

    # Enter prints (the browser's print is counted, not opened, in a headless browser) …
    page.evaluate(
        "() => { window.print = () => { window.__printed = (window.__printed || 0) + 1 } }"
    )
    page.keyboard.press("Enter")
    assert page.evaluate("window.__printed") == 1
    # … and the print stylesheet leaves the receipt alone on the page.
    page.emulate_media(media="print")
    expect(receipt).to_be_visible()
    for hidden in ("window-queue", "window-print", "sidenav", "nav-back", "lang-switch"):
        expect(page.get_by_test_id(hidden)).to_be_hidden()
    shoot(page, "1280-print")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000
    if SHOTS:
        Path(SHOTS, "window-receipt.pdf").write_bytes(pdf)
    page.emulate_media(media="screen")
    expect(page.get_by_test_id("window-queue")).to_be_visible()

    # F4: the first number is served and the second called; back to the search.
    page.keyboard.press("F4")
    expect(page.get_by_test_id("window-current")).to_have_attribute("data-label", labels[1])
    expect(terminal).to_have_attribute("data-step", "lookup")
    expect(page.get_by_test_id("window-lookup-input")).to_be_focused()
    expect(page.get_by_test_id("window-served")).to_have_text(str(served_before + 1))

    # F8: the second did not come to the window (过号).
    page.keyboard.press("F8")
    expect(page.get_by_test_id("window-notice")).to_contain_text(f"{labels[1]} 号已过号")
    expect(page.get_by_test_id("window-current")).to_have_attribute("data-label", "")

    # The hall's display, with no log-in, shows the latest number called and where.
    hall = page.context.browser.new_page(base_url=live_server)  # type: ignore[union-attr]
    try:
        hall.goto(f"/#/queue/{DENGYUE}")
        expect(hall.get_by_test_id("hall-now")).to_have_attribute("data-label", labels[1])
        expect(hall.get_by_test_id("hall-now")).to_contain_text("1 号窗口")
        assert (
            "周大爷" not in hall.content()
            and "139" not in hall.get_by_test_id("window-hall").inner_text()
        )
        hall.set_viewport_size({"width": 1280, "height": 800})
        shoot(hall, "hall-1280")
    finally:
        hall.close()


def test_the_terminal_on_a_narrow_screen(browser: Any, live_server: str) -> None:
    ctx = browser.new_context(
        viewport={"width": 360, "height": 740},
        locale="zh-CN",
        base_url=live_server,
        service_workers="block",
    )
    ctx.set_default_timeout(15_000)
    try:
        page = ctx.new_page()
        sign_in_by_keyboard(page, CLERK)
        page.goto("/#/window")
        expect(page.get_by_test_id("window-counts")).to_be_visible()
        page.get_by_test_id("window-lookup-input").fill("0001")
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("window-found-row").first).to_be_visible()
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= 360, f"the terminal is {width} px wide on a 360 px screen"
        shoot(page, "360-lookup")
        page.goto(f"/#/queue/{DENGYUE}")
        expect(page.get_by_test_id("window-hall")).to_be_visible()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
        shoot(page, "hall-360")
    finally:
        ctx.close()


ADMIN = "13800000003"  # 登月社区's administrator


@pytest.mark.parametrize("width", [1280, 360])
def test_the_office_sees_every_window_and_the_administrator_sets_one_up(
    browser: Any, live_server: str, width: int
) -> None:
    viewport = {"width": width, "height": 800 if width > 360 else 740}
    ctx = browser.new_context(
        viewport=viewport, locale="zh-CN", base_url=live_server, service_workers="block"
    )
    ctx.set_default_timeout(15_000)
    try:
        clerk = ctx.new_page()
        sign_in_by_keyboard(clerk, CLERK)
        clerk.goto("/#/window/setup")
        expect(clerk.get_by_test_id("window-overview-row").first).to_be_visible()
        numbers = clerk.get_by_test_id("window-overview-row").evaluate_all(
            "rows => rows.map(r => Number(r.dataset.number))"
        )
        assert numbers[:4] == [1, 2, 3, 4]
        expect(clerk.get_by_test_id("window-setup-form")).to_have_count(0)  # a clerk only looks
        clerk.evaluate("() => localStorage.clear()")  # signed out: the administrator's turn
        clerk.close()

        page = ctx.new_page()
        page.goto("/")
        expect(page.get_by_test_id("app-shell")).to_have_attribute("data-view", "login")
        page.get_by_test_id("login-phone").fill(ADMIN)
        page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("app-shell")).to_have_attribute("data-view", "home")
        page.goto("/#/window/setup")
        expect(page.get_by_test_id("window-setup-form").first).to_be_visible()
        if width == 1280:
            page.get_by_test_id("window-setup-add").click()
            form = page.get_by_test_id("window-setup-new")
            number = int(form.get_attribute("data-number") or 0)
            form.get_by_test_id("window-setup-name").fill("矛盾调解")
            form.locator('[data-testid="window-setup-category"][value="disputes"]').check()
            form.get_by_test_id("window-setup-save").click()
            row = page.locator(f'[data-testid="window-overview-row"][data-number="{number}"]')
            expect(row).to_contain_text("矛盾调解")
            expect(row).to_contain_text("矛盾纠纷")
            # Closed again, so the other tests' windows stay as the demo city has them.
            saved = page.locator(f'[data-testid="window-setup-form"][data-number="{number}"]')
            saved.get_by_test_id("window-setup-active").uncheck()
            saved.get_by_test_id("window-setup-save").click()
            expect(row).to_contain_text("已关闭")
        else:
            assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
        shoot(page, f"{width}-setup")
    finally:
        ctx.close()
