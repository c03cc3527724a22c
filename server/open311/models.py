"""Open311: the API keys an administrator issues, and what a request brought beside its case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, TimestampMixin, utcnow

__all__ = ["Open311Key", "Open311Request"]


class Open311Key(TimestampMixin, Base):
    """A key another piece of software posts requests with. Only its SHA-256 is kept: the
    key itself is shown once, when it is issued. ``prefix`` (its first characters) lets an
    administrator tell keys apart without the key."""

    __tablename__ = "open311_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))  # who it was issued to
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class Open311Request(Base):
    """What an Open311 request brought that a case has no column for: the key it came with,
    its ``media_url`` (kept as given, never fetched) and ``address_string`` (staff only)."""

    __tablename__ = "open311_requests"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    key_id: Mapped[int] = mapped_column(ForeignKey("open311_keys.id"), index=True)
    media_url: Mapped[str | None] = mapped_column(String(500), default=None)
    address_string: Mapped[str | None] = mapped_column(String(250), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
