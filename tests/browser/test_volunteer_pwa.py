"""A volunteer keeps their weekly availability up to date from their phone (我的服务时长)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.test_wishes_pwa import PARTY_VOLUNTEER, Api, log_in_ok


def test_a_volunteer_sets_when_they_can_help(page: Page, live_server: str) -> None:
    me = Api(live_server, PARTY_VOLUNTEER)
    page.goto("/")
    log_in_ok(page, PARTY_VOLUNTEER)
    page.get_by_test_id("home-hours").click()
    times = page.get_by_test_id("my-availability")
    expect(times).to_be_visible()
    for _ in range(times.get_by_test_id("availability-slot").count()):
        times.get_by_test_id("availability-remove").first.click()
    times.get_by_test_id("availability-add-noon").click()
    times.get_by_test_id("availability-slot").last.get_by_test_id("availability-day").select_option(
        "0"
    )
    times.get_by_test_id("my-availability-save").click()
    expect(times.get_by_test_id("my-availability-saved")).to_be_visible()
    profile = me.call("GET", "/api/v1/me/volunteer-profile")
    assert profile["availability"] == [{"weekday": 0, "start": "12:00", "end": "14:00"}]
