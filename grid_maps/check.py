#!/usr/bin/env python3
"""Validate a Linli grid map (GeoJSON written by grid_maps/generate.py).

    python grid_maps/check.py grid_maps/hualong.geojson [--quiet]

Checks (exit status 1 if any fails):
  * header: FeatureCollection, linli.format == 1, 6-digit county code,
    segments [6, 3, 3, 3];
  * every feature: level, code, name, name_i18n {en, zh_Hant}, parent;
    level-specific properties (party_org kinds, grid kind, households 12-120,
    floors, address, trade); codes unique; code = parent code + 3 digits
    (areas) or + "B"/"S" + 3 digits (buildings/storefronts); sub-district
    codes start with the county code; parents come before children;
  * geometry: Polygon/MultiPolygon for areas and buildings, Point for
    storefronts; closed rings, counter-clockwise exteriors, at most 7
    decimals; every polygon valid (OGC);
  * nesting: each grid inside its community and each community inside its
    sub-district (area outside < 1e-7 deg^2), each building and storefront
    strictly inside its grid (shapely contains_properly);
  * no overlaps: within each level (all sub-districts, all communities, all
    grids, all buildings — not only siblings) pairwise intersection area
    < 1e-12 deg^2;
  * coverage: each community is covered by the union of its grids (area
    difference < 1e-7 deg^2 both ways) and the grids of each level form a
    valid polygonal coverage (shapely.coverage_is_valid: neighbours share
    identical vertices, no slivers).
Reported but not enforced: sub-districts covered by their communities, the
union of sub-districts vs the header bbox, cell sizes in metres.

The file is read line by line when it has the one-feature-per-line layout of
generate.py (low memory for the 300,000-building city), otherwise with
json.load.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import numpy as np
import shapely

LEVELS = ["sub_district", "community", "grid", "building", "storefront"]
RANK = {lvl: k for k, lvl in enumerate(LEVELS)}
PARENT_LEVEL = {
    "community": "sub_district",
    "grid": "community",
    "building": "grid",
    "storefront": "grid",
}
PARTY_KIND = {
    "sub_district": "party_working_committee",
    "community": "party_branch",
    "grid": "party_group",
}
AREA_TOL = 1e-7  # deg^2, containment / coverage
OVERLAP_TOL = 1e-12  # deg^2, sibling overlap
MAX_ERRORS_SHOWN = 25


class Report:
    def __init__(self) -> None:
        self.errors: Counter[str] = Counter()
        self.examples: list[str] = []

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.examples) < MAX_ERRORS_SHOWN:
            self.examples.append(f"{kind}: {detail}")


def read_features(path: str) -> tuple[dict[str, Any], Iterator[dict[str, Any]]]:
    """(top-level object without features, iterator over features)."""
    with open(path, encoding="utf-8") as fh:
        first = fh.readline().rstrip("\n")
    if first.endswith('"features":['):
        header = json.loads(first + "]}")

        def stream() -> Iterator[dict[str, Any]]:
            with open(path, encoding="utf-8") as fh:
                fh.readline()
                for line in fh:
                    s = line.strip().rstrip(",")
                    if s.startswith("{"):
                        yield json.loads(s)

        return header, stream()
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    features = doc.pop("features", [])
    return doc, iter(features)


def decimals_ok(coords: Any) -> bool:
    if isinstance(coords, float):
        return round(coords, 7) == coords
    if isinstance(coords, int):
        return True
    return all(decimals_ok(c) for c in coords)


def to_geom(geometry: dict[str, Any]) -> shapely.Geometry:
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return shapely.Point(coords)
    if kind == "Polygon":
        return shapely.Polygon(coords[0], coords[1:])
    if kind == "MultiPolygon":
        return shapely.MultiPolygon([shapely.Polygon(p[0], p[1:]) for p in coords])
    raise ValueError(kind)


def rings_of(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    if geometry["type"] == "MultiPolygon":
        return [r for p in geometry["coordinates"] for r in p]
    return []


def exteriors_of(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry["type"] == "MultiPolygon":
        return [p[0] for p in geometry["coordinates"]]
    return []


def signed_area(ring: list[list[float]]) -> float:
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))


def check_properties(
    f: dict[str, Any], rep: Report, seen: dict[str, str], county: str
) -> str | None:
    """Returns the level (or None if unusable)."""
    p = f.get("properties") or {}
    level, code, parent = p.get("level"), p.get("code"), p.get("parent")
    if level not in RANK or not isinstance(code, str):
        rep.error("bad level/code", f"{level!r} {code!r}")
        return None
    if f.get("type") != "Feature":
        rep.error("not a Feature", code)
    if code in seen:
        rep.error("duplicate code", code)
    if not isinstance(p.get("name"), str) or not p["name"]:
        rep.error("missing name", code)
    i18n = p.get("name_i18n")
    if not (
        isinstance(i18n, dict)
        and all(isinstance(i18n.get(k), str) and i18n[k] for k in ("en", "zh_Hant"))
    ):
        rep.error("name_i18n needs en and zh_Hant", code)
    if level == "sub_district":
        if parent is not None:
            rep.error("sub_district parent must be null", code)
        if not re.fullmatch(re.escape(county) + r"\d{3}", code):
            rep.error("sub_district code must be county code + 3 digits", code)
    else:
        if not isinstance(parent, str) or seen.get(parent) != PARENT_LEVEL[level]:
            rep.error("parent missing, of wrong level, or after child", f"{code} -> {parent}")
        suffix = {"building": "B", "storefront": "S"}.get(level, "")
        if not (
            isinstance(parent, str) and re.fullmatch(re.escape(parent) + suffix + r"\d{3}", code)
        ):
            rep.error("code is not parent code + segment", f"{code} (parent {parent})")
    if level in PARTY_KIND:
        org = p.get("party_org")
        if not (
            isinstance(org, dict)
            and org.get("kind") == PARTY_KIND[level]
            and isinstance(org.get("name"), str)
            and org["name"]
        ):
            rep.error("bad party_org", code)
    if level == "grid" and p.get("kind") not in ("building_block", "storefront"):
        rep.error("bad grid kind", code)
    if level == "building":
        hh, fl = p.get("households"), p.get("floors")
        if not (type(hh) is int and 12 <= hh <= 120):
            rep.error("households must be an int 12-120", f"{code}: {hh!r}")
        if not (type(fl) is int and fl >= 1):
            rep.error("floors must be a positive int", f"{code}: {fl!r}")
    if level in ("building", "storefront") and not p.get("address"):
        rep.error("missing address", code)
    if level == "storefront" and not (isinstance(p.get("trade"), str) and p["trade"]):
        rep.error("missing trade", code)
    seen[code] = level
    return str(level)


def check_geometry_json(f: dict[str, Any], level: str, rep: Report) -> bool:
    code = f["properties"]["code"]
    g = f.get("geometry") or {}
    want = (
        ("Point",)
        if level == "storefront"
        else ("Polygon",)
        if level == "building"
        else ("Polygon", "MultiPolygon")
    )
    if g.get("type") not in want:
        rep.error("wrong geometry type", f"{code}: {g.get('type')}")
        return False
    if not decimals_ok(g["coordinates"]):
        rep.error("more than 7 decimals", code)
    for ring in rings_of(g):
        if len(ring) < 4 or ring[0] != ring[-1]:
            rep.error("ring not closed", code)
            return False
    for ring in exteriors_of(g):
        if signed_area(ring) <= 0:
            rep.error("exterior ring not counter-clockwise", code)
    return True


def overlap_pairs(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    return left[keep], right[keep]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    rep = Report()

    header, features = read_features(args.file)
    meta = header.get("linli") or {}
    county = str(meta.get("county_code", ""))
    if header.get("type") != "FeatureCollection":
        rep.error("header", "type must be FeatureCollection")
    if meta.get("format") != 1:
        rep.error("header", "linli.format must be 1")
    if not re.fullmatch(r"\d{6}", county):
        rep.error("header", "linli.county_code must be 6 digits")
    if meta.get("segments") != [6, 3, 3, 3]:
        rep.error("header", "linli.segments must be [6, 3, 3, 3]")

    seen: dict[str, str] = {}
    codes: dict[str, list[str]] = defaultdict(list)
    parents: dict[str, list[str | None]] = defaultdict(list)
    geoms: dict[str, list[shapely.Geometry]] = defaultdict(list)
    grid_kinds: Counter[str] = Counter()
    households: list[int] = []
    last_rank = 0
    for f in features:
        level = check_properties(f, rep, seen, county)
        if level is None:
            continue
        if RANK[level] < last_rank:
            rep.error("feature order (levels must not go back)", f["properties"]["code"])
        last_rank = max(last_rank, RANK[level])
        if not check_geometry_json(f, level, rep):
            continue
        p = f["properties"]
        codes[level].append(p["code"])
        parents[level].append(p.get("parent"))
        geoms[level].append(to_geom(f["geometry"]))
        if level == "grid":
            grid_kinds[p.get("kind")] += 1
        elif level == "building" and type(p.get("households")) is int:
            households.append(p["households"])
    t_read = time.monotonic() - t0

    arr = {lvl: np.array(geoms[lvl], dtype=object) for lvl in LEVELS}
    index = {lvl: {c: k for k, c in enumerate(codes[lvl])} for lvl in LEVELS}

    # validity (invalid geometries are reported, then repaired so that the
    # remaining checks can still run)
    for lvl in LEVELS:
        for k in np.flatnonzero(~shapely.is_valid(arr[lvl])) if len(arr[lvl]) else []:
            rep.error(
                f"invalid {lvl} geometry",
                f"{codes[lvl][k]}: {shapely.is_valid_reason(arr[lvl][k])}",
            )
            arr[lvl][k] = shapely.make_valid(arr[lvl][k])

    coverage_ok = {}
    for lvl in ("sub_district", "community", "grid"):
        if len(arr[lvl]):
            ok = bool(shapely.coverage_is_valid(arr[lvl]))
            coverage_ok[lvl] = ok
            if not ok:
                edges = shapely.coverage_invalid_edges(arr[lvl])
                bad = [codes[lvl][k] for k in np.flatnonzero(~shapely.is_empty(edges))]
                rep.error(
                    f"{lvl}s are not a valid coverage (vertices not shared)",
                    f"{len(bad)} polygons, e.g. {bad[:5]}",
                )

    # nesting
    max_outside: dict[str, float] = {}
    for lvl in ("community", "grid", "building", "storefront"):
        plvl = PARENT_LEVEL[lvl]
        idx = [index[plvl].get(p) for p in parents[lvl]]  # type: ignore[arg-type]
        have = np.array([k is not None for k in idx], dtype=bool)
        if not len(idx) or not have.any():
            continue
        child = arr[lvl][have]
        par = arr[plvl][np.array([k for k in idx if k is not None], dtype=np.intp)]
        child_codes = np.array(codes[lvl], dtype=object)[have]
        if lvl in ("community", "grid"):
            outside = shapely.area(shapely.difference(child, par))
            max_outside[lvl] = float(outside.max())
            for k in np.flatnonzero(outside >= AREA_TOL):
                rep.error(f"{lvl} not inside its {plvl}", f"{child_codes[k]}: {outside[k]:.3g}")
        else:
            inside = shapely.contains_properly(par, child)
            for k in np.flatnonzero(~inside):
                rep.error(f"{lvl} not strictly inside its grid", str(child_codes[k]))

    # overlaps within a level
    max_overlap: dict[str, float] = {}
    for lvl in ("sub_district", "community", "grid", "building"):
        if len(arr[lvl]) < 2:
            continue
        a, b = overlap_pairs(arr[lvl])
        areas = (
            shapely.area(shapely.intersection(arr[lvl][a], arr[lvl][b])) if len(a) else np.zeros(0)
        )
        max_overlap[lvl] = float(areas.max()) if len(areas) else 0.0
        for k in np.flatnonzero(areas >= OVERLAP_TOL):
            rep.error(f"{lvl}s overlap", f"{codes[lvl][a[k]]} x {codes[lvl][b[k]]}: {areas[k]:.3g}")

    # coverage: community = union of its grids; sub-district vs communities (info)
    def coverage_gaps(parent_lvl: str, child_lvl: str) -> tuple[float, float, list[str]]:
        groups: dict[str, list[int]] = defaultdict(list)
        for k, p in enumerate(parents[child_lvl]):
            groups[p].append(k)  # type: ignore[index]
        worst_missing = worst_extra = 0.0
        offenders = []
        for code, k in index[parent_lvl].items():
            kids = groups.get(code)
            if not kids:
                union = shapely.Polygon()
            elif coverage_ok.get(child_lvl):
                union = shapely.coverage_union_all(arr[child_lvl][kids])  # fast, exact
            else:
                union = shapely.union_all(arr[child_lvl][kids])
            missing = shapely.area(shapely.difference(arr[parent_lvl][k], union))
            extra = shapely.area(shapely.difference(union, arr[parent_lvl][k]))
            worst_missing, worst_extra = max(worst_missing, missing), max(worst_extra, extra)
            if missing >= AREA_TOL or extra >= AREA_TOL:
                offenders.append(f"{code}: missing {missing:.3g}, extra {extra:.3g}")
        return worst_missing, worst_extra, offenders

    co_missing, co_extra, offenders = coverage_gaps("community", "grid")
    for o in offenders:
        rep.error("community not covered by its grids", o)
    sd_missing, sd_extra, sd_offenders = coverage_gaps("sub_district", "community")

    # ---- report
    size = os.path.getsize(args.file)
    print(
        f"{args.file}: {size:,} bytes ({size / 2**20:.1f} MiB), "
        f"county {county} {meta.get('county_name', '')}, "
        f"generator: {meta.get('generator', '?')}"
    )
    print("counts: " + ", ".join(f"{lvl} {len(codes[lvl]):,}" for lvl in LEVELS))
    if grid_kinds:
        print("grid kinds: " + ", ".join(f"{k} {v:,}" for k, v in sorted(grid_kinds.items())))
    if households:
        print(
            f"households per building: {min(households)}-{max(households)}, "
            f"total {sum(households):,}"
        )
    everything = [g for lvl in ("sub_district", "community", "grid") for g in arr[lvl]]
    if everything:
        minx, miny, maxx, maxy = shapely.total_bounds(np.array(everything, dtype=object))
        lat = math.radians((miny + maxy) / 2)
        m_lat, m_lon = 111_132.954, 111_412.84 * math.cos(lat)
        print(
            f"bbox: {minx:.5f}..{maxx:.5f} E, {miny:.5f}..{maxy:.5f} N "
            f"({(maxx - minx) * m_lon / 1000:.2f} km x {(maxy - miny) * m_lat / 1000:.2f} km)"
        )
        if len(arr["grid"]):
            side = np.sqrt(shapely.area(arr["grid"]) * m_lon * m_lat)
            b = shapely.bounds(arr["grid"])
            w, h = (b[:, 2] - b[:, 0]) * m_lon, (b[:, 3] - b[:, 1]) * m_lat
            print(
                f"grid size: sqrt(area) min {side.min():.0f} m, median {np.median(side):.0f} m,"
                f" max {side.max():.0f} m; bbox width {w.min():.0f}-{w.max():.0f} m, "
                f"height {h.min():.0f}-{h.max():.0f} m"
            )
        if "bbox" in header and len(arr["sub_district"]):
            u = shapely.coverage_union_all(arr["sub_district"])
            hb = shapely.box(*header["bbox"])
            print(
                f"sub-districts vs header bbox: symmetric difference "
                f"{shapely.area(shapely.symmetric_difference(u, hb)):.3g} deg^2"
            )
    print(
        f"max area of grid outside community {max_outside.get('grid', 0):.3g}, "
        f"community outside sub-district {max_outside.get('community', 0):.3g} deg^2"
    )
    print("max pairwise overlap: " + ", ".join(f"{k} {v:.3g}" for k, v in max_overlap.items()))
    print(f"communities vs union of grids: missing {co_missing:.3g}, extra {co_extra:.3g} deg^2")
    print(
        f"sub-districts vs union of communities (info): missing {sd_missing:.3g}, "
        f"extra {sd_extra:.3g} deg^2"
        + (f" ({len(sd_offenders)} not tiled)" if sd_offenders else "")
    )
    print(
        "valid coverage (shared vertices): "
        + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in coverage_ok.items())
    )
    print(f"read {t_read:.1f}s, total {time.monotonic() - t0:.1f}s")
    if rep.errors:
        print(f"FAILED: {sum(rep.errors.values()):,} problems")
        for kind, n in rep.errors.most_common():
            print(f"  {n:>7,}  {kind}")
        for ex in rep.examples:
            print(f"  e.g. {ex}")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
