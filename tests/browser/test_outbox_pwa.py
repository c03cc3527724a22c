"""The one offline queue after a whole shift without signal: the access token has
expired by the time the network returns, and the queue still goes through, by
refreshing the session first, each command exactly once."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from playwright.sync_api import Page, expect

from tests.browser.conftest import SECRET_KEY
from tests.browser.pages import log_in_ok, wait_for_service_worker
from tests.browser.test_wishes_pwa import RESIDENT, SLOW, Api, fill_wish, unique


def expired_access_token(user_id: int) -> str:
    """What the phone holds after a shift offline: a genuine token, long expired."""
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "iat": now - 9 * 3600,
        "exp": now - 3600,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, SECRET_KEY, algorithm="HS256")


def test_after_a_shift_offline_the_queue_refreshes_the_session_and_goes_through(
    page: Page, context: Any, live_server: str
) -> None:
    api = Api(live_server, RESIDENT)
    me = api.call("GET", "/api/v1/me")
    page.goto("/")
    log_in_ok(page, RESIDENT)
    wait_for_service_worker(page)  # the app's screens are on the phone before the signal goes
    titles = [unique("帮我买菜"), unique("帮我修水龙头")]

    context.set_offline(True)
    expect(page.get_by_test_id("net-status")).to_have_attribute("data-online", "false")
    for title in titles:
        page.goto("/#/home")
        page.get_by_test_id("home-new-wish").click()
        fill_wish(page, title, "daily_help", "腿脚不便，麻烦了。", None)
        page.get_by_test_id("wish-submit").click()
        expect(page.get_by_test_id("wish-queued")).to_be_visible()
    expect(page.get_by_test_id("outbox-pending")).to_have_attribute("data-count", "2")

    # Hours later the access token has expired; the refresh token is still good.
    stale = expired_access_token(me["id"])
    page.evaluate("(token) => localStorage.setItem('linli.access_token', token)", stale)
    answers: list[tuple[str, int]] = []
    page.on("response", lambda r: answers.append((r.url.split("/api/v1/")[-1], r.status)))

    context.set_offline(False)
    expect(page.get_by_test_id("outbox-pending")).to_have_count(0, timeout=SLOW)
    expect(page.get_by_test_id("outbox-failed")).to_have_count(0)
    for title in titles:
        assert len(api.mine(title)) == 1, title  # each exactly once
    assert ("auth/refresh", 200) in answers, answers
    assert page.evaluate("() => localStorage.getItem('linli.access_token')") != stale
    assert page.get_by_test_id("app-shell").get_attribute("data-view") != "login"
