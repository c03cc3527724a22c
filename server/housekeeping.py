"""Periodic chores shared by the app processes and ``linli worker``.

Each chore is idempotent and safe to run from several processes at once:
expiring wishes nobody claimed, pruning expired rate-limit entries and revoked
tokens past their expiry.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth.models import RevokedAccessToken
from server.db.base import utcnow
from server.lib.kvstore import KVEntry
from server.wishes.services import WishService

__all__ = ["run_chores", "run_chores_forever"]

log = logging.getLogger("linli.housekeeping")


async def run_chores(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    now = utcnow()
    async with sessionmaker.begin() as session:
        expired = await WishService(session).expire_due(now)
    async with sessionmaker.begin() as session:
        kv = await session.execute(delete(KVEntry).where(KVEntry.expires_at <= now))
        tokens = await session.execute(
            delete(RevokedAccessToken).where(RevokedAccessToken.expires_at <= now)
        )
    pruned_kv: int = kv.rowcount or 0  # type: ignore[attr-defined]
    pruned_tokens: int = tokens.rowcount or 0  # type: ignore[attr-defined]
    return {
        "wishes_expired": expired,
        "kv_pruned": pruned_kv,
        "revoked_tokens_pruned": pruned_tokens,
    }


async def run_chores_forever(
    sessionmaker: async_sessionmaker[AsyncSession], every_seconds: float = 300
) -> None:
    while True:
        try:
            await run_chores(sessionmaker)
        except Exception:
            log.exception("housekeeping failed; will try again")
        await asyncio.sleep(every_seconds)
