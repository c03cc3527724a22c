"""SQLite statements in the event loop (server.db.engine, ``inline``) and the WAL
checkpoints that go with it (server.db.checkpoint).

The app's connections run statements in the event loop only while nothing can make
them wait: a read that outgrows its budget moves to the connection's thread, a write
that finds another process holding the database's lock retries there with the usual
patience, and COMMIT never checkpoints (a thread of the process's own does). Each test
below shows one of these on a real SpatiaLite file, with another SQLite connection of
the same driver as the "other process".
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from server.config import load_settings
from server.db.checkpoint import WalCheckpointer, wal_checkpointer_for
from server.db.engine import (
    INLINE_READ_BUDGET,
    _kind,
    _loadable_sqlite_module,
    make_engine,
)
from server.db.writelock import write_lock_for

LONG_READ = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000000) "
    "SELECT max(i), tid() FROM n"
)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, str]]:
    path = str(tmp_path / "inline.sqlite3")
    engine = make_engine(f"sqlite:///{path}", inline=True)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body BLOB)"))
    try:
        yield engine, path
    finally:
        await engine.dispose()


class Ticker:
    """Counts the event loop's turns, one every ``every`` seconds, while it is held."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.ticks = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            await asyncio.sleep(self.every)
            self.ticks += 1

    async def __aenter__(self) -> Ticker:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *_: object) -> None:
        self._stop.set()
        assert self._task is not None
        await self._task


async def _with_tid(conn: Any) -> None:
    """``tid()`` in SQL: the id of the thread the statement runs on."""
    raw = (await conn.get_raw_connection()).driver_connection
    await raw._execute(raw._conn.create_function, "tid", 0, threading.get_ident)


def test_statements_are_told_apart_by_what_they_may_change() -> None:
    assert _kind("SELECT id, updated_at FROM wishes") == "read"
    assert _kind("\n WITH c AS (SELECT 1) SELECT * FROM c") == "read"
    assert _kind("INSERT INTO t VALUES (1)") == "write"
    assert _kind("UPDATE t SET a = 1") == "write"
    assert _kind("DELETE FROM t") == "write"
    # A WITH that changes data is a write, wherever the word is.
    assert _kind("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x") == "write"
    assert _kind("WITH x AS (DELETE FROM t RETURNING id) SELECT * FROM x") == "write"
    # Never interrupted by mistake: a read that merely mentions the word counts as a write.
    assert _kind("SELECT 'update' AS word") == "write"
    for other in ("PRAGMA busy_timeout = 0", "SAVEPOINT sa_1", "CREATE TABLE t (a)", ""):
        assert _kind(other) == "other"


async def test_a_short_read_runs_in_the_loop_and_a_long_one_on_the_thread(
    db: tuple[AsyncEngine, str],
) -> None:
    engine, _ = db
    loop_thread = threading.get_ident()
    async with engine.connect() as conn:
        await _with_tid(conn)
        assert (await conn.execute(text("SELECT tid()"))).scalar() == loop_thread
        began = time.perf_counter()
        most, where = (await conn.execute(text(LONG_READ))).one()
        took = time.perf_counter() - began
    assert most == 2_000_000  # the whole answer, after the move
    assert where != loop_thread
    assert took > INLINE_READ_BUDGET


async def test_the_loop_goes_on_while_a_long_read_runs(db: tuple[AsyncEngine, str]) -> None:
    """The long read is interrupted after its budget and finishes on the thread: the
    loop's other work (a ticker here, other requests in the app) goes on meanwhile."""
    engine, _ = db
    async with engine.connect() as conn:
        await _with_tid(conn)
        async with Ticker(0.005) as ticker:
            began = time.perf_counter()
            await conn.execute(text(LONG_READ.replace("2000000", "6000000")))
            took = time.perf_counter() - began
    # Had the read held the loop, the ticker would not have run at all while it ran.
    assert took > 0.1 and ticker.ticks >= took / 0.005 / 8, (took, ticker.ticks)


async def test_an_interrupted_read_keeps_the_writes_before_it(
    db: tuple[AsyncEngine, str],
) -> None:
    engine, path = db
    async with engine.begin() as conn:
        await _with_tid(conn)
        await conn.execute(text("INSERT INTO notes (id, body) VALUES (1, x'01')"))
        most, _ = (await conn.execute(text(LONG_READ))).one()
        assert most == 2_000_000
        await conn.execute(text("INSERT INTO notes (id, body) VALUES (2, x'02')"))
    other = _loadable_sqlite_module().connect(path)
    try:
        assert other.execute("SELECT id FROM notes ORDER BY id").fetchall() == [(1,), (2,)]
    finally:
        other.close()


async def test_a_write_waits_for_another_processs_lock_off_the_loop(
    db: tuple[AsyncEngine, str],
) -> None:
    """Another program holds the write lock for 0.6 s. The app's write finds it locked,
    changes nothing, and waits on the connection's thread: the loop goes on (here it is
    the loop itself that lets the other program go), and the write then succeeds."""
    _, path = db
    engine = make_engine(f"sqlite:///{path}", inline=True)  # a fresh connection: a write first
    other = _loadable_sqlite_module().connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO notes (id, body) VALUES (10, x'0a')")
    loop = asyncio.get_running_loop()
    loop.call_later(0.6, other.execute, "COMMIT")
    try:
        async with Ticker(0.01) as ticker:
            began = time.perf_counter()
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO notes (id, body) VALUES (11, x'0b')"))
            waited = time.perf_counter() - began
    finally:
        other.close()
    assert waited >= 0.5
    assert ticker.ticks >= 10  # ~60 when the loop is free, 0 or 1 when a wait holds it
    async with engine.connect() as conn:
        ids = (await conn.execute(text("SELECT id FROM notes ORDER BY id"))).scalars().all()
    await engine.dispose()
    assert ids == [10, 11]


async def test_commits_leave_the_checkpoints_to_the_checkpointer(
    db: tuple[AsyncEngine, str],
) -> None:
    """Three transactions of ~600 pages each: SQLite's automatic checkpoint (every
    1,000 pages) would have started the log over; on the app's connections it does
    not, and the checkpointer then copies every frame, once."""
    engine, path = db
    for t in range(3):
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO notes (id, body) VALUES (:id, randomblob(3900))"),
                [{"id": 100 + t * 600 + i} for i in range(600)],
            )
    checkpointer = WalCheckpointer(path)
    try:
        busy, frames, copied = checkpointer.checkpoint() or (1, 0, 0)
        assert busy == 0 and frames >= 1500 and copied == frames, (busy, frames, copied)
        assert checkpointer.checkpoint() is None  # nothing new since
    finally:
        checkpointer.close()


async def test_the_log_starts_over_while_writes_go_on(db: tuple[AsyncEngine, str]) -> None:
    """Writers and the checkpointer share the write queue, as in the app: after a
    checkpoint the next writer finds the whole log copied and starts it over, so under
    steady writing the log stays a few checkpoints long instead of growing forever."""
    engine, path = db
    lock = write_lock_for(f"sqlite:///{path}")
    checkpointer = WalCheckpointer(path, f"{path}.writelock", every=0.05)
    running = asyncio.create_task(checkpointer.run_forever())
    written = 0
    try:
        until = time.perf_counter() + 1.5
        while time.perf_counter() < until:
            await lock.acquire()
            try:
                async with engine.begin() as conn:
                    await conn.execute(
                        text("INSERT INTO notes (body) VALUES (randomblob(3900))"),
                        [{} for _ in range(50)],
                    )
            finally:
                lock.release()
            written += 50
            await asyncio.sleep(0)  # back to back, as under load
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    other = _loadable_sqlite_module().connect(path, isolation_level=None)
    try:
        _, frames, _ = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        other.close()
    assert written >= 1000, written
    assert frames < written / 3, (frames, written)  # each page written is one frame


async def test_a_stopped_checkpointer_closes_after_its_checkpoint(
    db: tuple[AsyncEngine, str], monkeypatch: Any
) -> None:
    """Stopped (cancelled) while a checkpoint runs in its thread, the checkpointer waits
    for it before it closes its connection: closing under a running checkpoint crashed
    the test process once (a segfault in the driver)."""
    engine, path = db
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO notes (body) VALUES (randomblob(3900))"))
    checkpointer = WalCheckpointer(path, every=0.01)
    happened: list[str] = []
    passive, close = checkpointer._passive, checkpointer.close

    def slow_passive() -> tuple[int, int, int]:
        time.sleep(0.3)
        done = passive()
        happened.append("checkpoint")
        return done

    def noted_close() -> None:
        happened.append("close")
        close()

    monkeypatch.setattr(checkpointer, "_passive", slow_passive)
    monkeypatch.setattr(checkpointer, "close", noted_close)
    running = asyncio.create_task(checkpointer.run_forever())
    await asyncio.sleep(0.1)  # inside the first checkpoint
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running
    assert happened == ["checkpoint", "close"]


def test_the_checkpointer_is_for_sqlite_files_only(tmp_path: Path) -> None:
    assert wal_checkpointer_for("postgresql+asyncpg://u@localhost/db") is None
    assert wal_checkpointer_for("sqlite:///:memory:") is None
    made = wal_checkpointer_for(f"sqlite:///{tmp_path}/x.sqlite3")
    assert made is not None and made.database == f"{tmp_path}/x.sqlite3"


async def test_the_app_checkpoints_while_it_runs(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/app.sqlite3")
    monkeypatch.setenv("LINLI_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LINLI_DISPATCHER", "off")
    app = create_app(load_settings())
    async with app.lifespan():
        names = {task.get_name() for task in asyncio.all_tasks()}
        assert "linli-wal-checkpoints" in names
    names = {task.get_name() for task in asyncio.all_tasks()}
    assert "linli-wal-checkpoints" not in names
