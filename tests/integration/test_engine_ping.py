"""PostgreSQL: a pooled connection that sat idle and was cut is replaced before use,
without a ping on every checkout."""

from __future__ import annotations

import asyncpg
from sqlalchemy import event, text

from server.db import engine as engine_module
from server.db.engine import make_engine


async def test_an_idle_connection_cut_by_the_server_is_replaced(
    postgis_url: str, monkeypatch
) -> None:
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE", 0.0)  # every checkout counts as idle
    engine = make_engine(postgis_url)
    try:
        async with engine.connect() as conn:
            first = await conn.scalar(text("SELECT pg_backend_pid()"))
        plain = postgis_url.replace("postgresql+asyncpg://", "postgresql://")
        admin = await asyncpg.connect(plain)
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", first)
        finally:
            await admin.close()
        async with engine.connect() as conn:  # the pooled connection is dead: replaced
            second = await conn.scalar(text("SELECT pg_backend_pid()"))
        assert second != first
    finally:
        await engine.dispose()


async def test_a_connection_in_steady_use_is_not_pinged(postgis_url: str) -> None:
    engine = make_engine(postgis_url)
    sent: list[str] = []
    event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_: sent.append(statement),
    )
    pinged: list[object] = []
    original = engine.sync_engine.dialect.do_ping

    def counting_ping(dbapi_conn: object) -> bool:
        pinged.append(dbapi_conn)
        return bool(original(dbapi_conn))

    engine.sync_engine.dialect.do_ping = counting_ping  # type: ignore[method-assign]
    try:
        for _ in range(5):
            async with engine.connect() as conn:
                assert await conn.scalar(text("SELECT 1")) == 1
        assert pinged == []
    finally:
        await engine.dispose()
