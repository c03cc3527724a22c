"""The PWA in headless Chromium against a live server with the demo city.

Waits are explicit (data-testid / data-state); nothing sleeps.
"""

from __future__ import annotations

import gzip
import json
import re
import struct
import time
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import log_in, log_in_ok, wait_for_service_worker

pytestmark = pytest.mark.browser

DENGYUE_GRID_WORKER = "13800000005"  # 登月社区, first grid
YULAN_ADMIN = "13800000009"  # 玉兰花园社区 community admin

# Colours the map draws with (pwa/src/map/leafletMap.js, COLORS).
GRID_STROKES = ("#2a7f62", "#c4521f")  # residential grid, street-shop grid
BUILDING_FILL = "#14365a"
HIGHLIGHT_STROKE = "#000000"
MAP = '[data-testid="map"]'
GRID_PATHS = ", ".join(f'{MAP} .leaflet-overlay-pane path[stroke="{c}"]' for c in GRID_STROKES)
BUILDING_PATHS = f'{MAP} .leaflet-overlay-pane path[fill="{BUILDING_FILL}"]'
GRID_LABELS = f"{MAP} .leaflet-tooltip-pane .grid-label"

JS_BUDGET_KIB = 150
WIDTH = 360


# --- helpers ------------------------------------------------------------------------------


def open_map(page: Page) -> dict[str, Any]:
    """Taps open-map; returns the /api/v1/map answer once the map is ready."""
    with page.expect_response(lambda r: urlparse(r.url).path == "/api/v1/map") as answer:
        page.get_by_test_id("open-map").click()
    expect(page.get_by_test_id("map")).to_have_attribute("data-state", "ready")
    assert answer.value.status == 200, answer.value.text()
    data: dict[str, Any] = answer.value.json()
    return data


def features(geojson: dict[str, Any], level: str) -> list[dict[str, Any]]:
    return [f for f in geojson["features"] if f["properties"].get("level") == level]


def assert_svg_map(page: Page) -> None:
    """Small maps are drawn in SVG (canvas only past 1500 features), so paths can be counted."""
    assert page.locator(f"{MAP} .leaflet-overlay-pane svg").count() == 1, "map not drawn in SVG"


def point_inside(page: Page, selector: str) -> dict[str, float]:
    """A viewport pixel where the topmost element is this grid path (so: inside the polygon,
    not on a building marker, a label or the bottom sheet); tried from the centre outwards."""
    point = page.locator(selector).first.evaluate(
        """(path) => {
            const box = path.getBoundingClientRect();
            const cx = box.left + box.width / 2, cy = box.top + box.height / 2;
            const points = [];
            for (let i = 1; i < 16; i++) for (let j = 1; j < 16; j++)
                points.push([box.left + (box.width * i) / 16, box.top + (box.height * j) / 16]);
            points.sort((a, b) => Math.hypot(a[0] - cx, a[1] - cy) - Math.hypot(b[0] - cx, b[1] - cy));
            for (const [x, y] of points) if (document.elementFromPoint(x, y) === path) return {x, y};
            return null;
        }"""
    )
    assert point, f"no visible pixel inside {selector}"
    return dict(point)


def wait_until(page: Page, async_predicate: str, what: str, timeout_s: float = 10) -> None:
    """Polls an async JS predicate (``wait_for_function`` would take its Promise as truthy)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(async_predicate):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        page.wait_for_timeout(100)


def page_width(page: Page) -> dict[str, int]:
    return dict(
        page.evaluate(
            "() => ({scroll: document.documentElement.scrollWidth,"
            " client: document.documentElement.clientWidth, body: document.body.scrollWidth})"
        )
    )


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# --- tests --------------------------------------------------------------------------------


def test_grid_worker_sees_own_grid_and_locates_a_tap(page: Page) -> None:
    log_in_ok(page, DENGYUE_GRID_WORKER)
    card = page.locator('[data-testid="role-card"][data-role="grid_worker"]')
    expect(card).to_have_count(1)
    scope = card.locator(".role__scope").inner_text()
    assert "登月社区" in scope, scope

    geojson = open_map(page)
    assert_svg_map(page)
    grids, buildings = features(geojson, "grid"), features(geojson, "building")
    assert len(grids) >= 1 and len(buildings) >= 10, {
        k: len(features(geojson, k)) for k in ("grid", "building")
    }
    assert all("登月社区" in g["properties"]["name"] for g in grids)
    expect(page.locator(GRID_PATHS)).to_have_count(len(grids))
    expect(page.locator(BUILDING_PATHS)).to_have_count(len(buildings))
    assert page.locator(GRID_PATHS).count() >= 1 and page.locator(BUILDING_PATHS).count() >= 10
    expect(page.get_by_test_id("map-hint")).to_be_visible()
    # Alone in its community, the grid keeps its full name as label.
    expect(page.locator(GRID_LABELS).filter(has_text=scope)).to_have_count(1)

    at = point_inside(page, GRID_PATHS)
    with page.expect_response(lambda r: urlparse(r.url).path == "/api/v1/locate") as located:
        page.mouse.click(at["x"], at["y"])
    answer = located.value.json()
    assert located.value.status == 200, answer
    assert answer["grid"]["name"] == scope, answer
    result = page.get_by_test_id("locate-result")
    expect(result).to_have_attribute("data-state", "found")
    # "中原路街道 › 登月社区 › 第1网格": the grid's name, shortened after its community.
    community = answer["community"]["name"]
    short = scope[len(community) :] if scope.startswith(community) else scope
    expect(result).to_contain_text(community)
    expect(result).to_contain_text(short)
    # …and the map outlines the grid found.
    expect(
        page.locator(f'{MAP} .leaflet-overlay-pane path[stroke="{HIGHLIGHT_STROKE}"]')
    ).to_have_count(1)


def test_wrong_password_is_explained_in_the_chosen_language(page: Page) -> None:
    page.goto("/")
    log_in(page, DENGYUE_GRID_WORKER, "not-the-password")
    error = page.get_by_test_id("login-error")
    expect(error).to_contain_text("手机号或密码错误")
    expect(page.get_by_test_id("app-shell")).to_have_attribute("data-view", "login")

    page.get_by_test_id("lang-switch").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("login-submit")).to_have_text("Sign in")
    expect(page.locator("#login-title")).to_have_text("Sign in")
    expect(page.get_by_test_id("net-status")).to_have_text("Online")
    # The server localises its own messages from Accept-Language.
    with page.expect_request(lambda r: urlparse(r.url).path == "/api/v1/auth/login") as sent:
        page.get_by_test_id("login-submit").click()
    assert sent.value.headers.get("accept-language") == "en"
    expect(error).to_contain_text("Wrong phone number or password")
    expect(error).not_to_contain_text("手机号")

    page.get_by_test_id("lang-switch").select_option("zh_Hant")
    page.get_by_test_id("login-submit").click()
    expect(error).to_contain_text("手機號或密碼錯誤")

    # The choice outlives a reload.
    page.reload()
    expect(page.get_by_test_id("lang-switch")).to_have_value("zh_Hant")


def test_map_works_offline_after_first_visit(page: Page, context: Any) -> None:
    page.goto("/")
    log_in_ok(page, DENGYUE_GRID_WORKER)
    wait_for_service_worker(page)
    scope = page.locator(
        '[data-testid="role-card"][data-role="grid_worker"] .role__scope'
    ).inner_text()
    geojson = open_map(page)
    grid_count = len(features(geojson, "grid"))
    # NetworkFirst has put the map answer in the runtime cache.
    wait_until(
        page,
        """async () => {
            const cache = await caches.open('linli-api');
            return (await cache.keys()).some((r) => new URL(r.url).pathname === '/api/v1/map');
        }""",
        "the map answer in the service worker's linli-api cache",
    )

    context.set_offline(True)
    with page.expect_response(lambda r: urlparse(r.url).path == "/api/v1/map") as cached:
        page.reload()
    assert cached.value.ok and cached.value.from_service_worker, (
        "offline map not served by the worker"
    )
    shell = page.get_by_test_id("app-shell")
    expect(shell).to_be_visible()
    expect(shell).to_have_attribute("data-view", "map")
    net = page.get_by_test_id("net-status")
    expect(net).to_have_attribute("data-online", "false")
    expect(net).to_contain_text("离线")
    expect(page.get_by_test_id("map")).to_have_attribute("data-state", "ready")
    expect(page.locator(GRID_PATHS)).to_have_count(grid_count)
    expect(page.locator(GRID_LABELS).filter(has_text=scope)).to_have_count(1)

    # Which grid a tapped place is in: answered on the phone from the saved map.
    at = point_inside(page, GRID_PATHS)
    page.mouse.click(at["x"], at["y"])
    result = page.get_by_test_id("locate-result")
    expect(result).to_have_attribute("data-state", "found")
    expect(result).to_have_attribute("data-source", "phone")

    # Home still shows the saved profile.
    page.locator(".mapbar a").click()
    expect(shell).to_have_attribute("data-view", "home")
    expect(page.locator('[data-testid="role-card"][data-role="grid_worker"]')).to_contain_text(
        scope
    )


def test_manifest_and_service_worker_make_it_installable(page: Page, live_server: str) -> None:
    r = page.request.get("/manifest.webmanifest")
    assert r.status == 200
    assert "manifest+json" in r.headers.get("content-type", ""), r.headers
    manifest = json.loads(r.body())
    assert manifest.get("name") and manifest.get("short_name"), manifest
    assert manifest.get("start_url") == "/", manifest
    assert manifest.get("display") in ("standalone", "fullscreen", "minimal-ui"), manifest
    icons = manifest.get("icons") or []
    for size in ("192x192", "512x512"):
        matching = [
            i
            for i in icons
            if size in i.get("sizes", "").split() and "any" in i.get("purpose", "any").split()
        ]
        assert matching, f"no {size} icon for purpose 'any': {icons}"
    for icon in icons:
        got = page.request.get(icon["src"])
        assert got.status == 200, icon
        assert got.headers.get("content-type", "").startswith(icon.get("type", "image/png")), icon
        w, h = png_size(got.body())
        assert f"{w}x{h}" in icon["sizes"].split(), (icon, w, h)

    page.goto("/")
    href = page.locator('link[rel="manifest"]').get_attribute("href")
    assert (
        href
        and urlparse(page.evaluate("(h) => new URL(h, location.href).href", href)).path
        == "/manifest.webmanifest"
    )
    wait_for_service_worker(page)
    registration = page.evaluate(
        "() => navigator.serviceWorker.ready.then((r) => ({scope: r.scope, script: r.active && r.active.scriptURL}))"
    )
    assert registration["scope"] == f"{live_server}/", registration
    assert urlparse(registration["script"]).path == "/sw.js", registration

    # Chromium's own verdict (ignoring what a headless, incognito test browser cannot offer).
    cdp = page.context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors").get("installabilityErrors", [])
    problems = [
        e for e in errors if e.get("errorId") not in ("in-incognito", "not-from-secure-origin")
    ]
    assert not problems, errors

    # Updates must be seen: the worker script and the shell are revalidated.
    for path in ("/sw.js", "/index.html", "/"):
        got = page.request.get(path)
        assert got.status == 200 and "no-cache" in got.headers.get("cache-control", ""), (
            path,
            got.headers,
        )


def test_initial_javascript_is_within_budget(page: Page) -> None:
    scripts: dict[str, bytes] = {}

    def keep(response: Any) -> None:
        if response.request.resource_type == "script" and response.ok:
            scripts[urlparse(response.url).path] = response.body()

    page.on("response", keep)
    page.goto("/")
    expect(page.get_by_test_id("app-shell")).to_be_visible()
    wait_for_service_worker(page)  # any lazy PWA chunk is in by now
    log_in_ok(page, DENGYUE_GRID_WORKER)
    before_map = dict(scripts)

    html = page.request.get("/index.html").text()
    entries = set(re.findall(r'<script[^>]+type="module"[^>]+src="([^"]+)"', html))
    entries |= set(re.findall(r'<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"', html))
    assert entries and entries <= set(before_map), (entries, sorted(before_map))
    assert not any("leaflet" in p.lower() for p in before_map), (
        f"Leaflet loaded up front: {sorted(before_map)}"
    )

    total = sum(len(gzip.compress(body, compresslevel=9)) for body in before_map.values())
    sizes = {p: f"{len(gzip.compress(b, 9)) / 1024:.1f} KiB" for p, b in before_map.items()}
    assert total <= JS_BUDGET_KIB * 1024, (
        f"initial JS {total / 1024:.1f} KiB gzipped > {JS_BUDGET_KIB}: {sizes}"
    )

    # Leaflet comes lazily with the map screen.
    open_map(page)
    assert any("leaflet" in p.lower() for p in set(scripts) - set(before_map)), sorted(scripts)


def test_no_horizontal_scroll_at_360px(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    for locale in ("zh_Hans", "en"):
        page.get_by_test_id("lang-switch").select_option(locale)
        expect(page.locator("html")).to_have_attribute(
            "lang", "en" if locale == "en" else "zh-Hans"
        )
        w = page_width(page)
        assert w["client"] == WIDTH and w["scroll"] <= WIDTH, ("login", locale, w)

    page.get_by_test_id("lang-switch").select_option("zh_Hans")
    log_in_ok(page, DENGYUE_GRID_WORKER)
    expect(page.get_by_test_id("open-map")).to_be_visible()
    w = page_width(page)
    assert w["scroll"] <= WIDTH, ("home", w)

    open_map(page)
    w = page_width(page)
    assert w["scroll"] <= WIDTH, ("map", w)


def test_other_community_sees_no_dengyue_grid(page: Page) -> None:
    log_in_ok(page, YULAN_ADMIN)
    card = page.locator('[data-testid="role-card"][data-role="community_admin"]')
    expect(card).to_contain_text("玉兰花园社区")

    geojson = open_map(page)
    assert_svg_map(page)
    names = [f["properties"].get("name", "") for f in geojson["features"]]
    assert not [n for n in names if "登月" in n], names
    grids = features(geojson, "grid")
    assert grids and all("玉兰花园" in g["properties"]["name"] for g in grids), grids
    expect(page.locator(GRID_PATHS)).to_have_count(len(grids))
    labels = page.locator(GRID_LABELS).all_inner_texts()
    assert len(labels) == len(grids) and not [t for t in labels if "登月" in t], labels

    # A tap inside one of them finds a 玉兰花园社区 grid.
    at = point_inside(page, GRID_PATHS)
    page.mouse.click(at["x"], at["y"])
    result = page.get_by_test_id("locate-result")
    expect(result).to_have_attribute("data-state", "found")
    expect(result).to_contain_text("玉兰花园社区")
    expect(result).not_to_contain_text("登月")
