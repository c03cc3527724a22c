"""A slow upload holds nobody up: on SQLite the write lock is taken at the first write,
after the body has arrived, and given back when the request's transaction ends.

The app is called at the ASGI level with a ``receive`` that hands the photo over in
pieces, with pauses between them, as a phone on a weak signal does; meanwhile another
person posts a wish. Both engines run it (PostgreSQL has no such lock, and must not
grow one).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import func, select, update

from server.app import create_app
from server.cases.models import Case
from server.cases.services import CaseService
from server.db.core import end_writes, execute
from server.db.writelock import WritesEnded
from server.lib.deps import end_request_session, request_session
from server.wishes.models import Wish, WishEvent
from server.wishes.services import WishService
from tests.conftest import (
    DEMO_PASSWORD,
    DENGYUE_ADMIN,
    DENGYUE_RESIDENT,
    YULAN_RESIDENT,
    Backend,
)
from tests.support.images import png

PIECES = 6
PAUSE = 0.5  # seconds between pieces: the upload takes about 2.5 s to arrive


async def asgi_call(
    app: Litestar,
    method: str,
    path: str,
    headers: dict[str, str],
    pieces: list[bytes],
    *,
    pause: float = 0.0,
    on_piece: Any = None,
) -> tuple[int, bytes]:
    """One request straight into the app; the body arrives in ``pieces``, ``pause`` apart."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"content-length", str(sum(map(len, pieces))).encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    answered = asyncio.Event()
    given = 0

    async def receive() -> dict[str, Any]:
        nonlocal given
        if given < len(pieces):
            if given:
                await asyncio.sleep(pause)
            part = pieces[given]
            given += 1
            if on_piece is not None:
                on_piece(given)
            return {"type": "http.request", "body": part, "more_body": given < len(pieces)}
        await answered.wait()
        return {"type": "http.disconnect"}

    status = 0
    body: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body":
            body.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                answered.set()

    await app(scope, receive, send)  # type: ignore[arg-type]
    return status, b"".join(body)


@pytest.fixture
async def own_app(backend: Backend) -> AsyncIterator[Litestar]:
    """An app of this test's own: its connections belong to this event loop (the test
    client runs the shared app in a loop of its own)."""
    app = create_app(backend.settings)
    try:
        yield app
    finally:
        await app.state.engine.dispose()


async def lock_is_free(app: Litestar, within: float = 1) -> bool:
    """Whether the app's write lock can be taken within ``within`` s (it is given back at
    once); a lock held longer fails the test with a TimeoutError."""
    lock = app.state.sqlite_write_lock
    taken: bool = await asyncio.wait_for(lock.acquire(), timeout=within)
    lock.release()
    return taken


async def log_in(app: Litestar, phone: str) -> dict[str, str]:
    body = json.dumps({"phone": phone, "password": DEMO_PASSWORD}).encode()
    status, answer = await asgi_call(
        app, "POST", "/api/v1/auth/login", {"content-type": "application/json"}, [body]
    )
    assert status == 200, answer
    return {"authorization": f"Bearer {json.loads(answer)['access_token']}"}


def split(data: bytes, n: int) -> list[bytes]:
    size = -(-len(data) // n)
    return [data[i : i + size] for i in range(0, len(data), size)]


async def test_a_slow_upload_does_not_hold_up_another_persons_write(
    own_app: Litestar, backend: Backend
) -> None:
    app = own_app
    uploader = await log_in(app, YULAN_RESIDENT)
    writer = await log_in(app, DENGYUE_RESIDENT)
    photo = split(png(), PIECES)
    assert len(photo) == PIECES
    start = time.monotonic()
    events: list[tuple[str, float]] = []
    mid_upload = asyncio.Event()

    def piece_given(n: int) -> None:
        events.append((f"upload piece {n}", time.monotonic() - start))
        if n == 2:  # the app has read the first piece and waits for more
            mid_upload.set()

    upload = asyncio.create_task(
        asgi_call(
            app,
            "POST",
            "/api/v1/media",
            {**uploader, "content-type": "image/png"},
            photo,
            pause=PAUSE,
            on_piece=piece_given,
        )
    )
    await asyncio.wait_for(mid_upload.wait(), timeout=30)
    events.append(("write sent", time.monotonic() - start))
    body = b'{"title":"\xe6\x83\xb3\xe8\xaf\xb7\xe4\xba\xba\xe5\xb8\xae\xe5\xbf\x99","category":"repair"}'
    status, answer = await asyncio.wait_for(
        asgi_call(
            app, "POST", "/api/v1/wishes", {**writer, "content-type": "application/json"}, [body]
        ),
        timeout=60,
    )
    events.append(("write answered", time.monotonic() - start))
    assert status == 201, answer
    upload_status, upload_answer = await asyncio.wait_for(upload, timeout=60)
    events.append(("upload answered", time.monotonic() - start))
    assert upload_status == 201, upload_answer

    order = [name for name, _ in sorted(events, key=lambda e: e[1])]
    print(f"\n[{backend.name}] " + ", ".join(f"{name} {at:.2f} s" for name, at in events))
    # The write was answered while the photo was still arriving, not queued behind it.
    assert order.index("write answered") < order.index(f"upload piece {PIECES}"), order
    assert order.index("write answered") > order.index("upload piece 1"), order


async def test_the_write_lock_is_given_back_when_the_request_ends(own_app: Litestar) -> None:
    """A refused upload, a read-only request and a successful write each leave it free."""
    app = own_app
    headers = await log_in(app, DENGYUE_RESIDENT)
    image = {**headers, "content-type": "image/png"}
    assert (await asgi_call(app, "POST", "/api/v1/media", image, [b"not an image"]))[0] == 415
    assert (await asgi_call(app, "GET", "/api/v1/wishes/mine", headers, [b""]))[0] == 200
    assert (await asgi_call(app, "POST", "/api/v1/media", image, [png()]))[0] == 201
    assert await lock_is_free(app, within=5)  # not held by a finished request
    scope: dict[str, Any] = {}
    session = request_session(scope, app.state)
    assert request_session(scope, app.state) is session  # one per request
    await session.close()


async def what_others_see(app: Litestar, model: Any, row_id: int) -> dict[str, Any]:
    """While an answer is made: is the write lock free, and what does another connection
    (as another worker would) read of the row's state and version."""
    seen: dict[str, Any] = {"lock free": await lock_is_free(app)}
    async with app.state.engine.connect() as other:
        query = select(model.state, model.version).where(model.id == row_id)
        seen["written"] = (await other.execute(query)).first()
    return seen


def committed_before_answering(backend: Backend, first: str, then: str) -> list[dict[str, Any]]:
    """What ``what_others_see`` finds for an intake (``first``, version 1) then an action
    (``then``, version 2): on SQLite each already committed; on PostgreSQL, which has no
    such lock (acquire answers at once), the commit comes after the answer."""
    if backend.name == "spatialite":
        return [
            {"lock free": True, "written": (first, 1)},
            {"lock free": True, "written": (then, 2)},
        ]
    return [{"lock free": True, "written": None}, {"lock free": True, "written": (first, 1)}]


async def test_a_change_is_committed_and_the_lock_free_before_its_answer_is_made(
    own_app: Litestar, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite every writer of every worker queues for one lock: a post, and an action on
    a wish (here the office approving it), give it back as soon as their rows are written,
    not after their answer is made and encoded. PostgreSQL has no such lock and commits
    after the answer, as every request does."""
    app = own_app
    resident = await log_in(app, DENGYUE_RESIDENT)
    office = await log_in(app, DENGYUE_ADMIN)
    seen: list[dict[str, Any]] = []
    making_the_answer = WishService._views

    async def views(self: WishService, wishes: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(await what_others_see(app, Wish, wishes[0].id))
        return await making_the_answer(self, wishes, *args, **kwargs)

    monkeypatch.setattr(WishService, "_views", views)
    body = json.dumps({"title": "想请人帮忙修门铃", "category": "repair"}).encode()
    json_headers = {"content-type": "application/json"}
    status, answer = await asgi_call(
        app, "POST", "/api/v1/wishes", {**resident, **json_headers}, [body]
    )
    assert status == 201, answer
    wish_id = json.loads(answer)["id"]
    status, answer = await asgi_call(
        app, "POST", f"/api/v1/wishes/{wish_id}/approve", {**office, **json_headers}, [b"{}"]
    )
    assert status == 200, answer
    assert json.loads(answer)["state"] == "approved"
    assert seen == committed_before_answering(backend, "submitted", "approved")
    async with app.state.engine.connect() as other:
        assert (await other.execute(select(Wish.state).where(Wish.id == wish_id))).scalar() == (
            "approved"
        )
        assert (
            await other.scalar(
                select(func.count()).select_from(WishEvent).where(WishEvent.wish_id == wish_id)
            )
            == 2
        )


async def test_a_write_after_the_writes_were_declared_done_is_refused(
    own_app: Litestar, backend: Backend
) -> None:
    """It would run in a second transaction, apart from the change it belongs with."""
    app = own_app
    scope: Any = {}
    session = request_session(scope, app.state)
    try:
        stamp = update(Wish).where(Wish.id == -1).values(title="x")
        await execute(session, stamp)
        await end_writes(session)
        if backend.name == "spatialite":
            with pytest.raises(WritesEnded):
                await execute(session, stamp)
            with pytest.raises(WritesEnded):  # through the ORM's own execution too
                await session.execute(stamp)
            assert await lock_is_free(app)  # given back by end_writes
        else:  # nothing changes: the request's one transaction goes on
            await execute(session, stamp)
            await session.commit()
    finally:
        await end_request_session(scope)


async def test_a_case_is_committed_and_the_lock_free_before_its_answer_is_made(
    own_app: Litestar, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same for cases: taken in, then accepted by the office."""
    app = own_app
    resident = await log_in(app, DENGYUE_RESIDENT)
    office = await log_in(app, DENGYUE_ADMIN)
    seen: list[dict[str, Any]] = []
    making_the_answer = CaseService._views

    async def views(self: CaseService, user: Any, cases: Any, **kwargs: Any) -> Any:
        seen.append(await what_others_see(app, Case, cases[0].id))
        return await making_the_answer(self, user, cases, **kwargs)

    monkeypatch.setattr(CaseService, "_views", views)
    json_headers = {"content-type": "application/json"}
    body = {"item": "stair_light", "description": "三楼楼道灯不亮", "fields": {"floor": 3}}
    status, answer = await asgi_call(
        app, "POST", "/api/v1/cases", {**resident, **json_headers}, [json.dumps(body).encode()]
    )
    assert status == 201, answer
    case = json.loads(answer)
    accept = json.dumps({"expected_version": case["version"]}).encode()
    status, answer = await asgi_call(
        app, "POST", f"/api/v1/cases/{case['id']}/accept", {**office, **json_headers}, [accept]
    )
    assert status == 200, answer
    assert json.loads(answer)["state"] == "accepted"
    assert seen == committed_before_answering(backend, "received", "accepted")
