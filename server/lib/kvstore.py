"""A Litestar :class:`~litestar.stores.base.Store` kept in the application database.

Rate-limit counters must be shared by every process behind a load balancer.
With ``REDIS_URL`` set, Redis holds them; without it, this table does, so a
multi-process deployment never silently falls back to per-process memory.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from litestar.stores.base import NamespacedStore
from sqlalchemy import LargeBinary, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, utcnow

__all__ = ["DatabaseStore", "KVEntry", "take_lease"]


class KVEntry(Base):
    __tablename__ = "kv_store"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime | None] = mapped_column(default=None, index=True)


class DatabaseStore(NamespacedStore):
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], namespace: str = "linli"
    ) -> None:
        self._sessionmaker = sessionmaker
        self.namespace = namespace

    def with_namespace(self, namespace: str) -> DatabaseStore:
        return DatabaseStore(self._sessionmaker, f"{self.namespace}:{namespace}")

    def _key(self, key: str) -> str:
        return f"{self.namespace}:{key}"

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        data = value.encode() if isinstance(value, str) else value
        if isinstance(expires_in, int):
            expires_in = timedelta(seconds=expires_in)
        expires_at = utcnow() + expires_in if expires_in is not None else None
        async with self._sessionmaker.begin() as session:
            await session.merge(KVEntry(key=self._key(key), value=data, expires_at=expires_at))

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        async with self._sessionmaker.begin() as session:
            entry = await session.get(KVEntry, self._key(key))
            if entry is None:
                return None
            now = utcnow()
            if entry.expires_at is not None and entry.expires_at <= now:
                await session.delete(entry)
                return None
            if renew_for is not None and entry.expires_at is not None:
                if isinstance(renew_for, int):
                    renew_for = timedelta(seconds=renew_for)
                entry.expires_at = now + renew_for
            return entry.value

    async def delete(self, key: str) -> None:
        async with self._sessionmaker.begin() as session:
            await session.execute(delete(KVEntry).where(KVEntry.key == self._key(key)))

    async def delete_all(self) -> None:
        async with self._sessionmaker.begin() as session:
            await session.execute(
                delete(KVEntry).where(KVEntry.key.startswith(f"{self.namespace}:"))
            )

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        async with self._sessionmaker() as session:
            expires_at = await session.scalar(
                select(KVEntry.expires_at).where(KVEntry.key == self._key(key))
            )
        if expires_at is None:
            return None
        return max(0, int((expires_at - utcnow()).total_seconds()))

    async def prune(self) -> int:
        """Delete expired entries; returns how many."""
        async with self._sessionmaker.begin() as session:
            result = await session.execute(delete(KVEntry).where(KVEntry.expires_at <= utcnow()))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def take_lease(
    sessionmaker: async_sessionmaker[AsyncSession], name: str, seconds: float
) -> bool:
    """Take the named lease for ``seconds`` unless another process holds it: True if taken.

    For chores that one process of many should do per period (asking an SMS provider
    for delivery reports). An expired lease is taken over by one conditional UPDATE;
    a lease never held by one INSERT, which only one of several racing processes wins.
    """
    key = f"lease:{name}"
    now = utcnow()
    until = now + timedelta(seconds=seconds)
    async with sessionmaker.begin() as session:
        result = await session.execute(
            update(KVEntry)
            .where(KVEntry.key == key, KVEntry.expires_at < now)
            .values(expires_at=until)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            return True
        if await session.get(KVEntry, key) is not None:
            return False  # held, not expired
    try:
        async with sessionmaker.begin() as session:
            session.add(KVEntry(key=key, value=b"", expires_at=until))
    except IntegrityError:
        return False
    return True
