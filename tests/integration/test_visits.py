"""Staggered-hour visits on both engines: the office plans the week of 登月社区 from the care
roster, the grid worker sees their day and records a visit, an urgent finding reaches the
office at once, and missed visits are flagged."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import select, update

from server.db.base import utcnow
from server.grids.models import Building
from server.housekeeping import run_chores
from server.notify.models import Notification
from server.notify.outbox import LOCAL_TZ
from server.people.models import Resident
from server.visits.models import Visit, VisitEvent, VisitState, VisitWindow
from server.visits.planner import walking_metres
from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_CLERK,
    DENGYUE_GRID_WORKER,
    DENGYUE_PARTY_MEMBER,
    DENGYUE_RESIDENT,
    DENGYUE_VOLUNTEER,
    YULAN_ADMIN,
    YULAN_GRID_WORKER,
    Backend,
)
from tests.integration.test_scope import user_id
from tests.integration.test_wishes import as_

DENGYUE = "410902001001"


def this_monday() -> date:
    today = utcnow().astimezone(LOCAL_TZ).date()
    return today - timedelta(days=today.weekday())


async def plan(client, tokens, phone: str = DENGYUE_ADMIN, week: date | None = None) -> Any:
    return await client.post(
        f"/api/v1/communities/{DENGYUE}/visit-plan",
        json={"week_start": (week or this_monday()).isoformat()},
        headers=await as_(client, tokens, phone),
    )


async def my_day(client, tokens, phone: str, day: date) -> list[dict[str, Any]]:
    r = await client.get(
        "/api/v1/me/visits",
        params={"on": day.isoformat()},
        headers=await as_(client, tokens, phone),
    )
    assert r.status_code == 200, r.text
    return list(r.json()["visits"])


async def test_the_office_plans_the_week_and_the_grid_worker_records_a_visit(
    client, tokens, backend: Backend
) -> None:
    r = await plan(client, tokens)
    assert r.status_code == 200, r.text
    report = r.json()
    # The demo residents with care tags: every due visit is planned or explained.
    assert report["due"] >= 3
    assert (
        report["planned"]
        + report["done"]
        + len(report["unplanned"])
        + report["missed"]
        + report["cancelled"]
        == report["due"]
    )
    assert report["walking_m"] <= report["baseline_m"] or report["baseline_m"] == 0
    worker_id = await user_id(backend, DENGYUE_GRID_WORKER)
    assert any(p["user_id"] == worker_id and p["visits"] >= 1 for p in report["load"]), report

    async with backend.sessionmaker()() as session:
        mine = (
            await session.scalars(
                select(Visit).where(
                    Visit.person_user_id == worker_id,
                    Visit.state == VisitState.planned,
                    Visit.visit_date.is_not(None),  # planned for a day (other tests' rows are not)
                )
            )
        ).all()
    assert mine, "the grid worker of the residents' grid gets their visits"
    day = mine[0].visit_date
    assert day is not None
    # The day's planned visits (other tests may have recorded visits of this worker today).
    visits = [
        v for v in await my_day(client, tokens, DENGYUE_GRID_WORKER, day) if v["state"] == "planned"
    ]
    assert visits and all(v["allowed_actions"] == ["record"] for v in visits)
    windows = [v["window"] for v in visits]
    assert windows == sorted(windows, key=["noon", "evening"].index)  # noon first, then evening
    first = visits[0]
    assert first["resident"] and first["building"] and first["care_tags"]

    # A fall: recorded as urgent, the office hears at once, whatever the quiet hours.
    r = await client.post(
        f"/api/v1/visits/{first['id']}/record",
        json={"condition": "poor", "needs": ["送医"], "notes": "在家摔倒了", "urgent": True},
        headers=await as_(client, tokens, DENGYUE_GRID_WORKER),
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "done" and r.json()["allowed_actions"] == []
    async with backend.sessionmaker()() as session:
        sent = (
            await session.scalars(
                select(Notification).where(
                    Notification.dedupe_key.startswith(f"visit:{first['id']}:urgent")
                )
            )
        ).all()
        history = (
            await session.scalars(
                select(VisitEvent.action).where(VisitEvent.visit_id == first["id"])
            )
        ).all()
    assert sent and {n.channel for n in sent} >= {"push", "sms"}, sent
    assert all(n.template == "visit.urgent" for n in sent)
    assert "record" in history and "plan" in history
    again = await client.post(
        f"/api/v1/visits/{first['id']}/record",
        json={"condition": "good"},
        headers=await as_(client, tokens, DENGYUE_GRID_WORKER),
    )
    assert again.status_code == 409

    # Re-planning keeps what was done.
    report = (await plan(client, tokens)).json()
    async with backend.sessionmaker()() as session:
        kept = await session.get(Visit, first["id"])
        assert kept is not None and kept.state is VisitState.done and kept.condition == "poor"


async def test_other_communities_and_residents_learn_nothing(
    client, tokens, backend: Backend
) -> None:
    assert (await plan(client, tokens)).status_code == 200
    assert (await plan(client, tokens, YULAN_ADMIN)).status_code == 404
    assert (await plan(client, tokens, DENGYUE_RESIDENT)).status_code == 404
    assert (await plan(client, tokens, week=this_monday() + timedelta(days=1))).status_code == 400
    async with backend.sessionmaker()() as session:
        visit = await session.scalar(
            select(Visit).where(Visit.community_id.is_not(None), Visit.state == VisitState.planned)
        )
    assert visit is not None
    for phone in (YULAN_ADMIN, YULAN_GRID_WORKER, DENGYUE_RESIDENT):
        r = await client.post(
            f"/api/v1/visits/{visit.id}/record",
            json={"condition": "good"},
            headers=await as_(client, tokens, phone),
        )
        assert r.status_code == 404, (phone, r.text)
    assert await my_day(client, tokens, YULAN_GRID_WORKER, visit.visit_date or date.today()) == []
    r = await client.post(
        f"/api/v1/visits/{visit.id}/record",
        json={"condition": "good", "visited_at": "2099-01-01T12:00:00+08:00"},
        headers=await as_(client, tokens, DENGYUE_GRID_WORKER),
    )
    assert r.status_code in (400, 404)


async def test_a_visit_whose_day_passed_is_flagged_missed(client, tokens, backend: Backend) -> None:
    assert (await plan(client, tokens)).status_code == 200
    yesterday = utcnow().astimezone(LOCAL_TZ).date() - timedelta(days=1)
    async with backend.sessionmaker().begin() as session:
        visit_id = await session.scalar(
            select(Visit.id).where(Visit.state == VisitState.planned).limit(1)
        )
        await session.execute(
            update(Visit).where(Visit.id == visit_id).values(visit_date=yesterday)
        )
    done = await run_chores(backend.sessionmaker())
    assert done["visits_missed"] >= 1
    async with backend.sessionmaker()() as session:
        missed = await session.get(Visit, visit_id)
        assert missed is not None and missed.state is VisitState.missed
        told = (
            await session.scalars(
                select(Notification.template).where(
                    Notification.dedupe_key.startswith("visits:missed:")
                )
            )
        ).all()
    assert told and set(told) == {"visit.missed"}


async def test_the_office_moves_a_visit_by_hand_and_a_re_plan_keeps_it(
    client, tokens, backend: Backend
) -> None:
    assert (await plan(client, tokens)).status_code == 200
    clerk_id = await user_id(backend, DENGYUE_CLERK)
    async with backend.sessionmaker()() as session:
        visit = await session.scalar(
            select(Visit)
            .where(  # one the plan made (other tests add visits of their own)
                Visit.state == VisitState.planned,
                Visit.source == "care",
                Visit.visit_date.is_not(None),
            )
            .order_by(Visit.id.desc())
        )
    assert visit is not None and visit.visit_date is not None
    body = {
        "person_user_id": clerk_id,
        "visit_date": visit.visit_date.isoformat(),
        "window": "evening",
    }
    # Only the office, and only to someone who serves the grid.
    r = await client.post(
        f"/api/v1/visits/{visit.id}/move",
        json=body,
        headers=await as_(client, tokens, DENGYUE_GRID_WORKER),
    )
    assert r.status_code == 403
    stranger = {**body, "person_user_id": await user_id(backend, YULAN_GRID_WORKER)}
    r = await client.post(
        f"/api/v1/visits/{visit.id}/move",
        json=stranger,
        headers=await as_(client, tokens, DENGYUE_ADMIN),
    )
    assert r.status_code == 400
    r = await client.post(
        f"/api/v1/visits/{visit.id}/move",
        json=body,
        headers=await as_(client, tokens, DENGYUE_ADMIN),
    )
    assert r.status_code == 200, r.text
    assert (await plan(client, tokens)).status_code == 200
    async with backend.sessionmaker()() as session:
        kept = await session.get(Visit, visit.id)
    assert kept is not None and kept.fixed and kept.person_user_id == clerk_id
    assert kept.window == "evening" and kept.state is VisitState.planned
    # Cancelled (she is in hospital): no longer planned, and a re-plan leaves it.
    r = await client.post(
        f"/api/v1/visits/{visit.id}/cancel", headers=await as_(client, tokens, DENGYUE_ADMIN)
    )
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert (await plan(client, tokens)).status_code == 200
    async with backend.sessionmaker()() as session:
        again = await session.get(Visit, visit.id)
    assert again is not None and again.state is VisitState.cancelled


async def test_the_roster_rules_are_a_community_setting(client, tokens) -> None:
    url = f"/api/v1/communities/{DENGYUE}/care-settings"
    admin = await as_(client, tokens, DENGYUE_ADMIN)
    r = await client.get(url, headers=admin)
    assert r.status_code == 200 and r.json()["frequencies"]["elderly_alone"] == 7
    assert r.json()["windows"]["noon"] == ["12:00", "14:00"]
    body = {
        "frequencies": {"elderly_alone": 3, "*": 30},
        "windows": {"noon": ["11:30", "13:30"], "evening": ["18:00", "20:30"]},
        "capacity_per_window": 5,
        "office_days": [2],
    }
    assert (
        await client.put(url, json=body, headers=await as_(client, tokens, DENGYUE_CLERK))
    ).status_code == 403
    assert (
        await client.put(url, json=body, headers=await as_(client, tokens, YULAN_ADMIN))
    ).status_code == 404
    bad = await client.put(url, json={**body, "frequencies": {"elderly_alone": 3}}, headers=admin)
    assert bad.status_code == 400 and "*" in bad.json()["detail"]
    backwards = {**body, "windows": {"noon": ["14:00", "12:00"]}}
    assert (await client.put(url, json=backwards, headers=admin)).status_code == 400
    r = await client.put(url, json=body, headers=admin)
    assert r.status_code == 200 and r.json()["office_days"] == [2]
    assert (await client.get(url, headers=admin)).json()["windows"]["noon"] == ["11:30", "13:30"]
    # Planning follows the rules: nobody is out on visits on the office's duty day.
    report = (await plan(client, tokens)).json()
    assert (
        report["planned"]
        + report["done"]
        + len(report["unplanned"])
        + report["missed"]
        + report["cancelled"]
        == report["due"]
    )
    # Back to the defaults for the other tests.
    body = {
        **body,
        "frequencies": {"*": 30, "elderly_alone": 7, "low_income": 14, "left_behind_child": 14},
        "office_days": [],
        "windows": {"noon": ["12:00", "14:00"], "evening": ["18:00", "21:00"]},
        "capacity_per_window": 6,
    }
    assert (await client.put(url, json=body, headers=admin)).status_code == 200


async def test_a_party_member_paired_with_a_household_visits_it(
    client, tokens, backend: Backend
) -> None:
    async with backend.sessionmaker()() as session:
        zhou = await session.scalar(select(Resident.id).where(Resident.name == "周大爷"))
    member = await user_id(backend, DENGYUE_PARTY_MEMBER)
    admin = await as_(client, tokens, DENGYUE_ADMIN)
    body = {"member_user_id": member, "resident_id": zhou, "every_days": 7}
    assert (
        await client.post(
            "/api/v1/care-pairs", json=body, headers=await as_(client, tokens, YULAN_ADMIN)
        )
    ).status_code == 404
    not_a_member = {**body, "member_user_id": await user_id(backend, DENGYUE_GRID_WORKER)}
    assert (
        await client.post("/api/v1/care-pairs", json=not_a_member, headers=admin)
    ).status_code == 400
    r = await client.post("/api/v1/care-pairs", json=body, headers=admin)
    assert r.status_code == 200 and r.json()["resident"] == "周大爷", r.text
    pair_id = r.json()["id"]
    listed = await client.get(f"/api/v1/communities/{DENGYUE}/care-pairs", headers=admin)
    assert pair_id in [p["id"] for p in listed.json()]

    # The party member is free on weekday evenings: on a Saturday or Sunday (Beijing
    # time) nothing is left of this week for them, so the plan is next week's.
    today = utcnow().astimezone(LOCAL_TZ).date()
    week = this_monday() + timedelta(days=7 if today.weekday() >= 5 else 0)
    assert (await plan(client, tokens, week=week)).status_code == 200
    async with backend.sessionmaker()() as session:
        # The pair's visit this plan made (the demo city's pair has visited before).
        visit = await session.scalar(
            select(Visit)
            .where(Visit.source == f"pair:{pair_id}", Visit.state == VisitState.planned)
            .order_by(Visit.id.desc())
            .limit(1)
        )
    assert visit is not None and visit.person_user_id == member and visit.visit_date
    day = await my_day(client, tokens, DENGYUE_PARTY_MEMBER, visit.visit_date)
    assert [v["id"] for v in day] == [visit.id] and day[0]["resident"] == "周大爷"
    r = await client.post(
        f"/api/v1/visits/{visit.id}/record",
        json={"condition": "fair", "notes": "陪他聊了一会儿"},
        headers=await as_(client, tokens, DENGYUE_PARTY_MEMBER),
    )
    assert r.status_code == 200 and r.json()["state"] == "done"
    ended = await client.post(f"/api/v1/care-pairs/{pair_id}/end", headers=admin)
    assert ended.status_code == 200 and ended.json()["active"] is False


async def test_a_household_new_or_overdue_is_due_by_the_end_of_the_week(
    client, tokens, backend: Backend
) -> None:
    """A household never visited (or overdue) may be visited any day of the week, so it is
    due by the week's last day: visited on the day the plan chose, it counts as on time.
    A visit an earlier planning wrote for the week is the one re-planned, not doubled."""
    from server.visits.coverage import outcome

    week = this_monday() + timedelta(weeks=52)  # a week nobody else plans
    sunday = week + timedelta(days=6)

    async def the_weeks_visits() -> list[Visit]:
        async with backend.sessionmaker()() as session:
            return list(
                (
                    await session.scalars(select(Visit).where(Visit.due_by.between(week, sunday)))
                ).all()
            )

    r = await plan(client, tokens, week=week)
    assert r.status_code == 200, r.text
    rows = await the_weeks_visits()
    assert rows, "the plan wrote the week's visits"
    # A year ahead, every household's last visit is more than its interval before.
    assert {v.due_by for v in rows} == {sunday}
    for v in rows:
        if v.visit_date is not None:
            assert week <= v.visit_date <= sunday
            assert outcome(VisitState.done, v.due_by, v.visit_date, v.visit_date) == "on_time"

    # A row of an earlier planning, due on the Monday, is the one planned again.
    legacy = rows[0]
    async with backend.sessionmaker().begin() as session:
        await session.execute(update(Visit).where(Visit.id == legacy.id).values(due_by=week))
    assert (await plan(client, tokens, week=week)).status_code == 200
    again = await the_weeks_visits()
    assert sorted(v.id for v in again) == sorted(v.id for v in rows)
    assert {v.due_by for v in again} == {sunday}


async def test_the_day_says_how_far_each_window_walks(client, tokens, backend: Backend) -> None:
    """Each visit carries the walk from the previous household of its window and each
    window its total, by the planner's estimate (haversine × detour)."""
    async with backend.sessionmaker()() as session:
        buildings = (
            await session.scalars(
                select(Building.code)
                .where(Building.code.startswith(f"{DENGYUE}001B"))  # the worker's grid
                .order_by(Building.code)
                .limit(3)
            )
        ).all()
    assert len(buildings) == 3, buildings
    office = await as_(client, tokens, DENGYUE_ADMIN)
    for n, code in enumerate(buildings):
        r = await client.post(
            "/api/v1/residents",
            json={"name": f"步行老人{n}", "building_code": code, "care_tags": ["elderly_alone"]},
            headers=office,
        )
        assert r.status_code in (200, 201), r.text
    assert (await plan(client, tokens)).status_code == 200
    worker_id = await user_id(backend, DENGYUE_GRID_WORKER)
    day = this_monday() + timedelta(days=6)  # one window holding the three, in this order
    async with backend.sessionmaker().begin() as session:
        ids = (
            await session.scalars(
                select(Visit.id)
                .join(Resident, Resident.id == Visit.resident_id)
                .where(Resident.name.startswith("步行老人"), Visit.state == VisitState.planned)
                .order_by(Resident.name)
            )
        ).all()
        assert len(ids) >= 3, ids
        for position, visit_id in enumerate(ids[:3], 1):
            await session.execute(
                update(Visit)
                .where(Visit.id == visit_id)
                .values(
                    person_user_id=worker_id,
                    visit_date=day,
                    window=VisitWindow.noon,
                    position=50 + position,
                    arrive_at=None,
                )
            )
    r = await client.get(
        "/api/v1/me/visits",
        params={"on": day.isoformat()},
        headers=await as_(client, tokens, DENGYUE_GRID_WORKER),
    )
    assert r.status_code == 200, r.text
    answer = r.json()
    visits = answer["visits"]
    walks = answer["walks"]
    assert [w["window"] for w in walks] == [
        w for w in ("noon", "evening") if any(v["window"] == w for v in visits)
    ]
    for walk in walks:
        here = [v for v in visits if v["window"] == walk["window"]]
        assert walk["visits"] == len(here)
        assert here[0]["walk_m"] is None  # the walk starts at the first household
        for before, v in pairwise(here):
            expected = walking_metres((before["lon"], before["lat"]), (v["lon"], v["lat"]))
            assert v["walk_m"] == round(expected), (before, v)
        assert walk["walk_m"] == sum(v["walk_m"] for v in here[1:])
    noon = next(w for w in walks if w["window"] == "noon")
    assert noon["visits"] >= 3 and noon["walk_m"] > 0, walks


async def test_a_grid_worker_gives_their_hours_and_the_next_plan_follows_them(
    client, tokens, backend: Backend
) -> None:
    worker = await as_(client, tokens, DENGYUE_GRID_WORKER)
    mine = await client.get("/api/v1/me/visit-hours", headers=worker)
    assert mine.status_code == 200, mine.text
    assert mine.json()["every_window"] is True and mine.json()["availability"] == []
    assert mine.json()["windows"]["noon"] == ["12:00", "14:00"]
    # Residents and volunteers are not sent out on visits: a reason, not a 500.
    for phone in (DENGYUE_RESIDENT, DENGYUE_VOLUNTEER):
        r = await client.put(
            "/api/v1/me/visit-hours",
            json={"availability": []},
            headers=await as_(client, tokens, phone),
        )
        assert r.status_code == 403 and r.json()["detail"], (phone, r.text)
    backwards = {"availability": [{"weekday": 0, "start": "14:00", "end": "12:00"}]}
    r = await client.put("/api/v1/me/visit-hours", json=backwards, headers=worker)
    assert r.status_code == 400 and r.json()["detail"]

    week = this_monday() + timedelta(weeks=2)  # a week no other test plans
    only = {
        "availability": [
            {"weekday": 0, "start": "12:00", "end": "14:00"},  # Monday noon
            {"weekday": 6, "start": "20:00", "end": "24:00"},  # Sunday, late evening
        ]
    }
    try:
        r = await client.put("/api/v1/me/visit-hours", json=only, headers=worker)
        assert r.status_code == 200, r.text
        assert r.json()["every_window"] is False and len(r.json()["availability"]) == 2
        assert (await plan(client, tokens, week=week)).status_code == 200
        me = await user_id(backend, DENGYUE_GRID_WORKER)
        async with backend.sessionmaker()() as session:
            theirs = (
                await session.scalars(
                    select(Visit).where(
                        Visit.person_user_id == me,
                        Visit.visit_date.between(week, week + timedelta(days=6)),
                    )
                )
            ).all()
        assert theirs, "the grid worker still has visits in the hours they gave"
        assert {(v.visit_date, str(v.window)) for v in theirs} <= {
            (week, "noon"),
            (week + timedelta(days=6), "evening"),
        }
    finally:
        r = await client.put("/api/v1/me/visit-hours", json={"availability": []}, headers=worker)
        assert r.status_code == 200
