"""Alembic environment: one async engine for SpatiaLite and PostGIS.

The geoalchemy2 helpers render spatial tables and indexes as operations that
work on both engines (SpatiaLite needs RecoverGeometryColumn/CreateSpatialIndex
where PostGIS needs GiST indexes) and hide SpatiaLite's own bookkeeping tables
from autogenerate.
"""

from __future__ import annotations

import asyncio

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy.engine import Connection

from server.config import get_settings
from server.db.engine import make_engine
from server.db.migrate import include_object
from server.db.models import Base

config = context.config
target_metadata = Base.metadata


def configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def do_run_migrations(connection: Connection) -> None:
    configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    url = config.attributes.get("database_url") or get_settings().database_url
    engine = make_engine(url, pool=False)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # called from inside a running engine (tests, the migration check)
        do_run_migrations(connection)
        return
    asyncio.run(run_async_migrations())


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported: run `linli migrate`")
run_migrations_online()
