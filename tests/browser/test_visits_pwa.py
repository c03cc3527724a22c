"""The grid worker's day with no signal: the day's households are on the phone, five
visits are recorded offline, the page is closed and reopened, and when the network
returns each visit is stored exactly once."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.pages import log_in_ok, wait_for_service_worker
from tests.browser.test_wishes_pwa import SLOW, Api

OFFICE = "13800000003"  # 王秀英, 登月社区 admin
GRID_WORKER = "13800000005"  # 陈志强, 登月社区 first grid
DENGYUE = "410902001001"
BUILDING = "410902001001001B001"  # 登月小区1号楼, in the first grid


def busiest_day(worker: Api, monday: date) -> tuple[str, list[dict[str, Any]]]:
    today = date.today()
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
    monday = date.today() - timedelta(days=date.today().weekday())
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
    after = {v["id"]: v for v in worker.call("GET", f"/api/v1/me/visits?on={day}")["visits"]}
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
