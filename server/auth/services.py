"""Log-in by phone and password, token issue and rotation, log-out, failed-log-in throttling.

Access tokens are short-lived JWTs; refresh tokens are random, stored hashed,
rotated on every use and revocable. Failed log-ins are counted per account and
per client address in the database (shared by every process): after a few the
caller must wait (doubling), after more the key is locked for a while.
Throttle counts are written in their own transaction, since the request's own
transaction rolls back with the 401 it answers.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.models import User
from server.accounts.services import AccountService, load_current_user, verify_password
from server.auth.models import LoginThrottle, RefreshToken, RevokedAccessToken
from server.auth.schemas import TokenPair
from server.config import Settings
from server.db.base import utcnow
from server.lib.errors import AppError, Unauthorized
from server.lib.i18n import N_

__all__ = ["AuthService", "TokenIssuer"]


# A well-formed hash of a random password: verifying against it when the phone
# is unknown costs what a real check costs, so timing does not reveal accounts.
@functools.cache
def _dummy_hash() -> str:
    return PasswordHasher().hash(secrets.token_hex(16))


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class TokenIssuer:
    """Signs access tokens; the JWT middleware verifies them with the same secret."""

    create: object  # callable(identifier, token_expiration, token_unique_jwt_id) -> str
    lifetime: timedelta


class AuthService:
    def __init__(
        self,
        session: AsyncSession,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        issuer: TokenIssuer,
        locale: str = "zh_Hans",
    ) -> None:
        self.session = session
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.issuer = issuer
        self.locale = locale

    # --- throttling --------------------------------------------------------------------

    def _keys(self, phone: str, client_ip: str | None) -> list[str]:
        keys = [f"phone:{_sha256(phone)[:40]}"]
        if client_ip:
            keys.append(f"ip:{client_ip}")
        return keys

    async def _check_throttle(self, keys: list[str]) -> None:
        now = utcnow()
        s = self.settings
        async with self.sessionmaker() as session:
            rows = (
                await session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
            ).all()
        for row in rows:
            if row.locked_until and row.locked_until > now:
                wait = int((row.locked_until - now).total_seconds()) + 1
                raise AppError(
                    N_("Too many failed log-ins: locked, try again in {minutes} minutes"),
                    status_code=423,
                    error_code="locked",
                    headers={"Retry-After": str(wait)},
                    minutes=max(1, (wait + 59) // 60),
                )
            in_window = row.window_start > now - timedelta(minutes=s.login_window_minutes)
            if in_window and row.failures >= s.login_slow_after:
                delay = timedelta(seconds=min(60, 2 ** (row.failures - s.login_slow_after)))
                ready_at = row.last_failure_at + delay
                if ready_at > now:
                    wait = int((ready_at - now).total_seconds()) + 1
                    raise AppError(
                        N_("Too many failed log-ins: wait {seconds} seconds and try again"),
                        status_code=429,
                        error_code="slowed",
                        headers={"Retry-After": str(wait)},
                        seconds=wait,
                    )

    async def _record_failure(self, keys: list[str]) -> None:
        now = utcnow()
        s = self.settings
        window_start = now - timedelta(minutes=s.login_window_minutes)
        lock_until = now + timedelta(minutes=s.login_lock_minutes)
        async with self.sessionmaker.begin() as session:
            for key in keys:
                # Atomic increments: concurrent failures are all counted.
                await session.execute(
                    update(LoginThrottle)
                    .where(LoginThrottle.key == key, LoginThrottle.window_start <= window_start)
                    .values(failures=0, window_start=now, locked_until=None)
                )
                result = await session.execute(
                    update(LoginThrottle)
                    .where(LoginThrottle.key == key)
                    .values(failures=LoginThrottle.failures + 1, last_failure_at=now)
                )
                if not result.rowcount:  # type: ignore[attr-defined]
                    try:
                        async with session.begin_nested():
                            session.add(
                                LoginThrottle(
                                    key=key, failures=1, window_start=now, last_failure_at=now
                                )
                            )
                    except IntegrityError:
                        await session.execute(
                            update(LoginThrottle)
                            .where(LoginThrottle.key == key)
                            .values(failures=LoginThrottle.failures + 1, last_failure_at=now)
                        )
                await session.execute(
                    update(LoginThrottle)
                    .where(LoginThrottle.key == key, LoginThrottle.failures >= s.login_lock_after)
                    .values(locked_until=lock_until)
                )

    # --- tokens ------------------------------------------------------------------------

    async def _issue(self, user: User, family: str | None = None) -> TokenPair:
        jti = uuid.uuid4().hex
        access = self.issuer.create(  # type: ignore[operator]
            identifier=str(user.id), token_expiration=self.issuer.lifetime, token_unique_jwt_id=jti
        )
        refresh = secrets.token_urlsafe(32)
        self.session.add(
            RefreshToken(
                token_hash=_sha256(refresh),
                family=family or uuid.uuid4().hex,
                user_id=user.id,
                expires_at=utcnow() + timedelta(days=self.settings.refresh_token_days),
                access_jti=jti,
            )
        )
        await self.session.flush()
        current = await load_current_user(self.session, user.id)
        assert current is not None
        view = await AccountService(self.session, user.locale).me(current)
        return TokenPair(
            access_token=access,
            refresh_token=refresh,
            expires_in=int(self.issuer.lifetime.total_seconds()),
            user=view,
        )

    async def login(self, phone: str, password: str, client_ip: str | None) -> TokenPair:
        keys = self._keys(phone, client_ip)
        await self._check_throttle(keys)
        user = await self.session.scalar(select(User).where(User.phone == phone))
        ok = await verify_password(user.password_hash if user else _dummy_hash(), password)
        if user is None or not ok or not user.is_active:
            await self._record_failure(keys)
            raise Unauthorized(N_("Wrong phone number or password"), error_code="bad_credentials")
        async with self.sessionmaker.begin() as session:
            await session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys[0]))
        return await self._issue(user)

    async def refresh(self, token: str) -> TokenPair:
        now = utcnow()
        row = await self.session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == _sha256(token)).with_for_update()
        )
        if row is None or row.expires_at <= now:
            raise Unauthorized(
                N_("Your session has ended; please log in again"), error_code="refresh_invalid"
            )
        if row.revoked_at is not None:
            # A rotated token came back: someone holds a copy. End the whole family.
            async with self.sessionmaker.begin() as session:
                await session.execute(
                    update(RefreshToken)
                    .where(RefreshToken.family == row.family, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
            raise Unauthorized(
                N_("Your session has ended; please log in again"), error_code="refresh_reused"
            )
        user = await self.session.get(User, row.user_id)
        if user is None or not user.is_active:
            raise Unauthorized(
                N_("Your session has ended; please log in again"), error_code="refresh_invalid"
            )
        row.revoked_at = now
        return await self._issue(user, family=row.family)

    async def logout(
        self,
        user_id: int,
        access_jti: str | None,
        access_expires: datetime | None,
        refresh_token: str | None,
    ) -> None:
        now = utcnow()
        if access_jti and access_expires:
            await self.session.merge(RevokedAccessToken(jti=access_jti, expires_at=access_expires))
        if refresh_token:
            row = await self.session.scalar(
                select(RefreshToken).where(
                    RefreshToken.token_hash == _sha256(refresh_token),
                    RefreshToken.user_id == user_id,
                )
            )
            if row is not None:
                await self.session.execute(
                    update(RefreshToken)
                    .where(RefreshToken.family == row.family, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
        # Refresh tokens issued with this access token go too, even if the client lost theirs.
        if access_jti:
            await self.session.execute(
                update(RefreshToken)
                .where(RefreshToken.access_jti == access_jti, RefreshToken.revoked_at.is_(None))
                .values(revoked_at=now)
            )
