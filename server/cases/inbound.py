"""SMS and e-mail people send about cases: the default handler of both inbound registries.

Notify hands every SMS no keyword claims (``退订``/``TD`` and the like are notify's own)
to the handler set here (:func:`register`, at start):

- ``1`` / ``2`` / ``3``: the sender's satisfaction with their case finished last (the
  "finished" SMS asks for it), recorded as its callback 回访;
- ``查询 2026-000123`` (``查詢``, ``CX``): that case's state, answered to its reporter
  only (anyone else hears "no such case of yours", whether it exists or not);
- anything else opens a case (channel ``sms``, no item yet: the office chooses it when
  it accepts), attributed to the resident whose phone it is, otherwise kept as a bare
  contact (sealed) and placed in the grid the operator names for the city's SMS intake
  (``LINLI_CASE_SMS_GRID``); the reply gives its number and the promised date.

E-mail (:mod:`server.notify.mailin`) is read the same way, the subject standing for the
SMS's text where it is a command: ``查询 <number>`` in the subject (or as the body) asks
after a case; a body that is just ``1``, ``2`` or ``3`` (a reply to the "finished"
e-mail, its quoted part left out) rates; anything else opens a case of channel
``email`` from the subject and the body, with its JPEG/PNG/WebP attachments as the
case's photos, placed in ``LINLI_CASE_EMAIL_GRID`` (else the SMS grid). Residents
have no e-mail address in the register, so an e-mail's sender is always a bare contact.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.cases.hours import periods_of
from server.cases.models import Case, CaseEvent, CaseState, Channel, CloseLevel
from server.cases.rules import state_name
from server.cases.services import CaseService, contact_hash
from server.cases.worktime import add_working_hours
from server.grids.models import Building, Grid
from server.lib.i18n import translate
from server.lib.masking import mask_phone
from server.media.models import Media
from server.media.services import MAX_BYTES, sniff
from server.notify.channels.base import InboundSms
from server.notify.inbound import Reply, normalise, set_default_inbound
from server.notify.mailin import InboundEmail, set_email_handler
from server.notify.mailtext import bare_subject
from server.notify.outbox import LOCAL_TZ
from server.notify.recipients import Contact, normal_address
from server.people.models import Resident
from server.workflow.writer import send

__all__ = ["SMS_PROMISE_HOURS", "configure", "email_to_cases", "register", "sms_to_cases"]

log = logging.getLogger("linli.cases.inbound")

#: What an SMS case with no item yet is promised: five working days.
SMS_PROMISE_HOURS = 35
RATING_DAYS = 30
_QUERY = re.compile(r"^(?:查询|查詢|CX)\s*(\d{4})-?(\d{6})$")
_config: dict[str, str | None] = {"grid": None, "email_grid": None}


def configure(sms_grid: str | None, email_grid: str | None = None) -> None:
    """The grid (code) where cases from numbers no resident has are placed, and the one
    for e-mailed cases (default: the same). None: none are opened; the sender is asked to
    call their community."""
    _config["grid"] = sms_grid or None
    _config["email_grid"] = email_grid or sms_grid or None


@dataclass(frozen=True, slots=True)
class _Sender:
    """Who wrote in: their address (personal data: masked in logs), the resident it is."""

    kind: str  # "phone" | "email"
    address: str
    resident: Resident | None
    received_at: datetime
    via: str  # the history note: "sms:aliyun", "email"

    def masked(self) -> str:
        return mask_phone(self.address) if self.kind == "phone" else "an e-mail address"


def _national(phone: str) -> tuple[str, ...]:
    e164 = normal_address("phone", phone)
    national = e164[2:] if e164.startswith("86") and len(e164) == 13 else e164
    return (national, e164, f"+{e164}")


async def _resident(session: AsyncSession, phone: str) -> Resident | None:
    return await session.scalar(
        select(Resident).where(Resident.phone.in_(_national(phone))).order_by(Resident.id).limit(1)
    )


def _mine(sender: _Sender) -> Any:
    """The cases this address reported: as its resident, or as a bare contact."""
    by_contact = Case.contact_hash == contact_hash(sender.kind, sender.address)
    resident = sender.resident
    return or_(Case.resident_id == resident.id, by_contact) if resident else by_contact


async def sms_to_cases(session: AsyncSession, message: InboundSms) -> Reply | None:
    try:
        normal_address("phone", message.phone)
    except ValueError:
        return None
    text = message.text.strip()
    word = normalise(text)
    if not word:
        return None
    sender = _Sender(
        "phone",
        message.phone,
        await _resident(session, message.phone),
        message.received_at,
        f"sms:{message.provider}",
    )
    if word in ("1", "2", "3"):
        return await _rate(session, sender, int(word))
    if number := _query(word):
        return await _status(session, sender, number)
    return await _open(session, sender, text[:2000])


def _query(word: str) -> str | None:
    """The case number of a ``查询 <number>`` (normalised), or None."""
    found = _QUERY.match(word.replace(" ", "")) or _QUERY.match(word)
    return f"{found[1]}-{found[2]}" if found else None


async def email_to_cases(session: AsyncSession, message: InboundEmail) -> Reply | None:
    sender = _Sender("email", message.sender, None, message.received_at, "email")
    subject = bare_subject(message.subject)
    body = normalise(message.text)
    if number := _query(normalise(subject)) or _query(body):
        return await _status(session, sender, number)
    if body in ("1", "2", "3") or (not body and normalise(subject) in ("1", "2", "3")):
        return await _rate(session, sender, int(body or normalise(subject)))
    text = "\n\n".join(part for part in (subject, message.text) if part)
    if not text and not message.photos:
        log.info("an empty e-mail opened no case")
        return None
    return await _open(session, sender, text[:2000], message.photos)


async def _rate(session: AsyncSession, sender: _Sender, satisfaction: int) -> Reply | None:
    case = await session.scalar(
        select(Case)
        .where(
            _mine(sender),
            Case.state == CaseState.closed,
            Case.satisfaction.is_(None),
            Case.closed_at >= sender.received_at - timedelta(days=RATING_DAYS),
        )
        .order_by(Case.closed_at.desc(), Case.id.desc())
        .limit(1)
    )
    if case is None:
        log.info("a rating from %s matched no case", sender.masked())
        return None
    await CaseService(session).rate(None, case, satisfaction, sender.via.partition(":")[0])
    return None  # the reporter hears "thank you" as they hear of their case


async def _status(session: AsyncSession, sender: _Sender, number: str) -> Reply:
    case = await session.scalar(select(Case).where(Case.number == number, _mine(sender)))
    if case is None:
        return Reply("case.sms_unknown", {"number": number})
    due = CaseService._when(case.due_at)
    return Reply(
        "case.sms_status",
        {"number": number, "state": translate(state_name(case.state), "zh_Hans"), "due": due},
    )


async def _open(
    session: AsyncSession, sender: _Sender, text: str, photos: tuple[bytes, ...] = ()
) -> Reply:
    values: dict[str, Any] = {}
    grid: Grid | None
    point: Any = None
    resident = sender.resident
    if resident is not None:
        building = await session.get(Building, resident.building_id)
        assert building is not None
        grid = await session.get(Grid, building.grid_id)
        values["resident_id"] = resident.id
        point = building.location
    else:
        code = _config["grid" if sender.kind == "phone" else "email_grid"]
        grid = await session.scalar(select(Grid).where(Grid.code == code)) if code else None
        if grid is None:
            log.info("%s opened no case: no intake grid", sender.masked())
            return Reply(
                "case.sms_unplaced" if sender.kind == "phone" else "case.email_unplaced", {}
            )
        contact = Contact(phone=sender.address) if sender.kind == "phone" else None
        values |= CaseService._sealed_contact(contact or Contact(email=sender.address))
    assert grid is not None
    service = CaseService(session)
    now = sender.received_at
    periods = (await periods_of(session, [grid.community_id]))[grid.community_id]
    case = Case(
        number=await service._next_number(now.astimezone(LOCAL_TZ).year),
        item_id=None,
        channel=Channel.sms if sender.kind == "phone" else Channel.email,
        description=text,
        location=point,
        photos=await _store_photos(session, photos, grid.community_id),
        state=CaseState.received,
        version=1,
        level=CloseLevel.grid,
        due_at=add_working_hours(now, SMS_PROMISE_HOURS, periods),
        created_at=now,
        updated_at=now,
        **Case.placed_in(grid),
        **values,
    )
    session.add(case)
    await session.flush()
    session.add(
        CaseEvent(
            case_id=case.id,
            at=now,
            action="report",
            from_state=None,
            to_state=CaseState.received,
            note=sender.via,
        )
    )
    for notice in await service.intake_notices(case):
        await send(session, notice)
    return Reply("case.sms_received", {"number": case.number, "due": service._when(case.due_at)})


async def _store_photos(
    session: AsyncSession, photos: tuple[bytes, ...], community_id: int
) -> list[str]:
    """Photos that came with an e-mail, as media with no uploader: whoever may see the case
    may see them (:meth:`CaseService.photo_visible_to`)."""
    keys: list[str] = []
    for data in photos:
        kind = sniff(data)
        if kind is None or len(data) > MAX_BYTES:
            continue
        key = hashlib.sha256(b"email\n" + data).hexdigest()
        if key not in keys and await session.get(Media, key) is None:
            session.add(
                Media(
                    key=key,
                    content_type=kind,
                    size=len(data),
                    data=data,
                    uploaded_by=None,
                    community_id=community_id,
                )
            )
        if key not in keys:
            keys.append(key)
    return keys


def register() -> None:
    set_default_inbound(sms_to_cases)
    set_email_handler(email_to_cases)
