"""JWT authentication wiring: the middleware resolves the caller once per request."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token

from server.accounts.services import CurrentUser, load_current_user
from server.auth.services import AuthService
from server.config import Settings

__all__ = ["PUBLIC", "make_jwt_auth"]

# Handlers with this opt are reachable without a token.
PUBLIC = {"exclude_from_auth": True}


async def _retrieve_user(
    token: Token, connection: ASGIConnection[Any, Any, Any, Any]
) -> CurrentUser | None:
    try:
        user_id = int(token.sub)
    except ValueError:
        return None
    async with connection.app.state.sessionmaker() as session:
        return await load_current_user(session, user_id)


async def _is_revoked(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    async with connection.app.state.sessionmaker() as session:
        return await AuthService.is_revoked(
            session, token.jti if isinstance(token.jti, str) else None
        )


def make_jwt_auth(settings: Settings) -> JWTAuth[CurrentUser, Token]:
    from datetime import timedelta

    return JWTAuth[CurrentUser, Token](
        token_secret=settings.secret_key,
        retrieve_user_handler=_retrieve_user,
        revoked_token_handler=_is_revoked,
        default_token_expiration=timedelta(minutes=settings.access_token_minutes),
        exclude_opt_key="exclude_from_auth",
        exclude=[
            "^/(?!api/).+"
        ],  # outside the API (PWA files, /schema); "/" itself is opted out by PUBLIC
        description="Access token from POST /api/v1/auth/login",
    )
