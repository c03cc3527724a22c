"""Every object endpoint, tried with a token from another scope: 403/404, never the data."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.accounts.models import User
from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_CLERK,
    DENGYUE_GRID_WORKER,
    DENGYUE_RESIDENT,
    DENGYUE_VOLUNTEER,
    SUBDISTRICT_ADMIN,
    SYSTEM_ADMIN,
    YULAN_ADMIN,
    YULAN_GRID_WORKER,
    Backend,
)


async def user_id(backend: Backend, phone: str) -> int:
    async with backend.sessionmaker()() as session:
        return int(await session.scalar(select(User.id).where(User.phone == phone)))


async def test_areas_are_limited_to_the_callers_scope(client, tokens) -> None:
    async def codes(phone: str, level: str) -> list[str]:
        r = await client.get(
            "/api/v1/areas", params={"level": level}, headers=await tokens.get(client, phone)
        )
        assert r.status_code == 200, r.text
        return [a["code"] for a in r.json()]

    worker = await codes(DENGYUE_GRID_WORKER, "grid")
    assert len(worker) == 1
    admin = await codes(DENGYUE_ADMIN, "grid")
    assert len(admin) == 10 and worker[0] in admin
    yulan = await codes(YULAN_ADMIN, "grid")
    assert len(yulan) == 10 and not set(yulan) & set(admin)
    assert len(await codes(SUBDISTRICT_ADMIN, "community")) == 3
    assert len(await codes(SUBDISTRICT_ADMIN, "grid")) == 30
    assert len(await codes(SYSTEM_ADMIN, "grid")) == 60
    assert await codes(DENGYUE_RESIDENT, "grid") == []
    assert await codes(DENGYUE_ADMIN, "sub_district") == []


async def test_area_listing_carries_party_organisations_and_counts(client, tokens) -> None:
    r = await client.get(
        "/api/v1/areas", params={"level": "grid"}, headers=await tokens.get(client, DENGYUE_ADMIN)
    )
    grid = r.json()[0]
    assert grid["party_org"].endswith("党小组")
    assert grid["buildings"] == 10 and grid["households"] > 0
    r = await client.get(
        "/api/v1/areas",
        params={"level": "community"},
        headers=await tokens.get(client, DENGYUE_ADMIN),
    )
    assert r.json()[0]["party_org"] == "登月社区党支部"


async def test_map_shows_only_the_callers_grids(client, tokens) -> None:
    r = await client.get("/api/v1/map", headers=await tokens.get(client, DENGYUE_GRID_WORKER))
    assert r.status_code == 200
    features = r.json()["features"]
    grids = [f for f in features if f["properties"]["level"] == "grid"]
    assert len(grids) == 1
    assert grids[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    buildings = [f for f in features if f["properties"]["level"] == "building"]
    assert len(buildings) == 10
    assert all(f["geometry"]["type"] == "Point" for f in buildings)
    # A resident sees the community they live in, outlines only of areas they may see.
    r = await client.get("/api/v1/map", headers=await tokens.get(client, DENGYUE_RESIDENT))
    levels = [f["properties"]["level"] for f in r.json()["features"]]
    assert levels.count("community") == 1 and levels.count("grid") == 10
    assert (await client.get("/api/v1/map")).status_code == 401


@pytest.mark.parametrize(
    ("viewer", "target", "visible"),
    [
        (DENGYUE_GRID_WORKER, DENGYUE_RESIDENT, True),  # lives in their grid
        (DENGYUE_GRID_WORKER, YULAN_GRID_WORKER, False),  # other community
        (DENGYUE_GRID_WORKER, DENGYUE_CLERK, False),  # bound to the community, not inside the grid
        (DENGYUE_ADMIN, DENGYUE_RESIDENT, True),
        (DENGYUE_ADMIN, YULAN_GRID_WORKER, False),
        (YULAN_ADMIN, DENGYUE_RESIDENT, False),
        (SUBDISTRICT_ADMIN, DENGYUE_RESIDENT, True),
        (SUBDISTRICT_ADMIN, YULAN_ADMIN, False),  # 玉兰花园 is in the other sub-district
        (SYSTEM_ADMIN, YULAN_ADMIN, True),
    ],
)
async def test_one_user_from_another_scope_is_404(
    client, tokens, backend: Backend, viewer, target, visible
) -> None:
    uid = await user_id(backend, target)
    headers = await tokens.get(client, viewer)
    r = await client.get(f"/api/v1/users/{uid}", headers=headers)
    assert r.status_code == (200 if visible else 404), r.text
    reveal = await client.post(f"/api/v1/users/{uid}/reveal-phone", headers=headers)
    assert reveal.status_code == (200 if visible else 404)
    if visible:
        assert r.json()["phone_masked"].count("*") == 4
        assert reveal.json()["phone"] == target


async def test_people_lists_are_scoped_and_masked(client, tokens) -> None:
    r = await client.get("/api/v1/users", headers=await tokens.get(client, DENGYUE_ADMIN))
    assert r.status_code == 200
    people = r.json()
    phones = {p["phone_masked"] for p in people}
    assert "138****0007" in phones and "138****0008" not in phones
    assert all("*" in p["phone_masked"] for p in people)
    for outsider in (DENGYUE_RESIDENT, DENGYUE_VOLUNTEER):
        r = await client.get("/api/v1/users", headers=await tokens.get(client, outsider))
        assert r.status_code == 403
        assert r.json()["detail"] == "您的角色无权进行此操作"
    assert (await client.get("/api/v1/users")).status_code == 401


async def test_admins_grant_roles_only_inside_their_area(client, tokens) -> None:
    areas = (
        await client.get(
            "/api/v1/areas", params={"level": "grid"}, headers=await tokens.get(client, YULAN_ADMIN)
        )
    ).json()
    yulan_grid = areas[0]["code"]
    dengyue = (
        await client.get(
            "/api/v1/areas",
            params={"level": "grid"},
            headers=await tokens.get(client, DENGYUE_ADMIN),
        )
    ).json()[1]["code"]
    headers = await tokens.get(client, DENGYUE_ADMIN)

    def person(phone: str, role: str, code: str | None) -> dict[str, object]:
        return {
            "phone": phone,
            "name": "测试",
            "password": "a-long-password",
            "roles": [{"role": role, "scope_code": code}],
        }

    outside = await client.post(
        "/api/v1/users", json=person("13700000001", "grid_worker", yulan_grid), headers=headers
    )
    assert outside.status_code == 403
    sysadmin = await client.post(
        "/api/v1/users", json=person("13700000002", "system_admin", None), headers=headers
    )
    assert sysadmin.status_code == 403
    inside = await client.post(
        "/api/v1/users", json=person("13700000003", "grid_worker", dengyue), headers=headers
    )
    assert inside.status_code == 201, inside.text
    assert inside.json()["roles"][0]["scope_code"] == dengyue
    again = await client.post(
        "/api/v1/users", json=person("13700000003", "grid_worker", dengyue), headers=headers
    )
    assert again.status_code == 409
    # Grid workers register residents of buildings in their grid only.
    worker = await tokens.get(client, DENGYUE_GRID_WORKER)
    resident = {
        "phone": "13700000004",
        "name": "李大爷",
        "password": "a-long-password",
        "roles": [{"role": "resident"}],
        "home_building_code": f"{yulan_grid}B001",
    }
    assert (await client.post("/api/v1/users", json=resident, headers=worker)).status_code == 403
    # Volunteers and residents may not create anyone.
    assert (
        await client.post(
            "/api/v1/users",
            json=person("13700000005", "resident", None),
            headers=await tokens.get(client, DENGYUE_VOLUNTEER),
        )
    ).status_code == 403


async def test_grid_map_import_and_export_are_for_system_administrators(client, tokens) -> None:
    for phone in (DENGYUE_ADMIN, SUBDISTRICT_ADMIN, DENGYUE_RESIDENT):
        headers = await tokens.get(client, phone)
        assert (await client.get("/api/v1/grid-maps/export", headers=headers)).status_code == 403
        r = await client.post(
            "/api/v1/grid-maps", json={"type": "FeatureCollection", "features": []}, headers=headers
        )
        assert r.status_code == 403


async def test_unmasking_is_audited_and_the_audit_log_is_scoped(
    client, tokens, backend: Backend
) -> None:
    uid = await user_id(backend, DENGYUE_RESIDENT)
    await client.post(
        f"/api/v1/users/{uid}/reveal-phone", headers=await tokens.get(client, DENGYUE_ADMIN)
    )
    mine = await client.get(
        "/api/v1/audit",
        params={"action": "user.unmask_phone"},
        headers=await tokens.get(client, DENGYUE_ADMIN),
    )
    assert mine.status_code == 200
    entries = mine.json()
    assert entries and entries[0]["object_id"] == str(uid)
    assert entries[0]["actor_id"] == await user_id(backend, DENGYUE_ADMIN)
    assert DENGYUE_RESIDENT not in str(entries)  # the log names who, never the data itself
    theirs = await client.get(
        "/api/v1/audit",
        params={"action": "user.unmask_phone"},
        headers=await tokens.get(client, YULAN_ADMIN),
    )
    assert all(e["object_id"] != str(uid) for e in theirs.json())
    assert (
        await client.get("/api/v1/audit", headers=await tokens.get(client, DENGYUE_GRID_WORKER))
    ).status_code == 403
