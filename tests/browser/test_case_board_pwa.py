"""案件统计 in the real PWA: a sub-district leader compares its communities at 1280 px (the
figures, each formula behind its disclosure, the chart, the table); a community clerk
reads her community's board on a phone (360 px) and exports the case list."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import city_today, log_in_ok, wait_for_service_worker
from tests.browser.test_wishes_pwa import Api

SUBDISTRICT = "13800000002"  # 中原路街道's leader
CLERK = "13800000004"  # 登月社区's window clerk
DENGYUE = "410902001001"
SHOTS = Path(
    os.environ.get("LINLI_BROWSER_ARTIFACTS") or Path(tempfile.gettempdir()) / "linli-browser"
)


@pytest.fixture
def open_as(browser: Any, live_server: str) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_page(phone: str, width: int) -> Page:
        viewport = {"width": width, "height": 740 if width == 360 else 800}
        ctx = browser.new_context(
            viewport=viewport,
            locale="zh-CN",
            base_url=live_server,
            service_workers="allow",
            accept_downloads=True,
        )
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        page: Page = ctx.new_page()
        page.goto("/")
        log_in_ok(page, phone)
        wait_for_service_worker(page)
        page.get_by_test_id("offline-ready").get_by_role("button").click()
        return page

    yield open_page
    for ctx in contexts:
        ctx.close()


def _period() -> tuple[str, str]:
    # The screen's default: the 90 days up to today, in the city's (and the browser's) zone.
    today = city_today()
    return (today - timedelta(days=89)).isoformat(), today.isoformat()


def fits(page: Page) -> None:
    wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"the page is {wide} px wider than the screen"


def test_a_leader_compares_communities_at_1280(open_as: Any, live_server: str) -> None:
    page = open_as(SUBDISTRICT, 1280)
    page.get_by_test_id("home-case-board").click()
    screen = page.get_by_test_id("case-board")
    expect(screen).to_have_attribute("data-state", "ready")
    start, end = (
        page.get_by_test_id("board-from").input_value(),
        page.get_by_test_id("board-to").input_value(),
    )
    me = Api(live_server, SUBDISTRICT).call("GET", "/api/v1/me")
    sub = next(r for r in me["roles"] if r["scope_level"] == "sub_district")
    expected = Api(live_server, SUBDISTRICT).call(
        "GET",
        f"/api/v1/boards/cases?level=sub_district&code={sub['scope_code']}&from={start}&to={end}",
    )
    # Ten figures, each with its formula one click away, in the server's words.
    figures = page.get_by_test_id("board-figure")
    expect(figures).to_have_count(len(expected["unit"]["figures"]))
    closure = page.locator('[data-testid="board-figure"][data-key="closure_rate"]')
    want = next(f for f in expected["unit"]["figures"] if f["key"] == "closure_rate")
    expect(closure.get_by_test_id("board-value")).to_have_text(want["display"])
    expect(closure.get_by_test_id("board-formula-text")).to_be_hidden()
    closure.get_by_test_id("board-formula").locator("summary").click()
    expect(closure.get_by_test_id("board-formula-text")).to_have_text(want["formula"])
    # Its communities side by side: a chart (uPlot's canvas) and a row each in the table.
    expect(page.get_by_test_id("board-chart").locator("canvas")).to_have_count(1)
    rows = page.get_by_test_id("board-child")
    expect(rows).to_have_count(len(expected["children"]))
    dengyue = next(c for c in expected["children"] if c["code"] == DENGYUE)
    row = page.locator(f'[data-testid="board-child"][data-code="{DENGYUE}"]')
    for key in ("received", "closure_rate"):
        shown = next(f for f in dengyue["figures"] if f["key"] == key)["display"]
        expect(row.locator(f'td[data-key="{key}"] strong')).to_have_text(shown)
    fits(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "case-board-1280.png"), full_page=True)


def test_a_clerk_reads_her_board_on_a_phone_and_exports(open_as: Any, live_server: str) -> None:
    page = open_as(CLERK, 360)
    page.goto("/#/cases/board")
    expect(page.get_by_test_id("case-board")).to_have_attribute("data-state", "ready")
    received = page.locator('[data-testid="board-figure"][data-key="received"]')
    expect(received.get_by_test_id("board-value")).not_to_have_text("")
    received.get_by_test_id("board-formula").locator("summary").click()
    expect(received.get_by_test_id("board-formula-text")).to_be_visible()
    expect(page.get_by_test_id("board-child").first).to_be_visible()  # her grids
    fits(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "case-board-360.png"), full_page=True)
    with page.expect_download() as info:
        page.get_by_test_id("board-export-cases-csv").click()
    download = info.value
    text = Path(download.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "编号" and len(rows) >= 2
    assert "1380000" not in text  # no phones
    assert download.suggested_filename.endswith(".csv")
