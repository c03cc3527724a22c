"""The system administrator's Open311 api_keys in the real PWA (1280 px and 360 px): a
key is issued and shown once, works at ``/open311/v2/``, is revoked after a confirmation,
and is refused from then on. Screenshots go to ``LINLI_SHOTS_DIR`` (``open311-*.png``)."""

from __future__ import annotations

import random
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.pages import log_in_ok
from tests.browser.test_cases_pwa import SHOTS

SYSTEM_ADMIN = "13800000001"


def post_request(base: str, key: str) -> int:
    """A GeoReport POST with no location: a good key gets the spec's 400 for the missing
    location, a bad or revoked key its 403."""
    body = urllib.parse.urlencode(
        {"api_key": key, "service_code": "garbage", "description": "垃圾桶满了"}
    ).encode()
    request = urllib.request.Request(f"{base}/open311/v2/requests.json", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@pytest.mark.parametrize("width", [1280, 360])
def test_an_administrator_issues_and_revokes_a_key(
    browser: Any, live_server: str, width: int
) -> None:
    ctx = browser.new_context(
        viewport={"width": width, "height": 800},
        locale="zh-CN",
        base_url=live_server,
        service_workers="block",
    )
    ctx.set_default_timeout(15_000)
    try:
        page = ctx.new_page()
        page.goto("/")
        log_in_ok(page, SYSTEM_ADMIN)
        page.get_by_test_id("home-open311-keys").click()
        expect(page.get_by_test_id("open311-keys")).to_be_visible()
        name = f"12345 热线平台 {random.randrange(10**6)}"
        page.get_by_test_id("open311-key-name").fill(name)
        page.get_by_test_id("open311-key-issue").click()
        issued = page.get_by_test_id("open311-key-value")
        expect(issued).to_be_visible()
        key = issued.inner_text().strip()
        assert key.startswith("o311_") and len(key) > 30
        row = page.get_by_test_id("open311-key").filter(has_text=name)
        expect(row).to_have_attribute("data-revoked", "false")
        assert key not in row.inner_text()  # the list shows a prefix only
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SHOTS) / f"open311-keys-{width}.png"))
        assert post_request(live_server, key) == 400  # accepted: only the location is missing

        row.get_by_test_id("open311-key-revoke").click()
        row.get_by_test_id("open311-key-revoke-confirm").click()
        expect(row).to_have_attribute("data-revoked", "true")
        assert post_request(live_server, key) == 403
        # After a reload the key is nowhere on the page: it was shown that once.
        page.reload()
        expect(page.get_by_test_id("open311-key").filter(has_text=name)).to_be_visible()
        assert key not in page.content()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    finally:
        ctx.close()
