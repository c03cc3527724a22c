"""Checkpoints of SQLite's write-ahead log, on a thread of their own.

The app's connections commit in the event loop (:class:`server.db.engine._OneTripCursor`)
and so never checkpoint on COMMIT, as SQLite does by default every 1,000 pages: a
checkpoint copies the log into the database and syncs the disk, which would hold up
every request of the process. Instead each server process looks at the log four times
a second and, when it has grown, runs a PASSIVE checkpoint on a connection of its own
in a worker thread. PASSIVE never waits for readers: it copies what no reader still
needs and leaves the rest for the next round.

Each round copies the bulk of the log beside the writers, then finishes, copying what
they wrote meanwhile, holding the write queue (:mod:`server.db.writelock`), as
SQLite's own checkpoint on COMMIT holds the write lock: no write lands between that
checkpoint and the next writer, who then finds the whole log copied and starts it
over from the beginning. Checkpointing only beside the writers, the log never got a
moment fully copied and grew without end (360 MB after a few minutes of posts, every
read slower for it).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from typing import Any

from server.db.engine import _loadable_sqlite_module
from server.db.writelock import sqlite_file, write_lock_path

__all__ = ["WalCheckpointer", "wal_checkpointer_for"]

log = logging.getLogger(__name__)

EVERY = 0.25
"""Seconds between two looks at the log."""


class WalCheckpointer:
    def __init__(self, database: str, lock_path: str | None = None, every: float = EVERY) -> None:
        self.database = database
        self.lock_path = lock_path
        self.every = every
        self._lock_fd: int | None = None
        self._seen: tuple[int, int] | None = None
        self._conn: Any = None

    def _log_state(self) -> tuple[int, int] | None:
        try:
            st = os.stat(f"{self.database}-wal")
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size

    def checkpoint(self) -> tuple[int, int, int] | None:
        """One PASSIVE checkpoint if the log changed since the last: (busy, frames in the
        log, frames copied), as SQLite reports them; None if there was nothing to do.
        Blocking: run it in a thread."""
        state = self._log_state()
        if state is None or state == self._seen:
            return None
        busy, frames, copied = self._passive()
        self._seen = self._log_state()
        return busy, frames, copied

    def _passive(self) -> tuple[int, int, int]:
        if self._conn is None:
            # The engine's own driver, never another copy of SQLite: two copies in one
            # process release each other's file locks and corrupt the database.
            driver = _loadable_sqlite_module()
            self._conn = driver.connect(
                self.database, isolation_level=None, timeout=0, check_same_thread=False
            )
        row: Any = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def checkpoint_queued(self) -> tuple[int, int, int] | None:
        """:meth:`checkpoint` holding the write queue's file lock, which the writers of
        every server process take before their first write (server.db.writelock); it
        is taken in this thread, so no event loop's lock is involved. Blocking."""
        if self.lock_path is None:
            return self.checkpoint()
        if self._lock_fd is None:
            self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            return self.checkpoint()
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    async def _in_thread(self, work: Any) -> Any:
        """``work()`` in a worker thread. Cancelled meanwhile (the server stopping), it
        waits for the thread to finish before it goes on: closing the connection while
        a checkpoint still runs on it crashed the process (a segfault in the driver)."""
        running = asyncio.ensure_future(asyncio.to_thread(work))
        try:
            return await asyncio.shield(running)
        except asyncio.CancelledError:
            while not running.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait({running})
            raise

    async def run_forever(self) -> None:
        try:
            while True:
                await asyncio.sleep(self.every)
                if self._log_state() in (None, self._seen):
                    continue
                try:
                    # The bulk of the copying beside the writers; then what they wrote
                    # meanwhile, a few frames, under the write queue.
                    await self._in_thread(self._passive)
                    await self._in_thread(self.checkpoint_queued)
                except Exception as exc:  # e.g. locked by a foreign program: next round
                    log.warning("WAL checkpoint skipped: %s", exc)
        finally:
            await asyncio.to_thread(self.close)


def wal_checkpointer_for(database_url: str) -> WalCheckpointer | None:
    """A checkpointer for a SQLite file database, finishing each round under the write
    queue's file lock; None for PostgreSQL or in-memory."""
    database = sqlite_file(database_url)
    if database is None:
        return None
    path = os.path.abspath(database)
    return WalCheckpointer(path, write_lock_path(path))
