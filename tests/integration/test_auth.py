"""Log-in, tokens, refresh rotation, log-out and failed-log-in throttling."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from server.app import create_app
from server.auth.models import LoginThrottle, RefreshToken
from server.db.base import utcnow
from tests.conftest import (
    DEMO_PASSWORD,
    DENGYUE_GRID_WORKER,
    DENGYUE_RESIDENT,
    YULAN_ADMIN,
    Backend,
)


async def login(client, phone: str, password: str = DEMO_PASSWORD):
    return await client.post("/api/v1/auth/login", json={"phone": phone, "password": password})


async def test_login_returns_tokens_and_the_user_with_roles(client) -> None:
    r = await login(client, DENGYUE_GRID_WORKER)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    user = body["user"]
    assert user["phone_masked"] == "138****0005"
    assert user["roles"][0]["role"] == "grid_worker"
    assert user["roles"][0]["scope_level"] == "grid"
    assert user["roles"][0]["scope_name"].startswith("登月社区")
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == user


async def test_wrong_password_and_unknown_phone_answer_alike(client) -> None:
    wrong = await login(client, DENGYUE_GRID_WORKER, "not-the-password")
    unknown = await login(client, "13999999999", "whatever-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "手机号或密码错误"


async def test_refresh_rotates_and_a_reused_token_ends_the_family(client) -> None:
    first = (await login(client, DENGYUE_RESIDENT)).json()
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    # The old token again: theft suspected, so the new one dies too.
    reused = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert reused.status_code == 401
    assert reused.json()["code"] == "refresh_reused"
    after = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    assert after.status_code == 401


async def test_logout_revokes_access_and_refresh_tokens(client) -> None:
    tokens = (await login(client, YULAN_ADMIN)).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get("/api/v1/me", headers=auth)).status_code == 200
    out = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}, headers=auth
    )
    assert out.status_code == 204
    assert (await client.get("/api/v1/me", headers=auth)).status_code == 401
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 401


async def test_garbage_and_tampered_tokens_are_401(client) -> None:
    tokens = (await login(client, DENGYUE_RESIDENT)).json()
    head, payload, sig = tokens["access_token"].split(".")
    tampered = f"{head}.{payload}.{sig[::-1]}"
    for value in ("Bearer nonsense", f"Bearer {tampered}", "Basic abc"):
        r = await client.get("/api/v1/me", headers={"Authorization": value})
        assert r.status_code == 401
        assert r.json()["detail"] == "请先登录"


async def _age_failures(backend: Backend) -> None:
    """Pretend the last failure was long ago, so the slow-down delay has passed."""
    async with backend.sessionmaker().begin() as session:
        await session.execute(
            update(LoginThrottle).values(last_failure_at=utcnow() - timedelta(minutes=5))
        )


async def test_failed_logins_are_slowed_then_locked_per_account_and_address(
    backend: Backend,
) -> None:
    settings = dataclasses.replace(
        backend.settings, login_slow_after=2, login_lock_after=4, login_lock_minutes=15
    )
    app = create_app(settings)
    async with backend.sessionmaker().begin() as session:
        await session.execute(LoginThrottle.__table__.delete())
    async with AsyncTestClient(app) as client:
        for _ in range(2):
            assert (await login(client, DENGYUE_RESIDENT, "wrong-password")).status_code == 401
        slowed = await login(client, DENGYUE_RESIDENT, "wrong-password")
        assert slowed.status_code == 429
        assert int(slowed.headers["retry-after"]) >= 1
        assert "秒" in slowed.json()["detail"]
        await _age_failures(backend)
        assert (await login(client, DENGYUE_RESIDENT, "wrong-password")).status_code == 401
        await _age_failures(backend)
        assert (await login(client, DENGYUE_RESIDENT, "wrong-password")).status_code == 401
        # Four failures: locked, even with the right password now.
        locked = await login(client, DENGYUE_RESIDENT)
        assert locked.status_code == 423
        assert "锁定" in locked.json()["detail"]
        # The counters live in the database (shared by all processes), keyed without the phone number.
        async with backend.sessionmaker()() as session:
            keys = (await session.scalars(select(LoginThrottle.key))).all()
        assert any(k.startswith("phone:") for k in keys) and any(k.startswith("ip:") for k in keys)
        assert not any(DENGYUE_RESIDENT in k for k in keys)
    async with backend.sessionmaker().begin() as session:
        await session.execute(LoginThrottle.__table__.delete())


async def test_refresh_tokens_are_stored_hashed(client, backend: Backend) -> None:
    tokens = (await login(client, DENGYUE_RESIDENT)).json()
    async with backend.sessionmaker()() as session:
        hashes = (await session.scalars(select(RefreshToken.token_hash))).all()
    assert tokens["refresh_token"] not in hashes
    assert all(len(h) == 64 for h in hashes)
