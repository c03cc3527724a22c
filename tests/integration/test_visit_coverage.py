"""Visit coverage 走访覆盖率 on both engines, against figures worked out by hand.

A database of its own (the demo city, no visits): the visits made here are the only ones,
so every count below is exact. The week of each visit is relative to this week's Monday
in Asia/Shanghai, as the server computes it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import delete, select

from server.db.base import utcnow
from server.grids.models import Building, Community, Grid
from server.notify.outbox import LOCAL_TZ
from server.people.models import Resident
from server.visits.coverage import outcome
from server.visits.models import Visit, VisitState
from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_CLERK,
    DENGYUE_GRID_WORKER,
    DENGYUE_RESIDENT,
    SUBDISTRICT_ADMIN,
    YULAN_ADMIN,
    Backend,
    Tokens,
    open_client,
    own_backend,
)

DENGYUE = "410902001001"
YULAN_NAME = "玉兰花园社区"


@pytest.fixture(scope="module", params=["spatialite", "postgis"])
async def own(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    async with own_backend(request, tmp_path_factory, "coverage") as b:
        yield b


@pytest.fixture(scope="module")
async def own_app(own: Backend) -> Litestar:
    from server.app import create_app

    return create_app(own.settings)


def local(day: date, hh: int, mm: int = 0) -> datetime:
    """A moment of a day in Asia/Shanghai, as UTC (how the phone's clock arrives)."""
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=LOCAL_TZ).astimezone(UTC)


def this_monday() -> date:
    today = utcnow().astimezone(LOCAL_TZ).date()
    return today - timedelta(days=today.weekday())


@pytest.fixture(scope="module")
async def made(own: Backend) -> dict[str, Any]:
    """Five residents of 登月社区 in two grids, one of 玉兰花园社区, and their visits.

    Last week (M1): a on time; b late (the day after); c missed; d cancelled; e still
    planned after its date (open); f at 23:30 local on its due day (on time); g at 00:30
    local the day after (late). Two weeks ago (M2): h on time. This week: i due today
    (pending). Nine weeks ago: j (outside eight weeks). Yulan: k on time last week.
    """
    today = utcnow().astimezone(LOCAL_TZ).date()
    m1 = this_monday() - timedelta(weeks=1)
    m2 = this_monday() - timedelta(weeks=2)
    m9 = this_monday() - timedelta(weeks=8)  # the first week of nine, not of eight
    async with own.sessionmaker().begin() as s:
        dengyue = await s.scalar(select(Community).where(Community.code == DENGYUE))
        yulan = await s.scalar(select(Community).where(Community.name == YULAN_NAME))
        assert dengyue is not None and yulan is not None
        # Only the visits below in the weeks looked at: the demo city's go (our own DB).
        await s.execute(
            delete(Visit).where(
                Visit.community_id == dengyue.id, Visit.due_by >= m9 - timedelta(weeks=1)
            )
        )
        grids = (
            await s.scalars(
                select(Grid).where(Grid.community_id == dengyue.id).order_by(Grid.code).limit(2)
            )
        ).all()
        assert len(grids) == 2

        async def home(grid_id: int) -> Building:
            b = await s.scalar(
                select(Building).where(Building.grid_id == grid_id).order_by(Building.code)
            )
            assert b is not None
            return b

        a_home, b_home = await home(grids[0].id), await home(grids[1].id)
        yulan_grid = await s.scalar(select(Grid).where(Grid.community_id == yulan.id))
        assert yulan_grid is not None
        y_home = await home(yulan_grid.id)

        def resident(name: str, where: Building, tags: list[str]) -> Resident:
            r = Resident(
                name=name, building_id=where.id, care_tags=tags, **Resident.placed_in(where)
            )
            s.add(r)
            return r

        r1 = resident("覆盖甲", a_home, ["elderly_alone", "disabled"])
        r2 = resident("覆盖乙", a_home, ["elderly_alone"])
        r3 = resident("覆盖丙", b_home, ["disabled"])
        r4 = resident("覆盖丁", b_home, ["low_income"])
        r5 = resident("覆盖戊", b_home, [])
        ry = resident("覆盖玉", y_home, ["elderly_alone"])
        await s.flush()

        def visit(r: Resident, due: date, state: VisitState, at: datetime | None = None) -> None:
            s.add(
                Visit(
                    resident_id=r.id,
                    due_by=due,
                    state=state,
                    visited_at=at,
                    **Visit.placed_in(r),
                )
            )

        d = timedelta
        visit(r1, m1 + d(2), VisitState.done, local(m1 + d(1), 12, 30))  # a
        visit(r2, m1 + d(3), VisitState.done, local(m1 + d(4), 19, 0))  # b
        visit(r3, m1 + d(1), VisitState.missed)  # c
        visit(r4, m1 + d(4), VisitState.cancelled)  # d
        visit(r5, m1 + d(5), VisitState.planned)  # e
        visit(r1, m1 + d(6), VisitState.done, local(m1 + d(6), 23, 30))  # f
        visit(r2, m1, VisitState.done, local(m1 + d(1), 0, 30))  # g
        visit(r3, m2 + d(2), VisitState.done, local(m2 + d(2), 12, 0))  # h
        visit(r1, today, VisitState.planned)  # i
        visit(r3, m9 + d(3), VisitState.done, local(m9 + d(3), 12, 0))  # j
        visit(ry, m1 + d(2), VisitState.done, local(m1 + d(2), 12, 0))  # k
    return {"grids": [g.code for g in grids], "m1": m1, "m2": m2}


async def coverage(client: Any, tokens: Tokens, phone: str, **params: Any) -> Any:
    return await client.get(
        f"/api/v1/communities/{DENGYUE}/visit-coverage",
        params=params,
        headers=await tokens.get(client, phone),
    )


def week(series: list[dict[str, Any]], monday: date) -> dict[str, Any]:
    (found,) = [w for w in series if w["week_start"] == monday.isoformat()]
    return found


async def test_coverage_matches_the_figures_worked_out_by_hand(
    own: Backend, own_app: Litestar, tokens: Tokens, made: dict[str, Any]
) -> None:
    m1, m2 = made["m1"], made["m2"]
    async with open_client(own_app, own) as client:
        r = await coverage(client, tokens, DENGYUE_ADMIN)
        assert r.status_code == 200, r.text
        body = r.json()
    assert len(body["weeks"]) == 8 and body["weeks"][-1] == this_monday().isoformat()
    assert body["weeks"] == sorted(body["weeks"])

    # Total last week: a b c e f g are due (d cancelled); a f on time; b g late.
    assert week(body["total"], m1) == {
        "week_start": m1.isoformat(),
        "due": 6,
        "on_time": 2,
        "late": 2,
        "missed": 1,
        "open": 1,
        "pending": 0,
        "share": round(2 / 6, 4),
    }
    assert week(body["total"], m2)["due"] == 1 and week(body["total"], m2)["share"] == 1.0
    now = week(body["total"], this_monday())
    assert (now["due"], now["pending"], now["share"]) == (0, 1, None)
    # Weeks with nothing due have no share (not 0 %); j (nine weeks ago) is not in range.
    oldest = body["total"][0]
    assert (oldest["due"], oldest["share"]) == (0, None)

    tags = {t["key"]: t["weeks"] for t in body["by_tag"]}
    # r1 holds two tags: a and f count under both.
    assert week(tags["elderly_alone"], m1)["due"] == 4  # a b f g
    assert week(tags["elderly_alone"], m1)["on_time"] == 2  # a f
    assert week(tags["elderly_alone"], m1)["share"] == 0.5
    assert week(tags["disabled"], m1)["due"] == 3  # a c f
    assert week(tags["disabled"], m1)["share"] == round(2 / 3, 4)
    assert week(tags["disabled"], m2)["share"] == 1.0  # h
    assert "low_income" not in tags  # d was cancelled: nothing due under its tag

    grids = {g["key"]: g for g in body["by_grid"]}
    first, second = made["grids"]
    assert week(grids[first]["weeks"], m1)["due"] == 4  # a b f g
    assert week(grids[first]["weeks"], m1)["share"] == 0.5
    assert week(grids[second]["weeks"], m1)["due"] == 2  # c e (d cancelled)
    assert week(grids[second]["weeks"], m1)["share"] == 0.0
    assert all(g["name"] for g in body["by_grid"])


async def test_the_range_is_weeks_long_and_bounded(
    own: Backend, own_app: Litestar, tokens: Tokens, made: dict[str, Any]
) -> None:
    async with open_client(own_app, own) as client:
        nine = (await coverage(client, tokens, DENGYUE_ADMIN, weeks=9)).json()
        assert nine["total"][0]["due"] == 1 and nine["total"][0]["on_time"] == 1  # j
        one = (await coverage(client, tokens, DENGYUE_ADMIN, weeks=1)).json()
        assert one["weeks"] == [this_monday().isoformat()]
        for bad in (0, 54, "x"):
            r = await coverage(client, tokens, DENGYUE_ADMIN, weeks=bad)
            assert r.status_code == 400, (bad, r.status_code)


async def test_the_sub_district_and_the_clerk_see_it_others_learn_nothing(
    own: Backend, own_app: Litestar, tokens: Tokens, made: dict[str, Any]
) -> None:
    async with open_client(own_app, own) as client:
        admin = (await coverage(client, tokens, DENGYUE_ADMIN)).json()
        for phone in (SUBDISTRICT_ADMIN, DENGYUE_CLERK):
            r = await coverage(client, tokens, phone)
            assert r.status_code == 200 and r.json()["total"] == admin["total"], phone
        for phone in (YULAN_ADMIN, DENGYUE_GRID_WORKER, DENGYUE_RESIDENT):
            r = await coverage(client, tokens, phone)
            assert r.status_code == 404, (phone, r.status_code)
            assert "覆盖" not in r.text and "due" not in r.text


def test_how_one_visit_counts() -> None:
    due, today = date(2026, 3, 4), date(2026, 3, 10)
    assert outcome(VisitState.done, due, due, today) == "on_time"
    assert outcome(VisitState.done, due, due + timedelta(days=1), today) == "late"
    assert outcome(VisitState.done, due, None, today) == "late"
    assert outcome(VisitState.missed, due, None, today) == "missed"
    assert outcome(VisitState.planned, due, None, today) == "open"
    assert outcome(VisitState.unplanned, due, None, today) == "open"
    assert outcome(VisitState.planned, today, None, today) == "pending"
    assert outcome(VisitState.done, today, today, today) == "on_time"  # done today: judged
    assert outcome(VisitState.cancelled, due, None, today) is None
