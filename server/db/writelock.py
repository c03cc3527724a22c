"""SQLite has one writer at a time: requests that write wait their turn here.

Within a process they queue on an asyncio lock; across the server's worker
processes on an ``flock`` of ``<database>.writelock``, which the kernel hands to
the next waiter the moment it is released. Left to SQLite, a waiting writer
polls in its busy handler, sleeping 1, 2, 5 … up to 100 ms between tries: under
a burst of posts that is where the long tails came from.

A request's session takes the lock just before its first write (a flush, an
INSERT/UPDATE/DELETE, or a ``SELECT … FOR UPDATE``, which on PostgreSQL would lock
rows) and gives it back when the request's transaction has ended: after the answer
is made, or sooner where the service says its writes are done
(:func:`server.db.core.end_writes`), so that making the answer holds up no one.
Reading the body, checking the caller and the reads before the first write run
without it, so a slow upload does not hold up anyone else's writes. This is safe
because the SQLite driver (pysqlite's default, "legacy" transaction control) opens a
transaction only at the first data-changing statement: the reads before it are not
part of a snapshot that another writer could make stale.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.util import await_only

__all__ = [
    "NullWriteLock",
    "SqliteWriteQueue",
    "WriteLockedSession",
    "WritesEnded",
    "release_write_lock",
    "session_options",
    "sqlite_file",
    "take_write_lock",
    "write_lock_for",
    "write_lock_path",
    "writes",
]

log = logging.getLogger(__name__)


class NullWriteLock:
    """PostgreSQL needs no serialising of writers."""

    async def acquire(self) -> bool:
        return True

    def release(self) -> None:
        return None


class SqliteWriteQueue:
    def __init__(self, lock_path: str | None) -> None:
        self._path = lock_path
        self._fd: int | None = None
        self._lock = asyncio.Lock()
        # One thread: within the process only the holder of ``_lock`` ever waits for the file.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linli-writelock")

    def _descriptor(self) -> int | None:
        if self._fd is None and self._path is not None:
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                log.warning("no cross-process write queue (%s); SQLite's busy handler waits", exc)
                self._path = None
        return self._fd

    async def acquire(self) -> bool:
        await self._lock.acquire()
        fd = self._descriptor()
        if fd is None:
            return True
        try:  # free (no other process writing): taken at once, no trip to the thread
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
        except BaseException:
            self._lock.release()
            raise
        waiting = asyncio.get_running_loop().run_in_executor(
            self._executor, fcntl.flock, fd, fcntl.LOCK_EX
        )
        try:
            await asyncio.shield(waiting)
        except BaseException:
            # Cancelled while waiting (the client went away): the thread may still get the
            # file lock; hand it back, and the process lock, as soon as it does.
            waiting.add_done_callback(self._give_back)
            raise
        return True

    def _give_back(self, waiting: asyncio.Future[Any] | Future[Any]) -> None:
        if not waiting.cancelled() and waiting.exception() is None and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._lock.release()

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._lock.release()


def sqlite_file(database_url: str) -> str | None:
    """The database file of a SQLite URL; None for PostgreSQL or an in-memory database."""
    url = make_url(database_url)
    if not url.get_backend_name().startswith("sqlite"):
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return database


def write_lock_path(database: str) -> str:
    """The file whose ``flock`` is the write queue of every process on ``database``."""
    return f"{database}.writelock"


def write_lock_for(database_url: str) -> NullWriteLock | SqliteWriteQueue:
    if not make_url(database_url).get_backend_name().startswith("sqlite"):
        return NullWriteLock()
    database = sqlite_file(database_url)
    return SqliteWriteQueue(None if database is None else write_lock_path(database))


class WriteLockedSession(Session):
    """A request's session on SQLite: takes the write lock in ``info`` before its first write."""


class WritesEnded(RuntimeError):
    """A write after the request's writes were declared done (``end_writes``): it would run
    in a second transaction, apart from the change it belongs with."""


async def take_write_lock(session: Session) -> None:
    """Wait for the write lock, unless ``session`` (a :class:`WriteLockedSession`) holds it."""
    info = session.info
    if info.get("holds_write_lock"):
        return
    if info.get("writes_ended"):
        raise WritesEnded("this request's writes were declared done; this one would be apart")
    await info["write_lock"].acquire()
    info["holds_write_lock"] = True


def _take(session: Session) -> None:
    # Event handlers run inside the async session's greenlet: await_only waits on the loop.
    await_only(take_write_lock(session))


@event.listens_for(WriteLockedSession, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    _take(session)


def writes(statement: Any) -> bool:
    """Whether a statement needs the write lock: anything but a plain SELECT. A SELECT … FOR
    UPDATE means "what I read stays so until I write": on SQLite, only holding the write
    lock from the read on gives that."""
    return (
        not getattr(statement, "is_select", False)
        or getattr(statement, "_for_update_arg", None) is not None
    )


@event.listens_for(WriteLockedSession, "do_orm_execute")
def _before_execute(state: ORMExecuteState) -> None:
    if not state.is_select or writes(state.statement):
        _take(state.session)


def session_options(lock: NullWriteLock | SqliteWriteQueue) -> dict[str, Any]:
    """Keyword arguments for a request's session: none on PostgreSQL."""
    if isinstance(lock, NullWriteLock):
        return {}
    return {"sync_session_class": WriteLockedSession, "info": {"write_lock": lock}}


def release_write_lock(session: AsyncSession) -> None:
    """Give the lock back if the session took it; call once its transaction has ended."""
    info = session.sync_session.info
    if info.pop("holds_write_lock", False):
        info["write_lock"].release()
