"""待核走访记录 on a phone: the grid worker's phone sent records for two households of
another grid of 登月社区 (reassigned to someone else meanwhile), so both were kept for the
office; the window clerk, at 360 px, records the first visit from its record and sets the
second aside with a note, then finds both among the reviewed. The same screen at a desk."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.pages import city_today, log_in_ok
from tests.browser.test_wishes_pwa import Api

OFFICE = "13800000003"  # 王秀英, 登月社区 admin
CLERK = "13800000004"  # 刘芳, 登月社区 window clerk (community staff)
GRID_WORKER = "13800000005"  # 陈志强, 登月社区 first grid
DENGYUE = "410902001001"
FIRST_GRID = "410902001001001"


def kept_records(live_server: str) -> list[dict[str, Any]]:
    """Two planned visits of residents of another grid, each recorded from the first
    grid's worker's phone: kept (reason reassigned). Returns [{visit, notes}, …]."""
    office, worker = Api(live_server, OFFICE), Api(live_server, GRID_WORKER)
    clerk = int(Api(live_server, CLERK).call("GET", "/api/v1/me")["id"])
    buildings = office.call("GET", "/api/v1/buildings?q=%E7%99%BB%E6%9C%88")  # 登月
    building = next(b for b in buildings if b["grid_code"] != FIRST_GRID)
    residents = [
        office.call(
            "POST",
            "/api/v1/residents",
            {
                "name": f"{name}{random.randrange(10**4)}",
                "building_code": building["code"],
                "care_tags": ["elderly_alone"],
            },
        )
        for name in ("龚", "欧阳")
    ]
    monday = city_today() - timedelta(days=city_today().weekday())
    office.call(
        "POST", f"/api/v1/communities/{DENGYUE}/visit-plan", {"week_start": monday.isoformat()}
    )
    made = []
    for n, resident in enumerate(residents):
        timeline = office.call("GET", f"/api/v1/residents/{resident['id']}/timeline")
        visit = next(i for i in timeline["items"] if i["kind"] == "visit")
        if visit["visit_state"] == "unplanned":  # the week was full: the office places it
            office.call(
                "POST",
                f"/api/v1/visits/{visit['visit_id']}/move",
                {
                    "person_user_id": clerk,
                    "visit_date": city_today().isoformat(),
                    "window": "evening",
                },
            )
        made.append({"visit": visit["visit_id"], "notes": f"第{n + 1}户：老人在家，精神不错"})
    result = worker.call(
        "POST",
        "/api/v1/visits/records",
        {
            "records": [
                {
                    "ref": secrets.token_hex(12),
                    "visit_id": m["visit"],
                    "condition": "good",
                    "visited_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
                    "needs": ["买菜"],
                    "notes": m["notes"],
                }
                for m in made
            ]
        },
    )
    assert [r["outcome"] for r in result["results"]] == ["kept", "kept"], result
    reports = office.call(
        "GET", f"/api/v1/communities/{DENGYUE}/visit-reports?state=open&limit=200"
    )["items"]
    for m in made:
        m["report"] = next(r["id"] for r in reports if r["visit_id"] == m["visit"])
    return made


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def test_the_clerk_applies_one_kept_record_and_sets_another_aside(
    page: Page, live_server: str
) -> None:
    first, second = kept_records(live_server)

    page.goto("/")
    log_in_ok(page, CLERK)
    page.get_by_test_id("home-visit-reports").click()
    screen = page.get_by_test_id("visit-reports")
    expect(screen).to_have_attribute("data-state", "ready")
    expect(page.locator("#page-title")).to_have_text("待核走访记录")

    applied = page.locator(f'[data-testid="report"][data-id="{first["report"]}"]')
    dismissed = page.locator(f'[data-testid="report"][data-id="{second["report"]}"]')
    expect(applied.get_by_test_id("report-notes")).to_have_text(first["notes"])
    expect(applied.get_by_test_id("report-reason")).to_have_text("住户已改派给他人")
    expect(applied.get_by_test_id("report-reporter")).to_contain_text("陈志强")
    expect(applied.get_by_test_id("report-condition")).to_contain_text("良好")
    no_sideways_scroll(page)

    # 记为已走访: the visit is recorded from the record.
    applied.get_by_test_id("report-apply").click()
    expect(applied).to_have_attribute("data-state", "reviewed")
    expect(applied.get_by_test_id("report-outcome")).to_have_attribute("data-decision", "applied")
    expect(applied.get_by_test_id("report-outcome")).to_contain_text("刘芳")
    expect(page.get_by_test_id("reports-said")).to_contain_text("已按记录记为已走访")

    # 不采用 asks why first.
    dismissed.get_by_test_id("report-dismiss").click()
    dismissed.get_by_test_id("report-dismiss-confirm").click()
    expect(dismissed.get_by_test_id("report-dismiss-missing")).to_be_visible()
    dismissed.get_by_test_id("report-dismiss-note").fill("与已有记录重复")
    dismissed.get_by_test_id("report-dismiss-confirm").click()
    expect(dismissed.get_by_test_id("report-outcome")).to_have_attribute(
        "data-decision", "dismissed"
    )
    expect(dismissed.get_by_test_id("report-note")).to_contain_text("与已有记录重复")
    no_sideways_scroll(page)

    office = Api(live_server, OFFICE)
    reviewed = office.call(
        "GET", f"/api/v1/communities/{DENGYUE}/visit-reports?state=reviewed&limit=200"
    )["items"]
    by_id = {r["id"]: r for r in reviewed}
    assert by_id[first["report"]]["visit_state"] == "done"
    assert by_id[second["report"]]["decision"] == "dismissed"

    # Both among the reviewed; the open list no longer holds them.
    page.locator('[data-testid="reports-tab"][data-value="reviewed"]').click()
    expect(applied).to_have_attribute("data-state", "reviewed")
    expect(dismissed).to_have_attribute("data-state", "reviewed")
    page.locator('[data-testid="reports-tab"][data-value="open"]').click()
    expect(screen).to_have_attribute("data-state", "ready")
    expect(applied).to_have_count(0)
    expect(dismissed).to_have_count(0)

    # At a desk the reviewed cards sit side by side, nothing sideways.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.locator('[data-testid="reports-tab"][data-value="reviewed"]').click()
    expect(applied).to_be_visible()
    no_sideways_scroll(page)
    columns = page.evaluate(
        "() => getComputedStyle(document.querySelector('[data-testid=reports-list]'))"
        ".gridTemplateColumns.split(' ').length"
    )
    assert columns == 2, columns
