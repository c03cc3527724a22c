"""The audit log: append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, utcnow

__all__ = ["AuditEntry"]


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, default=None)
    # e.g. "user.create", "user.unmask_phone", "grid_map.import"
    action: Mapped[str] = mapped_column(String(50), index=True)
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[str | None] = mapped_column(String(40), default=None)
    # Scope of the object, so leaders see the audit trail of their own scope only.
    sub_district_id: Mapped[int | None] = mapped_column(default=None, index=True)
    community_id: Mapped[int | None] = mapped_column(default=None, index=True)
    grid_id: Mapped[int | None] = mapped_column(default=None)
    client_ip: Mapped[str | None] = mapped_column(String(45), default=None)
    # Never personal data itself: which fields changed, counts, codes.
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
