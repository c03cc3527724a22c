"""The PWA's shared pieces as users meet them (issue 8, section 7): a list that could not load
says so and why, the desktop layout, targets and layout shift, leaders' community choice, the
grid worker's tasks, posting for a resident, offline locate and the volunteer's wording."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.pages import log_in_ok, wait_for_service_worker
from tests.browser.test_pwa import GRID_PATHS, point_inside, wait_until
from tests.browser.test_wishes_pwa import Api, unique

GRID_WORKER = "13800000005"  # 陈志强, a grid of 登月社区


def test_a_list_that_could_not_load_says_why_and_retries(page: Page, context: Any) -> None:
    """Offline, never loaded before: the board says it could not load (offline), not "nothing
    waiting"; back online, the retry loads it."""
    page.goto("/")
    log_in_ok(page, GRID_WORKER)
    wait_for_service_worker(page)
    # The chunk is precached; the grid worker's communities come from the map, never fetched.
    context.set_offline(True)
    page.evaluate("() => { window.location.hash = '#/board'; }")
    error = page.get_by_test_id("load-error")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("data-reason", "offline")
    expect(error).to_contain_text("没能加载")
    expect(page.get_by_test_id("board-empty")).to_have_count(0)

    context.set_offline(False)
    page.get_by_test_id("load-retry").click()
    expect(page.get_by_test_id("board")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("load-error")).to_have_count(0)


def test_a_refused_list_says_no_permission(page: Page) -> None:
    """A grid worker who opens the moderation queue by its address is told they may not see it
    (the server's 403), not that nothing waits."""
    log_in_ok(page, GRID_WORKER)
    page.evaluate("() => { window.location.hash = '#/moderate'; }")
    error = page.get_by_test_id("load-error")
    expect(error).to_have_attribute("data-reason", "forbidden")
    expect(error).to_contain_text("没有查看这些内容的权限")
    expect(page.get_by_test_id("queue-empty")).to_have_count(0)


WINDOW_CLERK = "13800000004"  # 刘芳, 登月社区


def test_desktop_puts_navigation_beside_the_content(page: Page) -> None:
    """At 1280 px the screens are in a side navigation beside the content, which uses the width;
    at 360 px the phone layout stays (no side navigation, the home cards are the menu)."""
    log_in_ok(page, WINDOW_CLERK)
    expect(page.get_by_test_id("sidenav")).to_be_hidden()
    page.set_viewport_size({"width": 1280, "height": 800})
    nav = page.get_by_test_id("sidenav")
    expect(nav).to_be_visible()
    page.get_by_test_id("side-home-moderate").click()
    expect(page.get_by_test_id("app-shell")).to_have_attribute("data-view", "moderate")
    expect(page.get_by_test_id("side-home-moderate")).to_have_attribute("aria-current", "page")
    nav_box = nav.bounding_box()
    main_box = page.get_by_test_id("moderation-queue").bounding_box()
    assert nav_box and main_box
    assert nav_box["x"] + nav_box["width"] <= main_box["x"], (nav_box, main_box)
    assert main_box["width"] > 700, main_box  # not the phone column centred on a wide screen
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1280, width


# Sums the page's layout shifts not caused by the user's own input (the CLS of one visit).
LAYOUT_SHIFT_OBSERVER = """
window.__layoutShift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) window.__layoutShift += entry.value;
  }
}).observe({ type: 'layout-shift', buffered: true });
"""


def test_the_works_offline_notice_does_not_shift_the_page(page: Page) -> None:
    """First visit: the "works offline" notice appears over the page, not in its flow
    (Lighthouse measured a layout shift of 0.11 when it pushed the log-in form down)."""
    page.add_init_script(LAYOUT_SHIFT_OBSERVER)
    page.goto("/")
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    notice = page.get_by_test_id("offline-ready")
    expect(notice).to_be_visible(timeout=20_000)
    page.wait_for_timeout(500)  # shifts are reported after the frame that made them
    shift = page.evaluate("() => window.__layoutShift")
    assert shift < 0.1, f"layout shift {shift:.3f} when the offline notice appeared"
    # It is news, not a question: it goes by itself.
    expect(notice).to_have_count(0, timeout=15_000)


COMMUNITY_ADMIN = "13800000003"  # 王秀英, 登月社区
VOLUNTEER = "13800000006"  # 赵丽, 登月社区
TRADE_CODES = ("grocery", "barber", "clinic", "breakfast", "pharmacy", "fruit", "laundry")


def target_size(locator: Any) -> dict[str, float]:
    return dict(
        locator.evaluate(
            """(el) => { const r = el.getBoundingClientRect();
                return {width: r.width, height: r.height,
                        font: parseFloat(getComputedStyle(el).fontSize)}; }"""
        )
    )


def test_caring_businesses_name_trades_and_a_fixed_field_loses_its_message(page: Page) -> None:
    """Storefronts show their trade in words (便民超市), never the map's code (grocery); a
    message about a wrong phone number goes as soon as the number is changed."""
    log_in_ok(page, COMMUNITY_ADMIN)
    page.get_by_test_id("home-businesses").click()
    expect(page.get_by_test_id("businesses")).to_have_attribute("data-state", "ready")
    metas = page.get_by_test_id("storefront-meta").all_inner_texts()
    assert metas, "no storefronts listed"
    for meta in metas:
        assert not any(code in meta for code in TRADE_CODES), meta
    store = page.get_by_test_id("storefront").first
    store.get_by_test_id("business-edit").click()
    store.get_by_test_id("business-phone").fill("1380000000")  # one digit short
    store.get_by_test_id("business-save").click()
    expect(store.get_by_test_id("business-error")).to_be_visible()
    store.get_by_test_id("business-phone").fill("13800000006")
    expect(store.get_by_test_id("business-error")).to_have_count(0)


def test_search_box_and_time_fields_are_big_enough_to_tap(page: Page) -> None:
    """≥ 44×44 px targets and ≥ 16 px type (a phone zooms into smaller) at 360 px."""
    log_in_ok(page, WINDOW_CLERK)
    page.get_by_test_id("home-people").click()
    search = page.get_by_test_id("resident-search")
    expect(search).to_be_visible()
    size = target_size(search)
    assert size["height"] >= 44 and size["width"] >= 44 and size["font"] >= 16, size
    page.evaluate("() => { window.location.hash = '#/home'; }")
    page.get_by_test_id("logout").click()
    log_in_ok(page, VOLUNTEER)
    page.get_by_test_id("home-hours").click()
    times = page.get_by_test_id("my-availability")
    expect(times).to_be_visible()
    if times.get_by_test_id("availability-slot").count() == 0:
        times.get_by_test_id("availability-add").click()
    for testid in ("availability-start", "availability-end", "availability-day"):
        size = target_size(times.get_by_test_id(testid).first)
        assert size["height"] >= 44 and size["width"] >= 44 and size["font"] >= 16, (testid, size)


SUBDISTRICT_ADMIN = "13800000002"  # 李卫东, 中原路街道: 登月, 绿城 and 昆吾社区
SYSTEM_ADMIN = "13800000001"


def test_a_subdistrict_leader_picks_any_community_and_compares_them(page: Page) -> None:
    """The board, thanks wall and statistics offer every community of the sub-district (not
    only the first), and the statistics compare them side by side."""
    log_in_ok(page, SUBDISTRICT_ADMIN)
    page.get_by_test_id("home-stats").click()
    table = page.get_by_test_id("stats-compare")
    expect(table.get_by_test_id("stats-compare-row")).to_have_count(3)
    expect(table).to_contain_text("登月社区")
    expect(table).to_contain_text("绿城社区")
    expect(table).to_contain_text("昆吾社区")
    expect(page.get_by_test_id("stats-compare-total")).to_be_visible()
    page.get_by_test_id("stats-mode-one").click()
    picker = page.get_by_test_id("stats-community")
    expect(picker.locator("option")).to_have_count(3)
    picker.select_option(label="昆吾社区")
    expect(page.get_by_test_id("wish-stats")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("wish-stats")).to_contain_text("昆吾社区")
    for screen, testid in (("#/board", "board-community"), ("#/thanks", "thanks-community")):
        page.evaluate(f"() => {{ window.location.hash = '{screen}'; }}")
        expect(page.get_by_test_id(testid).locator("option")).to_have_count(3)


def test_a_system_admin_sees_every_community(page: Page) -> None:
    log_in_ok(page, SYSTEM_ADMIN)
    page.evaluate("() => { window.location.hash = '#/thanks'; }")
    options = page.get_by_test_id("thanks-community").locator("option")
    expect(options.first).to_be_attached()
    assert options.count() >= 3, options.all_inner_texts()


RESIDENT = "13800000007"  # 孙桂兰, 登月社区's first grid


def test_staff_home_says_what_waits_for_them(page: Page, live_server: str) -> None:
    """A new wish shows on the office's home (to moderate, and on the moderation card) and on
    the grid worker's (open in their grid); a resident gets no counts."""
    Api(live_server, RESIDENT).call(
        "POST", "/api/v1/wishes", {"title": unique("想请人修水龙头"), "category": "repair"}
    )
    log_in_ok(page, COMMUNITY_ADMIN)
    to_moderate = page.get_by_test_id("task-to_moderate")
    expect(to_moderate).to_be_visible()
    count = int(to_moderate.get_attribute("data-count") or "0")
    assert count >= 1
    expect(page.get_by_test_id("home-moderate-count")).to_have_text(str(count))
    expect(page.get_by_test_id("task-open_in_my_grids")).to_have_count(0)  # not a grid worker
    to_moderate.get_by_role("link").click()
    expect(page.get_by_test_id("moderation-queue")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("queue-item")).to_have_count(count)

    page.evaluate("() => { window.location.hash = '#/home'; }")
    page.get_by_test_id("logout").click()
    log_in_ok(page, GRID_WORKER)
    open_here = page.get_by_test_id("task-open_in_my_grids")
    expect(open_here).to_be_visible()
    assert int(open_here.get_attribute("data-count") or "0") >= 1
    expect(page.get_by_test_id("task-to_moderate")).to_have_count(0)

    page.get_by_test_id("logout").click()
    log_in_ok(page, RESIDENT)
    expect(page.get_by_test_id("home-tasks")).to_have_count(0)


def test_a_window_clerk_posts_a_wish_for_a_resident_who_agreed(
    page: Page, live_server: str
) -> None:
    """The clerk finds the resident with the people search, records that they agreed, and the
    wish is posted for them (on_behalf, with the consent note), waiting for moderation."""
    log_in_ok(page, WINDOW_CLERK)
    page.get_by_test_id("home-new-wish").click()
    form = page.get_by_test_id("wish-form")
    expect(form).to_have_attribute("data-for-other", "yes")
    title = unique("想请人陪我去医院")
    form.get_by_test_id("wish-title").fill(title)
    form.locator('[data-testid="wish-category"][data-value="health"]').click()
    page.get_by_test_id("wish-submit").click()
    expect(page.get_by_test_id("wish-error")).to_contain_text("选定居民")

    page.get_by_test_id("wish-for-search").fill("周")
    page.get_by_test_id("wish-for-result").filter(has_text="周大爷").first.click()
    expect(page.get_by_test_id("wish-for-picked")).to_contain_text("周大爷")
    expect(page.get_by_test_id("wish-error")).to_have_count(0)
    page.get_by_test_id("wish-submit").click()
    expect(page.get_by_test_id("wish-error")).to_contain_text("居民已同意")
    page.get_by_test_id("wish-for-consent").check()
    expect(page.get_by_test_id("wish-error")).to_have_count(0)
    page.get_by_test_id("wish-for-consent-note").fill("居民在窗口当面同意")
    page.get_by_test_id("wish-submit").click()

    detail = page.get_by_test_id("wish-detail")
    expect(detail).to_have_attribute("data-state", "submitted")
    expect(detail).to_contain_text("周大爷")
    wish_id = detail.get_attribute("data-id")
    wish = Api(live_server, WINDOW_CLERK).call("GET", f"/api/v1/wishes/{wish_id}")
    assert wish["title"] == title and wish["on_behalf"] is True, wish
    assert any(e.get("note") == "居民在窗口当面同意" for e in wish["history"]), wish["history"]


def test_a_grid_worker_finds_the_grid_of_a_place_offline(page: Page, context: Any) -> None:
    """The map is saved when a grid worker signs in (before they open it); offline, a tapped
    place is placed in its grid on the phone, from that saved map."""
    page.goto("/")
    log_in_ok(page, GRID_WORKER)
    wait_for_service_worker(page)
    wait_until(
        page,
        """async () => {
            const cache = await caches.open('linli-api');
            return (await cache.keys()).some((r) => new URL(r.url).pathname === '/api/v1/map');
        }""",
        "the map saved at log-in, before the map was opened",
        timeout_s=20,
    )
    grid_name = page.locator('[data-testid="role-card"][data-role="grid_worker"] .role__scope')
    scope = grid_name.inner_text()  # 登月社区第1网格

    context.set_offline(True)
    page.get_by_test_id("open-map").click()
    expect(page.get_by_test_id("map")).to_have_attribute("data-state", "ready")
    at = point_inside(page, GRID_PATHS)
    page.mouse.click(at["x"], at["y"])
    result = page.get_by_test_id("locate-result")
    expect(result).to_have_attribute("data-state", "found")
    expect(result).to_have_attribute("data-source", "phone")
    expect(result).to_contain_text("登月社区")
    expect(result).to_contain_text(scope.replace("登月社区", ""))  # 第1网格
    expect(page.get_by_test_id("locate-offline")).to_be_visible()


def test_the_volunteer_is_spoken_to_as_the_helper(page: Page, live_server: str) -> None:
    """A volunteer's wishes are the ones they took on: 我认领的心愿, "tap 已经帮完了", then
    "waiting for the resident" — never the resident's 请您确认 or 志愿者已经认领."""
    resident, admin, volunteer = (
        Api(live_server, p) for p in (RESIDENT, COMMUNITY_ADMIN, VOLUNTEER)
    )
    wish = resident.call(
        "POST", "/api/v1/wishes", {"title": unique("想请人帮忙剪头发"), "category": "daily_help"}
    )
    wid = wish["id"]
    admin.call("POST", f"/api/v1/wishes/{wid}/approve", {})
    volunteer.call("POST", f"/api/v1/wishes/{wid}/claim", {})

    log_in_ok(page, VOLUNTEER)
    page.get_by_test_id("home-my-wishes").click()
    expect(page.locator("#page-title")).to_have_text("我认领的心愿")
    item = page.locator(f'[data-testid="wish-item"][data-id="{wid}"]')
    expect(item.get_by_test_id("wish-todo")).to_contain_text("已经帮完了")
    item.click()
    hint = page.get_by_test_id("wish-state-hint")
    expect(hint).to_contain_text("您已认领")
    expect(page.get_by_test_id("wish-detail")).not_to_contain_text("会尽快来帮忙")

    volunteer.call("POST", f"/api/v1/wishes/{wid}/fulfil", {"note": "剪好了"})
    page.reload()
    expect(page.get_by_test_id("wish-detail")).to_have_attribute("data-state", "fulfilled")
    expect(hint).to_contain_text("等居民确认")
    expect(page.get_by_test_id("wish-detail")).not_to_contain_text("请您确认")
    page.get_by_test_id("nav-back").click()
    item = page.locator(f'[data-testid="wish-item"][data-id="{wid}"]')
    expect(item.get_by_test_id("wish-todo")).to_have_text("等居民确认")
