"""E-mail people send us: an SMTP receiver (aiosmtpd) for one address, and its handler.

``linli mail-in`` runs :func:`serve_mail_in`: it takes mail for the one address the
operator names (``LINLI_MAIL_IN_ADDRESS``) and refuses any other recipient (550), and
any message over :data:`MAX_MESSAGE_BYTES` (552, also when ``MAIL FROM … SIZE=``
announces it). An accepted message is read (:mod:`server.notify.mailtext`); bounces,
auto-replies and mailing-list mail are taken (250) and dropped, so no reply can loop.
``退订`` (``TD``, ``unsubscribe``) as the subject stops e-mail to
the sender's address, ``订阅`` starts it again, as the same words do by SMS. Every other
one is handed to the handler a domain set (:func:`set_email_handler`; the
cases domain opens a case, answers ``查询``, records a rating) in one transaction, which
also queues the handler's :class:`~server.notify.inbound.Reply` as an e-mail back to
the sender. A failure inside is answered 451, so the sending server tries again later;
a message handled before (the same ``Message-ID`` from the same sender, when the 250
was lost) is not handled twice.

The sender is whoever the ``From`` header names: SMTP does not prove it. Put the
receiver behind the mail server that checks SPF/DKIM/DMARC (see docs/operations.md).
Addresses and bodies are never logged.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.audit.services import AuditService
from server.notify.inbound import Reply, normalise
from server.notify.mailtext import InboundEmail, bare_subject, read_message
from server.notify.models import Notification, OptOut
from server.notify.outbox import Contact, Recipient, enqueue
from server.notify.recipients import address_hash, normal_address

__all__ = [
    "MAX_MESSAGE_BYTES",
    "EmailHandler",
    "InboundEmail",
    "MailInHandler",
    "handle_email",
    "serve_mail_in",
    "set_email_handler",
]

log = logging.getLogger("linli.notify.mailin")

#: The largest message taken, headers and attachments included (SMTP 552 above it).
MAX_MESSAGE_BYTES = 1024 * 1024

#: Runs in the transaction that also queues its reply.
EmailHandler = Callable[[AsyncSession, InboundEmail], Awaitable[Reply | None]]


async def _ignore(session: AsyncSession, message: InboundEmail) -> Reply | None:
    log.info("an inbound e-mail was received; no domain handles e-mail, ignored")
    return None


_handler: list[EmailHandler] = [_ignore]


def set_email_handler(handler: EmailHandler | None) -> None:
    """What happens to each e-mail (None: log and ignore)."""
    _handler[0] = handler or _ignore


def _reply_event(message: InboundEmail, contact: Contact) -> str:
    stamp = message.message_id or message.received_at.strftime("%Y%m%d%H%M%S%f")
    return f"inbound:email:{hashlib.sha256(stamp.encode()).hexdigest()[:24]}:{contact.key()}"


_OPT_OUT = frozenset({"退订", "退訂", "TD", "UNSUBSCRIBE", "取消订阅", "取消訂閱"})
_OPT_IN = frozenset({"订阅", "訂閱", "DY", "SUBSCRIBE"})


async def _opt(session: AsyncSession, message: InboundEmail, out: bool) -> Reply | None:
    """退订 / 订阅 as the subject: no more e-mail to this address, or again (as by SMS)."""
    hashed = address_hash("email", message.sender)
    known = await session.get(OptOut, ("email", hashed))
    if out == (known is not None):
        return Reply("notify.email_opted_out") if out else None
    if out:
        session.add(OptOut(channel="email", address_hash=hashed, source="email"))
    else:
        await session.delete(known)
    AuditService(session).record(
        None,
        "notify.opt_out" if out else "notify.opt_in",
        "email",
        hashed[:16],
        channel="email",
        via="email",
    )
    return Reply("notify.email_opted_out" if out else "notify.email_opted_in")


def _command(message: InboundEmail) -> str:
    return normalise(bare_subject(message.subject) or message.text)


async def handle_email(session: AsyncSession, message: InboundEmail) -> bool:
    """Run the e-mail handler (notify's own for 退订/订阅) and queue its reply; False if
    this message was handled before."""
    contact = Contact(email=message.sender)
    event = _reply_event(message, contact)
    recipient = Recipient(contact=contact)
    if message.message_id is not None:
        # The reply's dedupe key, looked up before the handler runs: the sending server
        # repeats a message whose 250 it never got.
        key = f"{event}:{recipient.key()}:email"
        if await session.scalar(select(Notification.id).where(Notification.dedupe_key == key)):
            return False
    command = _command(message)
    if command in _OPT_OUT or command in _OPT_IN:
        reply = await _opt(session, message, command in _OPT_OUT)
    else:
        reply = await _handler[0](session, message)
    if reply is not None:
        await enqueue(
            session,
            event=event,
            template=reply.template,
            params=reply.params,
            recipients=[recipient],
            community_id=None,
            urgent=True,
        )
    return True


class MailInHandler:
    """aiosmtpd's handler: recipients are checked at RCPT, messages handled at DATA."""

    def __init__(
        self,
        address: str,
        receive: Callable[[InboundEmail], Awaitable[object]],
    ) -> None:
        self.address = normal_address("email", address)
        self.receive = receive

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        try:
            mine = normal_address("email", address) == self.address
        except ValueError:
            mine = False
        if not mine:
            return "550 5.1.1 No such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            raw = str(raw or "").encode("utf-8", "surrogateescape")
        if len(raw) > MAX_MESSAGE_BYTES:  # aiosmtpd stops it first; kept for a changed limit
            return "552 5.3.4 Message too big"
        try:
            message = read_message(raw, envelope_sender=envelope.mail_from)
        except Exception as exc:  # a message the parser chokes on is not worth a retry
            log.info("an inbound e-mail could not be read (%s); dropped", type(exc).__name__)
            return "250 OK"
        if message is None:
            log.info("an automatic or unsigned inbound e-mail was dropped")
            return "250 OK"
        try:
            await self.receive(message)
        except Exception as exc:
            log.error("handling an inbound e-mail failed (%s); asked to resend", type(exc).__name__)
            return "451 4.3.0 Try again later"
        return "250 OK"


async def serve_mail_in(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    address: str,
    host: str = "127.0.0.1",
    port: int = 2525,
    hostname: str | None = None,
) -> asyncio.Server:
    """Listen for mail to ``address``; each message handled in its own transaction."""

    async def receive(message: InboundEmail) -> None:
        async with sessionmaker.begin() as session:
            handled = await handle_email(session, message)
        log.info("inbound e-mail %s", "handled" if handled else "seen before; not handled again")

    # aiosmtpd logs every sender and recipient at INFO: addresses stay out of our logs.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    handler = MailInHandler(address, receive)
    factory: Callable[[], Any] = functools.partial(
        SMTP,
        handler,
        data_size_limit=MAX_MESSAGE_BYTES,
        enable_SMTPUTF8=True,
        hostname=hostname or address.rpartition("@")[2],
        ident="Linli mail-in",
        timeout=60,
    )
    return await asyncio.get_running_loop().create_server(factory, host=host, port=port)
