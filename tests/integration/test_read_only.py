"""Public pages that only read run in a read-only session outside any transaction.

On PostgreSQL a one-statement read then costs one round trip, not three (BEGIN, the
read, COMMIT); on SQLite the driver opens no transaction for reads anyway. A write
through such a session is a bug, refused before it reaches the database.
"""

from __future__ import annotations

import pytest
from litestar import Litestar
from sqlalchemy import select, update

from server.app import create_app
from server.db.core import execute
from server.db.engine import ReadOnlyViolation, make_read_only_sessionmaker
from server.db.writelock import release_write_lock
from server.grids.models import Community
from server.lib.deps import request_session
from server.people.models import Resident
from tests.conftest import Backend


async def test_a_read_only_session_reads_outside_a_transaction_and_refuses_writes(
    backend: Backend,
) -> None:
    async with make_read_only_sessionmaker(backend.engine)() as session:
        code = await session.scalar(select(Community.code).order_by(Community.id).limit(1))
        assert code is not None
        raw = (await session.connection()).sync_connection.connection.driver_connection  # type: ignore[union-attr]
        if backend.name == "postgis":
            assert not raw.is_in_transaction()  # asyncpg: no BEGIN was sent
        else:
            assert not raw.in_transaction  # sqlite3: no transaction open
        with pytest.raises(ReadOnlyViolation):
            await session.execute(update(Community).values(name=Community.name))
        resident = await session.scalar(select(Resident).limit(1))
        assert resident is not None
        resident.unit = "9-9-909"
        with pytest.raises(ReadOnlyViolation):
            await session.flush()
    async with backend.sessionmaker()() as session:
        again = await session.scalar(select(Resident).where(Resident.id == resident.id))
        assert again is not None and again.unit != "9-9-909"


def test_only_anonymous_reads_are_marked_read_only(app: Litestar) -> None:
    """The mark is honoured for GET and HEAD only, and given to public routes only."""
    marked = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if handler.opt.get("read_only"):
                marked.append(route.path)
                assert set(handler.http_methods) <= {"GET", "HEAD"}, route.path
                assert handler.opt.get("exclude_from_auth"), route.path
    assert "/api/v1/communities/{code:str}/wishes" in marked, marked


async def test_core_statements_keep_the_sessions_rules(backend: Backend) -> None:
    """``server.db.core.execute`` skips the ORM's machinery but not its rules: what was added
    to the session is flushed first, a read-only session refuses to write, and on SQLite
    the first write takes the request's write lock."""
    app = create_app(backend.settings)  # its own pool: no connection outlives this test's loop
    state = app.state
    async with make_read_only_sessionmaker(backend.engine)() as session:
        assert (await execute(session, select(Community.code).limit(1))).scalar_one()
        with pytest.raises(ReadOnlyViolation):
            await execute(session, update(Community).values(name=Community.name))
        with pytest.raises(ReadOnlyViolation):  # SELECT … FOR UPDATE means "I will write"
            await execute(session, select(Community.id).limit(1).with_for_update())
    session = request_session({}, state)
    try:
        resident = await session.scalar(select(Resident).order_by(Resident.id).limit(1))
        assert resident is not None
        resident.unit = "9-9-909"  # pending in the session: flushed before the Core read
        unit = await execute(session, select(Resident.unit).where(Resident.id == resident.id))
        assert unit.scalar_one() == "9-9-909"
        holds = session.sync_session.info.get("holds_write_lock", False)
        assert holds is (backend.name == "spatialite")  # the flush took it
        await session.rollback()
        release_write_lock(session)
        assert not session.sync_session.info.get("holds_write_lock")
        await execute(session, select(Community.code).limit(1))  # a read takes nothing
        assert not session.sync_session.info.get("holds_write_lock")
        await execute(session, update(Community).where(Community.id == -1).values(name="x"))
        holds = session.sync_session.info.get("holds_write_lock", False)
        assert holds is (backend.name == "spatialite")  # a Core write takes it
        await session.rollback()
    finally:
        await session.close()
        release_write_lock(session)
        await state.engine.dispose()
