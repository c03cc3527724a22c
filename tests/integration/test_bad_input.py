"""Bad input is a 4xx with a reason, never a 500."""

from __future__ import annotations

import dataclasses

import pytest
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.lib.kvstore import KVEntry
from tests.conftest import DENGYUE_ADMIN, Backend


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'{"phone": 13800000001, "password": "x"}', "application/json"),
        (b'{"phone": "13800000001"}', "application/json"),
        (b'{"phone": "13800000001", "password": "x", "admin": true}', "application/json"),
        (b'{"phone": "' + b"1" * 5000 + b'", "password": "x"}', "application/json"),
        (b"phone=1", "application/x-www-form-urlencoded"),
    ],
)
async def test_malformed_login_bodies(client, body: bytes, content_type: str) -> None:
    r = await client.post(
        "/api/v1/auth/login", content=body, headers={"Content-Type": content_type}
    )
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["detail"]


async def test_unknown_fields_and_wrong_types_name_the_field(client, tokens) -> None:
    headers = await tokens.get(client, DENGYUE_ADMIN)
    r = await client.post(
        "/api/v1/users",
        json={
            "phone": "13700009999",
            "name": "x",
            "password": "long-enough",
            "roles": [{"role": "grid_worker"}],
            "age": 3,
        },
        headers=headers,
    )
    assert r.status_code == 400
    assert r.json()["detail"] == "请求数据有误"  # the user's own setting (zh_Hans)
    assert "age" in str(r.json()["extra"])
    r = await client.post(
        "/api/v1/users",
        json={
            "phone": "12345",
            "name": "x",
            "password": "long-enough",
            "roles": [{"role": "grid_worker"}],
        },
        headers=headers,
    )
    assert r.status_code == 400 and "phone" in str(r.json()["extra"])
    r = await client.post(
        "/api/v1/users",
        json={
            "phone": "13700009999",
            "name": "x",
            "password": "long-enough",
            "roles": [{"role": "emperor"}],
        },
        headers=headers,
    )
    assert r.status_code == 400 and "role" in str(r.json()["extra"])
    r = await client.patch("/api/v1/me", json={"locale": "fr"}, headers=headers)
    assert r.status_code == 400


async def test_oversize_body_is_413(client) -> None:
    big = b'{"phone": "1", "password": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    r = await client.post(
        "/api/v1/auth/login", content=big, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert r.json()["detail"] == "提交的内容太大"


async def test_unknown_routes_and_methods(client) -> None:
    assert (await client.get("/api/v1/nothing-here")).status_code in (401, 404)
    r = await client.delete("/api/v1/locate", params={"lon": 1, "lat": 1})
    assert r.status_code == 405
    assert r.json()["detail"] == "不支持该操作"
    r = await client.get("/api/v1/users/not-a-number")
    assert r.status_code in (400, 401, 404)


async def test_user_locale_setting_overrides_accept_language(client, tokens) -> None:
    headers = await tokens.get(client, DENGYUE_ADMIN)
    r = await client.patch(
        "/api/v1/me", json={"locale": "zh_Hant"}, headers={**headers, "Accept-Language": "en"}
    )
    assert r.status_code == 200 and r.json()["locale"] == "zh_Hant"
    denied = await client.get(
        "/api/v1/grid-maps/export", headers={**headers, "Accept-Language": "en"}
    )
    assert denied.json()["detail"] == "您的角色無權進行此操作"
    await client.patch("/api/v1/me", json={"locale": "zh_Hans"}, headers=headers)


async def test_rate_limit_counters_live_in_the_shared_store(backend: Backend) -> None:
    app = create_app(dataclasses.replace(backend.settings, rate_limit_per_minute=5))
    async with AsyncTestClient(app) as client:
        statuses = [(await client.get("/api/v1/config")).status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    async with backend.sessionmaker()() as session:
        from sqlalchemy import delete, select

        keys = (await session.scalars(select(KVEntry.key))).all()
        assert any("rate_limit" in k for k in keys), keys
        await session.execute(delete(KVEntry))
        await session.commit()


async def test_a_nul_character_in_text_is_bad_input_for_every_domain(
    client, tokens, backend: Backend
) -> None:
    """PostgreSQL cannot store NUL in text: a wish or a case carrying one is a 400 with the
    reason there, and nothing of it is stored (SQLite stores the text as sent)."""
    from sqlalchemy import func, select

    from server.cases.models import Case
    from server.wishes.models import Wish
    from tests.conftest import DENGYUE_RESIDENT

    headers = await tokens.get(client, DENGYUE_RESIDENT)
    bodies = (
        ("/api/v1/wishes", {"title": "换灯\u0000泡", "category": "repair"}, Wish),
        ("/api/v1/cases", {"item": "garbage", "description": "满了\u0000没人收"}, Case),
    )
    for path, body, model in bodies:
        async with backend.sessionmaker()() as s:
            before = await s.scalar(select(func.count()).select_from(model))
        r = await client.post(path, json=body, headers={**headers, "Accept-Language": "zh-CN"})
        async with backend.sessionmaker()() as s:
            after = await s.scalar(select(func.count()).select_from(model))
        if backend.name == "postgis":
            assert r.status_code == 400, (path, r.status_code, r.text)
            assert r.json()["detail"] == "文字中含有无法保存的字符"
            assert after == before
        else:
            assert r.status_code == 201, (path, r.status_code, r.text)
