"""SMS people send about cases: the inbound registry's default handler.

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
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
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
from server.notify.channels.base import InboundSms
from server.notify.inbound import Reply, normalise, set_default_inbound
from server.notify.outbox import LOCAL_TZ
from server.notify.recipients import Contact, normal_address
from server.people.models import Resident
from server.workflow.writer import send

__all__ = ["SMS_PROMISE_HOURS", "configure", "register", "sms_to_cases"]

log = logging.getLogger("linli.cases.inbound")

#: What an SMS case with no item yet is promised: five working days.
SMS_PROMISE_HOURS = 35
RATING_DAYS = 30
_QUERY = re.compile(r"^(?:查询|查詢|CX)\s*(\d{4})-?(\d{6})$")
_config: dict[str, str | None] = {"grid": None}


def configure(sms_grid: str | None) -> None:
    """The grid (code) where cases from numbers no resident has are placed (None: none
    are opened; the sender is asked to call their community)."""
    _config["grid"] = sms_grid or None


def _national(phone: str) -> tuple[str, ...]:
    e164 = normal_address("phone", phone)
    national = e164[2:] if e164.startswith("86") and len(e164) == 13 else e164
    return (national, e164, f"+{e164}")


async def _resident(session: AsyncSession, phone: str) -> Resident | None:
    return await session.scalar(
        select(Resident).where(Resident.phone.in_(_national(phone))).order_by(Resident.id).limit(1)
    )


def _mine(resident: Resident | None, phone: str) -> Any:
    """The cases this number reported: as its resident, or as a bare contact."""
    by_contact = Case.contact_hash == contact_hash("phone", phone)
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
    resident = await _resident(session, message.phone)
    if word in ("1", "2", "3"):
        return await _rate(session, message, resident, int(word))
    if found := _QUERY.match(word.replace(" ", "")) or _QUERY.match(word):
        return await _status(session, message, resident, f"{found[1]}-{found[2]}")
    return await _open(session, message, resident, text[:2000])


async def _rate(
    session: AsyncSession, message: InboundSms, resident: Resident | None, satisfaction: int
) -> Reply | None:
    case = await session.scalar(
        select(Case)
        .where(
            _mine(resident, message.phone),
            Case.state == CaseState.closed,
            Case.satisfaction.is_(None),
            Case.closed_at >= message.received_at - timedelta(days=RATING_DAYS),
        )
        .order_by(Case.closed_at.desc(), Case.id.desc())
        .limit(1)
    )
    if case is None:
        log.info("a rating SMS from %s matched no case", mask_phone(message.phone))
        return None
    await CaseService(session).rate(None, case, satisfaction, "sms")
    return None  # the reporter hears "thank you" as they hear of their case


async def _status(
    session: AsyncSession, message: InboundSms, resident: Resident | None, number: str
) -> Reply:
    case = await session.scalar(
        select(Case).where(Case.number == number, _mine(resident, message.phone))
    )
    if case is None:
        return Reply("case.sms_unknown", {"number": number})
    due = CaseService._when(case.due_at)
    return Reply(
        "case.sms_status",
        {"number": number, "state": translate(state_name(case.state), "zh_Hans"), "due": due},
    )


async def _open(
    session: AsyncSession, message: InboundSms, resident: Resident | None, text: str
) -> Reply:
    values: dict[str, Any] = {}
    grid: Grid | None
    point: Any = None
    if resident is not None:
        building = await session.get(Building, resident.building_id)
        assert building is not None
        grid = await session.get(Grid, building.grid_id)
        values["resident_id"] = resident.id
        point = building.location
    else:
        code = _config["grid"]
        grid = await session.scalar(select(Grid).where(Grid.code == code)) if code else None
        if grid is None:
            log.info("an SMS from %s opened no case: no SMS intake grid", mask_phone(message.phone))
            return Reply("case.sms_unplaced", {})
        values |= CaseService._sealed_contact(Contact(phone=message.phone))
    assert grid is not None
    service = CaseService(session)
    now = message.received_at
    periods = (await periods_of(session, [grid.community_id]))[grid.community_id]
    case = Case(
        number=await service._next_number(now.astimezone(LOCAL_TZ).year),
        item_id=None,
        channel=Channel.sms,
        description=text,
        location=point,
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
            note=f"sms:{message.provider}",
        )
    )
    for notice in await service.intake_notices(case):
        await send(session, notice)
    return Reply("case.sms_received", {"number": case.number, "due": service._when(case.due_at)})


def register() -> None:
    set_default_inbound(sms_to_cases)
