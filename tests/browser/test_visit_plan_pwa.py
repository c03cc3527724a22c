"""The community office's week of visits 走访计划: at a desk the admin of 登月社区 generates
the week's plan, sees it as a table person × day with the load of each window, moves one
visit by hand to the window clerk's evening and sees it kept there after re-generating;
on a phone the same week reads as a list by day, then person."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.pages import city_today, log_in_ok
from tests.browser.test_wishes_pwa import Api

OFFICE = "13800000003"  # 王秀英, 登月社区 admin
CLERK = "13800000004"  # 刘芳, 登月社区 window clerk (community staff)
DENGYUE = "410902001001"
BUILDING = "410902001001001B001"  # 登月小区1号楼, in the first grid


def moved_chip(page: Page, visit_id: int, clerk: int, day: str, where: str) -> Any:
    """The visit's chip in the clerk's evening of that day, in the table or the list."""
    if where == "table":
        return page.locator(
            f'[data-testid="plan-row"][data-person="{clerk}"] td[data-date="{day}"] '
            f'[data-testid="plan-slot"][data-window="evening"] '
            f'[data-testid="plan-visit"][data-id="{visit_id}"]'
        )
    return page.locator(
        f'[data-testid="plan-day"][data-date="{day}"] '
        f'[data-testid="plan-day-person"][data-person="{clerk}"] '
        f'[data-testid="plan-slot"][data-window="evening"] '
        f'[data-testid="plan-visit"][data-id="{visit_id}"]'
    )


def test_the_office_plans_the_week_and_moves_a_visit_by_hand(page: Page, live_server: str) -> None:
    office = Api(live_server, OFFICE)
    office.call(
        "POST",
        "/api/v1/residents",
        {"name": "计划老人", "building_code": BUILDING, "care_tags": ["elderly_alone"]},
    )
    clerk = int(Api(live_server, CLERK).call("GET", "/api/v1/me")["id"])

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/")
    log_in_ok(page, OFFICE)
    page.get_by_test_id("home-visit-plan").click()
    expect(page.get_by_test_id("visit-plan")).to_be_visible()

    page.get_by_test_id("plan-generate").click()
    said = page.get_by_test_id("plan-said")
    expect(said).to_contain_text(re.compile(r"已生成计划：应走访 \d+ 户次"))
    table = page.get_by_test_id("plan-table")
    expect(table).to_be_visible()
    expect(page.get_by_test_id("plan-list")).to_be_hidden()
    expect(page.get_by_test_id("plan-total-planned")).not_to_have_attribute("data-value", "0")
    # Every window shows its load against the capacity.
    expect(table.get_by_test_id("plan-slot-load").first).to_contain_text(re.compile(r"\d+/\d+"))

    # Move the first visit the office may move to the clerk's evening, by hand.
    chip = table.locator('[data-testid="plan-visit"]:has([data-testid="plan-visit-move"])').first
    visit_id = int(chip.get_attribute("data-id") or 0)
    assert visit_id
    chip = table.locator(f'[data-testid="plan-visit"][data-id="{visit_id}"]')
    chip.get_by_test_id("plan-visit-move").click()
    form = page.get_by_test_id("plan-move-form")
    expect(form).to_be_visible()
    form.get_by_test_id("plan-move-person").select_option(str(clerk))
    day = form.get_by_test_id("plan-move-date").input_value()
    assert day >= city_today().isoformat()
    form.get_by_test_id("plan-move-window-evening").check()
    form.get_by_test_id("plan-move-save").click()
    expect(form).to_be_hidden()
    expect(said).to_contain_text("刘芳")
    kept = moved_chip(page, visit_id, clerk, day, "table")
    expect(kept).to_be_visible()
    expect(kept).to_have_attribute("data-fixed", "true")
    expect(kept.get_by_test_id("plan-visit-fixed")).to_be_visible()

    # Re-generating keeps it where the office put it.
    page.get_by_test_id("plan-generate").click()
    expect(said).to_contain_text("已生成计划")
    expect(kept).to_be_visible()
    expect(kept).to_have_attribute("data-fixed", "true")

    # On a phone: a list by day, then person, the moved visit in the clerk's evening.
    page.set_viewport_size({"width": 360, "height": 740})
    expect(table).to_be_hidden()
    expect(page.get_by_test_id("plan-list")).to_be_visible()
    monday = date.fromisoformat(day) - timedelta(days=date.fromisoformat(day).weekday())
    expect(page.get_by_test_id("plan-day").first).to_have_attribute("data-date", monday.isoformat())
    expect(moved_chip(page, visit_id, clerk, day, "list")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_office_keeps_the_care_roster_and_pairs_a_party_member(
    page: Page, live_server: str
) -> None:
    office = Api(live_server, OFFICE)
    before = office.call("GET", f"/api/v1/communities/{DENGYUE}/care-settings")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/")
    log_in_ok(page, OFFICE)
    page.get_by_test_id("home-care-roster").click()
    form = page.get_by_test_id("roster-settings")
    capacity = form.get_by_test_id("roster-capacity")
    expect(capacity).to_have_value(str(before["capacity_per_window"]))
    try:
        capacity.fill("5")
        form.locator('[data-testid="roster-frequency"][data-tag="elderly_alone"]').fill("5")
        form.locator('[data-testid="roster-office-day"][data-day="2"]').check()
        form.get_by_test_id("roster-save").click()
        expect(form.get_by_test_id("roster-saved")).to_be_visible()
        after = office.call("GET", f"/api/v1/communities/{DENGYUE}/care-settings")
        assert after["capacity_per_window"] == 5 and after["frequencies"]["elderly_alone"] == 5
        assert 2 in after["office_days"]
        # A window that ends before it starts: refused with the server's reason.
        form.get_by_test_id("roster-window-noon-end").fill("11:00")
        form.get_by_test_id("roster-save").click()
        expect(form.get_by_test_id("roster-error")).to_contain_text("结束")
    finally:
        office.call(
            "PUT",
            f"/api/v1/communities/{DENGYUE}/care-settings",
            {
                k: before[k]
                for k in ("frequencies", "windows", "capacity_per_window", "office_days")
            },
        )

    pairs = page.get_by_test_id("pairs")
    new = pairs.get_by_test_id("pair-new")
    new.get_by_test_id("pair-save").click()
    expect(new.get_by_test_id("pair-missing")).to_be_visible()  # says what is missing
    member = new.get_by_test_id("pair-member")
    member.select_option(member.locator("option", has_text="郑建军").get_attribute("value"))
    new.get_by_test_id("wish-for-search").fill("周")
    new.get_by_test_id("wish-for-result").filter(has_text="周大爷").first.click()
    new.get_by_test_id("pair-every").fill("10")
    new.get_by_test_id("pair-save").click()
    expect(pairs.get_by_test_id("pairs-said")).to_contain_text("郑建军")
    pair = pairs.get_by_test_id("pair").filter(has_text="周大爷")
    expect(pair).to_contain_text("10")
    listed = office.call("GET", f"/api/v1/communities/{DENGYUE}/care-pairs")
    assert any(p["resident"] == "周大爷" and p["every_days"] == 10 for p in listed)

    pair.get_by_test_id("pair-end").click()
    pair.get_by_test_id("pair-end-confirm").click()
    expect(pair).to_have_count(0)
    listed = office.call("GET", f"/api/v1/communities/{DENGYUE}/care-pairs")
    assert not any(p["resident"] == "周大爷" for p in listed)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_window_over_capacity_is_marked(page: Page, live_server: str) -> None:
    """Two visits placed by hand in the clerk's evening when a window takes one."""
    office = Api(live_server, OFFICE)
    clerk = int(Api(live_server, CLERK).call("GET", "/api/v1/me")["id"])
    settings = f"/api/v1/communities/{DENGYUE}/care-settings"
    before = office.call("GET", settings)
    for i in range(2):
        office.call(
            "POST",
            "/api/v1/residents",
            {"name": f"满额老人{i}", "building_code": BUILDING, "care_tags": ["elderly_alone"]},
        )
    monday = city_today() - timedelta(days=city_today().weekday())
    office.call(
        "POST", f"/api/v1/communities/{DENGYUE}/visit-plan", {"week_start": monday.isoformat()}
    )
    week = office.call(
        "GET", f"/api/v1/communities/{DENGYUE}/visit-plan?week_start={monday.isoformat()}"
    )
    day = city_today().isoformat()
    movable = [
        v
        for p in week["people"]
        for d in p["days"]
        for w in d["windows"]
        for v in w["visits"]
        if "move" in v["allowed_actions"]
        and (p["user_id"], d["date"], w["window"]) != (clerk, day, "evening")
    ]
    assert len(movable) >= 2, week
    try:
        office.call("PUT", settings, {**_rules(before), "capacity_per_window": 1})
        for v in movable[:2]:
            office.call(
                "POST",
                f"/api/v1/visits/{v['id']}/move",
                {"person_user_id": clerk, "visit_date": day, "window": "evening"},
            )
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto("/")
        log_in_ok(page, OFFICE)
        page.get_by_test_id("home-visit-plan").click()
        slot = page.locator(
            f'[data-testid="plan-row"][data-person="{clerk}"] td[data-date="{day}"] '
            '[data-testid="plan-slot"][data-window="evening"]'
        )
        expect(slot).to_have_attribute("data-over", "true")
        expect(slot).to_contain_text("超出上限")
        # At least the two moved here (an earlier test may have put one here too).
        expect(slot.get_by_test_id("plan-slot-load")).to_contain_text(re.compile(r"^[2-9]/1"))
        page.set_viewport_size({"width": 360, "height": 740})
        in_list = page.locator(
            f'[data-testid="plan-day"][data-date="{day}"] '
            f'[data-testid="plan-day-person"][data-person="{clerk}"] '
            '[data-testid="plan-slot"][data-window="evening"]'
        )
        expect(in_list).to_contain_text("超出上限")
    finally:
        office.call("PUT", settings, _rules(before))


def _rules(settings: dict[str, Any]) -> dict[str, Any]:
    return {
        k: settings[k] for k in ("frequencies", "windows", "capacity_per_window", "office_days")
    }
