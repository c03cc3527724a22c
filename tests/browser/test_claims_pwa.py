"""Claiming in someone's name, in headless Chromium: the office registers a caring business
爱心商户 and names its contact; the contact claims a board wish for it. Board photos come from
their public address. Waits are explicit; nothing sleeps."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.test_wishes_pwa import (  # noqa: F401 (open_as is a fixture)
    MODERATOR,
    RESIDENT,
    VOLUNTEER,
    Api,
    log_in_ok,
    open_as,
    unique,
)
from tests.support.images import png


def upload(api: Api, data: bytes) -> str:
    request = urllib.request.Request(
        f"{api.base}/api/v1/media",
        data=data,
        method="POST",
        headers={"Authorization": f"Bearer {api.token}", "Content-Type": "image/png"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["key"])


def test_the_office_registers_a_caring_business_and_its_contact_claims_for_it(
    page: Page,
    open_as: Callable[[str], Page],  # noqa: F811 (the fixture imported above)
    live_server: str,
) -> None:
    office = Api(live_server, MODERATOR)
    resident = Api(live_server, RESIDENT)
    title = unique("想理个发")
    key = upload(resident, png())
    wish = resident.call(
        "POST", "/api/v1/wishes", {"title": title, "category": "daily_help", "photo": key}
    )
    office.call("POST", f"/api/v1/wishes/{wish['id']}/approve", {})

    # The office: 爱心商户 → a storefront → register it, with a contact.
    page.goto("/")
    log_in_ok(page, MODERATOR)
    page.get_by_test_id("home-businesses").click()
    expect(page.get_by_test_id("businesses")).to_have_attribute("data-state", "ready")
    store = page.locator('[data-testid="storefront"][data-caring="no"]').first
    code = store.get_attribute("data-code")
    assert code
    store = page.locator(f'[data-testid="storefront"][data-code="{code}"]')
    store.get_by_test_id("business-edit").click()
    store.get_by_test_id("business-offer").fill("每月为独居老人免费理发两次")
    store.get_by_test_id("business-phone").fill("1380000000")  # one digit short
    store.get_by_test_id("business-save").click()
    expect(store.get_by_test_id("business-error")).to_contain_text("11 位")
    store.get_by_test_id("business-phone").fill(VOLUNTEER)
    store.get_by_test_id("business-save").click()
    expect(store).to_have_attribute("data-caring", "yes")
    expect(store.get_by_test_id("business-offer-shown")).to_have_text("每月为独居老人免费理发两次")
    try:
        # The contact (赵丽) sees the wish with its photo on the board and claims for the shop.
        volunteer = open_as(VOLUNTEER)
        volunteer.get_by_test_id("home-board").click()
        card = volunteer.locator(f'[data-testid="board-item"][data-id="{wish["id"]}"]')
        expect(card).to_be_visible()
        photo = card.get_by_test_id("wish-photo")
        expect(photo).to_have_attribute("src", f"/api/v1/media/public/{key}")
        volunteer.wait_for_function(
            "(img) => img.complete && img.naturalWidth === 1", arg=photo.element_handle()
        )
        card.get_by_test_id("wish-claim").click()
        # One button per way the server allows: herself, her service group(s), the business.
        options = Api(live_server, VOLUNTEER).call(
            "GET", "/api/v1/communities/410902001001/claim-options"
        )
        assert "business" in options["kinds"] and "volunteer" in options["kinds"]
        personal = [k for k in options["kinds"] if k in ("volunteer", "party_member")]
        expect(card.get_by_test_id("claim-as")).to_have_count(
            len(personal) + len(options["service_groups"]) + len(options["businesses"])
        )
        card.locator(
            f'[data-testid="claim-as"][data-kind="business"][data-target="{code}"]'
        ).click()
        detail = volunteer.get_by_test_id("wish-detail")
        expect(detail).to_have_attribute("data-state", "claimed")
        expect(volunteer.get_by_test_id("wish-claimant")).to_contain_text("爱心商户")
        # What the server recorded, and what the page now offers: fulfil or release, no more.
        assert office.call("GET", f"/api/v1/wishes/{wish['id']}")["claimant_kind"] == "business"
        expect(volunteer.get_by_test_id("wish-fulfil")).to_be_visible()
        expect(volunteer.get_by_test_id("wish-release")).to_be_visible()
        expect(volunteer.get_by_test_id("moderation-actions")).to_have_count(0)
    finally:
        # Step it back, so the other browser tests see a volunteer with one way to claim.
        office.call("PUT", f"/api/v1/storefronts/{code}/caring", {"active": False})


def test_leaders_see_the_statistics_of_their_community(page: Page, live_server: str) -> None:
    office = Api(live_server, MODERATOR)
    resident = Api(live_server, RESIDENT)
    wish = resident.call(
        "POST", "/api/v1/wishes", {"title": unique("想学用手机"), "category": "study"}
    )
    office.call("POST", f"/api/v1/wishes/{wish['id']}/approve", {})

    page.goto("/")
    log_in_ok(page, MODERATOR)
    page.get_by_test_id("home-stats").click()
    screen = page.get_by_test_id("wish-stats")
    for days in (30, 7):
        page.locator(f'[data-testid="stats-period"][data-days="{days}"]').click()
        expect(screen).to_have_attribute("data-state", "ready")
        expected = office.call("GET", f"/api/v1/communities/410902001001/wish-stats?days={days}")
        assert expected["posted"] >= 1 and expected["approved"] >= 1
        for step in ("posted", "approved", "claimed", "fulfilled", "confirmed"):
            expect(
                page.locator(f'[data-testid="stats-step"][data-step="{step}"]')
            ).to_have_attribute("data-count", str(expected[step]))
        expect(page.get_by_test_id("stats-contributor")).to_have_count(
            len(expected["top_contributors"])
        )


def test_the_thanks_wall_shows_what_neighbours_did(
    page: Page,
    open_as: Callable[[str], Page],  # noqa: F811 (the fixture imported above)
    live_server: str,
) -> None:
    office, resident = Api(live_server, MODERATOR), Api(live_server, RESIDENT)
    volunteer = Api(live_server, VOLUNTEER)
    title = unique("想请人帮忙修水龙头")
    wish = resident.call("POST", "/api/v1/wishes", {"title": title, "category": "repair"})
    office.call("POST", f"/api/v1/wishes/{wish['id']}/approve", {})
    volunteer.call("POST", f"/api/v1/wishes/{wish['id']}/claim", {})
    volunteer.call("POST", f"/api/v1/wishes/{wish['id']}/fulfil", {"note": "换了新阀门"})
    resident.call(
        "POST", f"/api/v1/wishes/{wish['id']}/confirm", {"thanks": "谢谢赵师傅，水不漏了！"}
    )

    page.goto("/")
    log_in_ok(page, RESIDENT)
    page.get_by_test_id("home-thanks").click()
    expect(page.get_by_test_id("thanks-wall")).to_have_attribute("data-state", "ready")
    item = page.locator(f'[data-testid="thanks-item"][data-id="{wish["id"]}"]')
    expect(item.get_by_test_id("thanks-words")).to_have_text("谢谢赵师傅，水不漏了！")
    expect(item.get_by_test_id("thanks-helper")).to_contain_text("志愿者 赵* 帮忙")
    expect(item).not_to_contain_text("孙桂兰")

    # The office takes it off the public wall from the wish's page.
    staff = open_as(MODERATOR)
    staff.goto(f"/#/wishes/{wish['id']}")
    expect(staff.get_by_test_id("wish-detail")).to_have_attribute("data-state", "confirmed")
    staff.get_by_test_id("thanks-moderate").click()
    staff.get_by_test_id("thanks-hide").click()
    expect(staff.get_by_test_id("wish-thanks")).to_have_count(0)
    expect(staff.locator('[data-testid="wish-event"][data-action="edit_thanks"]')).to_have_count(1)
    page.get_by_test_id("nav-back").click()
    page.get_by_test_id("home-thanks").click()
    expect(page.get_by_test_id("thanks-wall")).to_have_attribute("data-state", "ready")
    expect(page.locator(f'[data-testid="thanks-item"][data-id="{wish["id"]}"]')).to_have_count(0)
