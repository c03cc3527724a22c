"""Payloads of the grid API."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar.params import QueryParameter

__all__ = [
    "AreaRef",
    "AreaSummary",
    "BuildingMatch",
    "GridChain",
    "ImportProblem",
    "ImportReport",
    "Lat",
    "Lon",
]

Lon = Annotated[float, QueryParameter(ge=-180, le=180, description="longitude, WGS84 (EPSG:4326)")]
Lat = Annotated[float, QueryParameter(ge=-90, le=90, description="latitude, WGS84 (EPSG:4326)")]


class AreaRef(msgspec.Struct, frozen=True):
    code: str
    name: str


class GridChain(msgspec.Struct, frozen=True):
    """Sub-district → community → grid containing a point or building."""

    sub_district: AreaRef
    community: AreaRef
    grid: AreaRef
    building: AreaRef | None = None


class BuildingMatch(msgspec.Struct, frozen=True):
    """A building found by the lookup: enough to recognise it and register a resident there."""

    code: str
    name: str
    address: str
    households: int
    grid_code: str
    grid: str


class AreaSummary(msgspec.Struct, frozen=True):
    level: str
    code: str
    name: str
    parent_code: str | None
    party_org: str | None = None
    kind: str | None = None
    children: int = 0
    buildings: int = 0
    households: int = 0


class ImportProblem(msgspec.Struct, frozen=True):
    index: int
    code: str | None
    reason: str


class ImportReport(msgspec.Struct, frozen=True):
    ok: bool
    created: dict[str, int]
    updated: dict[str, int]
    problems: list[ImportProblem]


GeoJSON = dict[str, Any]
