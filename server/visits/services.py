"""Staggered-hour visits: who is due, the week's plan, the visitor's day, and recording.

- **Due** (the care roster): a resident with care tags is visited every N days, N from
  the community's frequencies (the most frequent of their tags; other tags monthly);
  a party member's pair 结对帮扶 is its own due visit, made by that member. A visit is
  due by the last visit's date plus N and may happen on any day of the week up to then,
  except the office's duty days. A household never visited, or overdue, is due this
  week: by its last day, any day of it (so a first visit made on the Wednesday the plan
  chose counts as on time in the coverage, not late).
- **Plan**: the planning core (:mod:`server.visits.planner`, OR-Tools routing) assigns
  each due visit to a grid worker of its grid, community staff, or the paired member, in
  their windows, within capacity, in a short walk; the plan is written as visit rows
  (planned, or unplanned with the reason). Re-planning keeps done and hand-placed visits.
- **Day** and **record**: the visitor's visits of a day in walking order with what the
  last visit found; recording goes through the workflow core's transition writer, and an
  urgent finding reaches the community office at once by push and SMS.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, time, timedelta
from typing import Any

import msgspec
from geoalchemy2.shape import to_shape
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import (
    ADMIN_ROLES,
    CAPABILITIES,
    OFFICE_ROLES,
    Role,
    RoleAssignment,
    User,
)
from server.accounts.services import CurrentUser
from server.audit.services import AuditService
from server.db.base import utcnow
from server.grids.models import Building, Community, Grid
from server.grids.points import lon_lat
from server.grids.services import GridService
from server.lib.errors import BadRequest, Forbidden, NotFound
from server.lib.i18n import N_, localised_name, translate
from server.lib.masking import mask_name
from server.notify.outbox import LOCAL_TZ
from server.people.messaging import office_of
from server.people.models import NotifyVia, PartyMember, Resident, VolunteerProfile
from server.people.schemas import Availability
from server.visits import planner
from server.visits.models import (
    DEFAULT_CAPACITY,
    DEFAULT_FREQUENCIES,
    DEFAULT_WINDOWS,
    CarePair,
    CareSettings,
    Visit,
    VisitEvent,
    VisitState,
    VisitWindow,
)
from server.visits.rules import VISIT
from server.visits.schemas import (
    CarePairIn,
    CarePairView,
    CareSettingsUpdate,
    CareSettingsView,
    DayView,
    PersonLoad,
    PlanReport,
    UnplannedView,
    VisitHoursIn,
    VisitHoursView,
    VisitMove,
    VisitRecord,
    VisitRecordBatch,
    VisitSyncResult,
    VisitView,
    WeekDay,
    WeekPerson,
    WeekPlan,
    WeekTotals,
    WeekUnplanned,
    WeekVisit,
    WeekWindow,
    WindowWalk,
)
from server.visits.sync import record_problem, sync_records, urgent_notice
from server.workflow.rules import Actor
from server.workflow.writer import Change, Notice, history_rows, write_change

__all__ = ["VisitService", "visit_history"]

STALE = N_("Someone changed this visit first; reload it")

# The office's week: why a visit is unplanned, from the stored reason code (the planner's
# own sentences where the week can name what they name; the fixed slot is not kept).
R = planner.Reason
WEEK_REASONS: dict[str, str] = {
    R.NO_ONE_SERVES_GRID: planner._MESSAGES[R.NO_ONE_SERVES_GRID],
    R.NO_AVAILABLE_WINDOW: planner._MESSAGES[R.NO_AVAILABLE_WINDOW],
    R.OVER_CAPACITY: planner._MESSAGES[R.OVER_CAPACITY],
    R.PAIRED_MEMBER_UNAVAILABLE: planner._MESSAGES[R.PAIRED_MEMBER_UNAVAILABLE],
    R.TOO_LONG_FOR_WINDOW: planner._MESSAGES[R.TOO_LONG_FOR_WINDOW],
    R.FIXED_SLOT_UNAVAILABLE: N_(
        "The office placed it by hand with someone who is not available then; move it again"
    ),
    R.FIXED_SLOT_FULL: N_(
        "The office placed it by hand in a window that is already full; move it again"
    ),
}
NOT_YET_PLANNED = N_("Not planned yet: generate the week's plan")


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time.max if hours == "24" else time(int(hours), int(minutes))


def _free(
    slots: Sequence[dict[str, Any]],
    open_days: Sequence[date],
    windows: Sequence[Any],
) -> frozenset[tuple[date, str]]:
    """The visiting windows of the open days that overlap the weekly slots someone gave
    (none given: every window)."""
    every = frozenset((d, w.name) for d in open_days for w in windows)
    if not slots:
        return every
    return frozenset(
        (d, w.name)
        for d in open_days
        for w in windows
        for a in slots
        if a["weekday"] == d.weekday() and _hhmm(a["start"]) < w.end and _hhmm(a["end"]) > w.start
    )


def _walked(views: list[VisitView]) -> list[VisitView]:
    """Each visit with the walk from the previous household of its window (the planner's
    estimate, :func:`server.visits.planner.walking_metres`); the first has none."""
    out = []
    before: VisitView | None = None
    for v in views:
        if v.walk_m is None and before is not None and before.window == v.window:
            metres = round(planner.walking_metres((before.lon, before.lat), (v.lon, v.lat)))
            v = msgspec.structs.replace(v, walk_m=metres)
        out.append(v)
        before = v
    return out


def _walks(views: list[VisitView]) -> list[WindowWalk]:
    """Per window (noon, then evening): its visits and the walk from first to last."""
    return [
        WindowWalk(
            window=window,
            visits=len(here),
            walk_m=sum(v.walk_m or 0 for v in here[1:]),
        )
        for window in (VisitWindow.noon, VisitWindow.evening)
        if (here := [v for v in views if v.window == window])
    ]


def visit_history(visit_id: int) -> Any:
    """The history row of one change of this visit (for the transition writer)."""
    return history_rows(VisitEvent, visit_id=visit_id)


class _Roster:
    """A community's rules: frequencies, windows, capacity and duty days."""

    def __init__(self, row: CareSettings | None) -> None:
        self.frequencies = {**DEFAULT_FREQUENCIES, **(row.frequencies if row else {})}
        windows = {**DEFAULT_WINDOWS, **(row.windows if row else {})}
        self.windows = tuple(
            planner.Window(name=str(name), start=_hhmm(a), end=_hhmm(b))
            for name, (a, b) in windows.items()
        )
        self.capacity = row.capacity_per_window if row else DEFAULT_CAPACITY
        self.office_days = frozenset(row.office_days if row else ())

    def every(self, care_tags: Iterable[str]) -> int | None:
        """Days between visits for these tags (None: no care tag, no visits)."""
        tags = list(care_tags)
        if not tags:
            return None
        return min(self.frequencies.get(t, self.frequencies["*"]) for t in tags)


class VisitService:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale

    async def _office_community(self, user: CurrentUser, code: str) -> Community:
        return await GridService(self.session, self.locale).community(
            code, user.scope_of(OFFICE_ROLES)
        )

    # --- the plan -----------------------------------------------------------------------

    async def plan(self, user: CurrentUser, code: str, week_start: date) -> PlanReport:
        """Plan (or re-plan) a community's week; every due visit ends planned or explained."""
        if week_start.weekday() != 0:
            raise BadRequest(N_("A week starts on a Monday"))
        community = await self._office_community(user, code)
        roster = _Roster(await self.session.get(CareSettings, community.id))
        week = [week_start + timedelta(days=i) for i in range(7)]
        today = utcnow().astimezone(LOCAL_TZ).date()
        open_days = [d for d in week if d.weekday() not in roster.office_days and d >= today]

        due, rows = await self._due(community, roster, week_start, open_days)
        people, names = await self._people(community, roster, open_days, due)
        plan = await asyncio.to_thread(
            planner.plan_week, [v for v, _ in due], people, roster.windows
        )
        return await self._write(user, community, week_start, due, rows, plan, names)

    async def _due(
        self,
        community: Community,
        roster: _Roster,
        week_start: date,
        open_days: Sequence[date],
    ) -> tuple[list[tuple[planner.DueVisit, dict[str, Any]]], dict[tuple[int, str], Visit]]:
        week_end = week_start + timedelta(days=6)
        residents = (
            await self.session.execute(
                select(
                    Resident.id,
                    Resident.care_tags,
                    Resident.grid_id,
                    Resident.sub_district_id,
                    Resident.community_id,
                    Resident.visit_window,
                    Building.code,
                    Building.location,
                )
                .join(Building, Building.id == Resident.building_id)
                .where(Resident.community_id == community.id)
            )
        ).all()
        by_resident = {r.id: r for r in residents}
        last = {
            (source, resident_id): when
            for source, resident_id, when in (
                await self.session.execute(
                    select(Visit.source, Visit.resident_id, func.max(Visit.visit_date))
                    .where(Visit.community_id == community.id, Visit.state == VisitState.done)
                    .group_by(Visit.source, Visit.resident_id)
                )
            ).all()
        }
        wanted: list[tuple[int, str, int, str | None]] = []  # resident, source, every, member
        for r in residents:
            every = roster.every(r.care_tags or [])
            if every is not None:
                wanted.append((r.id, "care", every, None))
        pairs = (
            await self.session.scalars(
                select(CarePair).where(
                    CarePair.community_id == community.id, CarePair.active.is_(True)
                )
            )
        ).all()
        for pair in pairs:
            if pair.resident_id in by_resident:
                wanted.append(
                    (pair.resident_id, f"pair:{pair.id}", pair.every_days, str(pair.member_user_id))
                )
        # At most one visit per household and source in a week (a visit every N >= 7
        # days): the week's row, whatever due date an earlier planning gave it.
        existing = {
            (v.resident_id, v.source): v
            for v in (
                await self.session.scalars(
                    select(Visit)
                    .where(
                        Visit.community_id == community.id,
                        Visit.due_by >= week_start,
                        Visit.due_by <= week_end,
                    )
                    .order_by(Visit.id)
                )
            ).all()
        }
        due: list[tuple[planner.DueVisit, dict[str, Any]]] = []
        for resident_id, source, every, member in wanted:
            previous = last.get((source, resident_id))
            next_due = previous + timedelta(days=every) if previous else None
            # Never visited, or overdue: due this week, any day of it.
            due_by = next_due if next_due is not None and next_due >= week_start else week_end
            if due_by > week_end:
                continue
            r = by_resident[resident_id]
            row = existing.get((resident_id, source))
            if row is not None and row.state in (VisitState.cancelled,):
                continue
            days = [d for d in open_days if d <= due_by]
            point = to_shape(r.location)
            fixed = None
            if (
                row is not None
                and row.fixed
                and row.person_user_id
                and row.visit_date
                and row.window
            ):
                fixed = planner.Slot(
                    person=str(row.person_user_id), day=row.visit_date, window=str(row.window)
                )
            key = f"{resident_id}|{due_by.isoformat()}|{source}"
            due.append(
                (
                    planner.DueVisit(
                        id=key,
                        household=str(resident_id),
                        point=(point.x, point.y),
                        grid=str(r.grid_id),
                        building=r.code,
                        days=frozenset(days),
                        preferred_window=r.visit_window,
                        paired_with=member,
                        fixed=fixed,
                        done=row is not None and row.state is VisitState.done,
                    ),
                    {
                        "resident_id": resident_id,
                        "due_by": due_by,
                        "source": source,
                        "pair_id": int(source.split(":")[1]) if member else None,
                        "sub_district_id": r.sub_district_id,
                        "community_id": r.community_id,
                        "grid_id": r.grid_id,
                    },
                )
            )
        return due, existing

    async def _people(
        self,
        community: Community,
        roster: _Roster,
        open_days: Sequence[date],
        due: Sequence[tuple[planner.DueVisit, dict[str, Any]]],
    ) -> tuple[list[planner.Person], dict[int, str]]:
        """Who may visit: grid workers of the community's grids, its community staff (every
        grid), and the party members of its pairs, free in every window of the open days
        (a member in the hours they gave, when they gave any)."""
        grids = (
            await self.session.scalars(select(Grid.id).where(Grid.community_id == community.id))
        ).all()
        rows = (
            await self.session.execute(
                select(RoleAssignment.user_id, RoleAssignment.role, RoleAssignment.grid_id)
                .join(User, User.id == RoleAssignment.user_id)
                .where(
                    User.is_active.is_(True),
                    RoleAssignment.community_id == community.id,
                    RoleAssignment.role.in_([Role.grid_worker, Role.community_staff]),
                )
            )
        ).all()
        serves: dict[int, set[str]] = defaultdict(set)
        kind: dict[int, planner.PersonKind] = {}
        for uid, role, grid_id in rows:
            if Role(role) is Role.grid_worker and grid_id is not None:
                serves[uid].add(str(grid_id))
                kind[uid] = planner.PersonKind.GRID_WORKER
            elif Role(role) is Role.community_staff:
                serves[uid] |= {str(g) for g in grids}
                kind.setdefault(uid, planner.PersonKind.COMMUNITY_STAFF)
        members = {int(v.paired_with) for v, _ in due if v.paired_with}
        # The weekly hours each gave (grid workers and staff on their own day screen, party
        # members and volunteers on their profile); none given: every window.
        hours = {
            p.user_id: p.availability
            for p in (
                await self.session.scalars(
                    select(VolunteerProfile).where(
                        VolunteerProfile.user_id.in_(members | set(serves))
                    )
                )
            ).all()
        }
        people = [
            planner.Person(
                id=str(uid),
                kind=kind[uid],
                grids=frozenset(serves[uid]),
                availability=_free(hours.get(uid) or [], open_days, roster.windows),
                capacity=roster.capacity,
            )
            for uid in sorted(serves)
            if uid not in members
        ]
        for uid in sorted(members):
            free = _free(hours.get(uid) or [], open_days, roster.windows)
            people.append(
                planner.Person(
                    id=str(uid),
                    kind=planner.PersonKind.PARTY_MEMBER,
                    availability=free,
                    capacity=roster.capacity,
                )
            )
        ids = [int(p.id) for p in people]
        names = dict(
            (await self.session.execute(select(User.id, User.name).where(User.id.in_(ids)))).all()
        )
        return people, names

    async def _write(
        self,
        user: CurrentUser,
        community: Community,
        week_start: date,
        due: Sequence[tuple[planner.DueVisit, dict[str, Any]]],
        existing: dict[tuple[int, str], Visit],
        plan: planner.Plan,
        names: dict[int, str],
    ) -> PlanReport:
        """The plan as visit rows: planned ones placed, the rest unplanned with the reason;
        done and cancelled visits are left as they are."""
        placed = {p.visit: p for p in plan.planned}
        not_placed = {u.visit: u for u in plan.unplanned}
        rows: dict[str, Visit] = {}
        left: dict[VisitState, int] = defaultdict(int)  # done, missed, cancelled: as they are
        for visit, where in due:
            row = existing.get((where["resident_id"], where["source"]))
            if row is not None and row.state not in (VisitState.planned, VisitState.unplanned):
                left[row.state] += 1
                continue
            if row is None:
                row = Visit(state=VisitState.unplanned, **where)
                self.session.add(row)
            row.due_by = where["due_by"]
            before = (row.state, row.person_user_id, row.visit_date, row.window, row.position)
            p = placed.get(visit.id)
            if p is not None:
                row.state = VisitState.planned
                row.person_user_id = int(p.slot.person)
                row.visit_date = p.slot.day
                row.window = VisitWindow(p.slot.window)
                row.position = p.order
                row.arrive_at = p.arrival.strftime("%H:%M")
                row.unplanned_reason = None
            else:
                row.state = VisitState.unplanned
                row.person_user_id = row.visit_date = row.window = row.position = None
                row.arrive_at = None
                reason = not_placed.get(visit.id)
                row.unplanned_reason = str(reason.reason) if reason else None
            if (row.state, row.person_user_id, row.visit_date, row.window, row.position) != before:
                row.version = (row.version or 0) + 1 if row.id else 1
            rows[visit.id] = row
        await self.session.flush()
        for row in rows.values():
            self.session.add(
                VisitEvent(
                    visit_id=row.id,
                    actor_user_id=user.id,
                    action="plan",
                    to_state=row.state,
                    detail={"week": week_start.isoformat()},
                )
            )
        residents = dict(
            (
                await self.session.execute(
                    select(Resident.id, Resident.name).where(
                        Resident.id.in_({r.resident_id for r in rows.values()})
                    )
                )
            ).all()
        )
        grid_names = {
            g.id: localised_name(g.name, g.name_i18n, self.locale)
            for g in (
                await self.session.execute(
                    select(Grid.id, Grid.name, Grid.name_i18n).where(
                        Grid.community_id == community.id
                    )
                )
            ).all()
        }

        def said(u: planner.Unplanned) -> str:
            """The planner's reason in the reader's language, with names, not ids."""
            params = dict(u.params)
            if "grid" in params:
                params["grid"] = grid_names.get(int(params["grid"]), params["grid"])
            if "person" in params:
                params["person"] = names.get(int(params["person"]), params["person"])
            return translate(u.source, self.locale, **params)

        unplanned = [
            UnplannedView(
                visit_id=row.id,
                resident=mask_name(residents.get(row.resident_id, "")),
                grid=grid_names.get(row.grid_id, ""),
                reason=row.unplanned_reason or "",
                message=said(not_placed[key]) if key in not_placed else "",
            )
            for key, row in rows.items()
            if row.state is VisitState.unplanned
        ]
        return PlanReport(
            community=localised_name(community.name, community.name_i18n, self.locale),
            week_start=week_start,
            due=len(due),
            planned=sum(1 for row in rows.values() if row.state is VisitState.planned),
            done=left[VisitState.done],
            missed=left[VisitState.missed],
            cancelled=left[VisitState.cancelled],
            unplanned=unplanned,
            walking_m=sum(r.walking_m for r in plan.routes),
            baseline_m=sum(r.baseline_m for r in plan.routes),
            load=[
                PersonLoad(user_id=int(pid), name=names.get(int(pid), ""), visits=n)
                for pid, n in sorted(plan.visits_per_person.items())
            ],
        )

    # --- a visitor's own hours ------------------------------------------------------------

    async def my_hours(self, user: CurrentUser) -> VisitHoursView:
        """When I can go out on visits (grid workers and community staff: the people the
        weekly plan sends out)."""
        community_id = self._planned_community(user)
        profile = await self.session.get(VolunteerProfile, user.id)
        return await self._hours_view(profile.availability if profile else [], community_id)

    async def set_my_hours(self, user: CurrentUser, data: VisitHoursIn) -> VisitHoursView:
        """Change when I can go out on visits; the next planning of a week follows it (visits
        already planned stay until the office plans again)."""
        community_id = self._planned_community(user)
        if any(_hhmm(a.end) <= _hhmm(a.start) for a in data.availability):
            raise BadRequest(N_("Each available time must end after it starts"))
        profile = await self.session.get(VolunteerProfile, user.id)
        if profile is None:
            profile = VolunteerProfile(user_id=user.id, community_id=community_id)
            self.session.add(profile)
        profile.availability = [msgspec.to_builtins(a) for a in data.availability]
        await self.session.flush()
        return await self._hours_view(profile.availability, community_id)

    def _planned_community(self, user: CurrentUser) -> int:
        grants = [
            g for g in user.grants if g.role in CAPABILITIES["visit.hours"] and g.community_id
        ]
        if not grants:
            raise Forbidden(N_("Only grid workers and community staff are sent out on visits"))
        return int(grants[0].community_id)  # type: ignore[arg-type]

    async def _hours_view(self, slots: Sequence[Any], community_id: int) -> VisitHoursView:
        roster = _Roster(await self.session.get(CareSettings, community_id))
        return VisitHoursView(
            availability=[msgspec.convert(a, Availability) for a in slots],
            every_window=not slots,
            windows={
                w.name: [w.start.strftime("%H:%M"), w.end.strftime("%H:%M")] for w in roster.windows
            },
        )

    # --- the visitor's day ----------------------------------------------------------------

    async def actor(self, user: CurrentUser) -> Actor:
        return Actor(user)

    async def sync(self, user: CurrentUser, batch: VisitRecordBatch) -> VisitSyncResult:
        """Visits recorded offline, in a batch, each once (:mod:`server.visits.sync`)."""
        return await sync_records(self.session, user, await self.actor(user), batch, self.locale)

    async def day(self, user: CurrentUser, day: date) -> DayView:
        """My visits of a day, noon then evening, each in walking order."""
        visits = (
            await self.session.scalars(
                select(Visit)
                .where(
                    Visit.person_user_id == user.id,
                    Visit.visit_date == day,
                    Visit.state.in_([VisitState.planned, VisitState.done, VisitState.missed]),
                )
                .order_by(Visit.window, Visit.position, Visit.id)
            )
        ).all()
        windows = {VisitWindow.noon: 0, VisitWindow.evening: 1}
        ordered = sorted(
            visits, key=lambda v: (windows[v.window] if v.window else 2, v.position or 0)
        )
        views = _walked(await self._views(user, ordered))
        return DayView(date=day, visits=views, walks=_walks(views))

    async def _views(self, user: CurrentUser, visits: Sequence[Visit]) -> list[VisitView]:
        """Visits with their residents and what the last visit found (fixed queries)."""
        if not visits:
            return []
        actor = await self.actor(user)
        resident_ids = {v.resident_id for v in visits}
        residents = {
            r.id: r
            for r in (
                await self.session.execute(
                    select(
                        Resident.id,
                        Resident.name,
                        Resident.unit,
                        Resident.care_tags,
                        Building.name.label("building"),
                        Building.location,
                    )
                    .join(Building, Building.id == Resident.building_id)
                    .where(Resident.id.in_(resident_ids))
                )
            ).all()
        }
        latest = (
            select(Visit.resident_id, func.max(Visit.visited_at).label("at"))
            .where(Visit.resident_id.in_(resident_ids), Visit.state == VisitState.done)
            .group_by(Visit.resident_id)
            .subquery()
        )
        last = {
            v.resident_id: v
            for v in (
                await self.session.scalars(
                    select(Visit).join(
                        latest,
                        (latest.c.resident_id == Visit.resident_id)
                        & (latest.c.at == Visit.visited_at),
                    )
                )
            ).all()
        }
        views = []
        for v in visits:
            r = residents[v.resident_id]
            lon, lat = lon_lat(r.location)
            before = last.get(v.resident_id)
            if before is not None and before.id == v.id:
                before = None
            views.append(
                VisitView(
                    id=v.id,
                    state=v.state,
                    version=v.version,
                    resident_id=v.resident_id,
                    resident=r.name,
                    building=r.building,
                    unit=r.unit or None,
                    care_tags=list(r.care_tags or []),
                    due_by=v.due_by,
                    visit_date=v.visit_date,
                    window=v.window,
                    position=v.position,
                    arrive_at=v.arrive_at,
                    walk_m=v.walk_m,
                    lon=lon,
                    lat=lat,
                    last_condition=before.condition if before else None,
                    last_needs=list(before.needs) if before else [],
                    last_notes=before.notes if before else None,
                    condition=v.condition,
                    needs=list(v.needs or []),
                    notes=v.notes,
                    urgent=v.urgent,
                    visited_at=v.visited_at,
                    allowed_actions=VISIT.allowed(actor, v),
                )
            )
        return views

    # --- recording ------------------------------------------------------------------------

    async def record(self, user: CurrentUser, visit_id: int, data: VisitRecord) -> VisitView:
        """What the visitor found; an urgent finding reaches the office at once."""
        visit = await self.session.get(Visit, visit_id, populate_existing=True)
        if visit is None:
            raise NotFound(N_("No such visit"))
        VISIT.check(await self.actor(user), visit, "record")
        visited_at = data.visited_at or utcnow()
        problem = record_problem(visited_at, data.lon, data.lat, utcnow())
        if problem is not None:
            raise BadRequest(problem)
        values = {
            "condition": data.condition,
            "needs": list(data.needs),
            "notes": data.notes.strip(),
            "urgent": data.urgent,
            "visited_at": visited_at,
            "recorded_by": user.id,
            "photo": data.photo,
            "lon": data.lon,
            "lat": data.lat,
        }
        if visit.person_user_id is None:
            values["person_user_id"] = user.id
        # Recorded from a phone that was offline: the visit happened on its own date.
        values["visit_date"] = visited_at.astimezone(LOCAL_TZ).date()

        async def notices(v: Visit) -> list[Notice]:
            if not v.urgent:
                return []
            office = await office_of(self.session, v.community_id, NotifyVia.both)
            return [urgent_notice(v, await self._resident_name(v), v.notes, office)]

        await write_change(
            self.session,
            visit,
            Change("record", VISIT.target(visit.state, "record"), values),
            actor_id=user.id,
            history=visit_history(visit.id),
            expected_version=data.expected_version,
            notices=notices,
            stale=STALE,
        )
        return (await self._views(user, [visit]))[0]

    async def _resident_name(self, visit: Visit) -> str:
        return str(
            await self.session.scalar(select(Resident.name).where(Resident.id == visit.resident_id))
        )

    # --- the office's hand ------------------------------------------------------------------

    async def _visit(self, visit_id: int) -> Visit:
        visit = await self.session.get(Visit, visit_id, populate_existing=True)
        if visit is None:
            raise NotFound(N_("No such visit"))
        return visit

    async def move(self, user: CurrentUser, visit_id: int, data: VisitMove) -> VisitView:
        """Place a visit by hand (to someone who serves its grid); a re-plan keeps it."""
        visit = await self._visit(visit_id)
        VISIT.check(await self.actor(user), visit, "move")
        allowed = await self.session.scalar(
            select(RoleAssignment.user_id).where(
                RoleAssignment.user_id == data.person_user_id,
                RoleAssignment.community_id == visit.community_id,
                (RoleAssignment.role == Role.community_staff)
                | (
                    (RoleAssignment.role == Role.grid_worker)
                    & (RoleAssignment.grid_id == visit.grid_id)
                ),
            )
        )
        paired = visit.pair_id is not None and await self.session.scalar(
            select(CarePair.id).where(
                CarePair.id == visit.pair_id, CarePair.member_user_id == data.person_user_id
            )
        )
        if allowed is None and not paired:
            raise BadRequest(N_("Choose a grid worker of its grid or the community's staff"))
        await write_change(
            self.session,
            visit,
            Change(
                "move",
                VISIT.target(visit.state, "move"),
                {
                    "person_user_id": data.person_user_id,
                    "visit_date": data.visit_date,
                    "window": data.window,
                    "fixed": True,
                    "unplanned_reason": None,
                },
            ),
            actor_id=user.id,
            history=visit_history(visit.id),
            expected_version=data.expected_version,
            stale=STALE,
        )
        return (await self._views(user, [visit]))[0]

    async def cancel(self, user: CurrentUser, visit_id: int) -> VisitView:
        visit = await self._visit(visit_id)
        VISIT.check(await self.actor(user), visit, "cancel")
        await write_change(
            self.session,
            visit,
            Change("cancel", VISIT.target(visit.state, "cancel")),
            actor_id=user.id,
            history=visit_history(visit.id),
            stale=STALE,
        )
        return (await self._views(user, [visit]))[0]

    # --- the roster's rules ---------------------------------------------------------------

    def _settings_view(self, community: Community, roster: _Roster) -> CareSettingsView:
        return CareSettingsView(
            community=community.code,
            frequencies=dict(roster.frequencies),
            windows={
                w.name: [w.start.strftime("%H:%M"), w.end.strftime("%H:%M")] for w in roster.windows
            },
            capacity_per_window=roster.capacity,
            office_days=sorted(roster.office_days),
        )

    async def care_settings(self, user: CurrentUser, code: str) -> CareSettingsView:
        community = await self._office_community(user, code)
        row = await self.session.get(CareSettings, community.id)
        return self._settings_view(community, _Roster(row))

    async def set_care_settings(
        self, user: CurrentUser, code: str, data: CareSettingsUpdate, client_ip: str | None
    ) -> CareSettingsView:
        community = await self._office_community(user, code)
        if not user.scope_of(ADMIN_ROLES).covers(community):
            raise Forbidden(N_("Your role does not allow this"))
        if "*" not in data.frequencies:
            raise BadRequest(N_("Say how often residents with any other care tag are visited (*)"))
        for start, end in data.windows.values():
            if start >= end:
                raise BadRequest(N_("A window ends after it starts"))
        row = await self.session.get(CareSettings, community.id)
        if row is None:
            row = CareSettings(community_id=community.id)
            self.session.add(row)
        row.frequencies = dict(data.frequencies)
        row.windows = {str(k): list(v) for k, v in data.windows.items()}
        row.capacity_per_window = data.capacity_per_window
        row.office_days = sorted(set(data.office_days))
        row.updated_by = user.id
        AuditService(self.session).record(
            user.id,
            "care_settings.update",
            "community",
            community.code,
            where=community,
            client_ip=client_ip,
        )
        await self.session.flush()
        return self._settings_view(community, _Roster(row))

    # --- pairs 结对帮扶 ------------------------------------------------------------------------

    async def pair(
        self, user: CurrentUser, data: CarePairIn, client_ip: str | None
    ) -> CarePairView:
        """The office pairs a registered party member with a resident of its area."""
        resident = await self.session.get(Resident, data.resident_id)
        if resident is None or not user.scope_of(OFFICE_ROLES).covers(resident):
            raise NotFound(N_("No such resident"))
        member = await self.session.get(PartyMember, data.member_user_id)
        if member is None:
            raise BadRequest(N_("Pair a party member registered with the office"))
        pair = await self.session.scalar(
            select(CarePair).where(
                CarePair.member_user_id == data.member_user_id,
                CarePair.resident_id == data.resident_id,
            )
        )
        if pair is None:
            pair = CarePair(
                member_user_id=data.member_user_id,
                resident_id=data.resident_id,
                created_by=user.id,
                **CarePair.placed_in(resident),
            )
            self.session.add(pair)
        pair.every_days, pair.active = data.every_days, True
        AuditService(self.session).record(
            user.id, "care_pair.set", "resident", resident.id, where=resident, client_ip=client_ip
        )
        await self.session.flush()
        return (await self._pair_views([pair]))[0]

    async def end_pair(
        self, user: CurrentUser, pair_id: int, client_ip: str | None
    ) -> CarePairView:
        pair = await self.session.get(CarePair, pair_id)
        if pair is None or not user.scope_of(OFFICE_ROLES).covers(pair):
            raise NotFound(N_("No such pair"))
        pair.active = False
        AuditService(self.session).record(
            user.id, "care_pair.end", "resident", pair.resident_id, where=pair, client_ip=client_ip
        )
        await self.session.flush()
        return (await self._pair_views([pair]))[0]

    async def pairs(self, user: CurrentUser, code: str) -> list[CarePairView]:
        community = await self._office_community(user, code)
        rows = (
            await self.session.scalars(
                select(CarePair)
                .where(CarePair.community_id == community.id, CarePair.active.is_(True))
                .order_by(CarePair.id)
            )
        ).all()
        return await self._pair_views(rows)

    async def _pair_views(self, pairs: Sequence[CarePair]) -> list[CarePairView]:
        if not pairs:
            return []
        members = dict(
            (
                await self.session.execute(
                    select(User.id, User.name).where(User.id.in_({p.member_user_id for p in pairs}))
                )
            ).all()
        )
        residents = dict(
            (
                await self.session.execute(
                    select(Resident.id, Resident.name).where(
                        Resident.id.in_({p.resident_id for p in pairs})
                    )
                )
            ).all()
        )
        return [
            CarePairView(
                id=p.id,
                member_user_id=p.member_user_id,
                member=members.get(p.member_user_id, ""),
                resident_id=p.resident_id,
                resident=residents.get(p.resident_id, ""),
                every_days=p.every_days,
                active=p.active,
            )
            for p in pairs
        ]

    # --- the office's week ------------------------------------------------------------------

    async def week(self, user: CurrentUser, code: str, week_start: date | None) -> WeekPlan:
        """A community's week as the office reads it: per person, day and window in walking
        order with the load against the capacity, the visits left unplanned with the reason
        in the reader's language, and the totals. Five statements whatever the week's size."""
        if week_start is None:
            today = utcnow().astimezone(LOCAL_TZ).date()
            week_start = today - timedelta(days=today.weekday())
        elif week_start.weekday() != 0:
            raise BadRequest(N_("A week starts on a Monday"))
        community = await self._office_community(user, code)
        roster = _Roster(await self.session.get(CareSettings, community.id))
        week = [week_start + timedelta(days=i) for i in range(7)]
        rows = (
            await self.session.execute(
                select(
                    Visit,
                    Resident.name.label("resident"),
                    Building.name.label("building"),
                    CarePair.member_user_id.label("member"),
                )
                .join(Resident, Resident.id == Visit.resident_id)
                .outerjoin(Building, Building.id == Resident.building_id)
                .outerjoin(CarePair, CarePair.id == Visit.pair_id)
                .where(
                    Visit.community_id == community.id,
                    Visit.state != VisitState.cancelled,
                    or_(
                        Visit.due_by.between(week[0], week[-1]),
                        Visit.visit_date.between(week[0], week[-1]),
                    ),
                )
                .order_by(Visit.position, Visit.id)
            )
        ).all()
        grids = {
            g.id: localised_name(g.name, g.name_i18n, self.locale)
            for g in (
                await self.session.execute(
                    select(Grid.id, Grid.name, Grid.name_i18n)
                    .where(Grid.community_id == community.id)
                    .order_by(Grid.code)
                )
            ).all()
        }
        # Who may visit: the community's grid workers and staff; the visitors the week names
        # besides them (paired party members) are read with them, in the same statement.
        named = {r.Visit.person_user_id for r in rows if r.Visit.person_user_id is not None}
        named |= {r.member for r in rows if r.member is not None}
        people = (
            await self.session.execute(
                select(User.id, User.name, RoleAssignment.role, RoleAssignment.grid_id)
                .outerjoin(
                    RoleAssignment,
                    (RoleAssignment.user_id == User.id)
                    & (RoleAssignment.community_id == community.id)
                    & RoleAssignment.role.in_([Role.grid_worker, Role.community_staff]),
                )
                .where(
                    or_(
                        User.id.in_(named),
                        (RoleAssignment.id.is_not(None)) & User.is_active.is_(True),
                    )
                )
                .order_by(User.id)
            )
        ).all()
        kind: dict[int, str] = {}
        serves: dict[int, set[int]] = defaultdict(set)
        names: dict[int, str] = {}
        for uid, name, role, grid_id in people:
            names[uid] = name
            if role is not None and Role(role) is Role.community_staff:
                kind[uid] = Role.community_staff.value
                serves[uid] |= set(grids)
            elif role is not None and Role(role) is Role.grid_worker and grid_id is not None:
                kind.setdefault(uid, Role.grid_worker.value)
                serves[uid].add(grid_id)
            else:
                kind.setdefault(uid, "party_member")

        actor = await self.actor(user)
        busy = (VisitState.planned, VisitState.done, VisitState.missed)
        slots: dict[tuple[int, date, VisitWindow], list[WeekVisit]] = defaultdict(list)
        counted: dict[tuple[int, date, VisitWindow], int] = defaultdict(int)
        unplanned: list[WeekUnplanned] = []
        totals: dict[VisitState, int] = defaultdict(int)
        for r in rows:
            v: Visit = r.Visit
            totals[v.state] += 1
            actions = VISIT.allowed(actor, v)
            if v.person_user_id is not None and v.visit_date in week and v.window is not None:
                key = (v.person_user_id, v.visit_date, v.window)
                slots[key].append(
                    WeekVisit(
                        id=v.id,
                        version=v.version,
                        state=v.state,
                        resident=mask_name(r.resident),
                        building=r.building,
                        grid_id=v.grid_id,
                        pair_member_id=r.member,
                        due_by=v.due_by,
                        position=v.position,
                        arrive_at=v.arrive_at,
                        walk_m=v.walk_m,
                        fixed=v.fixed,
                        allowed_actions=actions,
                    )
                )
                counted[key] += v.state in busy
            elif v.state is VisitState.unplanned:
                unplanned.append(
                    WeekUnplanned(
                        id=v.id,
                        version=v.version,
                        resident=mask_name(r.resident),
                        building=r.building,
                        grid_id=v.grid_id,
                        grid=grids.get(v.grid_id, ""),
                        pair_member_id=r.member,
                        due_by=v.due_by,
                        reason=v.unplanned_reason or "",
                        message=self._unplanned_message(
                            v.unplanned_reason,
                            grid=grids.get(v.grid_id, ""),
                            person=names.get(r.member, "") if r.member else "",
                        ),
                        allowed_actions=actions,
                    )
                )
        order = {Role.grid_worker.value: 0, Role.community_staff.value: 1, "party_member": 2}
        visitors = sorted(
            set(kind) | {p for p, _, _ in slots},
            key=lambda uid: (order.get(kind.get(uid, ""), 3), names.get(uid, ""), uid),
        )
        capacity = roster.capacity
        return WeekPlan(
            community=localised_name(community.name, community.name_i18n, self.locale),
            code=community.code,
            week_start=week_start,
            capacity_per_window=capacity,
            windows={
                w.name: [w.start.strftime("%H:%M"), w.end.strftime("%H:%M")] for w in roster.windows
            },
            office_days=sorted(roster.office_days),
            people=[
                WeekPerson(
                    user_id=uid,
                    name=names.get(uid, ""),
                    kind=kind.get(uid, "party_member"),
                    grid_ids=sorted(serves.get(uid, ())),
                    visits=sum(len(slots.get((uid, d, w), ())) for d in week for w in VisitWindow),
                    days=[
                        WeekDay(
                            date=d,
                            windows=[
                                WeekWindow(
                                    window=w,
                                    visits=slots.get((uid, d, w), []),
                                    load=counted.get((uid, d, w), 0),
                                    over_capacity=counted.get((uid, d, w), 0) > capacity,
                                )
                                for w in VisitWindow
                            ],
                        )
                        for d in week
                    ],
                )
                for uid in visitors
            ],
            unplanned=sorted(unplanned, key=lambda u: (u.due_by, u.grid, u.id)),
            totals=WeekTotals(
                due=len(rows),
                planned=totals[VisitState.planned],
                done=totals[VisitState.done],
                missed=totals[VisitState.missed],
                unplanned=totals[VisitState.unplanned],
            ),
        )

    def _unplanned_message(self, reason: str | None, *, grid: str, person: str) -> str:
        """Why a visit is unplanned, from the reason code the plan stored (the slot a fixed
        visit was given is not kept once it could not be placed there)."""
        if not reason:
            return translate(NOT_YET_PLANNED, self.locale)
        source = WEEK_REASONS.get(reason)
        if source is None:
            return reason
        return translate(source, self.locale, grid=grid, person=person or "?")
