"""Steps every browser test takes: signing in through the log-in form."""

from __future__ import annotations

from playwright.sync_api import Page, expect

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
