"""The grid worker's day with no signal: the day's households are on the phone, five
visits are recorded offline, the page is closed and reopened, and when the network
returns each visit is stored exactly once."""

from __future__ import annotations

import os
import random
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.pages import city_today, log_in_ok, wait_for_service_worker
from tests.browser.test_wishes_pwa import SLOW, Api, camera_jpeg, photo_file

OFFICE = "13800000003"  # 王秀英, 登月社区 admin
GRID_WORKER = "13800000005"  # 陈志强, 登月社区 first grid
DENGYUE = "410902001001"
BUILDING = "410902001001001B001"  # 登月小区1号楼, in the first grid


def visits_by_id(worker: Api, *days: date | str) -> dict[int, dict[str, Any]]:
    """The worker's visits of the given days, by id. A visit recorded on another day
    than planned is dated the day it was done, so look there too."""
    return {
        v["id"]: v
        for day in {str(d) for d in days}
        for v in worker.call("GET", f"/api/v1/me/visits?on={day}")["visits"]
    }


def busiest_day(worker: Api, monday: date) -> tuple[str, list[dict[str, Any]]]:
    today = city_today()
    days = [monday + timedelta(days=i) for i in range(7) if monday + timedelta(days=i) >= today]
    found = [
        (d.isoformat(), worker.call("GET", f"/api/v1/me/visits?on={d}")["visits"]) for d in days
    ]
    return max(found, key=lambda f: len([v for v in f[1] if v["state"] == "planned"]))


def test_a_shift_without_signal_records_each_visit_exactly_once(
    page: Page, context: Any, live_server: str
) -> None:
    office, worker = Api(live_server, OFFICE), Api(live_server, GRID_WORKER)
    for _ in range(6):  # more elderly residents living alone in the worker's grid
        office.call(
            "POST",
            "/api/v1/residents",
            {
                "name": f"走访老人{random.randrange(10**6)}",
                "building_code": BUILDING,
                "care_tags": ["elderly_alone"],
            },
        )
    monday = city_today() - timedelta(days=city_today().weekday())
    report = office.call(
        "POST", f"/api/v1/communities/{DENGYUE}/visit-plan", {"week_start": monday.isoformat()}
    )
    assert report["planned"] >= 5, report
    day, of_the_day = busiest_day(worker, monday)
    planned = [v for v in of_the_day if v["state"] == "planned"]
    assert len(planned) >= 1, planned

    page.goto("/")
    log_in_ok(page, GRID_WORKER)
    wait_for_service_worker(page)
    page.get_by_test_id("home-visits").click()
    page.get_by_test_id("visits-date").fill(day)
    cards = page.get_by_test_id("visit")
    expect(cards).to_have_count(len(of_the_day))  # in walking order, noon first

    # What the page sends for visits, to check they travel in batches, each once.
    batches: list[dict[str, Any]] = []
    singles: list[str] = []

    def seen(request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/api/v1/visits/records"):
            batches.append(request.post_data_json)
        elif request.method == "POST" and request.url.endswith("/record"):
            singles.append(request.url)

    page.on("request", seen)

    # The second visit carries a photo and, with the worker's consent, where they were.
    photo = camera_jpeg(page, 1600, 1200)
    context.grant_permissions(["geolocation"], origin=live_server)
    context.set_geolocation({"latitude": 35.76123, "longitude": 115.03456})

    # No signal from here on: the households of the day are on the phone.
    context.set_offline(True)
    expect(page.get_by_test_id("net-status")).to_have_attribute("data-online", "false")
    recorded = planned[:5]
    for n, visit in enumerate(recorded):
        card = page.locator(f'[data-testid="visit"][data-id="{visit["id"]}"]')
        card.get_by_test_id("visit-open").click()
        card.get_by_test_id("visit-save").click()
        expect(
            card.get_by_test_id("visit-condition-missing")
        ).to_be_visible()  # says what is missing
        card.locator('[data-testid="visit-condition"][data-value="good"]').click()
        card.locator('[data-testid="visit-need"][data-value="meals"]').click()
        card.get_by_test_id("visit-notes").fill(f"第{n + 1}户，精神不错")
        if n == 0:  # the need found becomes a micro-wish for her, in the same tap
            card.get_by_test_id("visit-as-wishes").check()
        if n == 1:
            card.get_by_test_id("visit-photo-input").set_input_files(photo_file(photo))
            card.get_by_test_id("visit-where").check()
        card.get_by_test_id("visit-save").click()
        expect(card.get_by_test_id("visit-waiting")).to_be_visible()
    queued = len(recorded) + 1  # and the one wish
    expect(page.get_by_test_id("outbox-pending")).to_have_attribute("data-count", str(queued))
    # The sync state is on the day's screen too.
    expect(page.get_by_test_id("visits-syncing")).to_contain_text(str(len(recorded)))

    # The phone's browser is closed and opened again, still with no signal.
    page.reload()
    expect(page.get_by_test_id("outbox-pending")).to_have_attribute("data-count", str(queued))
    still = {
        v["id"]: v["state"] for v in worker.call("GET", f"/api/v1/me/visits?on={day}")["visits"]
    }
    assert all(still[v["id"]] == "planned" for v in recorded)  # nothing left the phone

    context.set_offline(False)
    expect(page.get_by_test_id("outbox-pending")).to_have_count(0, timeout=SLOW)
    expect(page.get_by_test_id("outbox-failed")).to_have_count(0)
    # Done today, a visit planned for a later day is dated today.
    after = visits_by_id(worker, day, city_today())
    for visit in recorded:
        assert after[visit["id"]]["state"] == "done", after[visit["id"]]
        assert after[visit["id"]]["needs"] == ["助餐"]
    wishes = [
        w for w in office.call("GET", "/api/v1/wishes/queue") if w["title"] == "走访发现：需要助餐"
    ]
    assert [w["beneficiary"] for w in wishes] == [recorded[0]["resident"]], wishes
    assert wishes[0]["on_behalf"] is True
    # The visits went in batches (the wish between them splits the queue in two), each
    # record once.
    sent = [r for b in batches for r in b["records"]]
    assert sorted(r["visit_id"] for r in sent) == sorted(v["id"] for v in recorded), batches
    assert len(batches) <= 2 and not singles, (batches, singles)
    # The photo went up first (a media key in the record), the place only where agreed.
    by_visit = {r["visit_id"]: r for r in sent}
    second = by_visit[recorded[1]["id"]]
    assert second.get("photo") and (second["lon"], second["lat"]) == (115.03456, 35.76123)
    assert all("lon" not in r and not r.get("photo") for r in sent if r is not second)
    # The same queued records replayed (a lost answer, the service worker and the page
    # both replaying) are stored once: the server answers "duplicate".
    replay = worker.call("POST", "/api/v1/visits/records", {"records": sent})
    assert [r["outcome"] for r in replay["results"]] == ["duplicate"] * len(sent), replay
    # A plain single record of a visit already stored is refused, not stored twice.
    again = recorded[0]
    try:
        worker.call("POST", f"/api/v1/visits/{again['id']}/record", {"condition": "good"})
        raise AssertionError("recorded twice")
    except AssertionError as refused:
        assert "409" in str(refused)


# Set to a folder to keep screenshots of the day (list and map, phone and desk).
SHOTS = os.environ.get("LINLI_SHOTS_DIR")


def shoot(page: Page, name: str, *, full_page: bool = False) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=full_page)


def a_day_with_both_windows(office: Api, worker: Api) -> tuple[str, list[dict[str, Any]]]:
    """Next week (every window still ahead): households in several buildings of the
    worker's grid, planned, then gathered by hand into one day, 3+ at noon and 3+ in
    the evening, and planned again so each window has its walking order."""
    buildings = [b["code"] for b in office.call("GET", f"/api/v1/buildings?q={BUILDING[:16]}")]
    assert len(buildings) >= 2, buildings
    for n in range(8):
        office.call(
            "POST",
            "/api/v1/residents",
            {
                "name": f"地图老人{random.randrange(10**6)}",
                "building_code": buildings[n % min(4, len(buildings))],
                "care_tags": ["elderly_alone"],
            },
        )
    monday = city_today() - timedelta(days=city_today().weekday()) + timedelta(days=7)
    week = {"week_start": monday.isoformat()}
    office.call("POST", f"/api/v1/communities/{DENGYUE}/visit-plan", week)
    me = int(worker.call("GET", "/api/v1/me")["id"])
    days = {
        d.isoformat(): worker.call("GET", f"/api/v1/me/visits?on={d}")["visits"]
        for d in (monday + timedelta(days=i) for i in range(7))
    }
    day = max(days, key=lambda d: len(days[d]))
    count = {w: len([v for v in days[day] if v["window"] == w]) for w in ("noon", "evening")}
    others = [v for d, vs in days.items() if d != day for v in vs if v["state"] == "planned"]
    for visit in others:
        window = min(count, key=lambda w: count[w])
        if count[window] >= 4:
            break
        office.call(
            "POST",
            f"/api/v1/visits/{visit['id']}/move",
            {"person_user_id": me, "visit_date": day, "window": window},
        )
        count[window] += 1
    assert min(count.values()) >= 3, count
    office.call("POST", f"/api/v1/communities/{DENGYUE}/visit-plan", week)
    return day, worker.call("GET", f"/api/v1/me/visits?on={day}")["visits"]


def test_the_day_on_the_map_with_no_signal(page: Page, context: Any, live_server: str) -> None:
    office, worker = Api(live_server, OFFICE), Api(live_server, GRID_WORKER)
    day, visits = a_day_with_both_windows(office, worker)
    by_window = {w: [v for v in visits if v["window"] == w] for w in ("noon", "evening")}
    assert all(len(here) >= 2 for here in by_window.values()), by_window

    page.goto("/")
    log_in_ok(page, GRID_WORKER)
    wait_for_service_worker(page)
    if page.get_by_test_id("offline-ready").is_visible():
        page.get_by_test_id("offline-ready").get_by_role("button").click()
    page.get_by_test_id("home-visits").click()
    page.get_by_test_id("visits-date").fill(day)
    expect(page.get_by_test_id("visit")).to_have_count(len(visits))
    # Each window says how far it walks (the server's total, in metres).
    walks = worker.call("GET", f"/api/v1/me/visits?on={day}")["walks"]
    for walk in walks:
        expect(page.get_by_test_id(f"visits-walk-{walk['window']}")).to_have_text(
            f"{walk['visits']} 户 · 步行约 {walk['walk_m']} 米"
        )
    # What else waits in the grid: the home screen's counts, linking to the board.
    waits = page.get_by_test_id("visits-waits")
    expect(waits.get_by_test_id("task-open_in_my_grids")).to_be_visible()
    expect(waits.locator('a[href="#/board"]')).to_be_visible()
    shoot(page, "phone-list", full_page=True)

    # The map: a numbered marker per household, a line per window, the grid under them.
    page.get_by_test_id("visits-view-map").click()
    the_map = page.get_by_test_id("walk-map")
    expect(the_map).to_have_attribute("data-state", "ready")
    markers = page.get_by_test_id("walk-marker")
    expect(markers).to_have_count(len(visits))
    for visit in visits:
        marker = page.locator(f'[data-testid="walk-marker"][data-id="{visit["id"]}"]')
        expect(marker).to_have_text(str(visit["position"]))
        expect(marker).to_have_attribute("data-window", visit["window"])
        expect(marker).to_have_attribute("data-state", "planned")
    for window in ("noon", "evening"):
        expect(page.locator(f"path.walkline--{window}")).to_have_count(1)
        expect(page.get_by_test_id(f"walk-legend-{window}")).to_contain_text("步行约")
    # The legend and the map fill the phone's screen once switched to.
    box = the_map.bounding_box()
    assert box and box["width"] >= 330 and box["height"] >= 400, box
    assert box["y"] + box["height"] <= 740, box
    shoot(page, "phone-map")

    # Tapping a marker says who lives there; from there, to their card to record the visit.
    first = by_window["evening"][0]
    page.locator(f'[data-testid="walk-marker"][data-id="{first["id"]}"]').click()
    popup = page.get_by_test_id("walk-popup")
    expect(popup).to_contain_text(first["resident"])
    expect(popup).to_contain_text("待走访")
    if first["arrive_at"]:
        expect(popup).to_contain_text(first["arrive_at"])
    page.wait_for_timeout(400)  # the popup fades in
    shoot(page, "phone-map-popup")
    popup.get_by_test_id("walk-open").click()
    card = page.locator(f'[data-testid="visit"][data-id="{first["id"]}"]')
    expect(card.get_by_test_id("visit-form")).to_be_visible()
    expect(card).to_be_in_viewport()

    # No signal: the visit is recorded on the phone, and its marker says so.
    context.set_offline(True)
    card.locator('[data-testid="visit-condition"][data-value="good"]').click()
    card.get_by_test_id("visit-save").click()
    expect(card.get_by_test_id("visit-waiting")).to_be_visible()
    page.get_by_test_id("visits-view-map").click()
    saved = f'[data-testid="walk-marker"][data-id="{first["id"]}"]'
    expect(page.locator(saved)).to_have_attribute("data-state", "saved")
    shoot(page, "phone-map-saved")

    # The page reloaded, still with no signal: the day and its map come from the phone.
    page.reload()
    page.get_by_test_id("visits-date").fill(day)
    expect(page.get_by_test_id("walk-map")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("walk-marker")).to_have_count(len(visits))
    expect(page.locator(saved)).to_have_attribute("data-state", "saved")
    for window in ("noon", "evening"):
        expect(page.locator(f"path.walkline--{window}")).to_have_count(1)
    expect(page.get_by_test_id("load-error")).to_have_count(0)
    expect(page.get_by_test_id("visits-waits")).to_be_visible()  # the last counts known
    shoot(page, "phone-map-offline")

    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_test_id("visits-view-map").click()
    expect(page.get_by_test_id("walk-marker")).to_have_count(len(visits))
    shoot(page, "desk-map")
    page.get_by_test_id("visits-view-list").click()
    expect(page.get_by_test_id("visit")).to_have_count(len(visits))
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "desk-list")
    assert re.search(r"\d", page.get_by_test_id("visits-walk-noon").inner_text())


def test_a_grid_worker_gives_the_hours_they_can_go_out(page: Page, live_server: str) -> None:
    """From the day screen to 我的走访时间 at 360 px: none given says every window is
    theirs; a noon slot from the community's windows is saved and read back; cleared
    again for the other tests."""
    worker = Api(live_server, GRID_WORKER)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/")
    log_in_ok(page, GRID_WORKER)
    page.get_by_test_id("home-visits").click()
    page.get_by_test_id("visits-hours-link").click()
    expect(page.get_by_test_id("visit-hours")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("visit-hours-every")).to_be_visible()
    expect(page.get_by_test_id("visit-hours-windows")).to_contain_text("12:00–14:00")
    try:
        page.get_by_test_id("availability-add-noon").click()
        page.get_by_test_id("availability-day").select_option("2")  # Wednesday
        expect(page.get_by_test_id("visit-hours-every")).to_have_count(0)
        page.get_by_test_id("visit-hours-save").click()
        expect(page.get_by_test_id("visit-hours-saved")).to_be_visible()
        assert worker.call("GET", "/api/v1/me/visit-hours")["availability"] == [
            {"weekday": 2, "start": "12:00", "end": "14:00"}
        ]
        # An end before the start cannot be saved.
        page.get_by_test_id("availability-end").fill("11:00")
        expect(page.get_by_test_id("availability-invalid")).to_be_visible()
        expect(page.get_by_test_id("visit-hours-save")).to_be_disabled()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        if os.environ.get("LINLI_SHOTS_DIR"):
            page.screenshot(path=str(Path(os.environ["LINLI_SHOTS_DIR"]) / "visit-hours-360.png"))
    finally:
        worker.call("PUT", "/api/v1/me/visit-hours", {"availability": []})
