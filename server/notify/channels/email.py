"""E-mail through an SMTP relay (aiosmtplib): the reporters who left an address only.

The message is built with :class:`email.message.EmailMessage` under the default
(RFC 6532) policy: the subject is the template's title and the body its text, both
already rendered in the recipient's language, so Chinese goes as UTF-8 (encoded-word
headers, a ``text/plain; charset="utf-8"`` body). Its ``Message-ID`` is made from the
outbox row's id, so the repeat after a crash between "relay accepted" and "recorded"
(see :mod:`server.notify.dispatcher`) carries the same id and a mail store can drop it.
``Auto-Submitted: auto-generated`` (RFC 3834) keeps well-behaved auto-responders from
answering, and ``Reply-To`` names the receiver of ``linli mail-in`` when there is one,
so "reply 1, 2 or 3" works from any mail program.

Outcomes, as the SMS channels report them: a 5xx answer (no such mailbox, rejected
content) is permanent; a 4xx answer (greylisting, mailbox full, throttling), a
connection refused or cut, a timeout and a failed log-in (the operator fixes the
password; the rows must survive until then) are temporary. Addresses and bodies are
never logged, nor the relay's own words in ``last_error`` (they often quote the address):
only the reply code.
"""

from __future__ import annotations

import logging
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from server.notify.channels.base import (
    Accepted,
    EmailTarget,
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
)

__all__ = ["SmtpEmail", "build_message"]

log = logging.getLogger("linli.notify.email")

SENDER_NAME = "邻里 Linli"
TIMEOUT_SECONDS = 30.0


def build_message(message: Outgoing, *, sender: str, reply_to: str | None = None) -> EmailMessage:
    """The e-mail for one outbox message (its target must be an :class:`EmailTarget`)."""
    if not isinstance(message.target, EmailTarget):
        raise PermanentFailure("the e-mail channel only sends to e-mail addresses")
    local, _, domain = sender.rpartition("@")
    mail = EmailMessage()
    mail["From"] = Address(SENDER_NAME, local, domain)
    mail["To"] = message.target.address
    if reply_to:
        mail["Reply-To"] = reply_to
        # RFC 2369: mail programs offer "unsubscribe", which sends 退订 to the receiver.
        mail["List-Unsubscribe"] = f"<mailto:{reply_to}?subject=%E9%80%80%E8%AE%A2>"
    mail["Subject"] = message.title
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = f"<linli-outbox-{message.id}@{domain}>"
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.text + "\n", charset="utf-8")
    return mail


def _failure(code: int, what: str) -> PermanentFailure | TemporaryFailure:
    if 500 <= code < 600:
        return PermanentFailure(f"the relay refused the {what} ({code})")
    return TemporaryFailure(f"the relay deferred the {what} ({code})")


class SmtpEmail:
    """Sends each message in its own SMTP session with the relay (one dispatcher sends one
    message at a time; a session per message never leaves a half-dead connection behind)."""

    name = "email"

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        tls: str = "starttls",
        reply_to: str | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        if tls not in ("starttls", "tls", "none"):
            raise ValueError(f"tls must be starttls, tls or none, not {tls!r}")
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.tls = tls
        self.reply_to = reply_to
        self.timeout = timeout

    async def send(self, message: Outgoing) -> Accepted:
        mail = build_message(message, sender=self.sender, reply_to=self.reply_to)
        smtp = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.tls == "tls",
            # True: STARTTLS or nothing (a relay that cannot is a setting to fix, not a
            # reason to send the password in the clear); False: a relay on loopback.
            start_tls=self.tls == "starttls",
            timeout=self.timeout,
        )
        try:
            async with smtp:
                await smtp.send_message(mail)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients] or [550]
            raise _failure(min(codes), "recipient") from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            log.warning("the SMTP relay refused the log-in (%s)", exc.code)
            raise TemporaryFailure(f"the relay refused the log-in ({exc.code})") from None
        except aiosmtplib.SMTPSenderRefused as exc:
            raise _failure(exc.code, "sender") from None
        except aiosmtplib.SMTPDataError as exc:
            raise _failure(exc.code, "message") from None
        except aiosmtplib.SMTPResponseException as exc:
            raise _failure(exc.code, "session") from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TemporaryFailure(f"SMTP relay unreachable: {type(exc).__name__}") from None
        return Accepted(provider_id=str(mail["Message-ID"]).strip("<>")[:80])

    async def close(self) -> None:
        return None
