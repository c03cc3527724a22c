"""One async engine for both backends: SQLite + SpatiaLite, or PostgreSQL + PostGIS.

SpatiaLite is a loadable extension, and not every Python's ``sqlite3`` may load
extensions (the pyenv build on our machines cannot). When the standard module
cannot, the aiosqlite dialect is handed ``sqlean`` (the same DB-API, built with
extension loading) in its place, exceptions included, so SQLAlchemy still maps
``IntegrityError`` and friends.
"""

from __future__ import annotations

import ctypes.util
import os
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


class _OneTripCursor:
    """An aiosqlite cursor that runs a statement, fetches its rows and closes in one trip
    to the connection's thread (aiosqlite's own cursor takes four: open, execute, fetch,
    close, each a hand-over between threads that costs more than the statement)."""

    arraysize = 1

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> _OneTripCursor:
        return self

    async def _run(self, method: str, sql: str, parameters: Any) -> None:
        connection = self._connection

        def run() -> tuple[Any, list[Any], int, int | None]:
            cursor = connection._conn.cursor()
            try:
                getattr(cursor, method)(sql, parameters)
                rows = cursor.fetchall() if cursor.description else []
                return cursor.description, rows, cursor.rowcount, cursor.lastrowid
            finally:
                cursor.close()

        found: tuple[Any, list[Any], int, int | None] = await connection._execute(run)  # type: ignore[no-untyped-call]
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


class _Connection(aiosqlite.Connection):
    """aiosqlite's connection with :class:`_OneTripCursor`, and no trip to its thread to
    commit or roll back when no transaction is open (a read, a pool check-in)."""

    def cursor(self) -> Any:
        return _OneTripCursor(self)

    async def commit(self) -> None:
        if self._connection is not None and self._connection.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        if self._connection is not None and self._connection.in_transaction:
            await super().rollback()


def _aiosqlite_facade(driver: types.ModuleType) -> types.SimpleNamespace:
    """aiosqlite's API, but opening connections with ``driver`` instead of stdlib sqlite3."""

    def connect(database: str, *, iter_chunk_size: int = 64, **kwargs: Any) -> aiosqlite.Connection:
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
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.execute("PRAGMA journal_mode")
    if cursor.fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("SELECT CheckSpatialMetaData()")
    if cursor.fetchone()[0] < 1:
        # WGS84 only: a new database stays ~340 KB instead of 6.6 MB.
        cursor.execute("SELECT InitSpatialMetaData(1, 'WGS84')")
    cursor.close()


def make_engine(url: str, *, echo: bool = False, pool: bool = True) -> AsyncEngine:
    """The engine for ``url``; SQLite URLs get SpatiaLite loaded on every connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        parsed = parsed.set(drivername="sqlite+linli")
        if parsed.database and parsed.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
        engine = create_async_engine(parsed, echo=echo)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
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
