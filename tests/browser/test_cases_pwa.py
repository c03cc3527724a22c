"""Service cases 民意快线 in the browser: a resident raises a matter on a phone; a grid
worker with no signal works their inbox and each action is applied exactly once (a case
changed meanwhile comes back as a conflict); the office at a desk filters its list,
dispatches, closes, and takes a case in for a walk-in resident."""

from __future__ import annotations

import json
import os
import random
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.pages import log_in_ok, wait_for_service_worker
from tests.browser.test_wishes_pwa import SLOW, Api, camera_jpeg, photo_file

RESIDENT = "13800000007"  # 孙桂兰, lives in the first grid of 登月社区
OFFICE = "13800000003"  # 王秀英, 登月社区 admin
CLERK = "13800000004"  # 登月社区 window clerk
GRID_WORKER = "13800000005"  # 陈志强, 登月社区 first grid
DENGYUE = "410902001001"
DESK = {"width": 1280, "height": 800}

SHOTS = os.environ.get("LINLI_SHOTS_DIR")


def shoot(page: Page, name: str, *, full_page: bool = False) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        if not full_page:
            page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(Path(SHOTS) / f"cases-{name}.png"), full_page=full_page)


def raise_case(resident: Api, item: str = "stair_light", **fields: Any) -> dict[str, Any]:
    text = f"楼道灯坏了 {random.randrange(10**6)}"
    return dict(
        resident.call(
            "POST", "/api/v1/cases", {"item": item, "description": text, "fields": fields}
        )
    )


def act(who: Api, case: dict[str, Any], action: str, **body: Any) -> dict[str, Any]:
    fresh = who.call("GET", f"/api/v1/cases/{case['id']}")
    return dict(
        who.call(
            "POST",
            f"/api/v1/cases/{case['id']}/{action}",
            {"expected_version": fresh["version"], **body},
        )
    )


def upload(who: Api, data: bytes) -> str:
    """A photo uploaded as `who` (a resolution's after-photo must be the worker's own)."""
    request = urllib.request.Request(
        f"{who.base}/api/v1/media",
        data=data,
        method="POST",
        headers={"Authorization": f"Bearer {who.token}", "Content-Type": "image/jpeg"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["key"])


def test_a_resident_raises_a_matter_on_a_phone(page: Page, context: Any, live_server: str) -> None:
    page.goto("/")
    log_in_ok(page, RESIDENT)
    wait_for_service_worker(page)
    page.get_by_test_id("home-case-new").click()
    expect(page.get_by_test_id("case-new")).to_have_attribute("data-step", "category")
    shoot(page, "new-category-360")
    page.locator('[data-testid="case-category"][data-value="housing_repair"]').click()
    page.locator('[data-testid="case-item-pick"][data-value="roof_leak"]').click()
    expect(page.get_by_test_id("case-new")).to_have_attribute("data-step", "form")
    text = f"我家厨房屋顶漏水 {random.randrange(10**6)}"
    page.get_by_test_id("case-description").fill(text)
    page.get_by_test_id("case-submit").click()
    # The required choice is said where it is.
    where = page.locator('[data-testid="case-field"][data-key="where"]')
    expect(where.get_by_test_id("case-field-error")).to_be_visible()
    where.locator('[data-testid="case-field-choice"][data-value="kitchen"]').click()
    page.locator('[data-testid="case-field"][data-key="floor"]').get_by_test_id(
        "case-field-input"
    ).fill("6")
    page.get_by_test_id("case-photo-input").set_input_files(photo_file(camera_jpeg(page)))
    expect(page.get_by_test_id("case-photo-preview")).to_be_visible()
    shoot(page, "new-form-360", full_page=True)
    page.get_by_test_id("case-submit").click()
    expect(page.get_by_test_id("case-sent")).to_be_visible(timeout=SLOW)
    number = page.get_by_test_id("case-sent-number").inner_text()
    expect(page.get_by_test_id("case-sent-due")).not_to_be_empty()
    shoot(page, "new-sent-360")

    resident = Api(live_server, RESIDENT)
    mine = [c for c in resident.call("GET", "/api/v1/me/cases")["items"] if c["number"] == number]
    assert len(mine) == 1 and mine[0]["description"] == text, mine
    detail = resident.call("GET", f"/api/v1/cases/{mine[0]['id']}")
    assert detail["fields"] == {"where": "kitchen", "floor": 6}, detail["fields"]
    assert len(detail["photos"]) == 1

    page.get_by_test_id("case-sent-back").click()
    item = page.locator(f'[data-testid="case-item"][data-number="{number}"]')
    expect(item).to_be_visible()
    expect(item.get_by_test_id("case-due")).to_be_visible()
    shoot(page, "mine-360")
    item.get_by_test_id("case-open").click()
    expect(page.get_by_test_id("case-detail")).to_have_attribute("data-state", "received")
    expect(page.get_by_test_id("case-event")).to_have_count(1)
    expect(page.locator('[data-testid="case-actions"] button')).to_have_count(0)
    shoot(page, "detail-resident-360", full_page=True)

    # Done and closed by the office: she sees what was done, with the after-photo, and rates it.
    office, worker = Api(live_server, OFFICE), Api(live_server, GRID_WORKER)
    case = mine[0]
    act(office, case, "accept")
    act(office, case, "dispatch", assignee_id=worker.call("GET", "/api/v1/me")["id"])
    act(worker, case, "start")
    act(
        worker,
        case,
        "resolve",
        note="屋顶重新做了防水",
        photo=upload(worker, camera_jpeg(page, 800, 600)),
    )
    act(office, case, "close")
    page.reload()
    expect(page.get_by_test_id("case-detail")).to_have_attribute("data-state", "closed")
    expect(page.get_by_test_id("case-resolution")).to_have_text("屋顶重新做了防水")
    expect(page.get_by_test_id("case-after-photo")).to_be_visible()
    page.get_by_test_id("case-do-callback").click()
    page.locator('[data-testid="case-satisfaction"][data-value="2"]').click()
    page.get_by_test_id("case-submit").click()
    expect(page.get_by_test_id("case-satisfaction-shown")).to_have_text("基本满意")
    expect(page.get_by_test_id("case-do-callback")).to_have_count(0)
    shoot(page, "detail-rated-360", full_page=True)
    assert resident.call("GET", f"/api/v1/cases/{case['id']}")["satisfaction"] == 2

    # With no signal the matter is kept on the phone, and sent once when it comes back.
    page.goto("/#/cases/new")
    context.set_offline(True)
    page.locator('[data-testid="case-category"][data-value="housing_repair"]').click()
    page.locator('[data-testid="case-item-pick"][data-value="stair_light"]').click()
    offline_text = f"三楼楼道灯不亮 {random.randrange(10**6)}"
    page.get_by_test_id("case-description").fill(offline_text)
    page.get_by_test_id("case-submit").click()
    expect(page.get_by_test_id("case-queued")).to_be_visible()
    shoot(page, "new-queued-360")
    page.get_by_test_id("case-sent-back").click()
    expect(page.get_by_test_id("case-item-pending")).to_have_count(1)
    context.set_offline(False)
    expect(page.get_by_test_id("case-item-pending")).to_have_count(0, timeout=SLOW)
    expect(page.locator('[data-testid="case-item"]', has_text=offline_text)).to_have_count(1)
    sent = [
        c
        for c in resident.call("GET", "/api/v1/me/cases")["items"]
        if c["description"] == offline_text
    ]
    assert len(sent) == 1, sent


def test_a_grid_worker_without_signal_acts_exactly_once(
    page: Page, context: Any, live_server: str
) -> None:
    resident, office, worker = (
        Api(live_server, RESIDENT),
        Api(live_server, OFFICE),
        Api(live_server, GRID_WORKER),
    )
    worker_id = worker.call("GET", "/api/v1/me")["id"]
    clerk_id = Api(live_server, CLERK).call("GET", "/api/v1/me")["id"]
    cases = [raise_case(resident, floor=n + 2) for n in range(4)]
    for case in cases:
        act(office, case, "accept")
        act(office, case, "dispatch", assignee_id=worker_id)

    page.goto("/")
    log_in_ok(page, GRID_WORKER)
    wait_for_service_worker(page)
    # The day's screen says how many cases wait, and leads to the inbox.
    page.goto("/#/visits")
    row = page.get_by_test_id("task-cases_inbox")
    expect(row).to_be_visible()
    assert int(row.get_attribute("data-count") or 0) >= 4
    shoot(page, "day-waits-360")
    row.locator("a").click()
    expect(page.get_by_test_id("app-shell")).to_have_attribute("data-view", "case-inbox")
    for case in cases:
        expect(page.locator(f'[data-testid="case-item"][data-id="{case["id"]}"]')).to_be_visible()

    context.set_offline(True)
    expect(page.get_by_test_id("net-status")).to_have_attribute("data-online", "false")
    for n, case in enumerate(cases[:3]):
        card = page.locator(f'[data-testid="case-item"][data-id="{case["id"]}"]')
        card.get_by_test_id("case-do-start").click()
        expect(card.get_by_test_id("case-waiting")).to_have_attribute("data-count", "1")
        card.get_by_test_id("case-do-resolve").click()
        card.get_by_test_id("case-submit").click()
        expect(card.get_by_test_id("case-missing")).to_be_visible()  # what was done?
        card.get_by_test_id("case-note").fill(f"换了新灯泡，第{n + 1}件")
        if n == 0:
            card.get_by_test_id("case-photo-input").set_input_files(
                photo_file(camera_jpeg(page, 1600, 1200))
            )
            expect(card.get_by_test_id("case-photo-preview")).to_be_visible()
        card.get_by_test_id("case-submit").click()
        expect(card.get_by_test_id("case-waiting")).to_have_attribute("data-count", "2")
    # The fourth is started offline, and meanwhile the office gives it to someone else.
    fourth = page.locator(f'[data-testid="case-item"][data-id="{cases[3]["id"]}"]')
    fourth.get_by_test_id("case-do-start").click()
    expect(fourth.get_by_test_id("case-waiting")).to_be_visible()
    act(office, cases[3], "dispatch", assignee_id=clerk_id)
    expect(page.get_by_test_id("outbox-pending")).to_have_attribute("data-count", "7")
    shoot(page, "inbox-offline-360", full_page=True)

    # The phone's browser is closed and opened again, still with no signal.
    page.reload()
    expect(page.get_by_test_id("outbox-pending")).to_have_attribute("data-count", "7")
    expect(page.locator('[data-testid="case-item"]').first).to_be_visible()
    expect(
        page.locator(f'[data-testid="case-item"][data-id="{cases[0]["id"]}"]').get_by_test_id(
            "case-waiting"
        )
    ).to_have_attribute("data-count", "2")
    for case in cases[:3]:
        assert worker.call("GET", f"/api/v1/cases/{case['id']}")["state"] == "dispatched"

    context.set_offline(False)
    expect(page.get_by_test_id("outbox-pending")).to_have_count(0, timeout=SLOW)
    conflict = page.get_by_test_id("case-conflict")
    expect(conflict).to_have_count(1)
    expect(conflict.get_by_test_id("case-conflict-reason")).not_to_be_empty()
    shoot(page, "inbox-conflict-360", full_page=True)
    for n, case in enumerate(cases[:3]):
        after = worker.call("GET", f"/api/v1/cases/{case['id']}")
        assert after["state"] == "resolved", after
        assert [e["action"] for e in after["history"]] == [
            "report",
            "accept",
            "dispatch",
            "start",
            "resolve",
        ], after["history"]
        assert after["resolution"] == f"换了新灯泡，第{n + 1}件"
        assert bool(after["resolution_photo"]) is (n == 0)
    moved = office.call("GET", f"/api/v1/cases/{cases[3]['id']}")
    assert moved["state"] == "dispatched" and moved["assignee_id"] == clerk_id
    assert [e["action"] for e in moved["history"]].count("start") == 0
    # The worker acknowledges the conflict; nothing is left set aside.
    conflict.get_by_test_id("case-conflict-dismiss").click()
    expect(page.get_by_test_id("case-conflict")).to_have_count(0)
    expect(page.get_by_test_id("outbox-failed")).to_have_count(0)


def test_the_office_filters_dispatches_closes_and_takes_in(browser: Any, live_server: str) -> None:
    resident, office, worker = (
        Api(live_server, RESIDENT),
        Api(live_server, OFFICE),
        Api(live_server, GRID_WORKER),
    )
    worker_id = worker.call("GET", "/api/v1/me")["id"]
    to_dispatch = raise_case(resident, "roof_leak", where="roof", floor=5)
    act(office, to_dispatch, "accept")
    to_close = raise_case(resident, "roof_leak", where="wall", floor=3)
    act(office, to_close, "accept")
    act(office, to_close, "dispatch", assignee_id=worker_id)
    act(worker, to_close, "start")
    act(worker, to_close, "resolve", note="外墙补好了")

    ctx = browser.new_context(
        viewport=DESK, locale="zh-CN", base_url=live_server, service_workers="allow"
    )
    ctx.set_default_timeout(15_000)
    try:
        page = ctx.new_page()
        page.goto("/")
        log_in_ok(page, OFFICE)
        page.get_by_test_id("home-office-cases").click()
        expect(page.get_by_test_id("case-table")).to_be_visible()
        page.get_by_test_id("filter-state").select_option("accepted")
        row = page.locator(f'[data-testid="case-row"][data-id="{to_dispatch["id"]}"]')
        expect(row).to_be_visible()
        expect(page.locator('[data-testid="case-row"]:not([data-state="accepted"])')).to_have_count(
            0
        )
        page.get_by_test_id("filter-item").select_option("roof_leak")
        expect(row).to_be_visible()
        shoot(page, "office-list-1280")

        row.get_by_test_id("case-row-open").click()
        expect(page.get_by_test_id("case-detail")).to_have_attribute("data-state", "accepted")
        page.get_by_test_id("case-do-dispatch").click()
        page.get_by_test_id("case-submit").click()
        expect(page.get_by_test_id("case-missing")).to_be_visible()
        page.get_by_test_id("case-assignee").select_option(str(worker_id))
        shoot(page, "office-dispatch-1280", full_page=True)
        page.get_by_test_id("case-submit").click()
        expect(page.get_by_test_id("case-detail")).to_have_attribute("data-state", "dispatched")
        assert office.call("GET", f"/api/v1/cases/{to_dispatch['id']}")["assignee_id"] == worker_id

        page.goto("/#/cases/office")
        page.get_by_test_id("filter-state").select_option("resolved")
        row = page.locator(f'[data-testid="case-row"][data-id="{to_close["id"]}"]')
        row.get_by_test_id("case-row-open").click()
        expect(page.get_by_test_id("case-resolution")).to_have_text("外墙补好了")
        page.get_by_test_id("case-do-close").click()
        page.get_by_test_id("case-submit").click()
        expect(page.get_by_test_id("case-detail")).to_have_attribute("data-state", "closed")
        # The callback 回访 is offered once it is closed.
        page.get_by_test_id("case-do-callback").click()
        page.locator('[data-testid="case-satisfaction"][data-value="1"]').click()
        page.get_by_test_id("case-submit").click()
        expect(page.get_by_test_id("case-satisfaction-shown")).to_have_text("满意")
        shoot(page, "office-closed-1280", full_page=True)

        # A walk-in resident at the window, who agreed.
        page.goto("/#/cases/new")
        page.locator('[data-testid="case-category"][data-value="sanitation"]').click()
        page.locator('[data-testid="case-item-pick"][data-value="sewer"]').click()
        expect(page.locator('[data-testid="case-channel"][data-value="window"]')).to_have_attribute(
            "aria-pressed", "true"
        )
        page.get_by_test_id("wish-for-search").fill("孙")
        page.get_by_test_id("wish-for-result").first.click()
        picked = page.get_by_test_id("wish-for-picked").get_attribute("data-id")
        text = f"居民来窗口说下水道堵了 {random.randrange(10**6)}"
        page.get_by_test_id("case-description").fill(text)
        page.get_by_test_id("case-submit").click()
        expect(page.get_by_test_id("case-error")).to_be_visible()  # no consent yet
        page.get_by_test_id("case-consent").check()
        shoot(page, "office-intake-1280", full_page=True)
        page.get_by_test_id("case-submit").click()
        expect(page.get_by_test_id("case-sent")).to_be_visible(timeout=SLOW)
        number = page.get_by_test_id("case-sent-number").inner_text()
        listed = office.call("GET", f"/api/v1/communities/{DENGYUE}/cases?item=sewer")["items"]
        taken = next(c for c in listed if c["number"] == number)
        full = office.call("GET", f"/api/v1/cases/{taken['id']}")
        assert full["channel"] == "window" and full["on_behalf"] is True
        assert full["consent_note"] and full["description"] == text
        assert picked

        # A hotline caller: a phone number and the grid, no account.
        page.goto("/#/cases/office")
        page.get_by_test_id("office-intake").click()
        page.locator('[data-testid="case-category"][data-value="sanitation"]').click()
        page.locator('[data-testid="case-item-pick"][data-value="sewer"]').click()
        page.locator('[data-testid="case-channel"][data-value="hotline"]').click()
        page.get_by_test_id("case-contact-phone").fill("13912345678")
        page.get_by_test_id("case-intake-grid").select_option(index=1)
        page.get_by_test_id("case-description").fill("热线：小区门口下水道反味")
        page.get_by_test_id("case-submit").click()
        expect(page.get_by_test_id("case-sent")).to_be_visible(timeout=SLOW)
        number = page.get_by_test_id("case-sent-number").inner_text()
        listed = office.call("GET", f"/api/v1/communities/{DENGYUE}/cases?item=sewer")["items"]
        called = office.call(
            "GET", f"/api/v1/cases/{next(c for c in listed if c['number'] == number)['id']}"
        )
        assert called["channel"] == "hotline" and called["reporter_phone"], called

        # The same list on a phone: cards, not a table.
        page.set_viewport_size({"width": 360, "height": 740})
        page.goto("/#/cases/office")
        expect(page.locator('[data-testid="case-item"]').first).to_be_visible()
        expect(page.get_by_test_id("case-table")).to_be_hidden()
        shoot(page, "office-list-360")
    finally:
        ctx.close()
