"""SMS people send us: a registry of keyword handlers, and notify's own opt-out.

Every inbound SMS — an SMPP ``deliver_sm`` that is not a delivery receipt, or
an HTTP provider's reply callback — is handed to :func:`handle_inbound`. The
text is normalised (full-width to half-width, case, surrounding spaces and
punctuation) and matched against the registered keywords in registration
order; the first match wins, and a message nothing matches goes to the default
handler (logged, nothing else). A handler may answer with a :class:`Reply`,
which is queued as an SMS to the sender through the outbox.

Notify registers two itself: ``退订``/``TD``/``T`` (unsubscribe: the number is
recorded in :class:`~server.notify.models.OptOut` as a keyed hash, audited, and
confirmed by one SMS) and ``订阅``/``DY`` (subscribe again). Other domains add
theirs at start with :func:`register_inbound`, e.g. a case's satisfaction reply.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.audit.services import AuditService
from server.lib.masking import mask_phone
from server.notify.channels.base import InboundSms
from server.notify.models import OptOut
from server.notify.outbox import Contact, Recipient, enqueue
from server.notify.recipients import address_hash

__all__ = [
    "InboundHandler",
    "InboundSms",
    "Reply",
    "handle_inbound",
    "normalise",
    "opt_in",
    "opt_out",
    "register_inbound",
    "set_default_inbound",
]

log = logging.getLogger("linli.notify.inbound")


@dataclass(frozen=True, slots=True)
class Reply:
    """An SMS back to the sender: a registered template and its parameters."""

    template: str
    params: dict[str, str] = field(default_factory=dict)


#: Runs in the transaction that also queues its reply.
InboundHandler = Callable[[AsyncSession, InboundSms], Awaitable[Reply | None]]


@dataclass(frozen=True, slots=True)
class _Route:
    name: str
    keywords: frozenset[str]
    handler: InboundHandler


_ROUTES: list[_Route] = []


async def _ignore(session: AsyncSession, message: InboundSms) -> Reply | None:
    log.info(
        "inbound SMS from %s via %s matched no keyword; ignored",
        mask_phone(message.phone),
        message.provider,
    )
    return None


_default: list[InboundHandler] = [_ignore]

_STRIP = " \t\r\n.,!?;:'\"。，！？；：、“”‘’【】[]()（）"


def normalise(text: str) -> str:
    """``" ｔｄ。"`` → ``"TD"``: NFKC (full-width letters), upper case, no surrounding noise."""
    return unicodedata.normalize("NFKC", text).strip(_STRIP).upper()


def register_inbound(name: str, keywords: Iterable[str], handler: InboundHandler) -> None:
    """Hand SMS whose whole text is one of ``keywords`` to ``handler``.

    Routes are tried in the order they were registered; registering a name again
    replaces its route in place. A keyword another route already has is an error.
    """
    words = frozenset(normalise(k) for k in keywords)
    if not words or "" in words:
        raise ValueError("an inbound route needs non-empty keywords")
    for i, route in enumerate(_ROUTES):
        if route.name == name:
            _ROUTES[i] = _Route(name, words, handler)
            return
        if clash := route.keywords & words:
            raise ValueError(f"keywords {sorted(clash)} already belong to {route.name!r}")
    _ROUTES.append(_Route(name, words, handler))


def set_default_inbound(handler: InboundHandler | None) -> None:
    """What happens to SMS no keyword matches (None: log and ignore, the default)."""
    _default[0] = handler or _ignore


def route_of(text: str) -> tuple[str, InboundHandler]:
    word = normalise(text)
    for route in _ROUTES:
        if word in route.keywords:
            return route.name, route.handler
    return "default", _default[0]


async def handle_inbound(session: AsyncSession, message: InboundSms) -> str:
    """Run the handler the text matches and queue its reply; returns the route's name."""
    name, handler = route_of(message.text)
    reply = await handler(session, message)
    if reply is not None:
        stamp = message.provider_id or message.received_at.strftime("%Y%m%d%H%M%S%f")
        try:
            contact = Contact(phone=message.phone)
        except ValueError:  # a sender no SMS can go back to (a short code, a name)
            log.info("no reply to inbound SMS from %s: not a phone number", message.provider)
            return name
        await enqueue(
            session,
            event=f"inbound:{message.provider}:{stamp}:{contact.key()}:{name}",
            template=reply.template,
            params=reply.params,
            recipients=[Recipient(contact=contact, via="sms")],
            community_id=None,
            urgent=True,  # an answer to what they just sent, not a message at night
        )
    return name


# --- notify's own: opting out of SMS and back in -------------------------------------------


async def opt_out(session: AsyncSession, message: InboundSms) -> Reply | None:
    try:
        hashed = address_hash("phone", message.phone)
    except ValueError:
        return None
    known = await session.get(OptOut, ("sms", hashed))
    if known is None:
        session.add(OptOut(channel="sms", address_hash=hashed, source=f"sms:{message.provider}"))
        AuditService(session).record(
            None,
            "notify.opt_out",
            "phone",
            hashed[:16],
            channel="sms",
            via=message.provider,
            phone=mask_phone(message.phone),
        )
        log.info("%s opted out of SMS via %s", mask_phone(message.phone), message.provider)
    return Reply("notify.opted_out")


async def opt_in(session: AsyncSession, message: InboundSms) -> Reply | None:
    try:
        hashed = address_hash("phone", message.phone)
    except ValueError:
        return None
    result = await session.execute(
        delete(OptOut).where(OptOut.channel == "sms", OptOut.address_hash == hashed)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None  # was never out: nothing to confirm
    AuditService(session).record(
        None,
        "notify.opt_in",
        "phone",
        hashed[:16],
        channel="sms",
        via=message.provider,
        phone=mask_phone(message.phone),
    )
    return Reply("notify.opted_in")


async def is_opted_out(session: AsyncSession, channel: str, kind: str, address: str) -> bool:
    try:
        hashed = address_hash(kind, address)
    except ValueError:
        return False
    found = await session.scalar(
        select(OptOut.address_hash).where(OptOut.channel == channel, OptOut.address_hash == hashed)
    )
    return found is not None


register_inbound("notify.opt_out", ["退订", "退訂", "TD", "T", "取消订阅", "取消訂閱"], opt_out)
register_inbound("notify.opt_in", ["订阅", "訂閱", "开通", "開通", "DY"], opt_in)
