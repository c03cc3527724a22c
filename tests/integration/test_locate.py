"""Point → grid chain, on both engines, through the HTTP API."""

from __future__ import annotations

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import select

from server.grids.models import Building, Community, Grid, SubDistrict
from tests.conftest import Backend


async def _grids(backend: Backend) -> list[tuple[Grid, Community, SubDistrict]]:
    async with backend.sessionmaker()() as session:
        rows = (
            await session.execute(
                select(Grid, Community, SubDistrict)
                .join(Community, Community.id == Grid.community_id)
                .join(SubDistrict, SubDistrict.id == Grid.sub_district_id)
                .order_by(Grid.code)
            )
        ).all()
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_every_grid_locates_its_own_interior_point(client, backend: Backend) -> None:
    rows = await _grids(backend)
    assert len(rows) == 60
    for grid, community, sub_district in rows:
        point = to_shape(grid.boundary).representative_point()
        r = await client.get("/api/v1/locate", params={"lon": point.x, "lat": point.y})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["grid"]["code"] == grid.code
        assert body["community"] == {"code": community.code, "name": community.name}
        assert body["sub_district"]["code"] == sub_district.code


async def test_outside_every_grid_is_a_clear_404_in_the_callers_language(client) -> None:
    params = {"lon": 100.0, "lat": 30.0}
    zh = await client.get("/api/v1/locate", params=params)
    assert zh.status_code == 404
    assert zh.json()["detail"] == "该位置不在任何网格内"
    assert zh.json()["code"] == "outside_grid"
    hant = await client.get(
        "/api/v1/locate", params=params, headers={"Accept-Language": "zh-TW,zh;q=0.9"}
    )
    assert hant.json()["detail"] == "該位置不在任何網格內"
    en = await client.get(
        "/api/v1/locate", params=params, headers={"Accept-Language": "en-GB,en;q=0.8"}
    )
    assert en.json()["detail"] == "This location is not inside any grid"


async def test_localised_area_names_follow_the_language(client, backend: Backend) -> None:
    grid, _, _ = (await _grids(backend))[0]
    p = to_shape(grid.boundary).representative_point()
    en = (
        await client.get(
            "/api/v1/locate", params={"lon": p.x, "lat": p.y}, headers={"Accept-Language": "en"}
        )
    ).json()
    assert en["grid"]["name"] == grid.name_i18n["en"]
    assert en["grid"]["name"].isascii()


@pytest.mark.parametrize(
    "params",
    [
        {"lon": 181, "lat": 35},
        {"lon": 115, "lat": -91},
        {"lon": "east", "lat": 35},
        {"lon": 115},
        {},
        {"lon": "nan", "lat": 35},
    ],
)
async def test_bad_coordinates_are_400_with_a_reason(client, params) -> None:
    r = await client.get("/api/v1/locate", params=params)
    assert r.status_code == 400, r.text
    assert r.json()["detail"] == "请求数据有误"
    assert r.json()["extra"]


async def test_locate_by_building(client, backend: Backend) -> None:
    async with backend.sessionmaker()() as session:
        b = await session.scalar(select(Building).order_by(Building.code).limit(1))
        grid = await session.get(Grid, b.grid_id)
    r = await client.get(f"/api/v1/buildings/{b.code}/grid")
    assert r.status_code == 200
    assert r.json()["grid"]["code"] == grid.code
    assert r.json()["building"]["code"] == b.code
    missing = await client.get("/api/v1/buildings/410902999999999B001/grid")
    assert missing.status_code == 404
