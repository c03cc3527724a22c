"""Demo home visits 错时走访 in the demo city: a dozen care households in the first grid of
登月社区, a party member paired with one of them, eight past weeks of noon and evening
visits, and this week planned.

Every week is planned by the real planner and recorded by the real service as the demo
grid worker and staff would; each week's rows are then moved back into the past together
(visit and due dates, record times, history times), as the demo cases are. About one
visit in eleven is left unmade, and the missed-visit chore marks those missed, so the
coverage chart is not a wall of 100%. The outbox rows the loading wrote are deleted: no
SMS goes to demo phones.

Idempotent: skipped when the first demo household is there already.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.accounts.services import CurrentUser, load_current_user
from server.db.base import utcnow
from server.grids.models import Building, Community, Grid
from server.notify.models import Notification as Outbox
from server.notify.outbox import LOCAL_TZ
from server.notify.templates import register_templates
from server.people.models import Resident
from server.visits.messages import TEMPLATES as VISIT_TEMPLATES
from server.visits.messages import flag_missed_visits
from server.visits.models import Condition, Visit, VisitEvent, VisitState
from server.visits.schemas import CarePairIn, VisitRecord
from server.visits.services import VisitService

__all__ = ["DEMO_HOUSEHOLDS", "load_demo_visits"]

COMMUNITY = "登月社区"
OFFICE = "13800000003"  # 王秀英, community admin: plans the weeks
PARTY_MEMBER = "13800000010"  # 郑建军, paired with 周大爷
WEEKS = 8

# (name, building number in the first grid, unit, care tags, preferred window)
DEMO_HOUSEHOLDS: tuple[tuple[str, int, str, tuple[str, ...], str | None], ...] = (
    ("王淑珍", 2, "1单元102", ("elderly_alone",), "noon"),
    ("李德顺", 2, "3单元501", ("elderly_alone", "disabled"), None),
    ("张秀兰", 3, "2单元201", ("empty_nest",), "evening"),
    ("刘福来", 4, "1单元301", ("serious_illness",), "noon"),
    ("陈桂芳", 4, "2单元602", ("elderly_alone",), None),
    ("杨建华", 5, "1单元101", ("low_income",), "evening"),
    ("赵小雨", 6, "3单元402", ("left_behind_child",), "evening"),
    ("黄玉梅", 7, "2单元302", ("elderly_alone",), "noon"),
    ("周长林", 8, "1单元502", ("disabled",), None),
    ("吴春花", 9, "2单元101", ("empty_nest",), "noon"),
    ("徐国强", 10, "1单元201", ("low_income",), None),
)

# What visitors found, by turn (condition, needs, notes).
FINDINGS: tuple[tuple[Condition, list[str], str], ...] = (
    (Condition.good, [], "精神不错，血压正常，家里整洁。"),
    (Condition.good, [], "老人在家看电视，一切安好。"),
    (Condition.fair, ["代购"], "腿脚不便，请帮忙代买降压药。"),
    (Condition.good, [], "子女周末来过，冰箱里有菜。"),
    (Condition.fair, [], "有点感冒，已提醒多喝水，明天再打电话问问。"),
    (Condition.good, [], "聊了半小时家常，心情很好。"),
    (Condition.poor, ["维修"], "厨房水龙头漏水，已登记报修。"),
    (Condition.good, [], "孩子作业已完成，奶奶身体还行。"),
)


async def load_demo_visits(session: AsyncSession) -> int:
    """Add the care households, pair one, and plan and record the past weeks and this one
    (once); returns how many visits were made."""
    community = await session.scalar(select(Community).where(Community.name == COMMUNITY))
    assert community is not None
    if await session.scalar(
        select(Resident.id).where(Resident.name == DEMO_HOUSEHOLDS[0][0]).limit(1)
    ):
        return 0
    register_templates("visit", VISIT_TEMPLATES)  # as the app does at start (the CLI has not)
    outbox_before = await session.scalar(select(func.max(Outbox.id))) or 0
    await _add_households(session, community)
    users = {u.phone: u for u in (await session.scalars(select(User))).all()}
    people: dict[int, CurrentUser] = {}

    async def person(user_id: int) -> CurrentUser:
        if user_id not in people:
            loaded = await load_current_user(session, user_id)
            assert loaded is not None
            people[user_id] = loaded
        return people[user_id]

    office = await person(users[OFFICE].id)
    service = VisitService(session)
    zhou = await session.scalar(select(Resident.id).where(Resident.name == "周大爷").limit(1))
    assert zhou is not None
    await service.pair(
        office, CarePairIn(member_user_id=users[PARTY_MEMBER].id, resident_id=zhou), None
    )

    now = utcnow()
    this_monday = now.astimezone(LOCAL_TZ).date()
    this_monday -= timedelta(days=this_monday.weekday())
    made = turn = 0
    for _ in range(WEEKS):
        # Plan this week as the office would and record it; then every visit so far moves
        # a week back, so the next plan sees the last visits exactly as due as they were.
        await service.plan(office, community.code, this_monday)
        planned = (
            await session.scalars(
                select(Visit)
                .where(Visit.community_id == community.id, Visit.state == VisitState.planned)
                .order_by(Visit.visit_date, Visit.window, Visit.position)
            )
        ).all()
        planned_on = {v.id: v.visit_date for v in planned}
        for visit in planned:
            turn += 1
            if turn % 11 == 0:  # not made: missed, once moved into the past
                continue
            condition, needs, notes = FINDINGS[turn % len(FINDINGS)]
            assert visit.person_user_id is not None
            await service.record(
                await person(visit.person_user_id),
                visit.id,
                VisitRecord(condition=condition, needs=needs, notes=notes),
            )
            made += 1
        await _on_planned_day(session, planned_on, now)
        await _move_back(session, community.id, timedelta(weeks=1))
    await flag_missed_visits(session, now)
    # This week: planned, waiting for the grid worker's day.
    await service.plan(office, community.code, this_monday)
    # The notices the demo's weeks wrote are history, not news: none is sent.
    await session.execute(delete(Outbox).where(Outbox.id > outbox_before))
    await session.flush()
    return made


async def _add_households(session: AsyncSession, community: Community) -> None:
    grid = await session.scalar(
        select(Grid).where(Grid.community_id == community.id).order_by(Grid.code).limit(1)
    )
    assert grid is not None
    buildings = (
        await session.scalars(
            select(Building).where(Building.grid_id == grid.id).order_by(Building.code)
        )
    ).all()
    for name, number, unit, tags, window in DEMO_HOUSEHOLDS:
        home = buildings[number - 1]
        if await session.scalar(
            select(Resident.id).where(Resident.name == name, Resident.building_id == home.id)
        ):
            continue
        session.add(
            Resident(
                name=name,
                building_id=home.id,
                unit=unit,
                care_tags=list(tags),
                visit_window=window,
                **Resident.placed_in(home),
            )
        )
    await session.flush()


async def _on_planned_day(
    session: AsyncSession, planned_on: dict[int, date | None], now: datetime
) -> None:
    """Visits recorded now as if made on the day, at the time, the plan gave them."""
    rows = (await session.scalars(select(Visit).where(Visit.id.in_(planned_on)))).all()
    for visit in rows:
        day = planned_on[visit.id]
        if day is None:
            continue
        visit.visit_date = day
        if visit.visited_at is not None:
            hh, mm = (visit.arrive_at or "12:30").split(":")
            at = datetime(day.year, day.month, day.day, int(hh), int(mm), tzinfo=LOCAL_TZ)
            visit.visited_at = visit.updated_at = at
            for event in (
                await session.scalars(select(VisitEvent).where(VisitEvent.visit_id == visit.id))
            ).all():
                event.at = min(event.at, at) if event.action == "plan" else at
    await session.flush()


async def _move_back(session: AsyncSession, community_id: int, by: timedelta) -> None:
    """Every visit of the community as if it had happened ``by`` earlier."""
    rows = (await session.scalars(select(Visit).where(Visit.community_id == community_id))).all()
    for visit in rows:
        visit.due_by -= by
        if visit.visit_date is not None:
            visit.visit_date -= by
        if visit.visited_at is not None:
            visit.visited_at -= by
        visit.created_at -= by
        visit.updated_at -= by
    events = (
        await session.scalars(
            select(VisitEvent).where(VisitEvent.visit_id.in_([v.id for v in rows]))
        )
    ).all()
    for event in events:
        event.at -= by
    await session.flush()
