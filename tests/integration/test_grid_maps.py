"""Grid map import (validating, all or nothing, idempotent) and export, through the API and the CLI."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from server.demo import DEMO_MAP
from server.grids.models import Building, Community, Grid, PartyOrg, Storefront, SubDistrict
from tests.conftest import SYSTEM_ADMIN, Backend

ROOT = Path(__file__).resolve().parents[2]


def demo() -> dict[str, Any]:
    return json.loads(DEMO_MAP.read_text(encoding="utf-8"))


def feature(doc: dict[str, Any], level: str, n: int = 0) -> dict[str, Any]:
    return [f for f in doc["features"] if f["properties"]["level"] == level][n]


async def counts(backend: Backend) -> dict[str, int]:
    async with backend.sessionmaker()() as session:
        return {
            m.__tablename__: int(await session.scalar(select(func.count()).select_from(m)))
            for m in (SubDistrict, Community, Grid, Building, Storefront, PartyOrg)
        }


async def post_map(client, tokens, doc: dict[str, Any], lang: str = "zh-CN"):
    headers = {**await tokens.get(client, SYSTEM_ADMIN), "Accept-Language": lang}
    return await client.post("/api/v1/grid-maps", json=doc, headers=headers)


async def test_reimport_updates_in_place_and_duplicates_nothing(
    client, tokens, backend: Backend
) -> None:
    before = await counts(backend)
    assert before == {
        "sub_districts": 2,
        "communities": 6,
        "grids": 60,
        "buildings": 600,
        "storefronts": before["storefronts"],
        "party_orgs": 68,
    }
    doc = demo()
    feature(doc, "grid", 3)["properties"]["name"] = "登月社区第4网格(改名)"
    r = await post_map(client, tokens, doc)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["ok"] is True
    assert report["created"]["grid"] == 0 and report["updated"]["grid"] == 60
    assert await counts(backend) == before
    exported = (
        await client.get("/api/v1/grid-maps/export", headers=await tokens.get(client, SYSTEM_ADMIN))
    ).json()
    names = {f["properties"]["code"]: f["properties"]["name"] for f in exported["features"]}
    assert names[feature(doc, "grid", 3)["properties"]["code"]] == "登月社区第4网格(改名)"
    # Put the original name back for the other tests.
    assert (await post_map(client, tokens, demo())).status_code == 200


async def test_export_round_trips_through_import(client, tokens, backend: Backend) -> None:
    headers = await tokens.get(client, SYSTEM_ADMIN)
    exported = (await client.get("/api/v1/grid-maps/export", headers=headers)).json()
    original = {f["properties"]["code"]: f for f in demo()["features"]}
    assert len(exported["features"]) == len(original)
    for f in exported["features"]:
        src = original[f["properties"]["code"]]
        assert f["properties"]["level"] == src["properties"]["level"]
        assert f["properties"]["name"] == src["properties"]["name"]
        assert f["properties"]["parent"] == src["properties"]["parent"]
        assert f["geometry"]["type"] == src["geometry"]["type"]
    r = await post_map(client, tokens, exported)
    assert r.status_code == 200
    assert sum(r.json()["created"].values()) == 0


def bowtie(around: list[list[float]]) -> dict[str, Any]:
    (x0, y0), (x1, y1) = around[0], around[2]
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]]}


def broken_file() -> tuple[dict[str, Any], dict[int, str]]:
    """A copy of the demo map with one problem of each kind; returns the expected reasons by index."""
    doc = demo()
    feats = doc["features"]
    idx = {f["properties"]["code"]: i for i, f in enumerate(feats)}
    grids = [f for f in feats if f["properties"]["level"] == "grid"]
    expected: dict[int, str] = {}

    g0 = grids[0]  # self-intersecting
    ring = g0["geometry"]["coordinates"][0]
    g0["geometry"] = bowtie(ring)
    expected[idx[g0["properties"]["code"]]] = "几何无效"

    g1 = grids[1]  # moved 1 km east, outside its community
    g1["geometry"]["coordinates"] = [[[x + 0.011, y] for x, y in g1["geometry"]["coordinates"][0]]]
    expected[idx[g1["properties"]["code"]]] = "超出上级"

    g2 = grids[2]  # parent that exists nowhere
    g2["properties"]["parent"] = "410902001999"
    g2["properties"]["code"] = "410902001999001"
    expected[idx[grids[2]["properties"]["code"]] if False else feats.index(g2)] = (
        "上级 410902001999 不存在"
    )

    g4 = grids[4]  # overlaps its sibling grids[5] by taking its whole shape
    g4["geometry"] = copy.deepcopy(grids[5]["geometry"])
    g4_index = feats.index(g4)

    dup = copy.deepcopy(grids[6])  # same code twice
    feats.append(dup)
    expected[len(feats) - 1] = "重复"

    bad = copy.deepcopy(grids[7])  # coordinates out of range
    bad["properties"]["code"] = bad["properties"]["code"][:-3] + "999"
    bad["geometry"]["coordinates"] = [[[x + 200, y] for x, y in bad["geometry"]["coordinates"][0]]]
    feats.append(bad)
    expected[len(feats) - 1] = "坐标超出范围"
    return doc, {**expected, g4_index: "重叠"}


async def test_invalid_file_is_reported_per_feature_and_nothing_is_applied(
    client, tokens, backend: Backend
) -> None:
    before = await counts(backend)
    doc, expected = broken_file()
    # The file also renames a valid grid: that must not be applied either.
    good = feature(doc, "grid", 9)
    good["properties"]["name"] = "不应出现"
    r = await post_map(client, tokens, doc)
    assert r.status_code == 422, r.text
    report = r.json()
    assert report["ok"] is False
    by_index: dict[int, list[str]] = {}
    for p in report["problems"]:
        by_index.setdefault(p["index"], []).append(p["reason"])
        assert p["code"]
    for index, fragment in expected.items():
        assert any(fragment in reason for reason in by_index.get(index, [])), (
            index,
            fragment,
            by_index,
        )
    assert await counts(backend) == before
    async with backend.sessionmaker()() as session:
        assert await session.scalar(select(Grid).where(Grid.name == "不应出现")) is None
    admin = await tokens.get(client, SYSTEM_ADMIN)
    await client.patch("/api/v1/me", json={"locale": "en"}, headers=admin)
    try:
        en = await post_map(client, tokens, doc)
        assert any(p["reason"].startswith("overlaps 4109") for p in en.json()["problems"])
    finally:
        await client.patch("/api/v1/me", json={"locale": "zh_Hans"}, headers=admin)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"type": "Feature"},
        {"type": "FeatureCollection", "features": "nope"},
        {"type": "FeatureCollection", "features": [1, "x", None]},
        {
            "type": "FeatureCollection",
            "features": [{"properties": {"level": "grid", "code": "1", "name": "x"}}],
        },
    ],
)
async def test_nonsense_files_are_refused_with_reasons(client, tokens, body) -> None:
    r = await post_map(client, tokens, body)
    assert r.status_code == 422
    assert r.json()["problems"]
