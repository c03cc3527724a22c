"""The outbox, push subscriptions, per-community notification settings."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, TimestampMixin, utcnow

__all__ = [
    "AppSecret",
    "CommunityNotifySettings",
    "Notification",
    "OutboxStatus",
    "PushSubscription",
]


class OutboxStatus(enum.StrEnum):
    pending = "pending"  # waiting for its next attempt
    sending = "sending"  # leased by a dispatcher until lease_until
    sent = "sent"  # a provider accepted it
    delivered = "delivered"  # the provider reported delivery (SMS receipts)
    failed = "failed"  # gave up: permanent error or out of attempts


class Notification(Base):
    """One message to one recipient on one channel, written with the change that caused it.

    ``dedupe_key`` is unique: the same event never notifies the same recipient
    twice on one channel, however often the code that raises it runs.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # SMS still waiting for a delivery report, walked in send order (dispatcher polls).
        Index("ix_outbox_awaiting_report", "channel", "status", "sent_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    channel: Mapped[str] = mapped_column(String(10))  # "push" | "sms"
    # The recipient: a user (push, SMS to their phone) or a resident without an account (SMS).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, default=None)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id"), index=True, default=None
    )
    template: Mapped[str] = mapped_column(String(40))  # e.g. "wish.approved"
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    locale: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    url: Mapped[str | None] = mapped_column(String(200), default=None)
    topic: Mapped[str | None] = mapped_column(String(60), default=None)
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(OutboxStatus, native_enum=False, length=12), default=OutboxStatus.pending
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    provider_id: Mapped[str | None] = mapped_column(String(80), index=True, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id"), index=True, default=None
    )


class PushSubscription(TimestampMixin, Base):
    """A browser's push subscription (one per user and device)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    user_agent: Mapped[str | None] = mapped_column(String(200), default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)


class CommunityNotifySettings(TimestampMixin, Base):
    """Quiet hours per community: no SMS at night unless urgent (local time, Asia/Shanghai)."""

    __tablename__ = "community_notify_settings"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    quiet_start: Mapped[str] = mapped_column(String(5), default="21:30")
    quiet_end: Mapped[str] = mapped_column(String(5), default="07:30")


class AppSecret(Base):
    """Secrets the app creates on first run and every process must share (VAPID keys)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
