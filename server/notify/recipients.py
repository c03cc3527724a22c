"""Who a notification goes to, and where their addresses come from.

A :class:`Recipient` is a user (an account: push to their devices, SMS to the
account's phone), a person a domain keeps (``kind``/``ref``, e.g. a resident the
community office registered), a bare :class:`Contact` (a phone number or an
e-mail address of someone with no account: a hotline caller, an Open311
reporter), or a combination. Notify knows no domain's models: each domain that
has people of its own registers an *address book* for its kind
(:func:`register_address_book`), asked at send time, so a number the office
corrected is the one used. Contacts' addresses are sealed on the outbox row.

Opting out is per address: :func:`address_hash` is the keyed hash the opt-out
table holds and the dispatcher looks up before every SMS.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from server.lib.crypto import blind_index
from server.notify.channels.base import PermanentFailure
from server.notify.channels.sms.common import e164

__all__ = [
    "AddressBook",
    "Contact",
    "Recipient",
    "address_book",
    "address_hash",
    "normal_address",
    "register_address_book",
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normal_address(kind: str, address: str) -> str:
    """The one spelling of an address (phones as E.164 digits); ValueError if it is none."""
    if kind == "phone":
        try:
            return e164(address)
        except PermanentFailure:
            raise ValueError("not a phone number") from None
    if kind == "email":
        address = address.strip().lower()
        if not _EMAIL.match(address):
            raise ValueError("not an e-mail address")
        return address
    raise ValueError(f"unknown kind of address {kind!r}")


def address_hash(kind: str, address: str) -> str:
    """The keyed hash under which an address's opt-out is kept (ValueError if malformed)."""
    return blind_index(normal_address(kind, address), purpose=f"address:{kind}".encode())


@dataclass(frozen=True, slots=True)
class Contact:
    """The address of someone with no account; at least one of the two."""

    phone: str | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        if not self.phone and not self.email:
            raise ValueError("a contact needs a phone number or an e-mail address")
        if self.phone:
            normal_address("phone", self.phone)
        if self.email:
            normal_address("email", self.email)

    def key(self) -> str:
        """Stable and free of the address itself (dedupe and collapse keys are not sealed)."""
        kind, address = ("phone", self.phone) if self.phone else ("email", self.email or "")
        return "c" + address_hash(kind, address)[:24]


class Recipient:
    """Someone to notify (see the module's docstring); ``via`` is push, sms or both.

    ``via`` decides the channels of users and domain-kept people; a contact hears by
    SMS (phone) and e-mail (address) whatever ``via`` says, having no device to push to.
    """

    __slots__ = ("contact", "kind", "locale", "ref", "user_id", "via")

    def __init__(
        self,
        *,
        user_id: int | None = None,
        kind: str | None = None,
        ref: int | None = None,
        contact: Contact | None = None,
        via: str = "push",
        locale: str = "zh_Hans",
    ) -> None:
        if (kind is None) != (ref is None):
            raise ValueError("a domain's person needs both a kind and a ref")
        if user_id is None and ref is None and contact is None:
            raise ValueError("a recipient needs a user, a domain's person or a contact")
        if via not in ("push", "sms", "both"):
            raise ValueError(f"via must be push, sms or both, not {via!r}")
        self.user_id = user_id
        self.kind = kind
        self.ref = ref
        self.contact = contact
        self.via = str(via)
        self.locale = locale

    def key(self) -> str:
        if self.ref is not None:
            return f"{self.kind}{self.ref}"
        if self.user_id is not None:
            return f"u{self.user_id}"
        assert self.contact is not None
        return self.contact.key()

    def channels(self) -> list[str]:
        wanted: list[str] = []
        if self.user_id is not None or self.ref is not None:
            if self.via in ("push", "both") and self.user_id is not None:
                wanted.append("push")
            if self.via in ("sms", "both"):
                wanted.append("sms")
        if self.contact is not None:
            if self.contact.phone and "sms" not in wanted:
                wanted.append("sms")
            if self.contact.email:
                wanted.append("email")
        return wanted


@dataclass(frozen=True, slots=True)
class Address:
    """What a domain's address book knows of one of its people."""

    phone: str | None = None
    email: str | None = None


#: Given the refs of one kind, the addresses of those it still knows.
AddressBook = Callable[[AsyncSession, Collection[int]], Awaitable[Mapping[int, Address]]]

_BOOKS: dict[str, AddressBook] = {}


def register_address_book(kind: str, book: AddressBook) -> None:
    """Where the addresses of a domain's people (``kind``) are looked up at send time."""
    if not kind or not kind.isidentifier():
        raise ValueError(f"a recipient kind is one word, not {kind!r}")
    known = _BOOKS.get(kind)
    if known is not None and known is not book:
        raise ValueError(f"address book {kind!r} is registered twice")
    _BOOKS[kind] = book


def address_book(kind: str) -> AddressBook | None:
    return _BOOKS.get(kind)
