"""Request-scoped dependencies: the database session and the caller's locale.

The session dependency owns the request's one transaction: committed after the
handler has made its response (before it is sent; a failed commit is still an
error response), rolled back when anything raised. Services never commit.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

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
    "provide_db_session",
    "provide_locale",
    "request_locale",
]


_READS = frozenset({"GET", "HEAD", "OPTIONS"})


async def provide_db_session(
    state: State, request: Request[Any, Any, Any]
) -> AsyncGenerator[AsyncSession, None]:
    session: AsyncSession = state.sessionmaker()
    # SQLite has one writer at a time: requests that may write queue here, across the
    # server's processes (server/db/writelock.py), not in SQLite's sleeping busy handler.
    lock = state.sqlite_write_lock if request.method not in _READS else None
    if lock is not None:
        await lock.acquire()
    try:
        yield session
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    finally:
        await session.close()
        if lock is not None:
            lock.release()


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
