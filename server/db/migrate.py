"""Applying and checking migrations from code (the CLI, ``make run``, the tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from geoalchemy2 import alembic_helpers
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["alembic_config", "diff_models_and_database", "include_object", "upgrade"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Tables that SpatiaLite and PostGIS create for themselves.
_FOREIGN_TABLES = {"spatial_ref_sys", "geometry_columns", "layer", "topology"}


def include_object(
    obj: Any, name: str | None, obj_type: str, reflected: bool, compare_to: Any
) -> bool:
    """Autogenerate and the migration check look at our tables only."""
    if obj_type == "table" and (
        name in _FOREIGN_TABLES or (name or "").startswith(("idx_", "sqlite_"))
    ):
        return False
    return bool(
        alembic_helpers.include_object(  # type: ignore[no-untyped-call]
            obj, name, obj_type, reflected, compare_to
        )
    )


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    if database_url:
        cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


async def diff_models_and_database(engine: AsyncEngine) -> list[Any]:
    """What autogenerate would change: empty when models and migrations agree."""
    from server.db.models import Base

    def compare(sync_conn: Any) -> list[Any]:
        ctx = MigrationContext.configure(
            sync_conn,
            opts={
                "include_object": include_object,
                "compare_type": True,
                "target_metadata": Base.metadata,
            },
        )
        return list(compare_metadata(ctx, Base.metadata))

    async with engine.connect() as conn:
        return await conn.run_sync(compare)
