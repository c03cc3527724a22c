"""One async engine for both backends: SQLite + SpatiaLite, or PostgreSQL + PostGIS.

SpatiaLite is a loadable extension, and not every Python's ``sqlite3`` may load
extensions (the pyenv build on our machines cannot). When the standard module
cannot, the aiosqlite dialect is handed ``sqlean`` (the same DB-API, built with
extension loading) in its place, exceptions included, so SQLAlchemy still maps
``IntegrityError`` and friends.
"""

from __future__ import annotations

import ctypes.util
import functools
import os
import re
import sqlite3
import time
import types
from typing import Any

import aiosqlite
from sqlalchemy import BindParameter, Integer, event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import NullPool

__all__ = [
    "ReadOnlySession",
    "ReadOnlyViolation",
    "SpatialiteUnavailable",
    "make_engine",
    "make_read_only_sessionmaker",
    "make_sessionmaker",
    "spatialite_path",
    "stdlib_can_load_extensions",
]

_DBAPI_NAMES = (
    "DatabaseError",
    "Error",
    "IntegrityError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "sqlite_version",
    "sqlite_version_info",
    "Warning",
    "paramstyle",
)


class SpatialiteUnavailable(RuntimeError):
    """mod_spatialite could not be found or loaded."""


def stdlib_can_load_extensions() -> bool:
    return hasattr(sqlite3.Connection, "enable_load_extension")


def spatialite_path() -> str:
    """Where mod_spatialite is: ``SPATIALITE_LIBRARY_PATH``, else the loader's own search."""
    explicit = os.environ.get("SPATIALITE_LIBRARY_PATH")
    if explicit:
        return explicit
    for candidate in (
        "/usr/lib/x86_64-linux-gnu/mod_spatialite.so",
        "/usr/lib/aarch64-linux-gnu/mod_spatialite.so",
        "/usr/local/lib/mod_spatialite.so",
        "/opt/homebrew/lib/mod_spatialite.dylib",
    ):
        if os.path.exists(candidate):
            return candidate
    found = ctypes.util.find_library("spatialite")
    # "mod_spatialite" lets SQLite search its own default paths.
    return found or "mod_spatialite"


def _loadable_sqlite_module() -> types.ModuleType:
    if stdlib_can_load_extensions():
        return sqlite3
    try:
        import sqlean
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise SpatialiteUnavailable(
            "this Python's sqlite3 cannot load extensions and sqlean-py is not installed"
        ) from exc
    module: types.ModuleType = sqlean
    return module


INLINE_READ_BUDGET = 0.002
"""Seconds of work a read may do in the event loop before it moves to the connection's
thread (see :class:`_OneTripCursor`)."""

_PROGRESS_STEPS = 1000
"""SQLite virtual-machine steps between two looks at the clock during an inline read."""

_READ, _WRITE, _OTHER = "read", "write", "other"
_DML = re.compile(r"\b(?:INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=2048)
def _kind(sql: str) -> str:
    """A statement's kind from its text: a read (SELECT, or WITH without a data-changing
    word anywhere in it), a write (INSERT, UPDATE, DELETE, REPLACE, or WITH with one of
    them), or other (PRAGMA, SAVEPOINT, DDL …). Only a read may be interrupted: SQLite
    rolls back a whole transaction when a data-changing statement in it is interrupted,
    so anything that might change data is never taken for a read."""
    head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    changes = _DML.search(sql) is not None
    if head in ("SELECT", "WITH", "VALUES"):
        return _WRITE if changes else _READ
    if head in ("INSERT", "UPDATE", "DELETE", "REPLACE"):
        return _WRITE
    return _OTHER


class _OneTripCursor:
    """An aiosqlite cursor that runs a statement, fetches its rows and closes in one go.

    On aiosqlite every call is a trip to the connection's thread and back: a queue, a
    wake-up through the event loop, and the GIL changing hands twice, which on a busy
    2-core machine costs more than most statements. On a connection opened ``inline``
    (the app's engine), statements run in the event loop instead, as long as they
    cannot make it wait:

    - such a connection never waits for a lock (its busy timeout is 0) and never
      checkpoints the WAL on COMMIT, which syncs the disk (:mod:`server.db.checkpoint`
      does that on a thread of its own). A statement that finds the database locked by
      another process (the first write of a transaction, when some other program
      writes) gets SQLITE_BUSY at once, having changed nothing, and runs again on the
      thread with the usual patience (:meth:`_Connection.patiently`);
    - a read gets :data:`INLINE_READ_BUDGET` of work: past that SQLite interrupts it
      (a progress handler looks at the clock) and it runs again on the thread, where
      SQLite works without the GIL while other requests go on. A read has no effects,
      so running it again is safe. A data-changing statement is never interrupted:
      SQLite would roll back its whole transaction;
    - ``executemany`` (bulk), and whatever is neither a plain read nor a plain write
      (PRAGMA, SAVEPOINT, DDL), stay on the thread.

    A connection not opened inline (migrations, the command line) keeps every statement
    on the thread, SQLite's busy timeout and its automatic checkpoints."""

    arraysize = 1

    def __init__(self, connection: _Connection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> _OneTripCursor:
        return self

    async def _run(self, method: str, sql: str, parameters: Any) -> None:
        connection = self._connection
        raw = connection._conn

        def run() -> tuple[Any, list[Any], int, int | None]:
            cursor = raw.cursor()
            try:
                getattr(cursor, method)(sql, parameters)
                rows = cursor.fetchall() if cursor.description else []
                return cursor.description, rows, cursor.rowcount, cursor.lastrowid
            finally:
                cursor.close()

        found: tuple[Any, list[Any], int, int | None] | None = None
        if connection.inline:
            kind = _kind(sql) if method == "execute" else _OTHER
            if kind is not _OTHER:
                found = _in_the_loop(raw, run, budget=kind is _READ)
            if found is None:
                found = await connection.patiently(run)
        else:
            found = await connection._execute(run)  # type: ignore[no-untyped-call]
        self.description, self._rows, self.rowcount, self.lastrowid = found

    async def execute(self, sql: str, parameters: Any = ()) -> _OneTripCursor:
        await self._run("execute", sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Any) -> _OneTripCursor:
        await self._run("executemany", sql, parameters)
        return self

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []


_SQLITE_BUSY, _SQLITE_INTERRUPT = 5, 9


def _in_the_loop(raw: Any, run: Any, *, budget: bool) -> Any:
    """``run()`` in the event loop; None if it has to go to the thread: the database was
    locked by another process (nothing was changed), or a read outgrew its budget."""
    deadline = time.perf_counter() + INLINE_READ_BUDGET
    if budget:

        def too_long() -> bool:
            return time.perf_counter() > deadline

        raw.set_progress_handler(too_long, _PROGRESS_STEPS)
    try:
        return run()
    except Exception as exc:
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        if code == _SQLITE_BUSY or (code == _SQLITE_INTERRUPT and budget):
            return None
        raise
    finally:
        if budget:
            raw.set_progress_handler(None, 0)


BUSY_TIMEOUT_MS = 10_000
"""How long a statement on the connection's thread waits for another process's lock."""


class _Connection(aiosqlite.Connection):
    """aiosqlite's connection with :class:`_OneTripCursor`, and no trip to its thread to
    commit or roll back when no transaction is open (a read, a pool check-in).
    ``inline`` is set once the connection is set up, on the app's engine only."""

    inline = False

    def cursor(self) -> Any:
        return _OneTripCursor(self)

    async def patiently(self, fn: Any) -> Any:
        """``fn()`` on the connection's thread, waiting for locks as long as SQLite's busy
        timeout says (an inline connection's is 0 otherwise)."""
        raw = self._conn

        def waiting() -> Any:
            raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            try:
                return fn()
            finally:
                raw.execute("PRAGMA busy_timeout = 0")

        return await self._execute(waiting)  # type: ignore[no-untyped-call]

    async def commit(self) -> None:
        raw = self._connection
        if raw is None or not raw.in_transaction:
            return
        if self.inline:  # it holds the write lock and never checkpoints: nothing to wait for

            def commit() -> bool:
                raw.commit()
                return True

            if _in_the_loop(raw, commit, budget=False) is None:
                await self.patiently(raw.commit)
            return
        await super().commit()

    async def rollback(self) -> None:
        if self._connection is not None and self._connection.in_transaction:
            await super().rollback()


def _aiosqlite_facade(driver: types.ModuleType) -> types.SimpleNamespace:
    """aiosqlite's API, but opening connections with ``driver`` instead of stdlib sqlite3."""

    def connect(database: str, *, iter_chunk_size: int = 64, **kwargs: Any) -> aiosqlite.Connection:
        # Used from the event loop too (inline statements), never by two threads at once.
        kwargs["check_same_thread"] = False
        return _Connection(lambda: driver.connect(database, **kwargs), iter_chunk_size)

    names = {name: getattr(driver, name) for name in _DBAPI_NAMES}
    return types.SimpleNamespace(
        connect=connect, Connection=_Connection, __version__=aiosqlite.__version__, **names
    )


class _Compiler(SQLiteCompiler):
    """SQLite's compiler, writing LIMIT and OFFSET as numbers in the SQL, not parameters.

    When SQLite's planner looks at a parameter's value (it does for LIMIT and OFFSET),
    binding that parameter again marks the prepared statement expired, even with the
    same value, and the next step prepares it anew: every page of every list was
    compiled twice, once by the driver's statement cache and once more by SQLite,
    a seventh of a board page's instructions. As numbers, each (limit, offset) pair is
    its own cached statement, prepared once."""

    def limit_clause(self, select: Any, **kw: Any) -> str:
        limit = select._limit_clause
        offset = select._offset_clause
        text = "\n LIMIT " + (self._number(limit, kw) if limit is not None else "-1")
        return text + " OFFSET " + (self._number(offset, kw) if offset is not None else "0")

    def _number(self, clause: Any, kw: dict[str, Any]) -> str:
        if isinstance(clause, BindParameter) and clause.type._isnull:
            clause = clause._clone()  # a bare bindparam("limit"): render its value as an integer
            clause.type = Integer()
        return str(self.process(clause, **{**kw, "literal_execute": True}))


class SpatialiteDialect(SQLiteDialect_aiosqlite):
    """aiosqlite dialect whose DB-API can load mod_spatialite on any Python."""

    driver = "aiosqlite"
    supports_statement_cache = True
    statement_compiler = _Compiler

    @classmethod
    def import_dbapi(cls) -> AsyncAdapt_aiosqlite_dbapi:
        driver = _loadable_sqlite_module()
        return AsyncAdapt_aiosqlite_dbapi(_aiosqlite_facade(driver), driver)  # type: ignore[arg-type]


registry.register("sqlite.linli", __name__, "SpatialiteDialect")


def _on_sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    path = spatialite_path()

    async def load(conn: Any) -> None:
        raw = conn._conn  # the driver connection inside aiosqlite's thread
        await conn._execute(raw.enable_load_extension, True)
        try:
            await conn._execute(raw.load_extension, path)
        finally:
            await conn._execute(raw.enable_load_extension, False)

    try:
        dbapi_conn.run_async(load)
    except Exception as exc:
        raise SpatialiteUnavailable(
            f"could not load SpatiaLite from {path!r} ({exc}); "
            "install it with: apt-get install libsqlite3-mod-spatialite"
        ) from exc
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode")
    if cursor.fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("SELECT CheckSpatialMetaData()")
    if cursor.fetchone()[0] < 1:
        # WGS84 only: a new database stays ~340 KB instead of 6.6 MB.
        cursor.execute("SELECT InitSpatialMetaData(1, 'WGS84')")
    cursor.close()


def _go_inline(dbapi_conn: Any, _record: Any) -> None:
    """After the set-up: never wait for a lock, never checkpoint on COMMIT (see
    :class:`_OneTripCursor`), then statements may run in the event loop."""
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA busy_timeout = 0")
    cursor.execute("PRAGMA wal_autocheckpoint = 0")
    cursor.close()
    dbapi_conn._connection.inline = True


def make_engine(
    url: str, *, echo: bool = False, pool: bool = True, inline: bool = False
) -> AsyncEngine:
    """The engine for ``url``; SQLite URLs get SpatiaLite loaded on every connection.

    ``inline`` (the app's engine): on SQLite, statements that cannot wait run in the
    event loop instead of a trip to the connection's thread (:class:`_OneTripCursor`).
    Migrations and the command line keep every statement on the thread."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        parsed = parsed.set(drivername="sqlite+linli")
        if parsed.database and parsed.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
        engine = create_async_engine(parsed, echo=echo)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        if inline:  # after the set-up above, which stays on the thread
            event.listen(engine.sync_engine, "connect", _go_inline)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+asyncpg")
        kwargs: dict[str, Any] = {}
        if pool:
            # LIFO: the connection just given back is the next one out, so under light load
            # the same few stay warm (no idle check) and the rest may idle out.
            kwargs |= {"pool_size": 10, "max_overflow": 10, "pool_use_lifo": True}
        else:
            kwargs["poolclass"] = NullPool
        engine = create_async_engine(parsed, echo=echo, **kwargs)
        if pool:
            _ping_when_idle(engine.sync_engine, PING_AFTER_IDLE)
        return engine
    raise ValueError(
        f"unsupported database URL {parsed.render_as_string()!r}: use sqlite or postgresql"
    )


PING_AFTER_IDLE = 5.0
"""Seconds a pooled PostgreSQL connection may sit idle before it is checked on checkout."""


def _ping_when_idle(sync_engine: Engine, after: float) -> None:
    """Check a pooled connection on checkout only if it sat idle ``after`` seconds or more.

    ``pool_pre_ping`` checks on every checkout, and asyncpg's ping is three round trips
    (BEGIN; ";"; ROLLBACK): three of every request's statements. A connection in steady
    use is known to be alive; one that sat idle may have been cut (a server restart, a
    firewall), and is then replaced before any request sees it. A connection cut within
    the last ``after`` seconds fails its next statement instead, and SQLAlchemy then
    replaces the whole pool: one request answered 500 per process, which clients retry.
    """

    @event.listens_for(sync_engine, "checkin")
    def _checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < after:
            return
        try:
            sync_engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise DisconnectionError(f"idle connection is gone: {exc}") from exc


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


class ReadOnlySession(Session):
    """A session that only reads, outside any transaction (autocommit): no BEGIN and no
    COMMIT round trip around a one-statement read. A write through it is a bug and
    raises :class:`ReadOnlyViolation` before it reaches the database."""


class ReadOnlyViolation(RuntimeError):
    """A write was attempted through a :class:`ReadOnlySession`."""


@event.listens_for(ReadOnlySession, "before_flush")
def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    raise ReadOnlyViolation("a read-only session cannot write")


@event.listens_for(ReadOnlySession, "do_orm_execute")
def _refuse_write(state: ORMExecuteState) -> None:
    if not state.is_select or getattr(state.statement, "_for_update_arg", None) is not None:
        raise ReadOnlyViolation("a read-only session cannot write")


def make_read_only_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    """Sessions of :class:`ReadOnlySession` on the same pool, in autocommit mode (each
    statement its own snapshot, as each statement of a READ COMMITTED transaction is)."""
    # SQLite (the driver's legacy transaction control) opens no transaction for reads.
    bind = (
        engine
        if engine.dialect.name == "sqlite"
        else engine.execution_options(isolation_level="AUTOCOMMIT")
    )
    return async_sessionmaker(bind, expire_on_commit=False, sync_session_class=ReadOnlySession)
