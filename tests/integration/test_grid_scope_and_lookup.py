"""Grid listings and the building lookup stay inside the caller's scope (the one scope rule)."""

from __future__ import annotations

from sqlalchemy import select

from server.grids.models import Building, Community, Grid, SubDistrict
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


async def test_building_lookup_finds_by_code_prefix_name_or_address_within_scope(
    client, tokens, backend: Backend
) -> None:
    async def find(phone: str, q: str, **params: object) -> list[dict]:
        r = await client.get(
            "/api/v1/buildings", params={"q": q, **params}, headers=await tokens.get(client, phone)
        )
        assert r.status_code == 200, r.text
        return r.json()

    dengyue = set(await grid_codes_of(backend, community="登月社区"))
    async with backend.sessionmaker()() as session:
        first = (
            await session.execute(
                select(Building.code, Building.name, Building.address)
                .join(Grid, Grid.id == Building.grid_id)
                .where(Grid.code == min(dengyue))
                .order_by(Building.code)
                .limit(1)
            )
        ).one()
    code, name, address = first

    by_code = await find(DENGYUE_CLERK, code[:-1].lower())
    assert code in [b["code"] for b in by_code] and 1 <= len(by_code) <= 20
    assert all(b["code"].startswith(code[:-1]) for b in by_code)
    assert by_code[0]["grid_code"] == min(dengyue) and by_code[0]["grid"]
    assert code in [b["code"] for b in await find(DENGYUE_CLERK, name)]
    if address:
        assert code in [b["code"] for b in await find(DENGYUE_CLERK, address[-6:])]

    # At most 20, and only what the caller's scope holds.
    wide = await find(SUBDISTRICT_ADMIN, "4")
    assert len(wide) == 20
    assert len(await find(SUBDISTRICT_ADMIN, "4", limit=5)) == 5
    assert all(b["grid_code"] in dengyue for b in await find(DENGYUE_ADMIN, "4"))
    assert await find(YULAN_ADMIN, code) == []
    assert await find(YULAN_ADMIN, name) == []
    worker = await find(DENGYUE_GRID_WORKER, "4")
    assert worker and {b["grid_code"] for b in worker} == {min(dengyue)}
    assert await find(DENGYUE_CLERK, "%") == [] and await find(DENGYUE_CLERK, "_") == []

    # Non-staff may not look buildings up; strangers must log in; the text is required.
    r = await client.get(
        "/api/v1/buildings", params={"q": "4"}, headers=await tokens.get(client, DENGYUE_VOLUNTEER)
    )
    assert r.status_code == 403
    assert (await client.get("/api/v1/buildings", params={"q": "4"})).status_code == 401
    r = await client.get("/api/v1/buildings", headers=await tokens.get(client, DENGYUE_CLERK))
    assert r.status_code == 400
