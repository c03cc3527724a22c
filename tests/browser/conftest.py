"""Real-browser fixtures: a live Linli server and headless Chromium.

``live_server`` migrates a fresh SpatiaLite database in a temporary directory,
loads the demo city, and serves API + PWA (``pwa/dist``) on a free port with
``python -m server.cli serve``. ``browser`` (one per test module, see there) is the Debian
Chromium driven by the sync Playwright API (never ``playwright install``); ``page`` gets a fresh
context per test (360×740, zh-CN), so service workers, caches and storage never
leak between tests.

Missing Chromium or a missing PWA build FAILS the run unless
``LINLI_ALLOW_SKIP=1``: CI must never pass by skipping.

On a failed test the page is screenshotted; the path is added to the report
together with the browser console errors.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from server.notify.outbox import LOCAL_TZ
from tests.support.live import live_server as live_server_process

# Assertions wait up to 10 s (Playwright's default is 5 s): on a loaded 2-core CI
# machine three contexts installing service workers while a log-in hashes a password
# took longer than 5 s once. Waiting longer costs nothing when the page is quick.
EXPECT_TIMEOUT_MS = 10_000

ROOT = Path(__file__).resolve().parents[2]
PWA_DIST = Path(os.environ.get("LINLI_PWA_DIR") or ROOT / "pwa" / "dist")
CHROMIUM = os.environ.get("LINLI_CHROMIUM", "/usr/bin/chromium")
ALLOW_SKIP = os.environ.get("LINLI_ALLOW_SKIP") == "1"
SECRET_KEY = "browser-tests-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"

# Keep Chromium off the network (STACK-NOTES.md, "Browser tests").
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 360, "height": 740}
# The browser's clock zone: the city's. Tests date things with pages.city_today().
CITY_TZ = LOCAL_TZ.key


def unavailable(what: str) -> None:
    if ALLOW_SKIP:
        pytest.skip(f"{what} (LINLI_ALLOW_SKIP=1)")
    pytest.fail(f"{what}: the browser suite cannot run, and skipping is not allowed", pytrace=False)


def pytest_configure(config: pytest.Config) -> None:
    try:
        from playwright.sync_api import expect
    except ImportError:  # reported by the browser fixture, which fails the run
        return
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT``) of a served Linli with the demo city."""
    if not (PWA_DIST / "index.html").is_file():
        unavailable(f"no PWA build at {PWA_DIST} (run `cd pwa && npm ci && npm run build`)")
    extra_env = {
        "LINLI_SECRET_KEY": SECRET_KEY,
        "LINLI_PWA_DIR": str(PWA_DIST),
        # Every test logs in from 127.0.0.1: keep the log-in slow-down out of
        # the way of the one test that types a wrong password.
        "LINLI_LOGIN_SLOW_AFTER": "50",
        "LINLI_LOGIN_LOCK_AFTER": "100",
        # A city's own care tag, as a deployment would add it (the people screens show it).
        "LINLI_CARE_TAGS": "dementia:失智老人",
    }
    try:
        with live_server_process(
            tmp_path_factory.mktemp("linli-browser"), extra_env=extra_env
        ) as base:
            with urllib.request.urlopen(f"{base}/", timeout=5) as r:
                if b'id="root"' not in r.read():
                    pytest.fail(f"the server does not serve the PWA from {PWA_DIST}", pytrace=False)
            yield base
    except RuntimeError as exc:
        pytest.fail(f"the live server failed: {exc}", pytrace=False)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module.

    Module-scoped on purpose: while sync Playwright runs, its event loop counts
    as *running* in this thread, which breaks pytest-asyncio's tests elsewhere
    in the same run (``Runner.run() cannot be called from a running event
    loop``). Stopping Playwright at the end of each module gives the thread back.
    """
    if asyncio._get_running_loop() is not None:  # an async test or fixture is active
        pytest.fail("sync Playwright cannot start inside a running asyncio loop", pytrace=False)
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        unavailable(
            f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set LINLI_CHROMIUM)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        unavailable(f"the playwright Python package is missing ({exc})")
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            env={**os.environ, "TZ": CITY_TZ},  # a phone in the city, whatever the machine's zone
        )
    except Exception as exc:
        pw.stop()
        unavailable(f"Chromium at {CHROMIUM} did not start: {exc}")
    try:
        yield b
    finally:
        b.close()
        pw.stop()
    assert asyncio._get_running_loop() is None, "Playwright left its event loop running"


class PageLog:
    """Console errors and uncaught exceptions of one page, for failure reports."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def console(self, msg: Any) -> None:
        if msg.type in ("error", "warning"):
            self.lines.append(f"console.{msg.type}: {msg.text}")

    def pageerror(self, exc: Any) -> None:
        self.lines.append(f"pageerror: {exc}")


@pytest.fixture
def context(browser: Any, live_server: str) -> Iterator[Any]:
    ctx = browser.new_context(
        viewport=VIEWPORT, locale="zh-CN", base_url=live_server, service_workers="allow"
    )
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    p = context.new_page()
    log = PageLog()
    p.on("console", log.console)
    p.on("pageerror", log.pageerror)
    request.node._linli_page_log = log  # read by the report hook below
    yield p


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    rep = yield
    if rep.when != "call" or not rep.failed:
        return rep
    page = getattr(item, "funcargs", {}).get("page")
    if page is None:
        return rep
    shots = Path(
        os.environ.get("LINLI_BROWSER_ARTIFACTS") or Path(tempfile.gettempdir()) / "linli-browser"
    )
    shots.mkdir(parents=True, exist_ok=True)
    path = shots / f"{item.name}-{int(time.time() * 1000)}.png"
    try:
        page.screenshot(path=str(path), full_page=True, timeout=5_000)
        info = f"screenshot: {path}\nurl: {page.url}"
    except Exception as exc:  # the page may be gone
        info = f"no screenshot ({exc})"
    log = getattr(item, "_linli_page_log", None)
    if log and log.lines:
        info += "\n" + "\n".join(log.lines[-30:])
    rep.sections.append(("browser", info))
    return rep
