"""The grid worker's side of service cases on a 360 px phone: a need found on a visit
becomes a case in the same tap, with no signal, and arrives once when the network
returns; the inbox on the map, markers coloured by deadline, opening a case, offline
too."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, Page, expect

from tests.browser.pages import city_today, log_in_ok, wait_for_service_worker
from tests.browser.test_cases_pwa import SHOTS, act, raise_case
from tests.browser.test_visits_pwa import visits_by_id
from tests.browser.test_wishes_pwa import SLOW, Api

RESIDENT = "13800000007"  # 孙桂兰, lives in the first grid of 登月社区
OFFICE = "13800000003"  # 王秀英, 登月社区 admin
CLERK = "13800000004"  # 登月社区 window clerk
GRID_WORKER = "13800000005"  # 陈志强, 登月社区 first grid
DENGYUE = "410902001001"


def shoot_part(part: Locator, name: str) -> None:
    """A screenshot of one part of the screen (a full-page one resizes the viewport,
    and a click right after it can miss)."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        part.screenshot(path=str(Path(SHOTS) / f"cases-{name}.png"))


BUILDING = "410902001001001B001"  # 登月小区1号楼, in the first grid
CITY = ZoneInfo("Asia/Shanghai")  # deadlines are the city's days


def a_planned_visit(office: Api, worker: Api) -> tuple[str, dict[str, Any]]:
    """A household of the worker's to visit from today on (the week planned for it)."""
    office.call(
        "POST",
        "/api/v1/residents",
        {
            "name": f"走访工单{random.randrange(10**6)}",
            "building_code": BUILDING,
            "care_tags": ["elderly_alone"],
        },
    )
    today = city_today()
    monday = today - timedelta(days=today.weekday())
    office.call(
        "POST", f"/api/v1/communities/{DENGYUE}/visit-plan", {"week_start": monday.isoformat()}
    )
    for offset in range(7 - today.weekday()):
        day = (today + timedelta(days=offset)).isoformat()
        planned = [
            v
            for v in worker.call("GET", f"/api/v1/me/visits?on={day}")["visits"]
            if v["state"] == "planned" and "record" in v["allowed_actions"]
        ]
        if planned:
            return day, planned[0]
    raise AssertionError("the plan gave the grid worker no visit from today on")


def test_a_need_found_on_a_visit_becomes_a_case_without_signal(
    page: Page, context: Any, live_server: str
) -> None:
    office, worker = Api(live_server, OFFICE), Api(live_server, GRID_WORKER)
    day, visit = a_planned_visit(office, worker)

    page.goto("/")
    log_in_ok(page, GRID_WORKER)
    wait_for_service_worker(page)
    page.get_by_test_id("home-visits").click()
    page.get_by_test_id("visits-date").fill(day)
    card = page.locator(f'[data-testid="visit"][data-id="{visit["id"]}"]')
    expect(card).to_be_visible()

    # In the stairwell: no signal. The day, the catalogue and the map are on the phone.
    context.set_offline(True)
    expect(page.get_by_test_id("net-status")).to_have_attribute("data-online", "false")
    card.get_by_test_id("visit-open").click()
    card.locator('[data-testid="visit-condition"][data-value="fair"]').click()
    card.locator('[data-testid="visit-need"][data-value="repair"]').click()
    card.get_by_test_id("visit-notes").fill("厨房水管渗水，老人自己修不了")
    card.get_by_test_id("visit-as-cases").check()
    need = card.locator('[data-testid="visit-case"][data-need="repair"]')
    # Repair starts as a housing-repair item; its required questions are asked here.
    expect(need.get_by_test_id("visit-case-item")).to_have_value("roof_leak")
    expect(need.locator('[data-testid="case-field"][data-key="where"]')).to_be_visible()
    card.get_by_test_id("visit-save").click()
    expect(need.get_by_test_id("case-field-error")).to_be_visible()  # where is the leak?
    expect(page.get_by_test_id("outbox-pending")).to_have_count(0)  # nothing kept half-done
    need.locator('[data-testid="case-field"][data-key="floor"] input').fill("3")
    need.locator('[data-testid="case-field-choice"][data-value="kitchen"]').click()
    shoot_part(card, "visit-need-as-case-360")
    card.get_by_test_id("visit-save").click()

    expect(card).to_have_attribute("data-state", "waiting")
    expect(page.get_by_test_id("visits-cases-raised")).to_be_visible()
    expect(page.get_by_test_id("outbox-pending")).to_have_attribute("data-count", "2")
    shoot_part(card, "visit-case-queued-360")
    assert not [
        c
        for c in worker.call("GET", "/api/v1/me/case-inbox?limit=100")["items"]
        if c["visit_id"] == visit["id"]
    ]

    # The phone is closed and opened again, then the signal returns.
    page.reload()
    expect(page.get_by_test_id("outbox-pending")).to_have_attribute("data-count", "2")
    context.set_offline(False)
    expect(page.get_by_test_id("outbox-pending")).to_have_count(0, timeout=SLOW)
    expect(page.get_by_test_id("outbox-failed")).to_have_count(0)

    # Done today, a visit planned for a later day is dated today.
    recorded = list(visits_by_id(worker, day, city_today()).values())
    assert [v["state"] for v in recorded if v["id"] == visit["id"]] == ["done"]
    found = [
        c
        for c in worker.call("GET", "/api/v1/me/case-inbox?limit=100")["items"]
        if c["visit_id"] == visit["id"]
    ]
    assert len(found) == 1, found
    case = office.call("GET", f"/api/v1/cases/{found[0]['id']}")
    assert case["channel"] == "visit" and case["visit_id"] == visit["id"]
    assert case["reporter"] == visit["resident"]  # the visit's resident reports it
    assert case["item"]["code"] == "roof_leak"
    assert case["fields"] == {"where": "kitchen", "floor": 3}
    assert "厨房水管渗水" in case["description"]
    assert [e["action"] for e in case["history"]] == ["report"]


def test_the_inbox_on_the_map_opens_a_case_offline_too(
    page: Page, context: Any, live_server: str
) -> None:
    resident, office, worker = (
        Api(live_server, RESIDENT),
        Api(live_server, OFFICE),
        Api(live_server, GRID_WORKER),
    )
    worker_id = worker.call("GET", "/api/v1/me")["id"]
    mine = raise_case(resident, floor=5)  # at the resident's building, in the worker's grid
    act(office, mine, "accept")
    act(office, mine, "dispatch", assignee_id=worker_id)
    other = raise_case(resident, floor=6)  # received: waits in the grid's inbox

    page.goto("/")
    log_in_ok(page, GRID_WORKER)
    wait_for_service_worker(page)
    page.get_by_test_id("offline-ready").get_by_role("button").click()  # read, out of the way
    page.goto("/#/cases/inbox")
    expect(page.get_by_test_id("case-inbox")).to_have_attribute("data-state", "ready")
    inbox = worker.call("GET", "/api/v1/me/case-inbox?limit=100")["items"]
    placed = [c for c in inbox if c["lon"] is not None and c["lat"] is not None]
    assert {mine["id"], other["id"]} <= {c["id"] for c in placed}

    page.get_by_test_id("inbox-view-map").click()
    the_map = page.get_by_test_id("inbox-map")
    expect(the_map).to_have_attribute("data-state", "ready")
    expect(the_map).to_have_attribute("data-markers", str(len(placed)))
    today = city_today()
    markers = page.get_by_test_id("case-marker")
    expect(markers).to_have_count(len(placed))
    # Coloured by deadline: what the server says is overdue is red, and the legend counts agree.
    for c in placed:
        due = page.locator(f'[data-testid="case-marker"][data-id="{c["id"]}"]').get_attribute(
            "data-due"
        )
        assert due in ("overdue", "today", "later")
        assert (due == "overdue") is c["overdue"], (c["number"], due)
        due_day = c["due_at"] and datetime.fromisoformat(c["due_at"]).astimezone(CITY).date()
        assert (due == "today") is (not c["overdue"] and due_day == today), (c, due)
    overdue = sum(1 for c in placed if c["overdue"])
    expect(page.get_by_test_id("inbox-legend-overdue")).to_have_text(str(overdue))
    shoot_part(page.get_by_test_id("inbox-map-view"), "inbox-map-360")

    # Tapping a marker shows the case; "open" leads to its page.
    marker = page.locator(f'[data-testid="case-marker"][data-id="{mine["id"]}"]')
    marker.click()
    popup = page.locator(f'[data-testid="case-popup"][data-id="{mine["id"]}"]')
    expect(popup).to_be_visible()
    expect(popup).to_contain_text(mine["number"])
    page.wait_for_function(  # faded in, for the picture
        "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )
    shoot_part(page.get_by_test_id("inbox-map-view"), "inbox-map-popup-360")
    popup.get_by_test_id("case-popup-open").click()
    detail = page.get_by_test_id("case-detail")
    expect(detail).to_have_attribute("data-id", str(mine["id"]))
    expect(detail.get_by_test_id("case-detail-number")).to_contain_text(mine["number"])

    # The choice is kept; with no signal the map still opens from what the phone keeps,
    # and a marker leads to the case's card in the list, with its actions.
    page.goto("/#/cases/inbox")
    expect(page.get_by_test_id("case-inbox")).to_have_attribute("data-view", "map")
    context.set_offline(True)
    page.reload()
    expect(page.get_by_test_id("net-status")).to_have_attribute("data-online", "false")
    expect(page.get_by_test_id("inbox-map")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("case-marker")).to_have_count(len(placed))
    page.locator(f'[data-testid="case-marker"][data-id="{other["id"]}"]').click()
    page.locator(f'[data-testid="case-popup"][data-id="{other["id"]}"]').get_by_test_id(
        "case-popup-open"
    ).click()
    expect(page.get_by_test_id("case-inbox")).to_have_attribute("data-view", "list")
    card = page.locator(f'[data-testid="case-item"][data-id="{other["id"]}"]')
    expect(card).to_be_in_viewport()
    expect(card.get_by_test_id("case-open")).to_be_focused()
    shoot_part(card, "inbox-map-offline-card-360")
    context.set_offline(False)


def test_a_case_moved_away_meanwhile_shows_its_conflict_on_the_map_too(
    page: Page, context: Any, live_server: str
) -> None:
    """Three cases started with no signal; meanwhile the office transfers one to another
    grid (it leaves the worker's inbox) and gives one to a colleague (it stays in the
    grid's inbox). Back online: the third is started once; the other two starts are set
    aside with the server's reason, shown above the map (the one still here with its card)."""
    resident, office, worker = (
        Api(live_server, RESIDENT),
        Api(live_server, OFFICE),
        Api(live_server, GRID_WORKER),
    )
    worker_id = worker.call("GET", "/api/v1/me")["id"]
    clerk_id = Api(live_server, CLERK).call("GET", "/api/v1/me")["id"]
    kept, moved, given = (raise_case(resident, floor=n) for n in (7, 8, 9))
    for case in (kept, moved, given):
        act(office, case, "accept")
        act(office, case, "dispatch", assignee_id=worker_id)
    grids = [a["code"] for a in office.call("GET", "/api/v1/areas?level=grid")]
    here = office.call("GET", f"/api/v1/cases/{moved['id']}")
    elsewhere = next(code for code in grids if code.startswith(DENGYUE) and code != BUILDING[:15])

    page.goto("/")
    log_in_ok(page, GRID_WORKER)
    wait_for_service_worker(page)
    page.goto("/#/cases/inbox")
    page.get_by_test_id("inbox-view-list").click()
    context.set_offline(True)
    expect(page.get_by_test_id("net-status")).to_have_attribute("data-online", "false")
    for case in (kept, moved, given):
        card = page.locator(f'[data-testid="case-item"][data-id="{case["id"]}"]')
        card.get_by_test_id("case-do-start").click()
        expect(card.get_by_test_id("case-waiting")).to_have_attribute("data-count", "1")
    act(office, here, "transfer", grid_code=elsewhere, reason="不属于本网格，转第二网格处理")
    act(office, given, "dispatch", assignee_id=clerk_id)
    expect(page.get_by_test_id("outbox-pending")).to_have_attribute("data-count", "3")

    page.get_by_test_id("inbox-view-map").click()
    context.set_offline(False)
    expect(page.get_by_test_id("outbox-pending")).to_have_count(0, timeout=SLOW)
    expect(page.get_by_test_id("case-conflict")).to_have_count(2)
    conflict = page.locator(
        f'[data-testid="case-actions"][data-id="{moved["id"]}"] [data-testid="case-conflict"]'
    )
    expect(conflict.get_by_test_id("case-conflict-reason")).not_to_be_empty()
    expect(conflict).to_contain_text(moved["number"])  # which case, though it left the list
    here_still = page.locator(f'[data-testid="case-item"][data-id="{given["id"]}"]')
    expect(here_still.get_by_test_id("case-conflict-reason")).not_to_be_empty()
    expect(page.get_by_test_id("inbox-map")).to_be_visible()
    shoot_part(conflict, "inbox-map-conflict-360")
    shoot_part(here_still, "inbox-map-conflict-card-360")
    # The moved case leaves the inbox; its marker with it.
    expect(page.locator(f'[data-testid="case-marker"][data-id="{moved["id"]}"]')).to_have_count(0)

    started = worker.call("GET", f"/api/v1/cases/{kept['id']}")
    assert started["state"] == "in_progress"
    assert [e["action"] for e in started["history"]].count("start") == 1
    after = office.call("GET", f"/api/v1/cases/{moved['id']}")
    assert after["state"] == "received" and "start" not in [e["action"] for e in after["history"]]
    other = office.call("GET", f"/api/v1/cases/{given['id']}")
    assert other["assignee_id"] == clerk_id and other["state"] == "dispatched"
    # Acknowledged, nothing stays set aside.
    conflict.get_by_test_id("case-conflict-dismiss").click()
    here_still.get_by_test_id("case-conflict-dismiss").click()
    expect(page.get_by_test_id("case-conflict")).to_have_count(0)
    expect(page.get_by_test_id("outbox-failed")).to_have_count(0)
