"""Grid listings and the building lookup stay inside the caller's scope (the one scope rule)."""

from __future__ import annotations

from sqlalchemy import select

from server.grids.models import Community, Grid, SubDistrict
from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_CLERK,
    DENGYUE_GRID_WORKER,
    DENGYUE_RESIDENT,
    DENGYUE_VOLUNTEER,
    SUBDISTRICT_ADMIN,
    YULAN_ADMIN,
    YULAN_GRID_WORKER,
    Backend,
)


async def grid_codes_of(backend: Backend, *, community: str | None = None) -> dict[str, str]:
    """grid code → community name, optionally of one community (straight from the database)."""
    async with backend.sessionmaker()() as session:
        query = select(Grid.code, Community.name).join(Community, Community.id == Grid.community_id)
        if community:
            query = query.where(Community.name == community)
        return {code: name for code, name in (await session.execute(query)).all()}


async def listed_grids(client, tokens, phone: str) -> list[dict]:
    r = await client.get(
        "/api/v1/areas", params={"level": "grid"}, headers=await tokens.get(client, phone)
    )
    assert r.status_code == 200, r.text
    return r.json()


async def test_grid_listing_is_scoped_for_admins_grid_workers_and_sub_districts(
    client, tokens, backend: Backend
) -> None:
    dengyue = await grid_codes_of(backend, community="登月社区")
    yulan = await grid_codes_of(backend, community="玉兰花园社区")
    assert dengyue and yulan

    admin = {g["code"] for g in await listed_grids(client, tokens, DENGYUE_ADMIN)}
    assert admin == set(dengyue)
    assert not admin & set(yulan)
    assert {g["code"] for g in await listed_grids(client, tokens, YULAN_ADMIN)} == set(yulan)
    # The window clerk (community staff) sees the same grids as her admin.
    assert {g["code"] for g in await listed_grids(client, tokens, DENGYUE_CLERK)} == admin

    # A grid worker: their own grid and nothing else of the community.
    worker = [g["code"] for g in await listed_grids(client, tokens, DENGYUE_GRID_WORKER)]
    assert worker == [min(dengyue)]
    assert [g["code"] for g in await listed_grids(client, tokens, YULAN_GRID_WORKER)] == [
        min(yulan)
    ]

    # A sub-district admin: every grid of their sub-district, none of another.
    async with backend.sessionmaker()() as session:
        first_sd = await session.scalar(select(SubDistrict.id).order_by(SubDistrict.code).limit(1))
        ours = set(
            (await session.scalars(select(Grid.code).where(Grid.sub_district_id == first_sd))).all()
        )
        theirs = set(
            (await session.scalars(select(Grid.code).where(Grid.sub_district_id != first_sd))).all()
        )
    assert theirs, "the demo city has a second sub-district"
    sd = {g["code"] for g in await listed_grids(client, tokens, SUBDISTRICT_ADMIN)}
    assert sd == ours and not sd & theirs

    # Volunteers and residents are bound to a community but are not staff: no grid list.
    assert await listed_grids(client, tokens, DENGYUE_VOLUNTEER) == []
    assert await listed_grids(client, tokens, DENGYUE_RESIDENT) == []
