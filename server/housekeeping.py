"""Periodic chores shared by the app processes and ``linli worker``.

Domains register their own chores at start (:func:`register_chore`, e.g. the
wish board's expiry of wishes nobody claimed); housekeeping runs whatever was
registered, each in a transaction of its own, beside its own pruning of
expired rate-limit entries and revoked tokens. Every chore must be idempotent
and safe to run from several processes at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth.models import RevokedAccessToken
from server.db.base import utcnow
from server.lib.kvstore import KVEntry

__all__ = ["CHORES", "Chore", "register_chore", "run_chores", "run_chores_forever"]

log = logging.getLogger("linli.housekeeping")

#: A chore: given a session (its own transaction) and "now", does its work and says how many
#: things it touched.
Chore = Callable[[AsyncSession, datetime], Awaitable[int]]


async def _prune_kv(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(KVEntry).where(KVEntry.expires_at <= now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _prune_revoked_tokens(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        delete(RevokedAccessToken).where(RevokedAccessToken.expires_at <= now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


#: Every chore by name, in the order they run.
CHORES: dict[str, Chore] = {
    "kv_pruned": _prune_kv,
    "revoked_tokens_pruned": _prune_revoked_tokens,
}


def register_chore(name: str, chore: Chore) -> None:
    """Run ``chore`` with every round of housekeeping; the same again is a no-op."""
    known = CHORES.get(name)
    if known is not None and known is not chore:
        raise ValueError(f"housekeeping chore {name!r} is registered twice")
    CHORES[name] = chore


async def run_chores(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """One round: each registered chore in its own transaction; what each one did, by name.

    A chore that fails is logged and counted as -1; the others still run.
    """
    now = utcnow()
    done: dict[str, int] = {}
    for name, chore in list(CHORES.items()):
        try:
            async with sessionmaker.begin() as session:
                done[name] = await chore(session, now)
        except Exception:
            log.exception("housekeeping chore %s failed; will try again", name)
            done[name] = -1
    return done


async def run_chores_forever(
    sessionmaker: async_sessionmaker[AsyncSession], every_seconds: float = 300
) -> None:
    while True:
        try:
            await run_chores(sessionmaker)
        except Exception:
            log.exception("housekeeping failed; will try again")
        await asyncio.sleep(every_seconds)
