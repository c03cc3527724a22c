"""Residents as notification recipients: their address book, and how they want to hear back.

Notify knows no resident: it asks the address book registered here for the
number the office keeps (:func:`resident_addresses`, at send time), and the
wish board and others name a resident with :class:`Recipient`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, RoleAssignment, User
from server.accounts.services import CurrentUser
from server.db.core import execute
from server.lib.errors import NotFound
from server.lib.i18n import N_
from server.notify import recipients as notify_recipients
from server.notify.outbox import UsersOf
from server.notify.recipients import Address, register_address_book
from server.people.models import NotifyVia, Resident
from server.people.schemas import NotifyPreferences

__all__ = [
    "RESIDENT",
    "NotifyPreferencesService",
    "Recipient",
    "office_of",
    "register",
    "resident_addresses",
]

#: The recipient kind of residents on outbox rows.
RESIDENT = "resident"


class Recipient(notify_recipients.Recipient):
    """A recipient who may be a resident the office keeps, and/or a user."""

    __slots__ = ()

    def __init__(
        self,
        *,
        user_id: int | None = None,
        resident_id: int | None = None,
        via: NotifyVia | str = NotifyVia.push,
        locale: str = "zh_Hans",
    ) -> None:
        super().__init__(
            user_id=user_id,
            kind=RESIDENT if resident_id is not None else None,
            ref=resident_id,
            via=str(via),
            locale=locale,
        )


_OFFICE = (
    select(User.id, User.locale)
    .join(RoleAssignment, RoleAssignment.user_id == User.id)
    .where(
        RoleAssignment.role.in_([Role.community_staff, Role.community_admin]),
        RoleAssignment.community_id == bindparam("community_id"),
        User.is_active.is_(True),
    )
    .distinct()
)


_CHANNELS = {NotifyVia.push: ("push",), NotifyVia.sms: ("sms",), NotifyVia.both: ("push", "sms")}


def office(community_id: int, via: NotifyVia = NotifyVia.push) -> UsersOf:
    """A community's office as recipients the outbox picks itself as it writes the rows
    (:class:`~server.notify.outbox.UsersOf`): the same people and channels as
    :func:`office_of`, without a statement to read them first. For a notice that goes to
    the office alone."""
    return UsersOf(_OFFICE, {"community_id": community_id}, _CHANNELS[NotifyVia(via)])


async def office_of(
    session: AsyncSession, community_id: int, via: NotifyVia = NotifyVia.push
) -> list[Recipient]:
    """A community's office (its staff and admins) as recipients: who hears of a new wish
    to review, an urgent finding on a visit, visits missed."""
    rows = await execute(session, _OFFICE, {"community_id": community_id})
    return [Recipient(user_id=uid, via=via, locale=loc) for uid, loc in rows.all()]


async def resident_addresses(session: AsyncSession, ids: Collection[int]) -> Mapping[int, Address]:
    """The numbers the office keeps for these residents (None where it keeps none)."""
    rows = await session.execute(select(Resident.id, Resident.phone).where(Resident.id.in_(ids)))
    return {rid: Address(phone=phone) for rid, phone in rows.all()}


class NotifyPreferencesService:
    """How a resident with an account wants to hear back: push, SMS or both."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user: CurrentUser) -> NotifyPreferences:
        resident = await self.session.scalar(select(Resident).where(Resident.user_id == user.id))
        return NotifyPreferences(via=resident.notify_via if resident else NotifyVia.push)

    async def set(self, user: CurrentUser, data: NotifyPreferences) -> NotifyPreferences:
        resident = await self.session.scalar(select(Resident).where(Resident.user_id == user.id))
        if resident is None:
            raise NotFound(N_("No such resident"))
        resident.notify_via = data.via
        return data


def register() -> None:
    register_address_book(RESIDENT, resident_addresses)
