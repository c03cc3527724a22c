"""The office's actions on a service case 民意快线 in the real PWA, on a phone (360 px) and
at a desk (1280 px): refusing with a reason the resident then reads, transferring to
another grid, escalating to the sub-district (whose administrator then finds it),
changing the service item 改派事项, merging a duplicate after a confirmation, a
supervision note 督办 from the sub-district, and an extension the grid worker asks for
and the sub-district approves.

Screenshots go to ``LINLI_SHOTS_DIR`` when it is set (``cases-office-*.png``)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import log_in_ok, wait_for_service_worker
from tests.browser.test_cases_pwa import (
    DENGYUE,
    GRID_WORKER,
    OFFICE,
    RESIDENT,
    act,
    raise_case,
    shoot,
)
from tests.browser.test_wishes_pwa import Api

SUBDISTRICT = "13800000002"  # 中原路街道's administrator, above 登月社区
PHONE = {"width": 360, "height": 740}
WIDTHS = [360, 1280]

Open = Callable[..., Page]


@pytest.fixture
def open_as(browser: Any, live_server: str) -> Iterator[Open]:
    """``open_as(phone, width)``: a page of its own, signed in, at that width."""
    contexts: list[Any] = []

    def open_page(phone: str, width: int = 360) -> Page:
        viewport = PHONE if width == 360 else {"width": width, "height": 800}
        ctx = browser.new_context(
            viewport=viewport, locale="zh-CN", base_url=live_server, service_workers="allow"
        )
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        page: Page = ctx.new_page()
        page.goto("/")
        log_in_ok(page, phone)
        # Installed for offline use, as on a real phone; its notice put away (screenshots).
        wait_for_service_worker(page)
        page.get_by_test_id("offline-ready").get_by_role("button").click()
        expect(page.get_by_test_id("offline-ready")).to_have_count(0)
        return page

    yield open_page
    for ctx in contexts:
        ctx.close()


def open_case(page: Page, case: dict[str, Any], state: str) -> None:
    page.goto(f"/#/cases/{case['id']}")
    expect(page.get_by_test_id("case-detail")).to_have_attribute("data-state", state)
    expect(page.get_by_test_id("case-detail")).to_have_attribute("data-id", str(case["id"]))


def fits(page: Page) -> None:
    """Nothing wider than the screen (a button or a line that would make it scroll sideways)."""
    wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"the page is {wide} px wider than the screen"


def last_event(page: Page) -> Any:
    return page.get_by_test_id("case-event").last


@pytest.mark.parametrize("width", WIDTHS)
def test_the_office_refuses_transfers_and_changes_the_item(
    open_as: Open, live_server: str, width: int
) -> None:
    resident, office = Api(live_server, RESIDENT), Api(live_server, OFFICE)
    refused = raise_case(resident, floor=3)
    moved = raise_case(resident, floor=4)
    wrong = raise_case(resident, floor=5)
    page = open_as(OFFICE, width)

    # Refused with a reason: asked for, then sent; the resident reads it on her case.
    open_case(page, refused, "received")
    page.get_by_test_id("case-do-reject").click()
    page.get_by_test_id("case-submit").click()
    expect(page.get_by_test_id("case-missing")).to_be_visible()
    reason = f"楼道灯由物业维修，已转告物业 {random.randrange(1000)}"
    page.get_by_test_id("case-reason").fill(reason)
    shoot(page, f"office-reject-{width}", full_page=True)
    fits(page)
    page.get_by_test_id("case-submit").click()
    expect(page.get_by_test_id("case-detail")).to_have_attribute("data-state", "rejected")
    expect(page.get_by_test_id("case-reject-reason")).to_have_text(reason)
    her = open_as(RESIDENT)
    open_case(her, refused, "rejected")
    expect(her.get_by_test_id("case-reject-reason")).to_have_text(reason)
    expect(her.get_by_test_id("case-hint")).to_be_visible()
    expect(her.locator('[data-testid="case-event"][data-action="reject"]')).to_contain_text(reason)
    shoot(her, "resident-rejected-360", full_page=True)
    fits(her)

    # Transferred to the second grid of 登月社区.
    grids = [g["code"] for g in office.call("GET", "/api/v1/areas?level=grid")]
    before = office.call("GET", f"/api/v1/cases/{moved['id']}")
    open_case(page, moved, "received")
    page.get_by_test_id("case-do-transfer").click()
    target = next(
        g
        for g in office.call("GET", "/api/v1/areas?level=grid")
        if g["name"] != before["grid"] and g["code"].startswith(DENGYUE)
    )
    assert target["code"] in grids
    page.get_by_test_id("case-grid").select_option(target["code"])
    page.get_by_test_id("case-reason").fill("地点在隔壁网格")
    shoot(page, f"office-transfer-{width}", full_page=True)
    page.get_by_test_id("case-submit").click()
    expect(last_event(page)).to_have_attribute("data-action", "transfer")
    after = office.call("GET", f"/api/v1/cases/{moved['id']}")
    assert after["grid"] != before["grid"] and after["state"] == "received"
    assert after["returns"] == 1

    # 改派事项: a leaking roof, not a stairwell light. The new item asks where.
    open_case(page, wrong, "received")
    expect(page.get_by_test_id("case-close-level")).to_have_text("网格")
    page.get_by_test_id("case-reclassify-open").click()
    page.get_by_test_id("case-reclassify-item").select_option("roof_leak")
    where = page.locator(
        '[data-testid="case-reclassify"] [data-testid="case-field"][data-key="where"]'
    )
    floor = page.locator(
        '[data-testid="case-reclassify"] [data-testid="case-field"][data-key="floor"]'
    )
    expect(floor.get_by_test_id("case-field-input")).to_have_value("5")  # kept from the old item
    page.get_by_test_id("case-reclassify-submit").click()
    expect(where.get_by_test_id("case-field-error")).to_be_visible()
    where.locator('[data-testid="case-field-choice"][data-value="kitchen"]').click()
    page.get_by_test_id("case-reclassify-submit").click()
    expect(page.get_by_test_id("case-missing")).to_be_visible()  # and why?
    page.locator('[data-testid="case-reclassify"] [data-testid="case-reason"]').fill(
        "居民说的是厨房屋顶漏水"
    )
    shoot(page, f"office-reclassify-{width}", full_page=True)
    fits(page)
    page.get_by_test_id("case-reclassify-submit").click()
    expect(page.get_by_test_id("case-detail-item")).to_have_text("房屋漏水")
    expect(page.get_by_test_id("case-close-level")).to_have_text("社区")
    expect(last_event(page)).to_have_attribute("data-action", "reclassify")
    expect(last_event(page)).to_contain_text("居民说的是厨房屋顶漏水")
    shoot(page, f"office-reclassified-{width}", full_page=True)
    changed = office.call("GET", f"/api/v1/cases/{wrong['id']}")
    assert changed["item"]["code"] == "roof_leak"
    assert changed["fields"] == {"where": "kitchen", "floor": 5}
    assert datetime.fromisoformat(changed["due_at"]) > datetime.fromisoformat(wrong["due_at"])


@pytest.mark.parametrize("width", WIDTHS)
def test_the_office_escalates_and_merges_a_duplicate(
    open_as: Open, live_server: str, width: int
) -> None:
    resident, office = Api(live_server, RESIDENT), Api(live_server, OFFICE)
    up = raise_case(resident, floor=6)
    act(office, up, "accept")
    # Two reports of the same rubbish from her building: the second repeats the first.
    first = raise_case(resident, "garbage")
    again = raise_case(resident, "garbage")
    page = open_as(OFFICE, width)

    # Escalated by hand, grid → community → sub-district.
    open_case(page, up, "accepted")
    for level in ("社区", "街道"):
        page.get_by_test_id("case-do-escalate").click()
        page.get_by_test_id("case-reason").fill(f"需要{level}协调")
        page.get_by_test_id("case-submit").click()
        expect(page.get_by_test_id("case-level")).to_have_text(level)
    shoot(page, f"office-escalated-{width}", full_page=True)
    fits(page)
    # The sub-district's administrator finds it in 登月社区's cases, held at their level.
    sub = open_as(SUBDISTRICT, width)
    sub.get_by_test_id("home-office-cases").click()
    picker = sub.get_by_test_id("cases-community")
    if picker.count():
        picker.select_option(DENGYUE)
    sub.get_by_test_id("filter-state").select_option("accepted")
    sub.get_by_test_id("filter-level").select_option("sub_district")
    expect(sub.locator('[data-testid="case-item"]:not([data-state="accepted"])')).to_have_count(0)
    if width >= 1024:
        found = sub.locator(f'[data-testid="case-row"][data-id="{up["id"]}"]')
        expect(found.get_by_test_id("case-row-level")).to_have_text("在街道办理")
        shoot(sub, f"subdistrict-list-{width}")
        found.get_by_test_id("case-row-open").click()
    else:
        found = sub.locator(f'[data-testid="case-item"][data-id="{up["id"]}"]')
        expect(found.get_by_test_id("case-item-level")).to_have_text("在街道办理")
        shoot(sub, f"subdistrict-list-{width}")
        found.get_by_test_id("case-open").click()
    expect(sub.get_by_test_id("case-detail")).to_have_attribute("data-id", str(up["id"]))
    expect(sub.get_by_test_id("case-level")).to_have_text("街道")
    expect(sub.get_by_test_id("case-do-dispatch")).to_be_visible()  # theirs to work now

    # Merged, after a confirmation, into the report it repeats.
    open_case(page, again, "received")
    dup = page.locator(f'[data-testid="case-dup"][data-id="{first["id"]}"]')
    expect(dup).to_be_visible()
    expect(page.locator(f'[data-testid="case-dup"][data-id="{again["id"]}"]')).to_have_count(0)
    dup.get_by_test_id("case-dup-merge").click()
    ask = dup.get_by_test_id("case-dup-merge-ask")
    expect(ask).to_contain_text(again["number"])
    expect(ask).to_contain_text(first["number"])
    dup.scroll_into_view_if_needed()
    shoot(page, f"office-merge-ask-{width}", full_page=True)
    fits(page)
    dup.get_by_test_id("case-dup-merge-confirm").click()
    expect(page.get_by_test_id("case-detail")).to_have_attribute("data-state", "merged")
    expect(page.get_by_test_id("case-duplicates")).to_have_count(0)
    expect(page.get_by_test_id("case-state")).to_have_text("已合并到其他诉求")
    shoot(page, f"office-merged-{width}", full_page=True)
    into = office.call("GET", f"/api/v1/cases/{first['id']}")
    assert into["history"][-1]["action"] == "merged_in"
    assert into["history"][-1]["note"] == again["number"]
    assert office.call("GET", f"/api/v1/cases/{again['id']}")["merged_into"] == first["number"]


@pytest.mark.parametrize("width", WIDTHS)
def test_supervision_and_an_extension_approved_above(
    open_as: Open, live_server: str, width: int
) -> None:
    resident, office, worker = (
        Api(live_server, RESIDENT),
        Api(live_server, OFFICE),
        Api(live_server, GRID_WORKER),
    )
    case = raise_case(resident, floor=7)
    act(office, case, "accept")
    case = act(office, case, "dispatch", assignee_id=worker.call("GET", "/api/v1/me")["id"])

    # The grid worker, on their phone, asks for six more working hours.
    phone = open_as(GRID_WORKER)
    open_case(phone, case, "dispatched")
    phone.get_by_test_id("case-do-request_extension").click()
    phone.get_by_test_id("case-hours").fill("6")
    phone.get_by_test_id("case-reason").fill("等灯具配件到货")
    shoot(phone, "worker-extension-360", full_page=True)
    fits(phone)
    phone.get_by_test_id("case-submit").click()
    expect(last_event(phone)).to_have_attribute("data-action", "request_extension")
    expect(last_event(phone)).to_contain_text("延期 6 个工作小时：等灯具配件到货")
    asked = worker.call("GET", f"/api/v1/cases/{case['id']}")
    assert asked["extension_hours"] == 6

    # The sub-district writes a supervision note, and approves the extension.
    sub = open_as(SUBDISTRICT, width)
    open_case(sub, case, "dispatched")
    sub.get_by_test_id("case-do-supervise").click()
    sub.get_by_test_id("case-note").fill("请今天内联系居民说明进度")
    shoot(sub, f"subdistrict-supervise-{width}", full_page=True)
    fits(sub)
    sub.get_by_test_id("case-submit").click()
    expect(last_event(sub)).to_have_attribute("data-action", "supervise")
    sub.get_by_test_id("case-do-approve_extension").click()
    expect(last_event(sub)).to_have_attribute("data-action", "approve_extension")
    expect(sub.get_by_test_id("case-do-approve_extension")).to_have_count(0)
    shoot(sub, f"subdistrict-approved-{width}", full_page=True)
    done = office.call("GET", f"/api/v1/cases/{case['id']}")
    assert done["extension_hours"] is None
    assert datetime.fromisoformat(done["due_at"]) > datetime.fromisoformat(asked["due_at"])

    # The worker reads the note on the case.
    phone.reload()
    note = phone.locator('[data-testid="case-event"][data-action="supervise"]')
    expect(note).to_contain_text("请今天内联系居民说明进度")
