"""What every SMS channel shares: phone numbers, the target check, logging, hand-over callbacks."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

import httpx

from server.notify.channels.base import (
    DeliveryReceipt,
    InboundSms,
    Outgoing,
    PermanentFailure,
    SmsTarget,
    TemporaryFailure,
)

__all__ = [
    "MAINLAND_MOBILE",
    "InboundHandler",
    "ReceiptHandler",
    "e164",
    "log",
    "sms_target",
    "temporary_http",
]

log = logging.getLogger("linli.notify.sms")

#: Called with each delivery receipt. It may be async. Returning ``False`` (as
#: ``Dispatcher.record_receipt`` does for a provider id it does not know yet)
#: asks for the receipt again a little later: a receipt can overtake the
#: outbox's record of the id it refers to.
ReceiptHandler = Callable[[DeliveryReceipt], Awaitable[object] | None]

#: Called with each SMS a person sent us (``Dispatcher.record_inbound``). It may be async;
#: an exception asks for another try a little later.
InboundHandler = Callable[[InboundSms], Awaitable[object] | None]

_DIGITS = re.compile(r"^[0-9]{6,15}$")
MAINLAND_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


def e164(phone: str) -> str:
    """International digits without ``+``: ``13812345678`` → ``8613812345678``."""
    number = re.sub(r"[\s\-()]", "", phone)
    explicit = number.startswith(("+", "00"))
    number = number[1:] if number.startswith("+") else number[2:] if explicit else number
    if not _DIGITS.match(number):
        raise PermanentFailure("not a phone number")
    if not explicit and MAINLAND_MOBILE.match(number):
        return "86" + number
    return number


def sms_target(message: Outgoing) -> SmsTarget:
    if not isinstance(message.target, SmsTarget):
        raise PermanentFailure("an SMS channel only sends to phone numbers")
    return message.target


def temporary_http(exc: httpx.HTTPError) -> TemporaryFailure:
    return TemporaryFailure(f"SMS gateway unreachable: {type(exc).__name__}")
