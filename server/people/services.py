"""People services: the volunteer-hours ledger (residents' records and teams follow)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.services import CurrentUser
from server.people.models import VolunteerHours
from server.people.schemas import HoursEntry, MyHours

__all__ = ["PeopleService"]


class PeopleService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def my_hours(self, user: CurrentUser) -> MyHours:
        total = await self.session.scalar(
            select(func.coalesce(func.sum(VolunteerHours.hours), 0)).where(
                VolunteerHours.user_id == user.id
            )
        )
        rows = (
            await self.session.scalars(
                select(VolunteerHours)
                .where(VolunteerHours.user_id == user.id)
                .order_by(VolunteerHours.credited_at.desc())
                .limit(100)
            )
        ).all()
        return MyHours(
            total=float(total or 0),
            entries=[
                HoursEntry(
                    hours=float(r.hours),
                    source_type=r.source_type,
                    source_id=r.source_id,
                    credited_at=r.credited_at,
                )
                for r in rows
            ],
        )
