"""The Idempotency-Key header on every unsafe request, on both engines."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import msgspec
from sqlalchemy import func, select

from server.db.base import utcnow
from server.housekeeping import run_chores
from server.lib.idempotency import _Record, key_of, request_fingerprint
from server.lib.kvstore import KVEntry
from server.wishes.models import Wish
from tests.conftest import DENGYUE_ADMIN, DENGYUE_RESIDENT, SYSTEM_ADMIN, YULAN_RESIDENT, Backend
from tests.integration.test_scope import user_id
from tests.integration.test_wishes import as_, post_wish


def wish_body(title: str) -> dict[str, str]:
    return {"title": title, "category": "repair", "description": "厨房的灯坏了"}


async def count_wishes(backend: Backend, title: str) -> int:
    async with backend.sessionmaker()() as session:
        return int(
            await session.scalar(select(func.count()).select_from(Wish).where(Wish.title == title))
        )


async def test_the_same_key_and_body_answer_the_first_response_again(
    client, tokens, backend: Backend
) -> None:
    headers = {**await as_(client, tokens, DENGYUE_RESIDENT), "Idempotency-Key": str(uuid.uuid4())}
    title = f"重放的心愿{uuid.uuid4().hex[:6]}"
    first = await client.post("/api/v1/wishes", json=wish_body(title), headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = await client.post("/api/v1/wishes", json=wish_body(title), headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"].startswith("application/json")
    assert await count_wishes(backend, title) == 1

    # A different body, or another address, under the same key: refused, nothing made.
    other = await client.post("/api/v1/wishes", json=wish_body(title + "!"), headers=headers)
    assert other.status_code == 422 and other.json()["detail"] == "这个幂等键已用于另一个请求"
    elsewhere = await client.patch("/api/v1/me", json={"locale": "zh_Hans"}, headers=headers)
    assert elsewhere.status_code == 422
    assert await count_wishes(backend, title + "!") == 0

    # Keys are per person: the same key from someone else is their own.
    theirs = {
        **await as_(client, tokens, YULAN_RESIDENT),
        "Idempotency-Key": headers["Idempotency-Key"],
    }
    r = await client.post("/api/v1/wishes", json=wish_body(title), headers=theirs)
    assert r.status_code == 201 and r.json()["id"] != first.json()["id"]


async def test_a_replayed_action_does_not_act_twice_and_refusals_replay_too(client, tokens) -> None:
    wish = await post_wish(client, tokens, title="重放审核")
    admin = {
        **await as_(client, tokens, DENGYUE_ADMIN),
        "Idempotency-Key": "approve-" + uuid.uuid4().hex,
    }
    path = f"/api/v1/wishes/{wish['id']}/approve"
    first = await client.post(path, headers=admin)
    assert first.status_code == 200 and first.json()["state"] == "approved"
    # Without the key, the second approval is a conflict; with it, the first answer.
    again = await client.post(path, headers=admin)
    assert again.status_code == 200 and again.json() == first.json()
    plain = await client.post(path, headers=await as_(client, tokens, DENGYUE_ADMIN))
    assert plain.status_code == 409

    # A refusal is an answer too: the same 403 again, not a second try.
    resident = {**await as_(client, tokens, DENGYUE_RESIDENT), "Idempotency-Key": uuid.uuid4().hex}
    refused = await client.post(
        path.replace("approve", "reject"), json={"reason": "x"}, headers=resident
    )
    assert refused.status_code == 403
    replayed = await client.post(
        path.replace("approve", "reject"), json={"reason": "x"}, headers=resident
    )
    assert replayed.status_code == 403 and replayed.headers["idempotent-replayed"] == "true"


async def test_simultaneous_retries_make_one_wish(client, tokens, backend: Backend) -> None:
    headers = {**await as_(client, tokens, DENGYUE_RESIDENT), "Idempotency-Key": uuid.uuid4().hex}
    title = f"同时重试{uuid.uuid4().hex[:6]}"
    answers = await asyncio.gather(
        *(client.post("/api/v1/wishes", json=wish_body(title), headers=headers) for _ in range(8))
    )
    statuses = sorted(r.status_code for r in answers)
    assert set(statuses) <= {201, 409} and statuses.count(201) >= 1, statuses
    made = {r.json()["id"] for r in answers if r.status_code == 201}
    assert len(made) == 1
    for r in answers:
        if r.status_code == 409:
            assert r.headers["retry-after"] and "处理" in r.json()["detail"]
    assert await count_wishes(backend, title) == 1


async def put_record(backend: Backend, user_id: int, key: str, record: _Record, **kw) -> None:
    async with backend.sessionmaker().begin() as session:
        await session.merge(
            KVEntry(
                key=key_of(user_id, key),
                value=msgspec.msgpack.encode(record),
                expires_at=kw.get("expires_at", utcnow() + timedelta(days=30)),
            )
        )


async def test_a_request_still_running_is_409_and_a_dead_one_is_taken_over(
    client, tokens, backend: Backend
) -> None:
    uid = await user_id(backend, DENGYUE_RESIDENT)
    title = f"接手的心愿{uuid.uuid4().hex[:6]}"
    body = json.dumps(wish_body(title), ensure_ascii=False).encode()
    fingerprint = request_fingerprint("POST", "/api/v1/wishes", b"", body)
    key = uuid.uuid4().hex
    headers = {
        **await as_(client, tokens, DENGYUE_RESIDENT),
        "Idempotency-Key": key,
        "Content-Type": "application/json",
    }
    now = utcnow().timestamp()
    await put_record(backend, uid, key, _Record(fingerprint, "running", started_at=now))
    r = await client.post("/api/v1/wishes", content=body, headers=headers)
    assert r.status_code == 409 and r.headers["retry-after"] == "2"
    assert await count_wishes(backend, title) == 0
    # The first attempt's process died two minutes ago: the retry runs for real.
    await put_record(backend, uid, key, _Record(fingerprint, "running", started_at=now - 120))
    r = await client.post("/api/v1/wishes", content=body, headers=headers)
    assert r.status_code == 201, r.text
    assert await count_wishes(backend, title) == 1


async def test_keys_are_kept_for_the_configured_days_then_pruned(
    client, tokens, backend: Backend
) -> None:
    uid = await user_id(backend, DENGYUE_RESIDENT)
    key = uuid.uuid4().hex
    headers = {**await as_(client, tokens, DENGYUE_RESIDENT), "Idempotency-Key": key}
    await client.patch("/api/v1/me", json={"locale": "zh_Hans"}, headers=headers)
    async with backend.sessionmaker()() as session:
        entry = await session.get(KVEntry, key_of(uid, key))
        assert entry is not None and entry.expires_at is not None
        kept = entry.expires_at - utcnow()
        assert timedelta(days=29) < kept <= timedelta(days=30)
        assert msgspec.msgpack.decode(entry.value, type=_Record).state == "done"
    await put_record(backend, uid, key, _Record("x", "done", 0), expires_at=utcnow())
    await run_chores(backend.sessionmaker())
    async with backend.sessionmaker()() as session:
        assert await session.get(KVEntry, key_of(uid, key)) is None


async def test_a_malformed_key_is_a_400_and_safe_methods_ignore_keys(client, tokens) -> None:
    headers = await as_(client, tokens, DENGYUE_RESIDENT)
    for bad in ("x" * 256, "", "中文"):
        r = await client.patch(
            "/api/v1/me",
            json={"locale": "zh_Hans"},
            headers={**headers, "Idempotency-Key": bad.encode("utf-8")},
        )
        assert r.status_code == 400 and r.json()["detail"] == "幂等键（Idempotency-Key）格式不正确"
    key = {"Idempotency-Key": uuid.uuid4().hex}
    one = await client.get("/api/v1/me", headers={**headers, **key})
    two = await client.get("/api/v1/me", headers={**headers, **key})
    assert one.status_code == two.status_code == 200 and "idempotent-replayed" not in two.headers


async def test_calls_without_log_in_ignore_the_key(client) -> None:
    """Nobody to keep the key for: a log-in runs each time (fresh tokens)."""
    headers = {"Idempotency-Key": "same-for-everyone"}
    body = {"phone": DENGYUE_RESIDENT, "password": "linli-demo-2026"}
    one = await client.post("/api/v1/auth/login", json=body, headers=headers)
    two = await client.post("/api/v1/auth/login", json=body, headers=headers)
    assert one.status_code == two.status_code == 200
    assert "idempotent-replayed" not in two.headers
    assert one.json()["refresh_token"] != two.json()["refresh_token"]


async def test_the_header_is_in_the_openapi_document(client) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    assert doc["components"]["parameters"]["IdempotencyKey"]["in"] == "header"
    ref = {"$ref": "#/components/parameters/IdempotencyKey"}
    unsafe = [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in ("post", "put", "patch", "delete")
    ]
    signed_in = [(p, m, op) for p, m, op in unsafe if op.get("security") != [{}]]
    assert len(signed_in) > 30
    for path, method, op in signed_in:
        assert ref in op.get("parameters", []), (method, path)
        assert {"409", "422"} <= set(op["responses"]), (method, path)
    login = doc["paths"]["/api/v1/auth/login"]["post"]
    assert ref not in login.get("parameters", [])  # no log-in: the header is ignored


async def test_a_route_that_takes_large_bodies_takes_them_with_a_key_too(client, tokens) -> None:
    # The grid-map import takes up to 64 MiB: a key must not shrink that to the 2 MiB default.
    body = json.dumps(
        {"type": "FeatureCollection", "features": [], "note": "x" * (3 * 1024 * 1024)}
    ).encode()
    headers = {
        **await as_(client, tokens, SYSTEM_ADMIN),
        "Content-Type": "application/json",
        "Idempotency-Key": str(uuid.uuid4()),
    }
    first = await client.post("/api/v1/grid-maps", content=body, headers=headers)
    assert first.status_code != 413 and first.status_code < 500, first.text
    again = await client.post("/api/v1/grid-maps", content=body, headers=headers)
    assert again.status_code == first.status_code
    assert again.headers.get("idempotent-replayed") == "true"


async def test_a_replayed_compressed_answer_says_it_is_compressed(client, tokens) -> None:
    # A wish view with a long description is over 1 KiB: the app gzips it. The replay must
    # carry the same Content-Encoding, or the phone reads gzip bytes as JSON.
    headers = {
        **await as_(client, tokens, DENGYUE_RESIDENT),
        "Idempotency-Key": str(uuid.uuid4()),
        "Accept-Encoding": "gzip",
    }
    body = {**wish_body(f"长心愿{uuid.uuid4().hex[:6]}"), "description": "厨房的灯坏了。" * 120}
    first = await client.post("/api/v1/wishes", json=body, headers=headers)
    assert first.status_code == 201 and first.headers.get("content-encoding") == "gzip"
    again = await client.post("/api/v1/wishes", json=body, headers=headers)
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.headers.get("content-encoding") == "gzip"
    assert again.json()["id"] == first.json()["id"]  # decodes, as the first did
