"""The outbox, push subscriptions, opt-outs, per-community notification settings.

Notify knows no domain's models: a recipient is a user (the platform's
accounts), a person some domain keeps (``recipient_kind``/``recipient_ref``,
whose address that domain's address book gives at send time, see
:mod:`server.notify.recipients`), or a bare contact whose address is sealed on
the row itself.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, TimestampMixin, utcnow

__all__ = [
    "AppSecret",
    "CommunityNotifySettings",
    "Notification",
    "OptOut",
    "OutboxStatus",
    "PushSubscription",
]


class OutboxStatus(enum.StrEnum):
    pending = "pending"  # waiting for its next attempt
    sending = "sending"  # leased by a dispatcher until lease_until
    sent = "sent"  # a provider accepted it
    delivered = "delivered"  # the provider reported delivery (SMS receipts)
    failed = "failed"  # gave up: permanent error or out of attempts
    suppressed = "suppressed"  # never sent: the number opted out (last_error says so)
    superseded = "superseded"  # never sent: a newer message on the same topic replaced it


class Notification(Base):
    """One message to one recipient on one channel, written with the change that caused it.

    ``dedupe_key`` is unique: the same event never notifies the same recipient
    twice on one channel, however often the code that raises it runs.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_recipient", "recipient_kind", "recipient_ref"),
        # SMS still waiting for a delivery report, walked in send order (dispatcher polls).
        Index("ix_outbox_awaiting_report", "channel", "status", "sent_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    channel: Mapped[str] = mapped_column(String(10))  # "push" | "sms"
    # The recipient: a user (push, SMS to their phone), a person a domain keeps (e.g. a
    # resident: kind "resident", ref their id), and/or a bare contact (address sealed here).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, default=None)
    recipient_kind: Mapped[str | None] = mapped_column(String(20), default=None)
    recipient_ref: Mapped[int | None] = mapped_column(default=None)
    address_kind: Mapped[str | None] = mapped_column(String(10), default=None)  # phone | email
    # AES-GCM (server.lib.crypto), context b"outbox-address": a hotline caller's number is
    # personal data and is not kept in the clear.
    address_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    template: Mapped[str] = mapped_column(String(40))  # e.g. "wish.approved"
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    locale: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    url: Mapped[str | None] = mapped_column(String(200), default=None)
    # The subject (e.g. "wish-42"): web push Topic, and what a newer message replaces.
    topic: Mapped[str | None] = mapped_column(String(60), default=None)
    # topic + recipient + channel: a newer row with the same key supersedes older unsent ones.
    collapse_key: Mapped[str | None] = mapped_column(String(160), index=True, default=None)
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
    """Quiet hours per community: no SMS at night unless urgent (local time, Asia/Shanghai).

    A community without a row has the defaults below; the office changes them
    (``PUT /api/v1/communities/{code}/notify-settings``).
    """

    __tablename__ = "community_notify_settings"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    quiet_enabled: Mapped[bool] = mapped_column(default=True)
    quiet_start: Mapped[str] = mapped_column(String(5), default="21:30")
    quiet_end: Mapped[str] = mapped_column(String(5), default="07:30")
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class OptOut(Base):
    """An address that asked for no more messages on a channel (SMS 退订/TD).

    Only a keyed hash of the address is kept (:func:`server.lib.crypto.blind_index`):
    enough to recognise the number at every later send, useless to whoever reads the
    table without the app's key (PIPL: no more personal data than the purpose needs).
    """

    __tablename__ = "opt_outs"

    channel: Mapped[str] = mapped_column(String(10), primary_key=True)  # "sms" (later "email")
    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(40))  # e.g. "sms:smpp", "staff"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppSecret(Base):
    """Secrets the app creates on first run and every process must share (VAPID keys)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
