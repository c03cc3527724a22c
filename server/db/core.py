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

:func:`end_writes` is for a service whose writes are done before its answer is made.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.util.typing import TupleAny

from server.db.engine import ReadOnlySession, ReadOnlyViolation
from server.db.writelock import (
    WriteLockedSession,
    release_write_lock,
    take_write_lock,
    writes,
)

__all__ = ["end_writes", "execute"]


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
        if isinstance(sync, WriteLockedSession):
            await take_write_lock(sync)
    connection = await session.connection()
    return await connection.execute(statement, params)


async def end_writes(session: AsyncSession) -> None:
    """The request has written all it will: the change and its messages are in the session.

    On SQLite (a request's session, which queues for the write lock) the transaction
    commits here and the lock is given back, so that the rest of the request (making the
    answer from the rows in hand, encoding it) holds up no other writer: every writer of
    every worker queues for that one lock, and the time it is held bounds how many
    writes a second the server takes. A write after this raises
    :class:`~server.db.writelock.WritesEnded` rather than start a second transaction.
    What comes after must not be able to fail but by a bug: the change is written then
    even if the answer is a 500 (which an ``Idempotency-Key`` retry runs again, as after
    a crash between the commit and the stored answer).
    Elsewhere nothing happens: on PostgreSQL writers do not queue for one lock, and the
    request commits after its answer as every request does (one COMMIT either way); the
    command line's sessions commit when their work is done.
    """
    sync = session.sync_session
    if not isinstance(sync, WriteLockedSession):
        return
    await session.commit()
    release_write_lock(session)
    sync.info["writes_ended"] = True
