"""Request-scoped dependencies: the database session and the caller's locale.

A request has one database session: the authentication middleware opens it to
look up the caller (``request_session``), and the handler's ``db_session`` is the
same one (on a route marked read-only, a read-only session with no transaction:
see ``PUBLIC_READ``). The session dependency owns the request's one transaction: committed
after the handler has made its response (before it is sent; a failed commit is
still an error response), rolled back when anything raised. Services never commit,
but one whose writes are done before its answer is made may say so (``end_writes``
in server/db/core.py): on SQLite its transaction then commits there. On SQLite the
session takes the server's write lock only at its first write (server/db/writelock.py)
and gives it back when the transaction has ended.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, cast

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.types import Scope
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import ReadOnlySession
from server.db.writelock import release_write_lock, session_options
from server.lib.i18n import negotiate

DbSession = NamedDependency[AsyncSession]
"""The request's session; its transaction is committed after the handler."""
Locale = NamedDependency[str]
"""The caller's language: zh_Hans, zh_Hant or en. Handlers name it ``lang``: a dependency
must not share its name with a body field (Litestar then reports a bad field as a 500)."""
NO_AUTH: list[dict[str, list[str]]] = [{}]
"""OpenAPI ``security`` of public routes: no credentials needed."""

__all__ = [
    "NO_AUTH",
    "DbSession",
    "Locale",
    "client_ip",
    "end_request_session",
    "provide_db_session",
    "provide_locale",
    "request_locale",
    "request_session",
]


_SESSION = "linli.db_session"


def _reads_only(scope: Scope) -> bool:
    """A GET of a route marked read-only (``PUBLIC_READ``)."""
    handler = scope.get("route_handler")
    return (
        handler is not None
        and bool(handler.opt.get("read_only"))
        and scope.get("method") in ("GET", "HEAD")
    )


def request_session(scope: Scope, state: State) -> AsyncSession:
    """The request's session, opened by whichever needs it first (the caller's look-up or
    the handler); ``end_request_session`` closes it. Read-only routes get a read-only
    session with no transaction around it."""
    kept = cast(dict[str, Any], scope)
    session: AsyncSession | None = kept.get(_SESSION)
    if session is None:
        if _reads_only(scope):
            session = state.read_only_sessionmaker()
        else:
            session = state.sessionmaker(**session_options(state.sqlite_write_lock))
        kept[_SESSION] = session
    return session


async def end_request_session(scope: Scope) -> None:
    """Close the request's session, if it has one, and give back SQLite's write lock."""
    session: AsyncSession | None = cast(dict[str, Any], scope).pop(_SESSION, None)
    if session is not None:
        try:
            await session.close()
        finally:
            release_write_lock(session)


async def provide_db_session(
    state: State, request: Request[Any, Any, Any], lang: Locale
) -> AsyncGenerator[AsyncSession, None]:
    # ``lang`` is taken (and unused) so that Litestar resolves the two dependencies one after
    # the other: two independent ones are resolved in a task group of their own, which cost
    # a signed-in request about 3 % of its CPU for two dependencies that never wait.
    del lang
    session = request_session(request.scope, state)
    if isinstance(session.sync_session, ReadOnlySession):  # nothing to commit
        try:
            yield session
        finally:
            await end_request_session(request.scope)
        return
    try:
        yield session
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    finally:
        await end_request_session(request.scope)


def request_locale(request: Request[Any, Any, Any]) -> str:
    user = request.scope.get("user")
    preferred = getattr(user, "locale", None)
    return negotiate(request.headers.get("accept-language"), preferred)


async def provide_locale(request: Request[Any, Any, Any]) -> str:
    return request_locale(request)


def client_ip(request: Request[Any, Any, Any]) -> str | None:
    """The caller's address as the ASGI server saw it.

    Behind a reverse proxy, run uvicorn with ``--proxy-headers`` and
    ``--forwarded-allow-ips`` so this is the real client, not the proxy.
    """
    return request.client.host if request.client else None
