"""Token and throttle state, kept in the database so any number of processes share it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, utcnow

__all__ = ["LoginThrottle", "RefreshToken", "RevokedAccessToken"]


class RefreshToken(Base):
    """A refresh token, stored only as its SHA-256; rotated on every use.

    Tokens rotated from one log-in share a ``family``: presenting a token that
    was already rotated revokes the whole family (it was stolen or replayed).
    """

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family: Mapped[str] = mapped_column(String(32), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # The access token issued with it, revoked with it at log-out.
    access_jti: Mapped[str | None] = mapped_column(String(32), default=None)


class RevokedAccessToken(Base):
    """Access tokens revoked before they expire (log-out); pruned after expiry."""

    __tablename__ = "revoked_access_tokens"

    jti: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LoginThrottle(Base):
    """Failed log-ins per account and per client address.

    ``key`` is ``phone:<sha256>`` or ``ip:<address>``; phone numbers are hashed
    so this table holds no personal data.
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(default=utcnow)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
