"""The committed migrations create exactly what the models declare (checked on PostGIS)."""

from __future__ import annotations

import asyncio

from server.db.engine import make_engine
from server.db.migrate import diff_models_and_database, upgrade


async def test_models_and_migrations_agree(postgis_url: str) -> None:
    # The session's PostGIS database is built by the migrations alone: run them here too, so
    # the test does not depend on a backend test having run first (a no-op when one has).
    await asyncio.to_thread(upgrade, postgis_url)
    engine = make_engine(postgis_url, pool=False)
    try:
        diff = await diff_models_and_database(engine)
    finally:
        await engine.dispose()
    assert diff == [], f"models and migrations disagree; generate a migration: {diff}"
