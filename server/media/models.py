"""Uploaded media."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, utcnow

__all__ = ["Media"]


class Media(Base):
    __tablename__ = "media"

    # sha256 of the uploader's id and the bytes: one person uploading the same photo twice
    # stores it once.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who may see it follows what it is attached to; the uploader always may.
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id"), index=True, default=None
    )
