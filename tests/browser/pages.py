"""Steps browser tests share: signing in through the log-in form, waiting for the service worker."""

from __future__ import annotations

from datetime import date, datetime

from playwright.sync_api import Page, expect

from server.notify.outbox import LOCAL_TZ

DEMO_PASSWORD = "linli-demo-2026"


def log_in(page: Page, phone: str, password: str = DEMO_PASSWORD) -> None:
    """Fills and sends the log-in form (opening the app first if needed)."""
    if not page.url.startswith("http"):
        page.goto("/")
    expect(page.get_by_test_id("app-shell")).to_have_attribute("data-view", "login")
    page.get_by_test_id("login-phone").fill(phone)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


def log_in_ok(page: Page, phone: str, password: str = DEMO_PASSWORD) -> None:
    """Signs in and waits for the home screen with its role cards."""
    log_in(page, phone, password)
    expect(page.get_by_test_id("app-shell")).to_have_attribute("data-view", "home")
    expect(page.get_by_test_id("role-card").first).to_be_visible()


def wait_for_service_worker(page: Page) -> None:
    """First visit: the worker installs, says so (offline-ready) and claims the page."""
    expect(page.get_by_test_id("offline-ready")).to_be_visible(timeout=20_000)
    controlled = "() => navigator.serviceWorker.controller !== null"
    try:
        page.wait_for_function(controlled, timeout=5_000)
    except Exception:
        page.reload()  # a worker that did not claim this page controls the next load
        page.wait_for_function(controlled, timeout=10_000)


def city_today() -> date:
    """Today in the city (Beijing time), as the server and the browser date things,
    whatever the test machine's clock zone."""
    return datetime.now(LOCAL_TZ).date()
