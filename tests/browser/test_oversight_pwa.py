"""The office's oversight of staggered-hour visits in a real browser: the coverage screen
shows the weekly on-time share as a chart and the same figures in a table, per grid
below; a resident's timeline opens from the resident list (and the opening is audited)."""

from __future__ import annotations

import random
from datetime import timedelta

from playwright.sync_api import Page, expect

from tests.browser.pages import city_today, log_in_ok
from tests.browser.test_wishes_pwa import Api

OFFICE = "13800000003"  # 王秀英, 登月社区 admin
GRID_WORKER = "13800000005"  # 陈志强, 登月社区 first grid
DENGYUE = "410902001001"
BUILDING = "410902001001001B001"  # in the first grid


def test_the_office_reads_coverage_and_a_residents_timeline(page: Page, live_server: str) -> None:
    office, worker = Api(live_server, OFFICE), Api(live_server, GRID_WORKER)
    name = f"覆盖老人{random.randrange(10**6)}"
    resident = office.call(
        "POST",
        "/api/v1/residents",
        {"name": name, "building_code": BUILDING, "care_tags": ["elderly_alone", "disabled"]},
    )
    monday = city_today() - timedelta(days=city_today().weekday())
    office.call(
        "POST", f"/api/v1/communities/{DENGYUE}/visit-plan", {"week_start": monday.isoformat()}
    )
    items = office.call("GET", f"/api/v1/residents/{resident['id']}/timeline")["items"]
    visit = next(i for i in items if i["kind"] == "visit")
    # Placed today for the grid worker (the plan may have found no room for her).
    office.call(
        "POST",
        f"/api/v1/visits/{visit['visit_id']}/move",
        {
            "person_user_id": worker.call("GET", "/api/v1/me")["id"],
            "visit_date": city_today().isoformat(),
            "window": "evening",
        },
    )
    worker.call(
        "POST",
        f"/api/v1/visits/{visit['visit_id']}/record",
        {"condition": "fair", "needs": ["meals"], "notes": "腿脚不便，需要送餐"},
    )
    expected = office.call("GET", f"/api/v1/communities/{DENGYUE}/visit-coverage?weeks=8")

    page.goto("/")
    log_in_ok(page, OFFICE)
    page.get_by_test_id("home-visit-coverage").click()
    screen = page.get_by_test_id("visit-coverage")
    expect(screen).to_have_attribute("data-state", "ready")
    # The chart is drawn (uPlot's canvas), with a legend entry per care tag and the total.
    chart = page.get_by_test_id("coverage-chart")
    expect(chart.locator("canvas")).to_have_count(1)
    expect(chart.locator(".u-legend .u-series")).to_have_count(1 + len(expected["by_tag"]))
    # The same figures in a table: a row per week, a column per care tag.
    rows = page.get_by_test_id("coverage-week")
    expect(rows).to_have_count(8)
    this_week = page.locator(f'[data-testid="coverage-week"][data-week="{monday}"]')
    total = expected["total"][-1]
    cell = this_week.locator("td").first
    expect(cell).to_have_attribute("data-due", str(total["due"]))
    expect(cell).to_have_attribute("data-on-time", str(total["on_time"]))
    # Her visit was due by Monday (never visited: due at the week's start); done, so judged.
    assert total["due"] >= 1
    expect(cell.locator("strong")).to_have_text(f"{round(total['share'] * 100)}%")
    expect(page.get_by_test_id("coverage-grid")).to_have_count(len(expected["by_grid"]))
    expect(page.get_by_test_id("coverage-formula")).to_be_visible()

    # The resident's timeline, from the resident list.
    page.goto("/#/people")
    page.get_by_test_id("resident-search").fill(name)
    item = page.get_by_test_id("resident-item").filter(has_text=name)
    expect(item).to_have_count(1)
    item.get_by_test_id("resident-timeline-link").click()
    expect(page.get_by_test_id("app-shell")).to_have_attribute("data-view", "resident-timeline")
    timeline = page.get_by_test_id("resident-timeline")
    expect(timeline).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("timeline-audited")).to_be_visible()
    done = page.locator('[data-testid="timeline-item"][data-kind="visit"][data-state="done"]')
    expect(done).to_have_count(1)
    expect(done.get_by_test_id("timeline-notes")).to_have_text("腿脚不便，需要送餐")
    expect(page.locator("#page-title")).to_contain_text(name)
