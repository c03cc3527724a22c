"""JWT authentication wiring: the middleware resolves the caller once per request.

The caller is looked up in the request's own database session (the one the handler
then uses), with the token's revocation in the same statement: a signed-in request
costs one session, and a log-out takes effect at once in every process, since every
request asks the database.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token
from litestar.types import Receive, Scope, Send

from server.accounts.services import CurrentUser, load_current_user
from server.config import Settings
from server.lib.deps import end_request_session, request_session

__all__ = ["PUBLIC", "PUBLIC_READ", "make_jwt_auth"]

# Handlers with this opt are reachable without a token.
PUBLIC = {"exclude_from_auth": True}
# ... and only read: their session is a read-only one outside any transaction (no BEGIN
# and COMMIT around a one-statement read; a write through it raises, see
# server.db.engine.ReadOnlySession). For public pages that only show what is there.
PUBLIC_READ = {"exclude_from_auth": True, "read_only": True}


@functools.lru_cache(maxsize=4096)
def _verified(encoded_token: str, secret: str, algorithm: str) -> Token:
    return Token.decode(encoded_token, secret, algorithm)


class VerifiedToken(Token):
    """Litestar's access token, whose signature is checked once per distinct token string.

    A phone sends the same token with every request for its whole lifetime; verifying the
    HMAC and parsing the claims again each time was about 5 % of a signed-in request's
    CPU. The verified claims are kept (a bounded LRU of 4,096 tokens) keyed by the exact
    string, so a changed byte is a different key and is verified afresh; the expiry is
    checked on every request, and revocation is still asked of the database each time
    (:func:`_retrieve_user`). Any option this app does not use takes Litestar's path.
    """

    @classmethod
    def decode(
        cls,
        encoded_token: str,
        secret: str,
        algorithm: str,
        audience: Any = None,
        issuer: Any = None,
        require_claims: Any = None,
        verify_exp: bool = True,
        verify_nbf: bool = True,
        strict_audience: bool = False,
    ) -> Self:
        if (
            audience
            or issuer
            or require_claims
            or not verify_exp
            or not verify_nbf
            or strict_audience
        ):
            return super().decode(
                encoded_token,
                secret,
                algorithm,
                audience,
                issuer,
                require_claims,
                verify_exp,
                verify_nbf,
                strict_audience,
            )
        token = _verified(encoded_token, secret, algorithm)
        if token.exp <= datetime.now(UTC):
            raise NotAuthorizedException("Invalid token")
        return token  # type: ignore[return-value]


async def _retrieve_user(
    token: Token, connection: ASGIConnection[Any, Any, Any, Any]
) -> CurrentUser | None:
    """The caller, or None (a 401) when the account is gone or the token was revoked."""
    try:
        user_id = int(token.sub)
    except ValueError:
        return None
    session = request_session(connection.scope, connection.app.state)
    jti = token.jti if isinstance(token.jti, str) and token.jti else None
    return await load_current_user(session, user_id, revoked_jti=jti)


class _RequestSessionJWTMiddleware(JWTAuthenticationMiddleware):
    """Closes the session the look-up opened, for handlers that never took it over."""

    __slots__ = ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await end_request_session(scope)


def make_jwt_auth(settings: Settings) -> JWTAuth[CurrentUser, Token]:
    return JWTAuth[CurrentUser, Token](
        token_secret=settings.secret_key,
        token_cls=VerifiedToken,
        retrieve_user_handler=_retrieve_user,
        authentication_middleware_class=_RequestSessionJWTMiddleware,
        default_token_expiration=timedelta(minutes=settings.access_token_minutes),
        exclude_opt_key="exclude_from_auth",
        exclude=[
            "^/(?!api/).+"
        ],  # outside the API (PWA files, /schema); "/" itself is opted out by PUBLIC
        description="Access token from POST /api/v1/auth/login",
    )
