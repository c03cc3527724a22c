"""The SQLite write queue: one writer across processes, handed on at once, never leaked."""

from __future__ import annotations

import asyncio
from pathlib import Path

from server.db.writelock import NullWriteLock, SqliteWriteQueue, write_lock_for


def test_the_lock_kind_follows_the_engine(tmp_path: Path) -> None:
    assert isinstance(write_lock_for("postgresql+asyncpg://u@h/db"), NullWriteLock)
    assert isinstance(write_lock_for(f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3"), SqliteWriteQueue)
    assert isinstance(write_lock_for("sqlite+aiosqlite:///:memory:"), SqliteWriteQueue)


async def test_a_writer_of_another_process_waits_until_the_first_is_done(tmp_path: Path) -> None:
    # Two queues on one file behave as two processes: flock locks belong to the open file.
    path = str(tmp_path / "db.sqlite3.writelock")
    first, second = SqliteWriteQueue(path), SqliteWriteQueue(path)
    await first.acquire()
    waiting = asyncio.create_task(second.acquire())
    done, _ = await asyncio.wait({waiting}, timeout=0.3)
    assert not done, "the second writer got in while the first held the lock"
    first.release()
    await asyncio.wait_for(waiting, timeout=5)
    second.release()


async def test_a_writer_cancelled_while_waiting_does_not_keep_the_lock(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite3.writelock")
    holder, leaver, later = (SqliteWriteQueue(path) for _ in range(3))
    await holder.acquire()
    gone = asyncio.create_task(leaver.acquire())
    await asyncio.sleep(0.1)
    gone.cancel()
    await asyncio.gather(gone, return_exceptions=True)
    holder.release()
    # The cancelled waiter's thread gets the file lock, then gives it straight back.
    await asyncio.wait_for(later.acquire(), timeout=5)
    later.release()
    await asyncio.wait_for(leaver.acquire(), timeout=5)  # and its process lock is free again
    leaver.release()


async def test_writers_in_one_process_queue_in_order(tmp_path: Path) -> None:
    queue = SqliteWriteQueue(str(tmp_path / "db.sqlite3.writelock"))
    order: list[int] = []

    async def write(n: int) -> None:
        await queue.acquire()
        try:
            order.append(n)
            await asyncio.sleep(0.01)
        finally:
            queue.release()

    await asyncio.gather(*(write(n) for n in range(5)))
    assert order == [0, 1, 2, 3, 4]
