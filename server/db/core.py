"""Core statements on a request's session, without the ORM's execution machinery.

``session.execute`` runs every statement through the ORM: its compile state, an
autoflush, the loading of rows (even of plain columns) and the session's events.
For a statement whose rows are plain columns that is work for nothing, and on the
hottest paths (signing in a request, posting a wish, the public board) it was a
fifth to a third of the request's CPU. :func:`execute` runs the statement on the
session's own connection, inside its transaction, and keeps what the ORM would do
around it: objects added or changed in the session are flushed first (autoflush), a
read-only session refuses to write, and on SQLite a request takes the write lock
before its first write (server/db/writelock.py).

Use it for statements whose rows are plain columns, not ORM entities.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.util.typing import TupleAny

from server.db.engine import ReadOnlySession, ReadOnlyViolation
from server.db.writelock import WriteLockedSession, writes

__all__ = ["execute"]


async def execute(
    session: AsyncSession, statement: Executable, params: Any = None
) -> Result[*TupleAny]:
    """``statement`` on ``session``'s connection, in its transaction; plain rows."""
    sync = session.sync_session
    if sync.autoflush and (sync.new or sync.deleted or sync.identity_map.check_modified()):
        await session.flush()
    if writes(statement):
        if isinstance(sync, ReadOnlySession):
            raise ReadOnlyViolation("a read-only session cannot write")
        if isinstance(sync, WriteLockedSession) and not sync.info.get("holds_write_lock"):
            await sync.info["write_lock"].acquire()
            sync.info["holds_write_lock"] = True
    connection = await session.connection()
    return await connection.execute(statement, params)
