"""Communities' working hours: read by the deadline reckoning, changed by administrators."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import ADMIN_ROLES, OFFICE_ROLES
from server.accounts.services import CurrentUser
from server.audit.services import AuditService
from server.cases.models import CommunityWorkHours
from server.cases.schemas import WorkHoursIn, WorkHoursView
from server.cases.worktime import DEFAULT_PERIODS, Periods, parse_periods
from server.grids.services import GridService
from server.lib.errors import BadRequest, Forbidden
from server.lib.i18n import N_

__all__ = ["WorkHoursService", "periods_of"]


def _text(periods: Periods) -> list[list[str]]:
    return [[a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in periods]


async def periods_of(session: AsyncSession, community_ids: Iterable[int]) -> dict[int, Periods]:
    """Each community's working periods (the default for those with none), one query."""
    wanted = set(community_ids)
    found: dict[int, Periods] = dict.fromkeys(wanted, DEFAULT_PERIODS)
    if wanted:
        rows = await session.execute(
            select(CommunityWorkHours.community_id, CommunityWorkHours.periods).where(
                CommunityWorkHours.community_id.in_(wanted)
            )
        )
        for cid, periods in rows.all():
            if periods:
                found[cid] = parse_periods(periods)
    return found


class WorkHoursService:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale

    async def get(self, user: CurrentUser, code: str) -> WorkHoursView:
        community = await GridService(self.session, self.locale).community(
            code, user.scope_of(OFFICE_ROLES)
        )
        row = await self.session.get(CommunityWorkHours, community.id)
        if row is None or not row.periods:
            return WorkHoursView(community=code, periods=_text(DEFAULT_PERIODS), default=True)
        return WorkHoursView(community=code, periods=row.periods, default=False)

    async def put(
        self, user: CurrentUser, code: str, data: WorkHoursIn, client_ip: str | None
    ) -> WorkHoursView:
        community = await GridService(self.session, self.locale).community(
            code, user.scope_of(OFFICE_ROLES)
        )
        if not user.scope_of(ADMIN_ROLES).covers(community):
            raise Forbidden(N_("Your role does not allow this"))
        try:
            periods = parse_periods(data.periods)
        except ValueError as exc:
            raise BadRequest(
                N_("Working periods must each end after they start and must not overlap")
            ) from exc
        row = await self.session.get(CommunityWorkHours, community.id)
        if row is None:
            row = CommunityWorkHours(community_id=community.id)
            self.session.add(row)
        row.periods = _text(periods)
        row.updated_by = user.id
        AuditService(self.session).record(
            user.id,
            "working_hours.update",
            "community",
            community.code,
            where=community,
            client_ip=client_ip,
        )
        await self.session.flush()
        return WorkHoursView(community=code, periods=row.periods, default=False)
