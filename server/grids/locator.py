"""The point → grid lookup on the request hot path.

Every wish, case and visit is routed by where it is, and the public ``locate``
endpoint is the most called of the API, so this lookup skips the ORM session:
on PostGIS it runs as a prepared statement on a small asyncpg pool, on
SpatiaLite on one read-only connection per process (a lookup takes ~20 µs,
cheaper than handing it to a thread). Both run exactly the SQL that
:meth:`GridService.locate` runs inside a transaction, so there is one rule for
"which grid is this point in". Nothing is cached: a re-imported map is seen at
once by every process.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from sqlalchemy.engine import make_url

from server.db.engine import _loadable_sqlite_module, spatialite_path
from server.grids.sql import LOCATE_POSTGIS, LOCATE_SPATIALITE

__all__ = ["GridLocator", "LocateRow", "make_locator"]

LocateRow = dict[str, Any]
"""g_code, g_name, g_i18n, c_code, …, s_i18n (i18n as JSON text or dicts)."""

_COLUMNS = (
    "g_code",
    "g_name",
    "g_i18n",
    "c_code",
    "c_name",
    "c_i18n",
    "s_code",
    "s_name",
    "s_i18n",
)


class GridLocator(Protocol):
    async def locate(self, lon: float, lat: float) -> LocateRow | None: ...

    async def close(self) -> None: ...


def _row(values: Any) -> LocateRow:
    # The names in other languages stay JSON text: ``localised_name`` reads them only
    # for a reader who asked for another language than zh_Hans.
    return dict(zip(_COLUMNS, values, strict=True))


class SpatialiteLocator:
    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: Any = None

    def _connect(self) -> Any:
        driver = _loadable_sqlite_module()
        conn = driver.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        conn.enable_load_extension(True)
        conn.load_extension(spatialite_path())
        conn.enable_load_extension(False)
        return conn

    async def locate(self, lon: float, lat: float) -> LocateRow | None:
        if self._conn is None:
            self._conn = self._connect()
        found = self._conn.execute(LOCATE_SPATIALITE, {"lon": lon, "lat": lat}).fetchone()
        return _row(found) if found else None

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class PostgisLocator:
    _SQL = LOCATE_POSTGIS.replace(":lon", "$1").replace(":lat", "$2")

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._pool: Any = None

    async def locate(self, lon: float, lat: float) -> LocateRow | None:
        if self._pool is None:
            import asyncpg

            async def init(conn: Any) -> None:
                await conn.set_type_codec(
                    "json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
                )

            self._pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=4, init=init)
        found = await self._pool.fetchrow(self._SQL, lon, lat)
        return _row(tuple(found)) if found else None

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


def make_locator(database_url: str) -> GridLocator:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return SpatialiteLocator(url.database or ":memory:")
    return PostgisLocator(url.set(drivername="postgresql").render_as_string(hide_password=False))
