"""A resident's timeline: their visits and the wishes posted for them, newest first.

For the community office and the grid worker of the resident's grid (the staff scope
rule: anyone else is answered 404 and learns nothing). Every opening is written to the
audit log (``resident.timeline``), like a phone reveal: it shows how someone is doing at
home. Personal data is kept to what follow-up needs: no phone, no ID number, no address;
the people who acted on a wish are masked, visitors (staff, paired party members) named.

Four statements whatever the history's length: the resident, their visits with the
visitors' names, the wishes' changes with the actors' names, the audit entry.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.accounts.models import User
from server.accounts.services import CurrentUser
from server.audit.services import AuditService
from server.grids.models import Grid
from server.lib.errors import NotFound
from server.lib.i18n import N_
from server.lib.masking import mask_name
from server.notify.outbox import LOCAL_TZ
from server.people.models import Resident
from server.people.schemas import TimelineEntry, TimelineView
from server.visits.models import Visit
from server.wishes.models import Wish, WishEvent

__all__ = ["TimelineService"]


def _sort_key(entry: TimelineEntry) -> tuple[date, datetime]:
    # Undated moments (a visit not yet made) sort as the end of their day.
    at = entry.at or datetime.combine(entry.on, time.max, LOCAL_TZ)
    return entry.on, at.astimezone(UTC)


class TimelineService:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale
        self.audit = AuditService(session)

    async def timeline(
        self, user: CurrentUser, resident_id: int, limit: int, client_ip: str | None
    ) -> TimelineView:
        found = (
            await self.session.execute(
                select(Resident, Grid.code)
                .join(Grid, Grid.id == Resident.grid_id)
                .where(Resident.id == resident_id)
            )
        ).first()
        if found is None or not user.scope.covers(found[0]):
            raise NotFound(N_("No such resident"))
        resident, grid_code = found

        visitor = aliased(User)
        recorder = aliased(User)
        visits = (
            await self.session.execute(
                select(Visit, visitor.name, recorder.name)
                .outerjoin(visitor, visitor.id == Visit.person_user_id)
                .outerjoin(recorder, recorder.id == Visit.recorded_by)
                .where(Visit.resident_id == resident.id)
                .order_by(Visit.due_by.desc(), Visit.id.desc())
                .limit(limit + 1)
            )
        ).all()
        events = (
            await self.session.execute(
                select(WishEvent, Wish.title, User.name)
                .join(Wish, Wish.id == WishEvent.wish_id)
                .outerjoin(User, User.id == WishEvent.actor_user_id)
                .where(Wish.beneficiary_id == resident.id)
                .order_by(WishEvent.at.desc(), WishEvent.id.desc())
                .limit(limit + 1)
            )
        ).all()

        items: list[TimelineEntry] = []
        for v, planned_for, recorded_by in visits:
            at = v.visited_at
            items.append(
                TimelineEntry(
                    kind="visit",
                    on=at.astimezone(LOCAL_TZ).date() if at else (v.visit_date or v.due_by),
                    at=at,
                    who=recorded_by or planned_for,
                    visit_id=v.id,
                    visit_state=v.state.value,
                    due_by=v.due_by,
                    condition=v.condition.value if v.condition else None,
                    needs=list(v.needs),
                    notes=v.notes or None,
                    urgent=v.urgent,
                )
            )
        for e, title, actor in events:
            items.append(
                TimelineEntry(
                    kind="wish",
                    on=e.at.astimezone(LOCAL_TZ).date(),
                    at=e.at,
                    who=mask_name(actor) if actor else None,
                    wish_id=e.wish_id,
                    title=title,
                    action=e.action,
                    wish_state=e.to_state.value,
                )
            )
        items.sort(key=_sort_key, reverse=True)
        more = len(visits) > limit or len(events) > limit or len(items) > limit

        self.audit.record(
            user.id,
            "resident.timeline",
            "resident",
            resident.id,
            where=resident,
            client_ip=client_ip,
        )
        return TimelineView(
            resident_id=resident.id,
            name=resident.name,
            grid_code=grid_code,
            care_tags=list(resident.care_tags),
            items=items[:limit],
            more=more,
        )
