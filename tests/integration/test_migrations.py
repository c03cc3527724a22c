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


async def test_id_numbers_kept_before_the_window_are_findable_after_it(tmp_path) -> None:
    """Migration 0014 gives every sealed ID number its keyed hash, so a walk-in registered
    before the window terminal is found by their ID card (and a number sealed under another
    key is left as it was, not lost)."""
    import sqlite3

    from server.lib.crypto import seal
    from server.people.models import id_number_index

    url = f"sqlite+aiosqlite:///{tmp_path / 'before.db'}"
    await asyncio.to_thread(upgrade, url, "0013")
    with sqlite3.connect(tmp_path / "before.db") as db:  # no foreign keys: no map needed
        for name, sealed in (("甲", seal("41090219480315123X")), ("乙", b"\x01" + b"0" * 40)):
            db.execute(
                "INSERT INTO residents (name, building_id, unit, is_minor, care_tags, notify_via,"
                " locale, sub_district_id, community_id, grid_id, created_at, updated_at,"
                " id_number_sealed) VALUES"
                " (?, 1, '', 0, '[]', 'both', 'zh_Hans', 1, 1, 1, '2026-01-01', '2026-01-01', ?)",
                (name, sealed),
            )
    await asyncio.to_thread(upgrade, url)
    with sqlite3.connect(tmp_path / "before.db") as db:
        rows = dict(db.execute("SELECT name, id_number_index FROM residents").fetchall())
    assert rows == {"甲": id_number_index("41090219480315123x"), "乙": None}
