"""The interface every delivery channel implements.

The dispatcher hands a channel one :class:`Outgoing` message at a time and
records what comes back. A channel never touches the database: it speaks its
protocol and reports the outcome:

* returns :class:`Accepted` when the provider took the message (with the
  provider's id, so a later delivery receipt can be matched);
* raises :class:`TemporaryFailure` for what may work later (network errors,
  timeouts, 429/5xx, throttling): the dispatcher retries with backoff;
* raises :class:`PermanentFailure` for what never will (bad number, rejected
  template, 4xx): the message is marked failed at once;
* raises :class:`SubscriptionGone` (web push 404/410): the subscription is
  deleted and the message marked failed.

A channel whose provider is asked for delivery reports (rather than, or as
well as, pushing them) also implements :class:`ReceiptPoller`: the dispatcher
hands it the messages still waiting for a report and records what it answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "Accepted",
    "Channel",
    "DeliveryReceipt",
    "EmailTarget",
    "InboundSms",
    "Outgoing",
    "PermanentFailure",
    "PushTarget",
    "ReceiptPoller",
    "SentSms",
    "SmsTarget",
    "SubscriptionGone",
    "TemporaryFailure",
]


@dataclass(frozen=True, slots=True)
class PushTarget:
    endpoint: str
    p256dh: str  # the browser's public key, base64url
    auth: str  # the auth secret, base64url


@dataclass(frozen=True, slots=True)
class SmsTarget:
    phone: str  # E.164 without "+", or a mainland number: 13812345678


@dataclass(frozen=True, slots=True)
class EmailTarget:
    address: str  # one address, as normal_address("email", …) spells it


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to one recipient on one channel.

    ``text`` is already rendered in the recipient's language (for push: the
    notification body; for console/SMPP SMS and e-mail: the whole text; ``title`` is
    an e-mail's subject). Template-based
    SMS providers (Aliyun, Tencent) use ``template`` and ``params`` instead,
    since those services only send pre-approved templates.
    """

    id: int  # the outbox row id (idempotency key where a provider supports one)
    target: PushTarget | SmsTarget | EmailTarget
    title: str
    text: str
    template: str  # our template key, e.g. "wish.approved"
    params: dict[str, str] = field(default_factory=dict)
    url: str | None = None  # where a tapped notification opens, e.g. "/#/wishes/42"
    topic: str | None = None  # web push Topic: a repeat replaces the first on the phone
    urgent: bool = False
    ttl_seconds: int = 24 * 3600


@dataclass(frozen=True, slots=True)
class Accepted:
    provider_id: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """A provider's later word on a message it accepted (SMS delivery reports)."""

    provider_id: str
    delivered: bool
    status: str  # provider's own status, e.g. "DELIVRD", "UNDELIV"
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InboundSms:
    """One SMS a person sent to our number (MO), as a channel or a provider's callback got it.

    ``phone`` is personal data: never logged unmasked.
    """

    phone: str
    text: str
    provider: str  # "smpp", "aliyun", "tencent"
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    provider_id: str | None = None  # the provider's id of the message, when it gives one


@dataclass(frozen=True, slots=True)
class SentSms:
    """An SMS a provider accepted and has not reported on yet: what a receipt poll needs."""

    outbox_id: int
    provider_id: str
    phone: str | None  # None: the recipient's number is gone (a poll by number skips it)
    sent_at: datetime  # aware, UTC


class TemporaryFailure(Exception):
    """Try again later."""


class PermanentFailure(Exception):
    """Never going to work for this message."""


class SubscriptionGone(PermanentFailure):
    """The push service says this subscription no longer exists (404/410)."""


class Channel(Protocol):
    name: str  # "push", "sms" or "email"

    async def send(self, message: Outgoing) -> Accepted: ...

    async def close(self) -> None: ...


@runtime_checkable
class ReceiptPoller(Protocol):
    """A channel that can be asked for delivery reports (behind NAT, no callback needed)."""

    async def poll_receipts(self, pending: Sequence[SentSms]) -> list[DeliveryReceipt]:
        """Reports that became known for ``pending`` (a provider may add others: unknown ids
        are ignored by the caller). Never raises for a gateway that is down: it answers
        what it could get and tries again at the next poll."""
        ...
