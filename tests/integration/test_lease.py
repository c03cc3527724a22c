"""A lease one process of many holds for a while (who asks the SMS providers for reports)."""

from __future__ import annotations

import asyncio
import uuid

from server.lib.kvstore import take_lease
from tests.conftest import Backend


async def test_one_holder_at_a_time_then_the_next(backend: Backend) -> None:
    sm = backend.sessionmaker()
    name = f"test-{uuid.uuid4().hex[:8]}"
    assert await take_lease(sm, name, 0.5) is True
    assert await take_lease(sm, name, 0.5) is False  # held
    await asyncio.sleep(0.6)
    assert await take_lease(sm, name, 30) is True  # expired: taken over
    assert await take_lease(sm, name, 30) is False


async def test_racing_processes_never_both_take_it(backend: Backend) -> None:
    sm = backend.sessionmaker()
    for _ in range(5):
        name = f"race-{uuid.uuid4().hex[:8]}"
        won = await asyncio.gather(*(take_lease(sm, name, 30) for _ in range(8)))
        assert won.count(True) == 1, won
