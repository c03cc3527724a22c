"""The micro-wish screens (微心愿) of the PWA in headless Chromium against a live server.

One wish goes through every role in the UI; web push is delivered through the
DevTools protocol; the offline queue is exercised with the context offline, a
refused replay and a server error. Waits are explicit (data-testid /
data-state); nothing sleeps.
"""

from __future__ import annotations

import json
import re
import struct
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import FilePayload, Page, Route, expect

from tests.browser.pages import DEMO_PASSWORD, log_in_ok, wait_for_service_worker

pytestmark = pytest.mark.browser

RESIDENT = "13800000007"  # 孙桂兰, 登月社区
VOLUNTEER = "13800000006"  # 赵丽, volunteer
PARTY_VOLUNTEER = "13800000010"  # 郑建军, volunteer and party member
MODERATOR = "13800000003"  # 王秀英, 登月社区 admin

# As tests/browser/conftest.py opens its contexts.
VIEWPORT = {"width": 360, "height": 740}
# For waits that chain several requests (replays, lazy chunks, the map): generous
# when the machine is busy, and they return as soon as the state is reached.
SLOW = 15_000
MAX_PHOTO_SIDE = 1280
MAX_PHOTO_BYTES = 300 * 1024


# --- helpers ---------------------------------------------------------------------------------


def wait_until(
    page: Page, async_predicate: str, what: str, timeout_s: float = 10, arg: Any = None
) -> Any:
    """Polls an async JS predicate (``wait_for_function`` would take its Promise as truthy)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(async_predicate, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        page.wait_for_timeout(100)


def unique(title: str) -> str:
    return f"{title}{uuid.uuid4().hex[:6]}"


class Api:
    """The server's API straight from Python, to set the scene and check the outcome."""

    def __init__(self, base: str, phone: str) -> None:
        self.base = base
        self.token = self.call(
            "POST", "/api/v1/auth/login", {"phone": phone, "password": DEMO_PASSWORD}, auth=False
        )["access_token"]

    def call(self, method: str, path: str, body: Any = None, *, auth: bool = True) -> Any:
        headers = {"Accept": "application/json", "Accept-Language": "zh-Hans-CN"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: {exc.code} {exc.read()!r}") from exc
        return json.loads(text) if text else None

    def media(self, key: str) -> bytes:
        request = urllib.request.Request(
            f"{self.base}/api/v1/media/{key}", headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return bytes(response.read())

    def mine(self, title: str) -> list[dict[str, Any]]:
        return [w for w in self.call("GET", "/api/v1/wishes/mine") if w["title"] == title]


@pytest.fixture
def open_as(browser: Any, live_server: str) -> Iterator[Callable[[str], Page]]:
    """``open_as(phone)``: a page in a fresh context of its own, signed in as that user."""
    contexts: list[Any] = []

    def open_page(phone: str) -> Page:
        ctx = browser.new_context(
            viewport=VIEWPORT, locale="zh-CN", base_url=live_server, service_workers="allow"
        )
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        p: Page = ctx.new_page()
        p.goto("/")
        log_in_ok(p, phone)
        return p

    yield open_page
    for ctx in contexts:
        ctx.close()


def camera_jpeg(page: Page, width: int = 2400, height: int = 1800) -> bytes:
    """A big, detailed JPEG (like a phone camera's, ~0.8 MB), drawn by the browser itself."""
    data = page.evaluate(
        """([w, h]) => new Promise((resolve) => {
            const canvas = document.createElement('canvas');
            canvas.width = w; canvas.height = h;
            const g = canvas.getContext('2d');
            let seed = 42;
            const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
            for (let i = 0; i < 5000; i++) {
                g.fillStyle = `hsl(${Math.floor(rnd() * 360)},70%,${30 + Math.floor(rnd() * 50)}%)`;
                g.fillRect(rnd() * w, rnd() * h, 60, 60);
            }
            canvas.toBlob((blob) => {
                const reader = new FileReader();
                reader.onload = () => resolve(Array.from(new Uint8Array(reader.result)));
                reader.readAsArrayBuffer(blob);
            }, 'image/jpeg', 0.95);
        })""",
        [width, height],
    )
    return bytes(data)


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's SOF segment."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01, 0xFF) or 0xD0 <= marker <= 0xD7:
            i += 2 if marker != 0xFF else 1
            continue
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    raise AssertionError("no SOF segment in the JPEG")


def photo_file(data: bytes) -> FilePayload:
    return {"name": "camera.jpg", "mimeType": "image/jpeg", "buffer": data}


def fill_wish(page: Page, title: str, category: str, description: str, photo: bytes | None) -> None:
    expect(page.get_by_test_id("app-shell")).to_have_attribute("data-view", "wish-new")
    page.get_by_test_id("wish-title").fill(title)
    page.locator(f'[data-testid="wish-category"][data-value="{category}"]').click()
    expect(
        page.locator(f'[data-testid="wish-category"][data-value="{category}"]')
    ).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("wish-description").fill(description)
    if photo is not None:
        page.get_by_test_id("wish-photo-input").set_input_files(photo_file(photo))
        expect(page.get_by_test_id("wish-photo-preview")).to_be_visible()


def is_media_upload(request: Any) -> bool:
    return bool(request.method == "POST" and urlparse(request.url).path == "/api/v1/media")


# --- tests --------------------------------------------------------------------------------


def test_a_wish_goes_from_resident_to_volunteer_and_back_with_thanks(
    page: Page, open_as: Callable[[str], Page], live_server: str
) -> None:
    title = unique("帮忙换灯泡")
    api = Api(live_server, RESIDENT)

    # The resident makes a wish with a camera photo, which the phone shrinks before upload.
    page.goto("/")
    log_in_ok(page, RESIDENT)
    page.get_by_test_id("home-new-wish").click()
    fill_wish(page, title, "repair", "厨房的灯坏了，我够不着。", camera_jpeg(page))
    preview = page.get_by_test_id("wish-photo-preview")
    assert int(preview.get_attribute("data-bytes") or 0) <= MAX_PHOTO_BYTES
    with page.expect_response(lambda r: is_media_upload(r.request)) as upload:
        page.get_by_test_id("wish-submit").click()
    assert upload.value.request.headers.get("content-type") == "image/jpeg"
    stored = api.media(upload.value.json()["key"])  # what the server got
    assert len(stored) <= MAX_PHOTO_BYTES, len(stored)
    assert max(jpeg_size(stored)) == MAX_PHOTO_SIDE, jpeg_size(stored)

    detail = page.get_by_test_id("wish-detail")
    expect(detail).to_have_attribute("data-state", "submitted", timeout=SLOW)
    wish_id = detail.get_attribute("data-id")
    assert wish_id and page.url.endswith(f"#/wishes/{wish_id}"), page.url
    expect(page.get_by_test_id("wish-detail-title")).to_have_text(title)
    expect(page.get_by_test_id("wish-photo")).to_be_visible()
    expect(page.locator('[data-testid="wish-event"][data-action="post"]')).to_have_count(1)

    # The moderator edits a detail out (the original words stay visible) and approves.
    staff = open_as(MODERATOR)
    staff.get_by_test_id("home-moderate").click()
    item = staff.locator(f'[data-testid="queue-item"][data-id="{wish_id}"]')
    expect(item).to_be_visible()
    item.get_by_test_id("wish-edit").click()
    item.get_by_test_id("wish-edit-description").fill("厨房的灯坏了，需要梯子。")
    item.get_by_test_id("wish-edit-save").click()
    expect(item.get_by_test_id("queue-item-description")).to_have_text("厨房的灯坏了，需要梯子。")
    expect(item.get_by_test_id("wish-original")).to_contain_text("我够不着")
    item.get_by_test_id("wish-approve").click()
    expect(item).to_have_count(0)

    # A volunteer who is also a party member finds it on the board's map and takes it on.
    helper = open_as(PARTY_VOLUNTEER)
    helper.get_by_test_id("home-board").click()
    card = helper.locator(f'[data-testid="board-item"][data-id="{wish_id}"]')
    expect(card).to_be_visible()
    expect(card).to_contain_text("孙**")  # the board masks the resident
    expect(card).not_to_contain_text("孙桂兰")
    helper.get_by_test_id("board-view-map").click()
    expect(helper.get_by_test_id("board-map")).to_have_attribute(
        "data-state", "ready", timeout=SLOW
    )
    expect(card).to_have_count(0)  # on the map, a wish shows once its marker is tapped
    helper.locator(f'[data-testid="wish-marker"][data-ids~="{wish_id}"]').click()
    expect(card).to_be_visible()
    card.get_by_test_id("wish-claim").click()
    card.locator('[data-testid="claim-as"][data-kind="party_member"]').click()
    claimed = helper.get_by_test_id("wish-detail")
    expect(claimed).to_have_attribute("data-state", "claimed")
    expect(helper.get_by_test_id("wish-claimant")).to_contain_text("党员")
    # Setting out, the helper asks for the door (the office's audit log records it).
    expect(helper.get_by_test_id("wish-address")).to_have_count(0)
    helper.get_by_test_id("wish-address-show").click()
    expect(helper.get_by_test_id("wish-address")).to_contain_text("1单元101")

    helper.get_by_test_id("wish-fulfil").click()
    helper.get_by_test_id("fulfil-note").fill("灯泡换好了。")
    helper.get_by_test_id("fulfil-photo-input").set_input_files(
        photo_file(camera_jpeg(helper, 1600, 1200))
    )
    expect(helper.get_by_test_id("fulfil-photo-preview")).to_be_visible()
    with helper.expect_request(is_media_upload):
        helper.get_by_test_id("fulfil-submit").click()
    expect(claimed).to_have_attribute("data-state", "fulfilled", timeout=SLOW)
    expect(helper.get_by_test_id("wish-proof")).to_contain_text("灯泡换好了")
    expect(helper.get_by_test_id("wish-proof-photo")).to_be_visible()

    # The resident sees it fulfilled, confirms and says thank you.
    page.goto("/#/wishes")
    mine = page.locator(f'[data-testid="wish-item"][data-id="{wish_id}"]')
    expect(mine).to_have_attribute("data-state", "fulfilled")
    expect(mine.get_by_test_id("wish-state")).to_have_text("已完成")
    mine.click()
    expect(detail).to_have_attribute("data-state", "fulfilled")
    page.get_by_test_id("confirm-thanks").fill("谢谢小郑！")
    page.get_by_test_id("wish-confirm").click()
    expect(detail).to_have_attribute("data-state", "confirmed")
    expect(page.get_by_test_id("wish-thanks")).to_have_text("谢谢小郑！")
    expect(page.locator('[data-testid="wish-event"][data-action="confirm"]')).to_have_count(1)

    # …and the volunteer's hours show it.
    helper.goto("/#/hours")
    expect(helper.get_by_test_id("hours-total")).not_to_have_attribute("data-total", "0")
    expect(
        helper.locator(f'[data-testid="hours-entry"] a[href="#/wishes/{wish_id}"]')
    ).to_have_count(1)


def test_a_push_message_shows_a_notification_that_opens_its_wish(
    page: Page, context: Any, live_server: str
) -> None:
    context.grant_permissions(["notifications"], origin=live_server)
    page.goto("/")
    log_in_ok(page, RESIDENT)
    wait_for_service_worker(page)
    wish = Api(live_server, RESIDENT).call(
        "POST", "/api/v1/wishes", {"title": unique("想找人陪我聊天"), "category": "companionship"}
    )

    # How the resident hears back: SMS, kept by the server.
    page.goto("/#/notifications")
    push_state = page.get_by_test_id("push-state")
    expect(push_state).to_have_attribute("data-state", "off")
    # Headless Chromium refuses PushManager.subscribe: the screen must say so, not hang.
    page.get_by_test_id("push-enable").click()
    expect(push_state).to_have_attribute("data-state", re.compile("^(on|off)$"), timeout=SLOW)
    if push_state.get_attribute("data-state") == "off":
        expect(page.get_by_test_id("push-error")).to_be_visible()
    choice = page.get_by_test_id("notify-via")
    expect(choice).to_have_attribute("data-state", "ready")
    page.locator('[data-testid="notify-via-option"][data-value="sms"]').click()
    expect(page.get_by_test_id("notify-via-saved")).to_be_visible()
    page.reload()
    expect(choice).to_have_attribute("data-value", "sms")
    page.locator('[data-testid="notify-via-option"][data-value="both"]').click()
    expect(page.get_by_test_id("notify-via-saved")).to_be_visible()

    # A push, as the push service would deliver it, straight to the worker.
    cdp = context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    scope = f"{live_server}/"
    while not [r for r in registrations if r["scopeURL"] == scope and not r["isDeleted"]]:
        assert time.monotonic() < deadline, f"no registration for {scope}: {registrations}"
        page.wait_for_timeout(100)
    registration_id = next(r for r in registrations if r["scopeURL"] == scope)["registrationId"]
    tag = f"wish-{wish['id']}"
    url = f"/#/wishes/{wish['id']}"
    payload = {"title": "心愿已审核", "body": "您的心愿已发布", "url": url, "tag": tag, "id": 1}
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": live_server, "registrationId": registration_id, "data": json.dumps(payload)},
    )

    shown = wait_until(
        page,
        """async (tag) => {
            const registration = await navigator.serviceWorker.ready;
            const [n] = await registration.getNotifications({ tag });
            return n && { title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url };
        }""",
        "the notification of the push message",
        timeout_s=15,
        arg=tag,
    )
    assert shown == {"title": "心愿已审核", "body": "您的心愿已发布", "tag": tag, "url": url}, shown

    # Tapping it opens the wish it is about, in the open window.
    page.goto("/#/home")
    expect(page.get_by_test_id("app-shell")).to_have_attribute("data-view", "home")
    worker = next(w for w in context.service_workers if urlparse(w.url).path == "/sw.js")
    worker.evaluate(
        """async (tag) => {
            const [notification] = await self.registration.getNotifications({ tag });
            self.dispatchEvent(new NotificationEvent('notificationclick', { notification }));
        }""",
        tag,
    )
    expect(page.get_by_test_id("wish-detail")).to_have_attribute(
        "data-id", str(wish["id"]), timeout=SLOW
    )
    assert page.url.endswith(url), page.url
    wait_until(
        page,
        """async (tag) => (await (await navigator.serviceWorker.ready).getNotifications({ tag })).length === 0""",
        "the tapped notification to close",
        arg=tag,
    )


def test_a_wish_made_offline_is_queued_and_sent_when_back_online(
    page: Page, context: Any, live_server: str
) -> None:
    api = Api(live_server, RESIDENT)
    title = unique("帮我取药")
    page.goto("/")
    log_in_ok(page, RESIDENT)
    wait_for_service_worker(page)
    page.get_by_test_id("home-new-wish").click()

    context.set_offline(True)
    expect(page.get_by_test_id("net-status")).to_have_attribute("data-online", "false")
    fill_wish(page, title, "health", "社区医院的降压药。", camera_jpeg(page, 1200, 900))
    page.get_by_test_id("wish-submit").click()
    expect(page.get_by_test_id("wish-queued")).to_be_visible()
    expect(page.get_by_test_id("outbox-pending")).to_have_attribute("data-count", "1")
    page.get_by_test_id("wish-queued-mine").click()
    expect(page.get_by_test_id("wish-item-pending")).to_contain_text(title)
    assert api.mine(title) == []  # still only on the phone

    # The command is structured, with its id (sent as the Idempotency-Key) and the photo aside.
    stored = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open('linli');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
                const all = open.result.transaction('commands').objectStore('commands').getAll();
                all.onsuccess = () => resolve(all.result.map((c) => ({
                    id: c.id, kind: c.kind, path: c.path, state: c.state, title: c.body.title,
                    photo: c.blobs && c.blobs.photo ? c.blobs.photo.size : 0, created_at: c.created_at })));
            };
        })"""
    )
    assert len(stored) == 1, stored
    command = stored[0]
    assert command["kind"] == "wish.post" and command["path"] == "/api/v1/wishes", command
    assert command["id"] and command["title"] == title and command["state"] == "pending", command
    assert 0 < command["photo"] <= MAX_PHOTO_BYTES and command["created_at"], command

    context.set_offline(False)
    expect(page.get_by_test_id("outbox-pending")).to_have_count(0, timeout=SLOW)
    sent = page.locator('[data-testid="wish-item"]').filter(has_text=title)
    expect(sent).to_have_attribute("data-state", "submitted", timeout=SLOW)
    expect(page.get_by_test_id("wish-item-pending")).to_have_count(0)
    posted = api.mine(title)
    assert len(posted) == 1, posted
    assert posted[0]["photo"] and posted[0]["category"] == "health", posted[0]


def test_a_queued_action_the_server_refuses_is_set_aside_with_its_reason(
    page: Page, context: Any, live_server: str
) -> None:
    resident, staff = Api(live_server, RESIDENT), Api(live_server, MODERATOR)
    wish = resident.call(
        "POST", "/api/v1/wishes", {"title": unique("帮忙搬花盆"), "category": "daily_help"}
    )
    staff.call("POST", f"/api/v1/wishes/{wish['id']}/approve")

    page.goto("/")
    log_in_ok(page, VOLUNTEER)
    wait_for_service_worker(page)
    page.get_by_test_id("home-board").click()
    card = page.locator(f'[data-testid="board-item"][data-id="{wish["id"]}"]')
    expect(card).to_be_visible()

    # Offline, the volunteer takes it on: the claim waits on the phone…
    context.set_offline(True)
    expect(page.get_by_test_id("net-status")).to_have_attribute("data-online", "false")
    card.get_by_test_id("wish-claim").click()
    # 赵丽 is in her grid's service group too: she says she claims for herself.
    card.locator('[data-testid="claim-as"][data-kind="volunteer"]').click()
    expect(card.get_by_test_id("board-item-waiting")).to_be_visible()
    expect(page.get_by_test_id("outbox-pending")).to_have_attribute("data-count", "1")

    # …while someone else claims it first.
    Api(live_server, PARTY_VOLUNTEER).call("POST", f"/api/v1/wishes/{wish['id']}/claim")

    context.set_offline(False)
    failed = page.locator('[data-testid="outbox-failed-item"][data-kind="wish.claim"]')
    expect(failed).to_have_count(1, timeout=SLOW)
    expect(failed).to_contain_text(wish["title"])
    expect(failed.get_by_test_id("outbox-reason")).to_contain_text(
        "已被认领"
    )  # the server's own words
    expect(page.get_by_test_id("outbox-pending")).to_have_count(0)

    failed.get_by_test_id("outbox-discard").click()
    expect(page.get_by_test_id("outbox-failed")).to_have_count(0)
    left = page.evaluate(
        """() => new Promise((resolve) => {
            indexedDB.open('linli').onsuccess = (e) => {
                const count = e.target.result.transaction('commands').objectStore('commands').count();
                count.onsuccess = () => resolve(count.result);
            };
        })"""
    )
    assert left == 0


def test_a_lost_answer_keeps_the_post_queued_and_the_retry_does_not_post_twice(
    browser: Any, live_server: str
) -> None:
    # Without a service worker, so the page's own requests can be intercepted.
    ctx = browser.new_context(
        viewport=VIEWPORT, locale="zh-CN", base_url=live_server, service_workers="block"
    )
    ctx.set_default_timeout(15_000)
    bodies: list[dict[str, Any]] = []
    keys: list[str | None] = []

    def first_answer_lost(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        bodies.append(json.loads(route.request.post_data or "{}"))
        keys.append(route.request.headers.get("idempotency-key"))
        if len(bodies) == 1:
            # The post reaches the server and is made, but the phone hears a 503.
            made = route.fetch()
            assert made.status == 201, made.text()
            route.fulfill(
                status=503,
                content_type="application/json",
                body=json.dumps({"status_code": 503, "detail": "服务暂时不可用"}),
            )
        else:
            route.continue_()

    try:
        page = ctx.new_page()
        page.route("**/api/v1/wishes", first_answer_lost)
        page.goto("/")
        log_in_ok(page, RESIDENT)
        title = unique("帮忙修门锁")
        page.get_by_test_id("home-new-wish").click()
        fill_wish(page, title, "repair", "门锁打不开。", None)
        page.get_by_test_id("wish-submit").click()
        expect(page.get_by_test_id("wish-queued")).to_be_visible()  # a 5xx is retried, not lost
        expect(page.get_by_test_id("outbox-pending")).to_have_attribute("data-count", "1")
        expect(page.get_by_test_id("outbox-failed")).to_have_count(0)

        page.get_by_test_id("outbox-send-now").click()
        expect(page.get_by_test_id("outbox-pending")).to_have_count(0, timeout=SLOW)
        assert len(bodies) == 2 and bodies[0] == bodies[1], bodies
        assert keys[0] and keys[0] == keys[1] and bodies[0]["title"] == title, keys
        assert len(Api(live_server, RESIDENT).mine(title)) == 1  # the retry got the first answer
    finally:
        ctx.close()
