"""Import and export of grid maps (GeoJSON, the format of ``grid_maps/README.md``).

Import is all or nothing: the whole file is parsed and validated first, every
problem is reported per feature (index, code, reason), and only a clean file is
written, in one transaction, updating rows in place by code. Checks: geometry
type per level, valid polygons (self-intersections named), coordinates in
range, codes well formed and unique, parents present (in the file or the
database), children inside their parent (within a tolerance in metres), and
sibling areas not overlapping by more than that tolerance.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import shapely
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.grids.codes import check_code
from server.grids.models import (
    Building,
    Community,
    Grid,
    GridKind,
    Level,
    PartyOrg,
    PartyOrgKind,
    Storefront,
    SubDistrict,
)
from server.lib.i18n import N_, translate

__all__ = [
    "ExportOptions",
    "GridMapInvalid",
    "ImportResult",
    "Problem",
    "export_grid_map",
    "import_grid_map",
    "validate_grid_map",
]

AREA_LEVELS = ("sub_district", "community", "grid")
LEVELS = (*AREA_LEVELS, "building", "storefront")
PARENT_LEVEL = {
    "community": "sub_district",
    "grid": "community",
    "building": "grid",
    "storefront": "grid",
}
AREA_MODELS: dict[str, Any] = {"sub_district": SubDistrict, "community": Community, "grid": Grid}
PARTY_KIND = {
    "sub_district": PartyOrgKind.party_working_committee,
    "community": PartyOrgKind.party_branch,
    "grid": PartyOrgKind.party_group,
}
METRES_PER_DEGREE = 111_320.0
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Problem:
    index: int  # feature index in the file; -1 for the file itself
    code: str | None
    message: str  # English msgid, translated when shown
    params: dict[str, object] = field(default_factory=dict)

    def render(self, locale: str) -> dict[str, object]:
        return {
            "index": self.index,
            "code": self.code,
            "reason": translate(self.message, locale, **self.params),
        }


class GridMapInvalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in grid map")
        self.problems = problems


@dataclass(slots=True)
class Feature:
    index: int
    level: str
    code: str
    parent: str | None
    name: str
    props: dict[str, Any]
    geom: BaseGeometry


@dataclass(slots=True)
class ImportResult:
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))


@dataclass(frozen=True, slots=True)
class ExportOptions:
    county_code: str | None = None
    county_name: str | None = None


@dataclass(slots=True)
class _Known:
    """Areas already in the database: code → (id, parent id, geometry)."""

    ids: dict[str, dict[str, int]] = field(default_factory=lambda: {lvl: {} for lvl in AREA_LEVELS})
    geoms: dict[str, dict[str, BaseGeometry]] = field(
        default_factory=lambda: {lvl: {} for lvl in AREA_LEVELS}
    )
    parents: dict[str, dict[str, str]] = field(
        default_factory=lambda: {lvl: {} for lvl in AREA_LEVELS}
    )


# --- parsing -------------------------------------------------------------------------------


def _in_range(geom: BaseGeometry) -> bool:
    minx, miny, maxx, maxy = geom.bounds
    return bool(-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90)


def _parse(doc: Any, segments: tuple[int, ...]) -> tuple[list[Feature], list[Problem]]:
    problems: list[Problem] = []
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        return [], [Problem(-1, None, N_("the file is not a GeoJSON FeatureCollection"))]
    raw_features = doc.get("features")
    if not isinstance(raw_features, list):
        return [], [Problem(-1, None, N_("the file is not a GeoJSON FeatureCollection"))]
    features: list[Feature] = []
    seen: dict[tuple[str, str], int] = {}
    for index, raw in enumerate(raw_features):
        props = raw.get("properties") if isinstance(raw, dict) else None
        if not isinstance(props, dict):
            problems.append(Problem(index, None, N_("feature has no properties")))
            continue
        code = props.get("code")
        code = code if isinstance(code, str) and code else None
        level = props.get("level")
        if level not in LEVELS:
            problems.append(
                Problem(index, code, N_("unknown level {level}"), {"level": str(level)})
            )
            continue
        if code is None:
            problems.append(Problem(index, None, N_("feature has no code")))
            continue
        name = props.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(index, code, N_("feature has no name")))
            continue
        parent = props.get("parent")
        if level == "sub_district":
            parent = None
        elif not isinstance(parent, str) or not parent:
            problems.append(Problem(index, code, N_("feature has no parent code")))
            continue
        bad_code = check_code(level, code, parent, segments)
        if bad_code:
            problems.append(Problem(index, code, bad_code[0], bad_code[1]))
            continue
        if (level, code) in seen or (
            level in AREA_LEVELS and any((other, code) in seen for other in AREA_LEVELS)
        ):
            problems.append(Problem(index, code, N_("duplicate code {code}"), {"code": code}))
            continue
        seen[(level, code)] = index
        try:
            geom = shape(raw["geometry"])
        except Exception:
            problems.append(Problem(index, code, N_("geometry is missing or not GeoJSON")))
            continue
        allowed = {
            "sub_district": ("Polygon", "MultiPolygon"),
            "community": ("Polygon", "MultiPolygon"),
            "grid": ("Polygon", "MultiPolygon"),
            "building": ("Point", "Polygon"),
            "storefront": ("Point",),
        }[level]
        if geom.geom_type not in allowed:
            problems.append(
                Problem(
                    index,
                    code,
                    N_("a {level} cannot be a {geometry}"),
                    {"level": level, "geometry": geom.geom_type},
                )
            )
            continue
        if geom.is_empty or not _in_range(geom) or not all(math.isfinite(v) for v in geom.bounds):
            problems.append(
                Problem(index, code, N_("coordinates out of range (longitude ±180, latitude ±90)"))
            )
            continue
        if not geom.is_valid:
            problems.append(
                Problem(index, code, N_("invalid geometry: {why}"), {"why": explain_validity(geom)})
            )
            continue
        features.append(Feature(index, level, code, parent, name.strip(), props, geom))
    return features, problems


# --- validation ----------------------------------------------------------------------------


def _check_tree(features: list[Feature], known: _Known, tolerance_m: float) -> list[Problem]:
    problems: list[Problem] = []
    tol = tolerance_m / METRES_PER_DEGREE
    geoms: dict[str, dict[str, BaseGeometry]] = {lvl: dict(known.geoms[lvl]) for lvl in AREA_LEVELS}
    parents: dict[str, dict[str, str]] = {lvl: dict(known.parents[lvl]) for lvl in AREA_LEVELS}
    for f in features:
        if f.level in AREA_LEVELS:
            geoms[f.level][f.code] = f.geom
            if f.parent:
                parents[f.level][f.code] = f.parent
    buffered: dict[tuple[str, str], Any] = {}

    def parent_shape(level: str, code: str) -> Any:
        key = (level, code)
        if key not in buffered:
            prepared = geoms[level][code].buffer(tol)
            shapely.prepare(prepared)
            buffered[key] = prepared
        return buffered[key]

    for f in features:
        if f.parent is None:
            continue
        parent_level = PARENT_LEVEL[f.level]
        if f.parent not in geoms[parent_level]:
            problems.append(
                Problem(f.index, f.code, N_("parent {parent} does not exist"), {"parent": f.parent})
            )
            continue
        if not parent_shape(parent_level, f.parent).covers(f.geom):
            problems.append(
                Problem(
                    f.index,
                    f.code,
                    N_("lies outside its parent {parent} by more than {tolerance} m"),
                    {"parent": f.parent, "tolerance": tolerance_m},
                )
            )
    # Siblings: areas with the same parent that overlap by more than the tolerance.
    in_file = {(f.level, f.code): f for f in features if f.level in AREA_LEVELS}
    for level in AREA_LEVELS:
        by_parent: dict[str | None, list[str]] = defaultdict(list)
        for code in geoms[level]:
            by_parent[parents[level].get(code)].append(code)
        for codes in by_parent.values():
            if len(codes) < 2 or not any((level, c) in in_file for c in codes):
                continue
            shapes = [geoms[level][c] for c in codes]
            tree = shapely.STRtree(shapes)
            left, right = tree.query(shapes, predicate="intersects")
            for i, j in zip(left.tolist(), right.tolist(), strict=True):
                if i >= j:
                    continue
                overlap = shapes[i].intersection(shapes[j])
                if overlap.area <= 0 or overlap.buffer(-tol / 2).is_empty:
                    continue  # shared edges and slivers within the tolerance are fine
                for mine, other in ((codes[i], codes[j]), (codes[j], codes[i])):
                    overlapping = in_file.get((level, mine))
                    if overlapping is not None:
                        problems.append(
                            Problem(
                                overlapping.index,
                                overlapping.code,
                                N_("overlaps {other}"),
                                {"other": other},
                            )
                        )
    return sorted(problems, key=lambda p: p.index)


async def _load_known(session: AsyncSession) -> _Known:
    known = _Known()
    sd_codes: dict[int, str] = {}
    for row in await session.execute(
        select(SubDistrict.id, SubDistrict.code, SubDistrict.boundary)
    ):
        known.ids["sub_district"][row.code] = row.id
        known.geoms["sub_district"][row.code] = to_shape(row.boundary)
        sd_codes[row.id] = row.code
    cm_codes: dict[int, str] = {}
    for row in await session.execute(
        select(Community.id, Community.code, Community.sub_district_id, Community.boundary)
    ):
        known.ids["community"][row.code] = row.id
        known.geoms["community"][row.code] = to_shape(row.boundary)
        known.parents["community"][row.code] = sd_codes[row.sub_district_id]
        cm_codes[row.id] = row.code
    for row in await session.execute(select(Grid.id, Grid.code, Grid.community_id, Grid.boundary)):
        known.ids["grid"][row.code] = row.id
        known.geoms["grid"][row.code] = to_shape(row.boundary)
        known.parents["grid"][row.code] = cm_codes[row.community_id]
    return known


def validate_grid_map(doc: Any, *, segments: tuple[int, ...], tolerance_m: float) -> list[Problem]:
    """Validate a file on its own (as if the database were empty): for the CLI's --check."""
    features, problems = _parse(doc, segments)
    return sorted(problems + _check_tree(features, _Known(), tolerance_m), key=lambda p: p.index)


# --- writing -------------------------------------------------------------------------------


def _multi(geom: BaseGeometry) -> MultiPolygon:
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])


def _i18n(props: dict[str, Any]) -> dict[str, str]:
    raw = props.get("name_i18n")
    if not isinstance(raw, dict):
        return {}
    return {str(k): str(v) for k, v in raw.items() if isinstance(v, str) and v}


def _chunks(rows: list[dict[str, Any]], size: int = 500) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


async def _upsert(
    session: AsyncSession,
    model: Any,
    rows: list[dict[str, Any]],
    existing: dict[str, int],
    result: ImportResult,
    level: str,
    progress: Progress | None,
) -> None:
    new = [r for r in rows if r["code"] not in existing]
    old = [{**r, "id": existing[r["code"]]} for r in rows if r["code"] in existing]
    done = 0
    for chunk in _chunks(new):
        await session.execute(insert(model), chunk)
        done += len(chunk)
        if progress:
            progress(level, done, len(rows))
    for chunk in _chunks(old):
        await session.execute(update(model), chunk)
        done += len(chunk)
        if progress:
            progress(level, done, len(rows))
    result.created[level] += len(new)
    result.updated[level] += len(old)


async def _codes_to_ids(session: AsyncSession, model: Any) -> dict[str, int]:
    return {row.code: row.id for row in await session.execute(select(model.code, model.id))}


async def import_grid_map(
    session: AsyncSession,
    doc: Any,
    *,
    segments: tuple[int, ...],
    tolerance_m: float,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate ``doc`` against itself and the database, then write it; raises GridMapInvalid.

    The caller owns the transaction: on GridMapInvalid nothing has been written.
    """
    features, problems = _parse(doc, segments)
    known = await _load_known(session)
    problems += _check_tree(features, known, tolerance_m)
    if problems:
        raise GridMapInvalid(sorted(problems, key=lambda p: p.index))

    result = ImportResult()
    by_level: dict[str, list[Feature]] = defaultdict(list)
    for f in features:
        by_level[f.level].append(f)

    sd_ids = known.ids["sub_district"]
    await _upsert(
        session,
        SubDistrict,
        [
            {
                "code": f.code,
                "name": f.name,
                "name_i18n": _i18n(f.props),
                "boundary": from_shape(_multi(f.geom), srid=4326),
            }
            for f in by_level["sub_district"]
        ],
        sd_ids,
        result,
        "sub_district",
        progress,
    )
    sd_ids = await _codes_to_ids(session, SubDistrict)
    await _upsert(
        session,
        Community,
        [
            {
                "code": f.code,
                "name": f.name,
                "name_i18n": _i18n(f.props),
                "sub_district_id": sd_ids[f.parent or ""],
                "boundary": from_shape(_multi(f.geom), srid=4326),
            }
            for f in by_level["community"]
        ],
        known.ids["community"],
        result,
        "community",
        progress,
    )
    cm_rows = {
        row.code: (row.id, row.sub_district_id)
        for row in await session.execute(
            select(Community.code, Community.id, Community.sub_district_id)
        )
    }
    grid_rows = []
    for f in by_level["grid"]:
        cm_id, sd_id = cm_rows[f.parent or ""]
        kind = f.props.get("kind")
        grid_rows.append(
            {
                "code": f.code,
                "name": f.name,
                "name_i18n": _i18n(f.props),
                "kind": GridKind(str(kind))
                if kind in GridKind.__members__
                else GridKind.building_block,
                "community_id": cm_id,
                "sub_district_id": sd_id,
                "boundary": from_shape(_multi(f.geom), srid=4326),
            }
        )
    await _upsert(session, Grid, grid_rows, known.ids["grid"], result, "grid", progress)
    grid_chain = {
        row.code: (row.id, row.community_id, row.sub_district_id)
        for row in await session.execute(
            select(Grid.code, Grid.id, Grid.community_id, Grid.sub_district_id)
        )
    }

    def placed(f: Feature) -> dict[str, Any]:
        grid_id, cm_id, sd_id = grid_chain[f.parent or ""]
        return {"grid_id": grid_id, "community_id": cm_id, "sub_district_id": sd_id}

    building_rows = []
    for f in by_level["building"]:
        households = f.props.get("households")
        floors = f.props.get("floors")
        is_footprint = isinstance(f.geom, Polygon)
        building_rows.append(
            {
                "code": f.code,
                "name": f.name,
                "address": str(f.props.get("address") or "")[:200],
                "households": households if isinstance(households, int) and households >= 0 else 0,
                "floors": floors if isinstance(floors, int) and floors > 0 else None,
                "location": from_shape(
                    f.geom.representative_point() if is_footprint else f.geom, srid=4326
                ),
                "footprint": from_shape(f.geom, srid=4326) if is_footprint else None,
                **placed(f),
            }
        )
    await _upsert(
        session,
        Building,
        building_rows,
        await _codes_to_ids(session, Building),
        result,
        "building",
        progress,
    )
    store_rows = [
        {
            "code": f.code,
            "name": f.name,
            "address": str(f.props.get("address") or "")[:200],
            "trade": str(f.props["trade"])[:40] if f.props.get("trade") else None,
            "location": from_shape(f.geom, srid=4326),
            **placed(f),
        }
        for f in by_level["storefront"]
    ]
    await _upsert(
        session,
        Storefront,
        store_rows,
        await _codes_to_ids(session, Storefront),
        result,
        "storefront",
        progress,
    )
    await _import_party_orgs(session, features, sd_ids, cm_rows, grid_chain)
    return result


async def _import_party_orgs(
    session: AsyncSession,
    features: list[Feature],
    sd_ids: dict[str, int],
    cm_rows: dict[str, tuple[int, int]],
    grid_chain: dict[str, tuple[int, int, int]],
) -> None:
    existing = {
        (row.level, row.sub_district_id, row.community_id, row.grid_id): row.id
        for row in await session.execute(
            select(
                PartyOrg.id,
                PartyOrg.level,
                PartyOrg.sub_district_id,
                PartyOrg.community_id,
                PartyOrg.grid_id,
            )
        )
    }
    new: list[dict[str, Any]] = []
    old: list[dict[str, Any]] = []
    for f in features:
        org = f.props.get("party_org")
        if f.level not in AREA_LEVELS or not isinstance(org, dict) or not org.get("name"):
            continue
        if f.level == "sub_district":
            unit: tuple[int, int | None, int | None] = (sd_ids[f.code], None, None)
        elif f.level == "community":
            cm_id, sd_id = cm_rows[f.code]
            unit = (sd_id, cm_id, None)
        else:
            grid_id, cm_id, sd_id = grid_chain[f.code]
            unit = (sd_id, cm_id, grid_id)
        row = {
            "level": Level(f.level),
            "kind": PARTY_KIND[f.level],
            "name": str(org["name"])[:100],
            "sub_district_id": unit[0],
            "community_id": unit[1],
            "grid_id": unit[2],
        }
        key = (Level(f.level), *unit)
        if key in existing:
            old.append({**row, "id": existing[key]})
        else:
            new.append(row)
    for chunk in _chunks(new):
        await session.execute(insert(PartyOrg), chunk)
    for chunk in _chunks(old):
        await session.execute(update(PartyOrg), chunk)


# --- export --------------------------------------------------------------------------------


def _feature(level: str, code: str, name: str, geom: BaseGeometry, **props: Any) -> dict[str, Any]:
    if isinstance(geom, MultiPolygon) and len(geom.geoms) == 1:
        geom = geom.geoms[0]
    return {
        "type": "Feature",
        "properties": {"level": level, "code": code, "name": name, **props},
        "geometry": mapping(geom),
    }


async def export_grid_map(
    session: AsyncSession, options: ExportOptions | None = None
) -> dict[str, Any]:
    """The whole grid as a FeatureCollection in the import format (round-trips)."""
    options = options or ExportOptions()
    party = {
        (row.level, row.sub_district_id, row.community_id, row.grid_id): row.name
        for row in await session.execute(
            select(
                PartyOrg.level,
                PartyOrg.name,
                PartyOrg.sub_district_id,
                PartyOrg.community_id,
                PartyOrg.grid_id,
            )
        )
    }

    def org(level: str, key: tuple[int, int | None, int | None]) -> dict[str, Any]:
        name = party.get((Level(level), *key))
        return {"party_org": {"kind": PARTY_KIND[level].value, "name": name}} if name else {}

    features: list[dict[str, Any]] = []
    sd_code: dict[int, str] = {}
    for sd in (await session.scalars(select(SubDistrict).order_by(SubDistrict.code))).all():
        sd_code[sd.id] = sd.code
        features.append(
            _feature(
                "sub_district",
                sd.code,
                sd.name,
                to_shape(sd.boundary),
                name_i18n=sd.name_i18n,
                parent=None,
                **org("sub_district", (sd.id, None, None)),
            )
        )
    cm_code: dict[int, str] = {}
    for cm in (await session.scalars(select(Community).order_by(Community.code))).all():
        cm_code[cm.id] = cm.code
        features.append(
            _feature(
                "community",
                cm.code,
                cm.name,
                to_shape(cm.boundary),
                name_i18n=cm.name_i18n,
                parent=sd_code[cm.sub_district_id],
                **org("community", (cm.sub_district_id, cm.id, None)),
            )
        )
    grid_code: dict[int, str] = {}
    for g in (await session.scalars(select(Grid).order_by(Grid.code))).all():
        grid_code[g.id] = g.code
        features.append(
            _feature(
                "grid",
                g.code,
                g.name,
                to_shape(g.boundary),
                name_i18n=g.name_i18n,
                parent=cm_code[g.community_id],
                kind=g.kind.value,
                **org("grid", (g.sub_district_id, g.community_id, g.id)),
            )
        )
    for b in (await session.scalars(select(Building).order_by(Building.code))).all():
        geom = to_shape(b.footprint) if b.footprint is not None else to_shape(b.location)
        props: dict[str, Any] = {
            "parent": grid_code[b.grid_id],
            "address": b.address,
            "households": b.households,
        }
        if b.floors is not None:
            props["floors"] = b.floors
        features.append(_feature("building", b.code, b.name, geom, **props))
    for s in (await session.scalars(select(Storefront).order_by(Storefront.code))).all():
        props = {"parent": grid_code[s.grid_id], "address": s.address}
        if s.trade:
            props["trade"] = s.trade
        features.append(_feature("storefront", s.code, s.name, to_shape(s.location), **props))
    header: dict[str, Any] = {"format": 1}
    if options.county_code:
        header["county_code"] = options.county_code
    if options.county_name:
        header["county_name"] = options.county_name
    return {"type": "FeatureCollection", "linli": header, "features": features}
