"""Reading an inbound e-mail: who sent it, its subject, its words without the quoted
reply, its photos; all with the standard library (``email``, ``html.parser``).

Pure functions, no database: :func:`read_message` turns the bytes an SMTP receiver
got into an :class:`InboundEmail`, or None for mail that must not be answered
(bounces and auto-replies, RFC 3834) or has no usable sender.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import Any

from server.notify.recipients import normal_address

__all__ = [
    "MAX_PHOTOS",
    "InboundEmail",
    "bare_subject",
    "body_text",
    "html_to_text",
    "read_message",
    "strip_quoted",
]

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 1024 * 1024
_IMAGE_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


@dataclass(frozen=True, slots=True)
class InboundEmail:
    """One e-mail a person sent to the intake address. ``sender`` is personal data: never
    logged; ``text`` is the body as plain text without the message it replies to."""

    sender: str
    subject: str
    text: str
    photos: tuple[bytes, ...] = ()
    message_id: str | None = None
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class _Text(HTMLParser):
    """HTML to the text a reader sees: blocks on their own lines, no scripts, styles or
    quoted replies (``<blockquote>``, Gmail's ``gmail_quote``)."""

    _BLOCKS = frozenset(
        [
            "p",
            "div",
            "br",
            "li",
            "tr",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "table",
            "ul",
            "ol",
            "section",
            "article",
            "header",
            "footer",
        ]
    )
    _HIDDEN = frozenset(("script", "style", "head", "title", "blockquote"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = " ".join(v or "" for k, v in attrs if k == "class")
        if self._hidden or tag in self._HIDDEN or "gmail_quote" in classes:
            if tag not in ("br", "img", "meta", "link", "hr", "input"):  # void: no end tag
                self._hidden.append(tag)
            return
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._hidden:
            if tag in self._hidden:
                while self._hidden and self._hidden.pop() != tag:
                    pass
            return
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).replace("\xa0", " ").split("\n"))
    return _tidy("\n".join(lines))


# A line that begins the quoted message a reply carries (mail programs in English and
# Chinese), or a signature.
_QUOTE_HEADERS = (
    re.compile(r"^-{2,}\s*(Original Message|原始邮件|原始郵件|Forwarded message|转发邮件)", re.I),
    re.compile(r"^(From|发件人|寄件者|發件人)\s*[:：]"),
    re.compile(r"^_{8,}$"),  # Outlook's rule above the quoted header
    re.compile(r"^--$"),  # the signature delimiter "-- "
    re.compile(r"^(Sent from my|Get Outlook for|发自我的|發自我的)"),  # phones' signatures
)
# "On Tue, 3 Dec 2026 … <x@y> wrote:", often wrapped over two lines.
_WROTE = (re.compile(r"^On\b.*\bwrote:$"), re.compile(r"^在.*(写道|寫道)\s*[:：]?$"))


def strip_quoted(text: str) -> str:
    """The new words of a reply: up to the first quote header, without ``>`` lines."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        joined = f"{stripped} {lines[i + 1].strip()}" if i + 1 < len(lines) else stripped
        if any(p.match(stripped) for p in _QUOTE_HEADERS) or any(
            p.match(stripped) or p.match(joined) for p in _WROTE
        ):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line)
    return _tidy("\n".join(kept))


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _content(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, UnicodeError, AssertionError):  # an unknown or lying charset
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def body_text(message: EmailMessage) -> str:
    """The body as plain text: the text/plain part, else the HTML one made text; quoted
    replies and signatures left out."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = _content(part)
    if part.get_content_subtype() == "html":
        content = html_to_text(content)
    return strip_quoted(content)


_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|回复|回覆|答复|转发|轉寄)\s*[:：]\s*)+", re.I)


def bare_subject(subject: str) -> str:
    """``Re: 回复：查询 2026-000123`` → ``查询 2026-000123``."""
    return _REPLY_PREFIX.sub("", subject).strip()


def _sniff(data: bytes) -> str | None:
    for magic, kind in _IMAGE_MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _photos(message: EmailMessage) -> tuple[bytes, ...]:
    """JPEG, PNG and WebP attachments (by their bytes, not their label), at most six."""
    found: list[bytes] = []
    for part in message.walk():
        if part.get_content_maintype() != "image" or part.is_multipart():
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and len(data) <= MAX_PHOTO_BYTES and _sniff(data):
            found.append(data)
        if len(found) == MAX_PHOTOS:
            break
    return tuple(found)


def _automatic(message: EmailMessage, envelope_sender: str | None) -> bool:
    """A bounce, an auto-reply or a list's mail: answering it could start a mail loop."""
    if envelope_sender is not None and envelope_sender.strip("<> ") == "":
        return True
    if str(message.get("Auto-Submitted", "no")).strip().lower() != "no":
        return True
    if str(message.get("Precedence", "")).strip().lower() in ("bulk", "junk", "list"):
        return True
    return any(message.get(h) is not None for h in ("List-Id", "X-Autoreply", "X-Autorespond"))


def _sender(message: EmailMessage) -> str | None:
    try:
        header = message["From"]
        addresses: tuple[Any, ...] = tuple(getattr(header, "addresses", ()) or ())
    except (IndexError, ValueError, TypeError):  # a From the parser could not read
        return None
    if len(addresses) != 1:
        return None
    try:
        return normal_address("email", str(addresses[0].addr_spec))
    except ValueError:
        return None


def read_message(
    raw: bytes, *, envelope_sender: str | None = None, received_at: datetime | None = None
) -> InboundEmail | None:
    """The e-mail in ``raw``, or None when it is automatic or names no one sender."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    if _automatic(message, envelope_sender):
        return None
    sender = _sender(message)
    if sender is None:
        return None
    try:
        subject = str(message.get("Subject", "") or "")
    except (IndexError, ValueError, TypeError):
        subject = ""
    message_id = str(message.get("Message-ID", "") or "").strip() or None
    return InboundEmail(
        sender=sender,
        subject=re.sub(r"\s+", " ", subject).strip()[:200],
        text=body_text(message),
        photos=_photos(message),
        message_id=message_id[:200] if message_id else None,
        received_at=received_at or datetime.now(UTC),
    )
