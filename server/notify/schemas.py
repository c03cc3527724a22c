"""Payloads of the notification API."""

from __future__ import annotations

from typing import Annotated

import msgspec

from server.people.models import NotifyVia

__all__ = ["NotifyPreferences", "PushKey", "SubscriptionCreate", "SubscriptionKeys"]

B64 = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_\-=]+$", max_length=200)]


class PushKey(msgspec.Struct, frozen=True):
    """The VAPID public key the PWA passes to PushManager.subscribe (applicationServerKey)."""

    public_key: str


class SubscriptionKeys(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    p256dh: B64
    auth: B64


class SubscriptionCreate(msgspec.Struct, frozen=True):
    """PushSubscription.toJSON() as the browser gives it (extra fields such as expirationTime allowed)."""

    endpoint: Annotated[str, msgspec.Meta(pattern=r"^https?://", max_length=1000)]
    keys: SubscriptionKeys


class NotifyPreferences(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    via: NotifyVia
