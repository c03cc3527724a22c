"""Every list answers in a fixed number of SQL statements, whatever its length.

Each list is read at two sizes (rows made here, spread over many buildings, grids and
people so that the session's identity map cannot hide a query per row), counting the
statements SQLAlchemy sends (``before_cursor_execute`` on the app's engine; the
driver's BEGIN/COMMIT and the pool's ping are not among them). A count that grows with
the size is a query per row. Both engines, on databases of their own: the rows made
here would change what other tests count.

The wish lists of people (the moderation queue, my wishes) are fixed-count because the
workflow core loads what the rule table needs for a whole page at once. There is no
list of the notification outbox in the API (``/me/notifications`` is one person's
preferences).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from geoalchemy2 import WKTElement
from litestar import Litestar
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, RoleAssignment, User
from server.audit.models import AuditEntry
from server.businesses.models import CaringBusiness
from server.cases.models import Case as ServiceCase
from server.cases.models import CaseState, Channel, ServiceItem
from server.cases.services import CONTACT_CONTEXT
from server.db.base import utcnow
from server.grids.models import Building, Community, Grid, GridKind, Storefront
from server.lib.crypto import seal
from server.notify.outbox import LOCAL_TZ
from server.people.models import (
    PartyMember,
    PartyMemberKind,
    Resident,
    ServiceGroup,
    ServiceGroupMember,
    VolunteerHours,
    VolunteerOrg,
    VolunteerOrgMember,
    VolunteerProfile,
)
from server.visits.models import (
    Condition,
    ReportOutcome,
    Visit,
    VisitReport,
    VisitState,
    VisitWindow,
)
from server.window.models import ServiceWindow, Ticket, TicketState
from server.wishes.models import ClaimantKind, Wish, WishCategory, WishEvent
from server.wishes.states import State
from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_CLERK,
    DENGYUE_GRID_WORKER,
    DENGYUE_RESIDENT,
    DENGYUE_VOLUNTEER,
    SUBDISTRICT_ADMIN,
    Backend,
    Tokens,
    open_client,
    own_backend,
)

DENGYUE = "410902001001"
# The resident whose timeline is read (made by ``Maker.timeline``).
TIMELINE: dict[str, int] = {}


def _this_monday() -> date:
    today = utcnow().astimezone(LOCAL_TZ).date()
    return today - timedelta(days=today.weekday())


@pytest.fixture(scope="module", params=["spatialite", "postgis"])
async def counted(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    async with own_backend(request, tmp_path_factory, "statements") as b:
        yield b


@pytest.fixture(scope="module")
async def counted_app(counted: Backend) -> Litestar:
    from server.app import create_app

    return create_app(counted.settings)


# --- making rows ---------------------------------------------------------------------


@dataclass
class Place:
    sub_district_id: int
    community_id: int
    grid_id: int
    building_id: int
    location: Any


class Maker:
    """Tops each kind of row up to a number; rows spread round-robin over ``places``."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session
        self.community: Community
        self.places: list[Place] = []
        self.made: dict[str, int] = {}

    async def start(self) -> None:
        community = await self.s.scalar(select(Community).where(Community.code == DENGYUE))
        assert community is not None
        self.community = community
        rows = (
            await self.s.execute(
                select(Building.id, Building.grid_id, Building.sub_district_id, Building.location)
                .where(Building.community_id == community.id)
                .order_by(Building.id)
            )
        ).all()
        self.places = [Place(r[2], community.id, r[1], r[0], r[3]) for r in rows]
        assert self.places

    def place(self, i: int) -> Place:
        return self.places[i % len(self.places)]

    def todo(self, kind: str, n: int) -> range:
        done = self.made.get(kind, 0)
        self.made[kind] = max(done, n)
        return range(done, n)

    async def grids(self, n: int) -> None:
        """Extra grids of 登月社区 (tiny squares), each with a building, so lists of grids
        and of per-grid things (service groups) can be long."""
        c = self.community
        for i in self.todo("grid", n):
            x, y = 120.0 + (i % 50) * 0.001, 30.0 + (i // 50) * 0.001
            square = f"MULTIPOLYGON((({x} {y},{x + 0.0009} {y},{x + 0.0009} {y + 0.0009},{x} {y + 0.0009},{x} {y})))"
            grid = Grid(
                code=f"{DENGYUE}S{i:04d}",
                name=f"计数网格{i}",
                kind=GridKind.building_block,
                sub_district_id=c.sub_district_id,
                community_id=c.id,
                boundary=WKTElement(square, srid=4326),
            )
            self.s.add(grid)
            await self.s.flush()
            point = WKTElement(f"POINT({x + 0.0004} {y + 0.0004})", srid=4326)
            building = Building(
                code=f"{DENGYUE}S{i:04d}B",
                name=f"计数楼{i}",
                sub_district_id=c.sub_district_id,
                community_id=c.id,
                grid_id=grid.id,
                location=point,
            )
            self.s.add(building)
            await self.s.flush()
            self.places.append(Place(c.sub_district_id, c.id, grid.id, building.id, point))

    async def residents(self, n: int) -> list[int]:
        for i in self.todo("resident", n):
            p = self.place(i)
            self.s.add(
                Resident(
                    name=f"居民{i}",
                    phone=f"136{i:08d}",
                    building_id=p.building_id,
                    unit=f"{i % 6 + 1}单元",
                    sub_district_id=p.sub_district_id,
                    community_id=p.community_id,
                    grid_id=p.grid_id,
                )
            )
        await self.s.flush()
        return list(
            (
                await self.s.scalars(
                    select(Resident.id).where(Resident.phone.like("136%")).order_by(Resident.id)
                )
            ).all()
        )

    async def visits(self, n: int) -> None:
        """This week's visits of the residents made here, spread over the volunteers made
        here as visitors (any user may be named), days and windows; every fourth unplanned."""
        residents = await self.residents(n)
        people = await self.volunteers(max(n // 5, 2))
        monday = _this_monday()
        for i in self.todo("visit", n):
            p = self.place(i)
            planned = i % 4 != 3
            self.s.add(
                Visit(
                    resident_id=residents[i],
                    source="care",
                    due_by=monday + timedelta(days=6),
                    state=VisitState.planned if planned else VisitState.unplanned,
                    person_user_id=people[i % len(people)] if planned else None,
                    visit_date=monday + timedelta(days=i % 7) if planned else None,
                    window=(VisitWindow.noon if i % 2 else VisitWindow.evening)
                    if planned
                    else None,
                    position=i if planned else None,
                    unplanned_reason=None if planned else "over_capacity",
                    sub_district_id=p.sub_district_id,
                    community_id=p.community_id,
                    grid_id=p.grid_id,
                )
            )
        await self.s.flush()

    async def volunteers(self, n: int) -> list[int]:
        """Volunteers of 登月社区 living round the grids; each a party member with hours."""
        c = self.community
        for i in self.todo("volunteer", n):
            p = self.place(i)
            user = User(
                phone=f"137{i:08d}",
                name=f"志愿者{i}",
                password_hash="!",
                home_building_id=p.building_id,
            )
            self.s.add(user)
            await self.s.flush()
            self.s.add_all(
                [
                    RoleAssignment(
                        user_id=user.id,
                        role=Role.volunteer,
                        scope_code=DENGYUE,
                        sub_district_id=c.sub_district_id,
                        community_id=c.id,
                    ),
                    VolunteerProfile(
                        user_id=user.id,
                        trades=["haircut"],
                        availability=[{"weekday": i % 7, "start": "18:00", "end": "20:00"}],
                        community_id=c.id,
                    ),
                    PartyMember(
                        user_id=user.id,
                        kind=PartyMemberKind.in_service,
                        reported_community_id=c.id,
                        reported_at=utcnow(),
                    ),
                    VolunteerHours(
                        user_id=user.id,
                        hours=Decimal("1.5"),
                        source_type="wish",
                        source_id=i + 1,
                        sub_district_id=c.sub_district_id,
                        community_id=c.id,
                        grid_id=p.grid_id,
                    ),
                ]
            )
        await self.s.flush()
        return list(
            (
                await self.s.scalars(
                    select(User.id).where(User.phone.like("137%")).order_by(User.id)
                )
            ).all()
        )

    async def service_groups(self, n: int) -> None:
        """One group per grid (the rule): on the grids made here, each led by a volunteer,
        with two members."""
        people = await self.volunteers(max(n, 2))
        await self.grids(n)
        grids = (
            await self.s.scalars(
                select(Grid.id).where(Grid.code.like(f"{DENGYUE}S%")).order_by(Grid.id)
            )
        ).all()
        for k in self.todo("group", n):
            leader = people[k % len(people)]
            group = ServiceGroup(
                grid_id=grids[k],
                name=f"服务组{k}",
                leader_user_id=leader,
                sub_district_id=self.community.sub_district_id,
                community_id=self.community.id,
            )
            self.s.add(group)
            await self.s.flush()
            self.s.add_all(
                [
                    ServiceGroupMember(group_id=group.id, user_id=leader, trade="haircut"),
                    ServiceGroupMember(group_id=group.id, user_id=people[(k + 1) % len(people)]),
                ]
            )
        await self.s.flush()

    async def orgs(self, n: int) -> None:
        people = await self.volunteers(max(n, 2))
        for i in self.todo("org", n):
            org = VolunteerOrg(
                name=f"志愿队{i}",
                leader_user_id=people[i % len(people)],
                sub_district_id=self.community.sub_district_id,
                community_id=self.community.id,
            )
            self.s.add(org)
            await self.s.flush()
            self.s.add_all(
                [
                    VolunteerOrgMember(org_id=org.id, user_id=people[i % len(people)]),
                    VolunteerOrgMember(org_id=org.id, user_id=people[(i + 1) % len(people)]),
                ]
            )
        await self.s.flush()

    async def businesses(self, n: int) -> None:
        people = await self.volunteers(max(n, 1))
        for i in self.todo("business", n):
            p = self.place(i)
            store = Storefront(
                code=f"{DENGYUE}F{i:04d}",
                name=f"爱心店{i}",
                trade="barber",
                sub_district_id=p.sub_district_id,
                community_id=p.community_id,
                grid_id=p.grid_id,
                location=p.location,
            )
            self.s.add(store)
            await self.s.flush()
            self.s.add(
                CaringBusiness(
                    storefront_id=store.id,
                    contact_user_id=people[i % len(people)],
                    offer="每月免费理发 2 次",
                    sub_district_id=p.sub_district_id,
                    community_id=p.community_id,
                    grid_id=p.grid_id,
                )
            )
        await self.s.flush()

    async def my_hours(self, n: int) -> None:
        """Hours credited to the demo volunteer 赵丽."""
        me = await self.s.scalar(select(User.id).where(User.phone == DENGYUE_VOLUNTEER))
        assert me is not None
        for i in self.todo("my-hours", n):
            p = self.place(i)
            self.s.add(
                VolunteerHours(
                    user_id=me,
                    hours=Decimal("0.5"),
                    source_type="wish",
                    source_id=10_000 + i,
                    sub_district_id=p.sub_district_id,
                    community_id=p.community_id,
                    grid_id=p.grid_id,
                )
            )
        await self.s.flush()

    async def audit(self, n: int) -> None:
        for i in self.todo("audit", n):
            p = self.place(i)
            self.s.add(
                AuditEntry(
                    action="statement_count",
                    object_type="resident",
                    object_id=str(i),
                    sub_district_id=p.sub_district_id,
                    community_id=p.community_id,
                    grid_id=p.grid_id,
                    detail={"i": i},
                )
            )
        await self.s.flush()

    async def wishes(self, kind: str, n: int) -> None:
        """Wishes of many residents (queue, board, thanks wall) or of the demo resident (mine)."""
        mine = kind == "mine"
        if mine:
            me = await self.s.scalar(select(Resident).where(Resident.phone == DENGYUE_RESIDENT))
            assert me is not None
            beneficiaries = [me.id]
        else:
            beneficiaries = await self.residents(max(n, 20))
        helpers = await self.volunteers(20)
        state = {
            "queue": State.submitted,
            "board": State.approved,
            "thanks": State.confirmed,
            "mine": State.withdrawn,
        }[kind]
        now = utcnow()
        for i in self.todo(f"wish-{kind}", n):
            who = beneficiaries[i % len(beneficiaries)]
            r = await self.s.get(Resident, who)
            assert r is not None
            building = await self.s.get(Building, r.building_id)
            assert building is not None
            if mine:  # her own in every kind of state, as the demo city's are
                state = (State.withdrawn, State.approved, State.confirmed)[i % 3]
            done = state is State.confirmed
            self.s.add(
                Wish(
                    title=f"计数心愿{kind}{i}",
                    description="语句计数",
                    category=WishCategory.daily_help,
                    state=state,
                    beneficiary_id=who,
                    posted_by_user_id=None,
                    building_id=building.id,
                    location=building.location,
                    sub_district_id=r.sub_district_id,
                    community_id=r.community_id,
                    grid_id=r.grid_id,
                    expires_at=now + timedelta(days=30),
                    claimant_user_id=helpers[i % len(helpers)] if done else None,
                    claimant_kind=ClaimantKind.volunteer if done else None,
                    claimed_at=now if done else None,
                    fulfilled_at=now if done else None,
                    confirmed_at=now if done else None,
                    thanks=f"谢谢{i}" if done else None,
                )
            )
        await self.s.flush()

    async def tickets(self, n: int) -> None:
        """Today's queue tickets at the community's windows: waiting, called at each
        window, served and missed, of several kinds of business."""
        windows = (
            await self.s.scalars(
                select(ServiceWindow.id).where(ServiceWindow.community_id == self.community.id)
            )
        ).all()
        assert windows, "the demo city gives 登月社区 its windows"
        day = utcnow().astimezone(LOCAL_TZ).date()
        states = (TicketState.waiting, TicketState.served, TicketState.missed)
        kinds = (None, "social_security", "certificates", "housing_repair")
        for i in self.todo("ticket", n):
            state = states[i % len(states)]
            at = utcnow() - timedelta(minutes=n - i)
            self.s.add(
                Ticket(
                    day=day,
                    number=1000 + i,
                    category=kinds[i % len(kinds)],
                    state=state,
                    window_id=None if state is TicketState.waiting else windows[i % len(windows)],
                    issued_at=at,
                    called_at=None if state is TicketState.waiting else at + timedelta(minutes=3),
                    finished_at=None if state is TicketState.waiting else at + timedelta(minutes=9),
                    sub_district_id=self.community.sub_district_id,
                    community_id=self.community.id,
                )
            )
        await self.s.flush()

    async def kept_reports(self, n: int) -> None:
        """Visit records kept for the office, one per visit made here, sent by the
        volunteers made here (each its own reporter, the visits' visitors others)."""
        await self.visits(n)
        people = await self.volunteers(max(n // 5, 2))
        visits = (
            await self.s.execute(
                select(Visit.id, Visit.sub_district_id, Visit.community_id, Visit.grid_id)
                .join(Resident, Resident.id == Visit.resident_id)
                .where(Resident.phone.like("136%"))
                .order_by(Visit.id)
            )
        ).all()
        for i in self.todo("kept_report", n):
            v = visits[i]
            self.s.add(
                VisitReport(
                    ref=f"count-kept-{i:08d}",
                    visit_id=v.id,
                    reporter_user_id=people[(i + 1) % len(people)],
                    outcome=ReportOutcome.kept,
                    reason="reassigned",
                    record={
                        "condition": "fair",
                        "visited_at": utcnow().isoformat(),
                        "needs": ["买菜"],
                        "notes": f"记录{i}",
                        "urgent": False,
                    },
                    sub_district_id=v.sub_district_id,
                    community_id=v.community_id,
                    grid_id=v.grid_id,
                )
            )
        await self.s.flush()

    async def visits_over_weeks(self, n: int) -> None:
        """Visits of many residents over the last eight weeks, in every state (coverage)."""
        residents = await self.residents(max(n, 20))
        today = utcnow().astimezone(LOCAL_TZ).date()
        states = list(VisitState)
        for i in self.todo("visit_weeks", n):
            r = await self.s.get(Resident, residents[i % len(residents)])
            assert r is not None
            state = states[i % len(states)]
            self.s.add(
                Visit(
                    resident_id=r.id,
                    source=f"count:{i}",
                    due_by=today - timedelta(days=i % 56),
                    state=state,
                    visited_at=utcnow() if state is VisitState.done else None,
                    **Visit.placed_in(r),
                )
            )
        await self.s.flush()

    async def timeline(self, n: int) -> None:
        """One resident with ``n`` recorded visits and a wish with ``n`` changes."""
        if "resident" not in TIMELINE:
            p = self.place(0)
            r = Resident(
                name="时间线计数",
                building_id=p.building_id,
                sub_district_id=p.sub_district_id,
                community_id=p.community_id,
                grid_id=p.grid_id,
            )
            self.s.add(r)
            await self.s.flush()
            wish = Wish(
                title="计数时间线心愿",
                category=WishCategory.daily_help,
                state=State.approved,
                beneficiary_id=r.id,
                building_id=p.building_id,
                location=p.location,
                sub_district_id=p.sub_district_id,
                community_id=p.community_id,
                grid_id=p.grid_id,
                expires_at=utcnow() + timedelta(days=30),
            )
            self.s.add(wish)
            await self.s.flush()
            TIMELINE.update(resident=r.id, wish=wish.id)
        helpers = await self.volunteers(20)
        today = utcnow().astimezone(LOCAL_TZ).date()
        for i in self.todo("timeline", n):
            p = self.place(0)
            self.s.add_all(
                [
                    Visit(
                        resident_id=TIMELINE["resident"],
                        due_by=today - timedelta(days=i),
                        state=VisitState.done,
                        visited_at=utcnow() - timedelta(days=i),
                        person_user_id=helpers[i % len(helpers)],
                        recorded_by=helpers[(i + 1) % len(helpers)],
                        condition=Condition.good,
                        sub_district_id=p.sub_district_id,
                        community_id=p.community_id,
                        grid_id=p.grid_id,
                    ),
                    WishEvent(
                        wish_id=TIMELINE["wish"],
                        at=utcnow() - timedelta(days=i, hours=1),
                        actor_user_id=helpers[i % len(helpers)],
                        action="edit",
                        from_state=State.approved,
                        to_state=State.approved,
                    ),
                ]
            )
        await self.s.flush()

    async def cases(self, kind: str, n: int) -> None:
        """Service cases of many residents (and hotline callers), dispatched to many people:
        of the demo resident (mine), open in every grid and dispatched to the demo grid
        worker (inbox), or the community's (office)."""
        if kind == "mine":
            me = await self.s.scalar(select(Resident).where(Resident.phone == DENGYUE_RESIDENT))
            assert me is not None
            reporters = [me.id]
        else:
            reporters = await self.residents(max(n, 20))
        helpers = await self.volunteers(20)
        worker = await self.s.scalar(select(User.id).where(User.phone == DENGYUE_GRID_WORKER))
        items = list((await self.s.scalars(select(ServiceItem.id).order_by(ServiceItem.id))).all())
        now = utcnow()
        for i in self.todo(f"case-{kind}", n):
            who = reporters[i % len(reporters)]
            r = await self.s.get(Resident, who)
            assert r is not None
            p = self.place(i)
            hotline = kind != "mine" and i % 5 == 4
            self.s.add(
                ServiceCase(
                    number=f"C{kind[:2]}{i:06d}",
                    item_id=items[i % len(items)],
                    channel=Channel.hotline if hotline else Channel.resident_app,
                    resident_id=None if hotline else who,
                    contact_phone_sealed=seal(f"86139{i:08d}", context=CONTACT_CONTEXT)
                    if hotline
                    else None,
                    taken_by_user_id=helpers[(i + 1) % len(helpers)] if hotline else None,
                    description=f"计数诉求{kind}{i}",
                    location=p.location,
                    state=CaseState.dispatched,
                    assignee_user_id=worker if kind == "inbox" else helpers[i % len(helpers)],
                    due_at=now + timedelta(hours=i),
                    sub_district_id=p.sub_district_id,
                    community_id=p.community_id,
                    grid_id=p.grid_id,
                )
            )
        await self.s.flush()


# --- the lists -------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    who: str | None  # phone of the caller; None: public
    path: Callable[[int], str]  # the URL for a page of this size
    make: Callable[[Maker, int], Awaitable[Any]]  # at least this many rows exist after
    sizes: tuple[int, int] = (20, 200)


CASES = [
    Case("wish queue", DENGYUE_ADMIN, lambda n: "/api/v1/wishes/queue",
         lambda m, n: m.wishes("queue", n)),
    Case("my wishes", DENGYUE_RESIDENT, lambda n: "/api/v1/wishes/mine",
         lambda m, n: m.wishes("mine", n), sizes=(20, 100)),
    Case("wish board", None, lambda n: f"/api/v1/communities/{DENGYUE}/wishes?limit={n}",
         lambda m, n: m.wishes("board", n), sizes=(20, 100)),
    Case("thanks wall", None, lambda n: f"/api/v1/communities/{DENGYUE}/thanks",
         lambda m, n: m.wishes("thanks", n), sizes=(20, 50)),
    Case("residents", DENGYUE_ADMIN, lambda n: f"/api/v1/residents?limit={n}",
         lambda m, n: m.residents(n)),
    Case("users", DENGYUE_ADMIN, lambda n: f"/api/v1/users?limit={n}",
         lambda m, n: m.volunteers(n)),
    Case("volunteers", DENGYUE_ADMIN, lambda n: "/api/v1/volunteers",
         lambda m, n: m.volunteers(n)),
    Case("party members", DENGYUE_ADMIN, lambda n: "/api/v1/party-members",
         lambda m, n: m.volunteers(n)),
    Case("service groups", SUBDISTRICT_ADMIN, lambda n: "/api/v1/service-groups",
         lambda m, n: m.service_groups(n)),
    Case("volunteer organisations", DENGYUE_ADMIN, lambda n: "/api/v1/volunteer-orgs",
         lambda m, n: m.orgs(n)),
    Case("volunteer hours", DENGYUE_ADMIN, lambda n: f"/api/v1/communities/{DENGYUE}/hours",
         lambda m, n: m.volunteers(n)),
    Case("my hours", DENGYUE_VOLUNTEER, lambda n: "/api/v1/me/hours",
         lambda m, n: m.my_hours(n), sizes=(20, 100)),
    Case("caring businesses", None, lambda n: f"/api/v1/communities/{DENGYUE}/businesses",
         lambda m, n: m.businesses(n)),
    Case("storefronts", DENGYUE_ADMIN, lambda n: f"/api/v1/communities/{DENGYUE}/storefronts",
         lambda m, n: m.businesses(n)),
    Case("audit log", DENGYUE_ADMIN, lambda n: f"/api/v1/audit/?limit={n}",
         lambda m, n: m.audit(n)),
    Case("areas (grids)", DENGYUE_ADMIN, lambda n: "/api/v1/areas?level=grid",
         lambda m, n: m.grids(n)),
    Case("map", DENGYUE_ADMIN, lambda n: "/api/v1/map",
         lambda m, n: m.grids(n)),
    Case("visit coverage", SUBDISTRICT_ADMIN,
         lambda n: f"/api/v1/communities/{DENGYUE}/visit-coverage?weeks=8",
         lambda m, n: m.visits_over_weeks(n)),
    Case("resident timeline", DENGYUE_ADMIN,
         lambda n: f"/api/v1/residents/{TIMELINE['resident']}/timeline?limit=500",
         lambda m, n: m.timeline(n), sizes=(20, 100)),
    Case("week's visit plan", DENGYUE_ADMIN,
         lambda n: f"/api/v1/communities/{DENGYUE}/visit-plan?week_start={_this_monday()}",
         lambda m, n: m.visits(n)),
    Case("my cases", DENGYUE_RESIDENT, lambda n: f"/api/v1/me/cases?limit={n}",
         lambda m, n: m.cases("mine", n)),
    Case("case inbox", DENGYUE_GRID_WORKER, lambda n: f"/api/v1/me/case-inbox?limit={n}",
         lambda m, n: m.cases("inbox", n)),
    Case("community cases", DENGYUE_ADMIN,
         lambda n: f"/api/v1/communities/{DENGYUE}/cases?limit={n}",
         lambda m, n: m.cases("office", n)),
    Case("window queue", DENGYUE_CLERK, lambda n: f"/api/v1/communities/{DENGYUE}/queue",
         lambda m, n: m.tickets(n)),
    Case("kept visit reports", DENGYUE_ADMIN,
         lambda n: f"/api/v1/communities/{DENGYUE}/visit-reports?limit={n}",
         lambda m, n: m.kept_reports(n)),
]  # fmt: skip


def _param(case: Case) -> Any:
    return pytest.param(case, id=case.name.replace(" ", "-"))


@pytest.fixture(scope="module")
async def counts(counted: Backend, counted_app: Litestar, tokens: Tokens) -> dict[str, list[int]]:
    """Statements per list: every list at its first size, then every list at its second
    (several lists show the same rows, volunteers for one)."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    made: dict[str, int] = {}
    out: dict[str, list[int]] = {}
    TIMELINE.clear()  # this engine's database has its own timeline resident
    engine = counted_app.state.engine.sync_engine
    async with open_client(counted_app, counted) as client:
        for step in (0, 1):
            async with counted.sessionmaker().begin() as session:
                maker = Maker(session)
                maker.made = made
                await maker.start()
                for case in CASES:
                    await case.make(maker, case.sizes[step])
            for case in CASES:
                size = case.sizes[step]
                headers = await tokens.get(client, case.who) if case.who else {}
                path = case.path(size)
                warm = await client.get(path, headers=headers)  # caches of the first call
                assert warm.status_code == 200, warm.text
                event.listen(engine, "before_cursor_execute", seen)
                try:
                    statements.clear()
                    r = await client.get(path, headers=headers)
                finally:
                    event.remove(engine, "before_cursor_execute", seen)
                assert r.status_code == 200, r.text
                body = r.json()
                items = body.get("items", body) if isinstance(body, dict) else body
                if isinstance(items, list):
                    assert len(items) >= size, (case.name, size, len(items))
                out.setdefault(case.name, []).append(len(statements))
    return out


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
async def test_a_list_takes_as_many_statements_at_any_length(
    case: Case, counted: Backend, counts: dict[str, list[int]]
) -> None:
    got = counts[case.name]
    print(f"\n[{counted.name}] {case.name}: {got[0]} statements at {case.sizes[0]} rows, "
          f"{got[1]} at {case.sizes[1]}")  # fmt: skip
    assert got[0] == got[1], f"{case.name}: {got} statements at sizes {case.sizes}"


def _counting(app: Litestar) -> tuple[list[str], Callable[[], None]]:
    """Start counting the statements the app's engine sends; call the second to stop."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    return statements, lambda: event.remove(engine, "before_cursor_execute", seen)


async def test_a_resident_posts_a_wish_in_three_or_five_statements(
    counted: Backend, counted_app: Litestar, tokens: Tokens
) -> None:
    """The caller with their resident record and roles; on PostgreSQL, where they live,
    the wish and its history row in one statement (a data-modifying CTE); on SQLite,
    in process, where they live and two INSERTs; then one INSERT … SELECT of the outbox
    rows of everyone in the office (this community's office has the staff the lists
    above made): the answer is built from rows in hand."""
    body = {"title": "想请人帮忙换灯泡", "category": "repair", "description": "厨房的灯坏了"}
    async with open_client(counted_app, counted) as client:
        headers = await tokens.get(client, DENGYUE_RESIDENT)
        assert (await client.post("/api/v1/wishes", json=body, headers=headers)).status_code == 201
        statements, stop = _counting(counted_app)
        try:
            r = await client.post("/api/v1/wishes", json=body, headers=headers)
        finally:
            stop()
    assert r.status_code == 201, r.text
    assert r.json()["history"][0]["action"] == "post" and r.json()["allowed_actions"]
    print(f"\n[{counted.name}] POST /wishes: {len(statements)} statements {statements}")
    wish = ["WITH"] if counted.name == "postgis" else ["SELECT", "INSERT", "INSERT"]
    assert statements == ["SELECT", *wish, "INSERT"]


@pytest.mark.parametrize("how_many", [1, 40])
async def test_the_outbox_takes_as_many_statements_for_any_number_of_recipients(
    counted: Backend, counted_app: Litestar, how_many: int
) -> None:
    """One INSERT for every recipient's rows, one UPDATE of what they supersede, one read
    of the community's quiet hours when SMS is among them."""
    from server.notify.outbox import enqueue
    from server.notify.recipients import Contact, Recipient

    phones = [f"139{n:08d}" for n in range(how_many)]
    async with counted.sessionmaker().begin() as session:
        community_id = await session.scalar(select(Community.id).where(Community.code == DENGYUE))
        statements: list[str] = []

        def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
            statements.append(statement.split(None, 1)[0].upper())

        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            rows = await enqueue(
                session,
                event=f"test:count:{how_many}:{utcnow().timestamp()}",
                template="wish.approved",
                params={"title": "x"},
                recipients=[Recipient(contact=Contact(phone=p)) for p in phones],
                community_id=community_id,
                topic=f"count-{utcnow().timestamp()}",
            )
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    assert len(rows) == how_many and all(r.id for r in rows)
    assert statements == ["SELECT", "INSERT", "UPDATE"], statements


async def _post_counted(
    app: Litestar, client: Any, path: str, body: dict[str, Any], headers: dict[str, str]
) -> tuple[Any, list[str]]:
    statements, stop = _counting(app)
    try:
        r = await client.post(path, json=body, headers=headers)
    finally:
        stop()
    return r, statements


async def test_case_intake_and_an_action_take_a_fixed_number_of_statements(
    counted: Backend, counted_app: Litestar, tokens: Tokens
) -> None:
    """A resident reports a case with two extra fields and a photo; the window clerk
    takes one in for a resident; the office accepts one. Each was posted once before
    (caches of the first call), then counted."""
    from tests.support.images import png

    async with counted.sessionmaker()() as session:
        zhou = await session.scalar(select(Resident.id).where(Resident.name == "周大爷"))
    async with open_client(counted_app, counted) as client:
        resident = await tokens.get(client, DENGYUE_RESIDENT)
        keys = []
        for n in range(2):
            r = await client.post(
                "/api/v1/media",
                content=png(bytes([0x40 + n, 0x20, 0x30])),
                headers={**resident, "Content-Type": "image/png"},
            )
            assert r.status_code == 201, r.text
            keys.append(r.json()["key"])
        mine = {
            "item": "roof_leak",
            "description": "卫生间天花板漏水",
            "fields": {"where": "bathroom", "floor": 6},
        }
        first = await client.post(
            "/api/v1/cases", json={**mine, "photos": [keys[0]]}, headers=resident
        )
        assert first.status_code == 201, first.text
        r, by_resident = await _post_counted(
            counted_app, client, "/api/v1/cases", {**mine, "photos": [keys[1]]}, resident
        )
        assert r.status_code == 201, r.text
        assert r.json()["photos"] == [keys[1]] and r.json()["fields"]

        clerk = await tokens.get(client, DENGYUE_CLERK)
        window = {
            "item": "residence_cert",
            "description": "开具居住证明",
            "channel": "window",
            "resident_id": zhou,
            "consent_note": "本人到窗口同意代为登记",
            "fields": {"purpose": "子女入学"},
        }
        assert (await client.post("/api/v1/cases", json=window, headers=clerk)).status_code == 201
        r, by_clerk = await _post_counted(counted_app, client, "/api/v1/cases", window, clerk)
        assert r.status_code == 201, r.text

        office = await tokens.get(client, DENGYUE_ADMIN)
        warm = await client.post(
            f"/api/v1/cases/{first.json()['id']}/accept", json={}, headers=office
        )
        assert warm.status_code == 200, warm.text
        case_id = r.json()["id"]
        r, accept = await _post_counted(
            counted_app, client, f"/api/v1/cases/{case_id}/accept", {}, office
        )
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "accepted"
    for name, got in (("resident", by_resident), ("window", by_clerk), ("accept", accept)):
        print(f"\n[{counted.name}] case {name}: {len(got)} statements {got}")
    assert by_resident == [
        *["SELECT"] * 7,
        "UPDATE",
        "SELECT",
        "INSERT",
        "INSERT",
        "SELECT",
        "INSERT",
        *["SELECT"] * 3,  # the answer: its names in one, the history, who acted in it
    ]
    assert by_clerk == [
        *["SELECT"] * 6,
        "UPDATE",
        "SELECT",
        "INSERT",
        "INSERT",
        "SELECT",
        "INSERT",
        *["SELECT"] * 4,  # and the catalogue, not read before on this path
    ]
    assert accept == [
        *["SELECT"] * 3,
        "UPDATE",
        "INSERT",
        *["SELECT"] * 4,
        "INSERT",
        "UPDATE",
        *["SELECT"] * 3,
    ]


async def test_a_batch_of_visit_records_syncs_in_a_fixed_number_of_statements(
    counted: Backend, counted_app: Litestar, tokens: Tokens
) -> None:
    """A grid worker's phone sends 3, then 30 new visit records, one urgent finding each
    time: the same statements whatever the batch's size. On PostgreSQL the reads (refs
    seen before, the visits locked with their residents' names, the sender's photos) are
    one statement and the three writes (reports, visits, history) another; SQLite takes
    them one by one. Then the office to tell of the urgent finding, and its outbox rows."""
    from tests.integration.test_visit_sync import _record, _visits

    got: list[list[str]] = []
    async with open_client(counted_app, counted) as client:
        headers = await tokens.get(client, DENGYUE_GRID_WORKER)
        for size in (2, 3, 30):  # the first warms the caches of a first call
            ids = await _visits(counted, size, DENGYUE_GRID_WORKER)
            records = [_record(v, urgent=i == 0) for i, v in enumerate(ids)]
            r, statements = await _post_counted(
                counted_app, client, "/api/v1/visits/records", {"records": records}, headers
            )
            assert r.status_code == 200, r.text
            assert r.json()["recorded"] == size, r.text
            got.append(statements)
    print(f"\n[{counted.name}] visit sync: {len(got[1])} statements {got[1]}")
    assert got[1] == got[2]
    batch = (
        ["WITH", "WITH"]
        if counted.name == "postgis"
        else ["SELECT", "SELECT", "INSERT", "UPDATE", "INSERT"]
    )
    assert got[1] == ["SELECT", *batch, "SELECT", "INSERT"]
