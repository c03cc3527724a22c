"""Log-in, token refresh and log-out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.params import JSONBody
from litestar.security.jwt import Token
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.services import CurrentUser
from server.auth.schemas import LoginRequest, LogoutRequest, RefreshRequest, TokenPair
from server.auth.security import PUBLIC
from server.auth.services import AuthService
from server.lib.deps import NO_AUTH, DbSession, Locale, client_ip
from server.lib.errors import error_responses

__all__ = ["AuthController"]


def _service(db_session: AsyncSession, state: State, lang: str) -> AuthService:
    return AuthService(db_session, state.sessionmaker, state.settings, state.token_issuer, lang)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post(
        "/login",
        opt=PUBLIC,
        security=NO_AUTH,
        status_code=200,
        summary="Log in with phone number and password",
        responses=error_responses(401, 413, 423, 429),
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[LoginRequest],
        db_session: DbSession,
        state: State,
        lang: Locale,
    ) -> TokenPair:
        return await _service(db_session, state, lang).login(
            data.phone, data.password, client_ip(request)
        )

    @post(
        "/refresh",
        opt=PUBLIC,
        security=NO_AUTH,
        status_code=200,
        summary="Exchange a refresh token for new tokens",
        responses=error_responses(401, 413),
    )
    async def refresh(
        self, data: JSONBody[RefreshRequest], db_session: DbSession, state: State, lang: Locale
    ) -> TokenPair:
        return await _service(db_session, state, lang).refresh(data.refresh_token)

    @post(
        "/logout",
        status_code=204,
        summary="Revoke this session's tokens",
        responses=error_responses(401, 413),
    )
    async def logout(
        self,
        request: Request[CurrentUser, Token, Any],
        db_session: DbSession,
        state: State,
        lang: Locale,
        data: JSONBody[LogoutRequest | None] = None,
    ) -> None:
        token = request.auth
        expires = (
            token.exp if isinstance(token.exp, datetime) else datetime.fromtimestamp(token.exp, UTC)
        )
        await _service(db_session, state, lang).logout(
            request.user.id,
            token.jti if isinstance(token.jti, str) else None,
            expires,
            data.refresh_token if data else None,
        )
