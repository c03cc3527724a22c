"""The committed migrations create exactly what the models declare (checked on PostGIS)."""

from __future__ import annotations

from server.db.engine import make_engine
from server.db.migrate import diff_models_and_database


async def test_models_and_migrations_agree(postgis_url: str) -> None:
    # The session's PostGIS database was built by the migrations alone (tests/conftest.py).
    engine = make_engine(postgis_url, pool=False)
    try:
        diff = await diff_models_and_database(engine)
    finally:
        await engine.dispose()
    assert diff == [], f"models and migrations disagree; generate a migration: {diff}"
