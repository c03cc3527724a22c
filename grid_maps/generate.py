#!/usr/bin/env python3
"""Synthetic city generator for Linli 邻里.

Writes a GeoJSON FeatureCollection (RFC 7946, one feature per line) holding a
synthetic 街道 → 社区 → 网格 hierarchy with building footprints and storefront
points.  ALL GEOMETRY IS SYNTHETIC: nothing here is a real boundary.

    python grid_maps/generate.py --preset demo --out grid_maps/hualong.geojson
    python grid_maps/generate.py --preset large --out var/large-city.geojson
    python grid_maps/generate.py --sub-districts 3 --communities-per 4 \\
        --grids-per 12 --buildings-per 8 --seed 7 --out var/custom.geojson

The output is a pure function of the parameters (counts, seed, county): the
same arguments give byte-identical files.  See grid_maps/README.md.

Construction
------------
The city is a lattice of cells (220 m x 240 m nominal, column widths and row heights
varied by ±12 %).  The lattice is split recursively, in whole cells, into
sub-districts, each into communities, each into grids, so every area at every
level is a rectangle of cells.  The lattice points that are a corner of some
grid form the vertex set V; every interior point of V is jittered once, and
every ring (grid, community or sub-district) walks its cell boundary keeping
the points of V it passes.  Neighbours therefore share identical vertices
(T-junctions included), a community is exactly the union of its grids and a
sub-district exactly the union of its communities.  The outer city boundary
is not jittered, so the city stays a rectangle.

Only the standard library and shapely are used.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import shapely

# --------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------

PRESETS: dict[str, dict[str, int]] = {
    "demo": {"sub_districts": 2, "communities_per": 3, "grids_per": 10, "buildings_per": 10},
    # 10 x 30 x 100 = 30,000 grids, 300,000 buildings.
    "large": {"sub_districts": 10, "communities_per": 30, "grids_per": 100, "buildings_per": 10},
}
DEFAULT_SEED = 3334  # the Puyang "3334" model
DEFAULT_COUNTY_CODE = "410902"
DEFAULT_COUNTY_NAME = "华龙区"

CENTER_LON = 115.03  # Hualong district, Puyang, Henan
CENTER_LAT = 35.76

CELL_W_M = 220.0  # nominal lattice cell, metres (east-west)
CELL_H_M = 240.0  # nominal lattice cell, metres (north-south)
SPACING_VAR = 0.12  # column widths / row heights vary by ±12 %
JITTER = 0.17  # interior vertices move by up to ±17 % of a nominal cell per axis
WASTE_WEIGHT = 4.0  # layout cost of an unused slot (forces a double-width area)
STOREFRONT_SHARE = 5  # about one grid in five is a storefront grid
SHOPS_PER_GRID = (3, 6)
DECIMALS = 7
LARGE_RUN_GRIDS = 1000  # progress is shown from this many grids upwards

# --------------------------------------------------------------------------
# Names.  Every CJK character that can appear in a name must be in HANT_CHARS
# (if its Traditional form differs) or in HANT_SAME; to_hant() refuses others.
# --------------------------------------------------------------------------

# (name without 街道, English) — also used as road names in addresses.
SUB_DISTRICT_POOL: list[tuple[str, str]] = [
    ("中原路", "Zhongyuan Road"),
    ("胜利路", "Shengli Road"),
    ("人民路", "Renmin Road"),
    ("黄河路", "Huanghe Road"),
    ("开州路", "Kaizhou Road"),
    ("长庆路", "Changqing Road"),
    ("建设路", "Jianshe Road"),
    ("大庆路", "Daqing Road"),
    ("任丘路", "Renqiu Road"),
    ("京开大道", "Jingkai Avenue"),
    ("振兴路", "Zhenxing Road"),
    ("文化路", "Wenhua Road"),
    ("兴华路", "Xinghua Road"),
    ("石化路", "Shihua Road"),
    ("安康路", "Ankang Road"),
    ("绿城路", "Lücheng Road"),
]
ROADS: list[str] = [
    *(zh for zh, _ in SUB_DISTRICT_POOL),
    "昆吾路",
    "濮上路",
    "育才路",
    "古城路",
]

# (base name, English base).  登月社区 and 玉兰花园社区 are named in press
# coverage of Puyang's 3334 model; the other four are invented.
DEMO_COMMUNITIES: list[tuple[str, str]] = [
    ("登月", "Dengyue"),
    ("绿城", "Lücheng"),
    ("昆吾", "Kunwu"),
    ("玉兰花园", "Yulan Garden"),
    ("建业", "Jianye"),
    ("濮上", "Pushang"),
]
COMMUNITY_PREFIXES: list[tuple[str, str]] = [
    ("和平", "Heping"),
    ("幸福", "Xingfu"),
    ("建设", "Jianshe"),
    ("文化", "Wenhua"),
    ("安康", "Ankang"),
    ("锦华", "Jinhua"),
    ("新华", "Xinhua"),
    ("永安", "Yong'an"),
    ("东升", "Dongsheng"),
    ("晨光", "Chenguang"),
    ("兴华", "Xinghua"),
    ("长庆", "Changqing"),
    ("金堤", "Jindi"),
    ("开州", "Kaizhou"),
    ("濮水", "Pushui"),
    ("龙源", "Longyuan"),
    ("古城", "Gucheng"),
    ("五一", "Wuyi"),
    ("光明", "Guangming"),
    ("育才", "Yucai"),
    ("铁路", "Tielu"),
    ("石化", "Shihua"),
    ("油田", "Youtian"),
    ("华苑", "Huayuan"),
    ("绿洲", "Lüzhou"),
    ("振兴", "Zhenxing"),
    ("朝阳", "Chaoyang"),
    ("春晖", "Chunhui"),
    ("丰收", "Fengshou"),
    ("中原", "Zhongyuan"),
    ("人民", "Renmin"),
    ("胜利", "Shengli"),
    ("黄河", "Huanghe"),
    ("任丘", "Renqiu"),
    ("京开", "Jingkai"),
]
COMMUNITY_VARIANTS: list[tuple[str, str]] = [
    ("", ""),
    ("东", "East"),
    ("西", "West"),
    ("南", "South"),
    ("北", "North"),
    ("新村", "New Village"),
    ("花园", "Garden"),
    ("家园", "Homeland"),
    ("中", "Central"),
]
# Compound names: a community base ending like this is already a compound name.
COMPOUND_SUFFIXES = ("花园", "家园", "新村")

# trade code -> (Chinese, English)
TRADES: dict[str, tuple[str, str]] = {
    "grocery": ("便民超市", "Convenience Store"),
    "barber": ("理发店", "Barber Shop"),
    "clinic": ("社区诊所", "Community Clinic"),
    "breakfast": ("早餐店", "Breakfast Shop"),
    "pharmacy": ("大药房", "Pharmacy"),
    "fruit": ("水果店", "Fruit Shop"),
    "laundry": ("洗衣店", "Laundry"),
    "restaurant": ("家常菜馆", "Home-style Restaurant"),
    "hardware": ("五金店", "Hardware Store"),
    "parcel": ("快递驿站", "Parcel Station"),
    "bakery": ("蛋糕店", "Bakery"),
    "noodles": ("烩面馆", "Huimian Noodle House"),
}
SHOP_PREFIXES: list[tuple[str, str]] = [
    ("", ""),
    ("", ""),
    ("老王", "Lao Wang's "),
    ("老李", "Lao Li's "),
    ("老张", "Lao Zhang's "),
    ("阳光", "Yangguang "),
    ("鑫源", "Xinyuan "),
    ("惠民", "Huimin "),
    ("家乐", "Jiale "),
    ("鸿运", "Hongyun "),
]

# Simplified -> Traditional, for the characters used above.  Word-level
# entries first, where the character alone is ambiguous (发 → 發/髮, 面 → 面/麵).
HANT_WORDS: dict[str, str] = {"理发": "理髮", "烩面": "燴麵"}
HANT_CHARS: dict[str, str] = dict(
    zip(
        "区华龙胜绿兰园业网门号楼黄开长庆设锦东兴铁阳晖丰诊药馆递驿烩张鸿运乐",
        "區華龍勝綠蘭園業網門號樓黃開長慶設錦東興鐵陽暉豐診藥館遞驛燴張鴻運樂",
        strict=True,
    )
)
# Characters written the same in both scripts.  里 (neighbourhood) stays 里.
HANT_SAME = set(
    "中原路街道利人民河州大任丘京振文化石安康城社登月昆吾玉花建濮上第格店小"
    "和平幸福新永升晨光金堤水源古五一明育才油田苑洲朝春收西南北村家"
    "便超市理所早餐房果洗衣常菜金快站蛋糕老王李鑫惠"
)


def to_hant(text: str) -> str:
    for simp, trad in HANT_WORDS.items():
        text = text.replace(simp, trad)
    out = []
    for ch in text:
        if ch in HANT_CHARS:
            out.append(HANT_CHARS[ch])
        elif ch in HANT_SAME or ord(ch) < 0x2E80 or ch in "髮麵燴":
            out.append(ch)
        else:
            raise ValueError(f"no Traditional form known for {ch!r} in {text!r}; extend HANT_*")
    return "".join(out)


def check_vocabulary() -> None:
    """Fail early if a name in the pools has no known Traditional form."""
    words = [zh for zh, _ in SUB_DISTRICT_POOL + DEMO_COMMUNITIES + COMMUNITY_PREFIXES]
    words += [zh for zh, _ in COMMUNITY_VARIANTS + SHOP_PREFIXES + list(TRADES.values())]
    words += ["街道", "社区", "小区", "第1网格(门店)", "号楼", "新城第"]
    for word in words:
        to_hant(word)


def i18n(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh_Hant": to_hant(zh)}


# --------------------------------------------------------------------------
# Lattice and layout
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """Cells [i0, i1) x [j0, j1) of the lattice; j grows northwards."""

    i0: int
    j0: int
    i1: int
    j1: int


@dataclass(frozen=True)
class Layout:
    """How a block is split: `rows` rows of at most `cols` parts, each part
    (at least) cw x ch cells."""

    cols: int
    rows: int
    cw: int
    ch: int


def choose_layout(n: int, child_w_m: float, child_h_m: float) -> tuple[int, int]:
    """Arrange n parts as cols x rows, preferring a squarish block and few
    unused slots (an unused slot makes a neighbour in its row wider)."""
    best: tuple[float, int, int] | None = None
    for cols in range(1, n + 1):
        rows = -(-n // cols)
        waste = cols * rows - n
        cost = abs(math.log(cols * child_w_m / (rows * child_h_m))) + WASTE_WEIGHT * waste / n
        if best is None or cost < best[0] - 1e-12:
            best = (cost, cols, rows)
    assert best is not None
    return best[1], best[2]


def plan_layouts(counts: list[int]) -> tuple[list[Layout], int, int]:
    """Bottom-up: one Layout per level (top level first) and the city size in cells."""
    cw, ch = 1, 1
    layouts: list[Layout] = []
    for n in reversed(counts):
        cols, rows = choose_layout(n, cw * CELL_W_M, ch * CELL_H_M)
        layouts.insert(0, Layout(cols, rows, cw, ch))
        cw, ch = cols * cw, rows * ch
    return layouts, cw, ch


def split_block(block: Block, n: int, lay: Layout) -> list[Block]:
    """Split block into n parts, numbered in reading order from the north-west.
    Invariant: block height == rows * ch and width >= cols * cw, so every part
    is exactly ch tall and at least cw wide."""
    w, h = block.i1 - block.i0, block.j1 - block.j0
    assert h == lay.rows * lay.ch and w >= lay.cols * lay.cw, (block, lay)
    base, extra = divmod(n, lay.rows)
    parts: list[Block] = []
    for r in range(lay.rows):
        cnt = base + (1 if r < extra else 0)
        j1 = block.j1 - r * lay.ch
        j0 = j1 - lay.ch
        edges = [block.i0 + (2 * k * w + cnt) // (2 * cnt) for k in range(cnt + 1)]
        parts.extend(Block(edges[k], j0, edges[k + 1], j1) for k in range(cnt))
    return parts


def metres_per_degree(lat: float) -> tuple[float, float]:
    """(metres per degree of longitude, of latitude) at latitude lat."""
    p = math.radians(lat)
    m_lat = 111132.954 - 559.822 * math.cos(2 * p) + 1.175 * math.cos(4 * p)
    m_lon = 111412.84 * math.cos(p) - 93.5 * math.cos(3 * p) + 0.118 * math.cos(5 * p)
    return m_lon, m_lat


class Lattice:
    """Jittered lattice coordinates for the vertex set V."""

    def __init__(self, width: int, height: int, corners: set[tuple[int, int]], seed: int):
        self.width, self.height = width, height
        self.m_lon, self.m_lat = metres_per_degree(CENTER_LAT)
        rng = random.Random(f"linli/lattice/{seed}/{width}x{height}")
        xs = [0.0]
        for _ in range(width):
            xs.append(xs[-1] + CELL_W_M * rng.uniform(1 - SPACING_VAR, 1 + SPACING_VAR))
        ys = [0.0]
        for _ in range(height):
            ys.append(ys[-1] + CELL_H_M * rng.uniform(1 - SPACING_VAR, 1 + SPACING_VAR))
        self.lon0 = round(CENTER_LON - xs[-1] / 2 / self.m_lon, DECIMALS)
        self.lat0 = round(CENTER_LAT - ys[-1] / 2 / self.m_lat, DECIMALS)
        self.coords: dict[tuple[int, int], tuple[float, float]] = {}
        jx_max, jy_max = JITTER * CELL_W_M, JITTER * CELL_H_M
        for j in range(height + 1):
            for i in range(width + 1):
                dx = rng.uniform(-jx_max, jx_max)  # always drawn: stable stream
                dy = rng.uniform(-jy_max, jy_max)
                if (i, j) not in corners:
                    continue
                if i in (0, width) or j in (0, height):
                    dx = dy = 0.0
                self.coords[(i, j)] = (
                    round(self.lon0 + (xs[i] + dx) / self.m_lon, DECIMALS),
                    round(self.lat0 + (ys[j] + dy) / self.m_lat, DECIMALS),
                )
        self.bbox = (
            self.lon0,
            self.lat0,
            round(self.lon0 + xs[-1] / self.m_lon, DECIMALS),
            round(self.lat0 + ys[-1] / self.m_lat, DECIMALS),
        )

    def ring(self, b: Block) -> list[tuple[float, float]]:
        """Closed counter-clockwise exterior ring of a block, through every
        point of V on its boundary."""
        pts = [(i, b.j0) for i in range(b.i0, b.i1)]
        pts += [(b.i1, j) for j in range(b.j0, b.j1)]
        pts += [(i, b.j1) for i in range(b.i1, b.i0, -1)]
        pts += [(b.i0, j) for j in range(b.j1, b.j0, -1)]
        pts.append((b.i0, b.j0))
        c = self.coords
        return [c[p] for p in pts if p in c]


# --------------------------------------------------------------------------
# Hierarchy
# --------------------------------------------------------------------------


@dataclass
class SubDistrict:
    code: str
    base: str
    en: str
    block: Block


@dataclass
class Community:
    code: str
    parent: SubDistrict
    base: str
    en: str
    block: Block
    road: str
    gate_no: int
    next_shop_no: int = 0

    @property
    def name(self) -> str:
        return self.base + "社区"

    @property
    def compound(self) -> tuple[str, str]:
        if self.base.endswith(COMPOUND_SUFFIXES):
            return self.base, self.en
        return self.base + "小区", self.en + " Compound"


@dataclass
class Grid:
    code: str
    parent: Community
    number: int
    storefront: bool
    block: Block
    first_building_no: int = 1
    shops: list[str] = field(default_factory=list)


def sub_district_names(n: int) -> list[tuple[str, str]]:
    names = list(SUB_DISTRICT_POOL[:n])
    names += [(f"第{k}", f"No. {k}") for k in range(len(names) + 1, n + 1)]
    return names


def community_names(n: int, seed: int) -> list[tuple[str, str]]:
    names = list(DEMO_COMMUNITIES)
    if n > len(names):
        combos = [
            (p + v, f"{pe} {ve}".strip())
            for p, pe in COMMUNITY_PREFIXES
            for v, ve in COMMUNITY_VARIANTS
        ]
        random.Random(f"linli/community-names/{seed}").shuffle(combos)
        names += combos
    names = names[:n]
    names += [(f"新城第{k}", f"Xincheng No. {k}") for k in range(len(names) + 1, n + 1)]
    assert len({zh for zh, _ in names}) == n, "community names must be unique"
    return names


@dataclass
class City:
    params: dict[str, int]
    seed: int
    county_code: str
    county_name: str
    sub_districts: list[SubDistrict]
    communities: list[Community]
    grids: list[Grid]
    lattice: Lattice


def build_city(params: dict[str, int], seed: int, county_code: str, county_name: str) -> City:
    n_sd, n_co, n_gr = params["sub_districts"], params["communities_per"], params["grids_per"]
    layouts, width, height = plan_layouts([n_sd, n_co, n_gr])
    city_block = Block(0, 0, width, height)
    sd_names = sub_district_names(n_sd)
    co_names = community_names(n_sd * n_co, seed)

    sub_districts: list[SubDistrict] = []
    communities: list[Community] = []
    grids: list[Grid] = []
    for s, sblock in enumerate(split_block(city_block, n_sd, layouts[0]), start=1):
        sd = SubDistrict(f"{county_code}{s:03d}", *sd_names[s - 1], sblock)
        sub_districts.append(sd)
        for c, cblock in enumerate(split_block(sblock, n_co, layouts[1]), start=1):
            code = f"{sd.code}{c:03d}"
            rng = random.Random(f"linli/community/{seed}/{code}")
            base, en = co_names[len(communities)]
            road = rng.choice(ROADS)
            if c == 1 and sd.base.endswith(("路", "大道")):
                road = sd.base  # the first community sits on the sub-district's road
            gate_no = rng.randrange(1, 400)
            co = Community(code, sd, base, en, cblock, road, gate_no, gate_no + 2)
            communities.append(co)
            n_store = round(n_gr / STOREFRONT_SHARE)
            store = set(rng.sample(range(1, n_gr + 1), n_store))
            for g, gblock in enumerate(split_block(cblock, n_gr, layouts[2]), start=1):
                grids.append(Grid(f"{code}{g:03d}", co, g, g in store, gblock))

    corners: set[tuple[int, int]] = set()
    for gr in grids:
        b = gr.block
        corners.update(((b.i0, b.j0), (b.i1, b.j0), (b.i1, b.j1), (b.i0, b.j1)))
    lattice = Lattice(width, height, corners, seed)
    return City(params, seed, county_code, county_name, sub_districts, communities, grids, lattice)


# --------------------------------------------------------------------------
# Buildings and storefronts
# --------------------------------------------------------------------------

SLAB_LEN_M = 52.0  # slot size: longest slab (3 units) ...
SLAB_DEPTH_M = 16.0  # ... deepest slab
GAP_X_M = 14.0  # between slabs east-west
GAP_Y_M = 24.0  # between rows (sunlight spacing, shortened)
MARGIN_M = 6.0  # minimum clearance from the grid boundary
FLOOR_CHOICES = [3, 4, 5, 6, 6, 6, 7, 7, 9, 11, 12, 15, 18, 18, 24, 26]


@dataclass
class Slot:
    x: float
    y: float
    len_deg: float  # usable slot size in degrees
    dep_deg: float


def find_slots(
    ring: list[tuple[float, float]], needed: int, rng: random.Random, m_lon: float, m_lat: float
) -> list[Slot]:
    """Rows of building slots whose box plus margin lies strictly inside the
    polygon; shrinks the slot pattern until `needed` slots fit."""
    if needed == 0:
        return []
    poly = shapely.Polygon(ring)
    minx, miny, maxx, maxy = poly.bounds
    scale = 1.0
    while scale > 0.02:
        slot_l, slot_d = SLAB_LEN_M * scale, SLAB_DEPTH_M * scale
        px = (slot_l + GAP_X_M * scale) / m_lon
        py = (slot_d + GAP_Y_M * scale) / m_lat
        nx, ny = int((maxx - minx) / px), int((maxy - miny) / py)
        if nx * ny >= needed:
            ox = minx + rng.uniform(0.0, (maxx - minx) - nx * px) + px / 2
            oy = maxy - rng.uniform(0.0, (maxy - miny) - ny * py) - py / 2
            xs = [ox + k * px for k in range(nx)]
            ys = [oy - k * py for k in range(ny)]  # north to south
            cx = [x for _ in ys for x in xs]
            cy = [y for y in ys for _ in xs]
            hx = (slot_l / 2 + max(MARGIN_M * scale, 1.0)) / m_lon
            hy = (slot_d / 2 + max(MARGIN_M * scale, 1.0)) / m_lat
            boxes = shapely.box(
                [x - hx for x in cx],
                [y - hy for y in cy],
                [x + hx for x in cx],
                [y + hy for y in cy],
            )
            ok = shapely.contains_properly(poly, boxes)
            slots = [
                Slot(cx[k], cy[k], slot_l / m_lon, slot_d / m_lat) for k in range(len(cx)) if ok[k]
            ]
            if len(slots) >= needed:
                keep = sorted(rng.sample(range(len(slots)), needed))
                return [slots[k] for k in keep]
        scale *= 0.85
    raise SystemExit(f"cannot fit {needed} buildings/storefronts into a grid; use fewer")


def rect_ring(x: float, y: float, half_w: float, half_h: float) -> list[tuple[float, float]]:
    x0, x1 = round(x - half_w, DECIMALS), round(x + half_w, DECIMALS)
    y0, y1 = round(y - half_h, DECIMALS), round(y + half_h, DECIMALS)
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def feature(code: str, props: dict[str, Any], geometry: dict[str, Any]) -> str:
    return dumps({"type": "Feature", "id": code, "properties": props, "geometry": geometry})


def polygon(ring: list[tuple[float, float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring]}


def generator_string(
    preset: str | None, params: dict[str, int], seed: int, county_code: str, county_name: str
) -> str:
    parts = ["grid_maps/generate.py"]
    match = preset if preset and PRESETS[preset] == params else None
    if match is None:
        match = next((k for k, v in PRESETS.items() if v == params), None)
    if match:
        parts += ["--preset", match]
    else:
        parts += [
            "--sub-districts",
            str(params["sub_districts"]),
            "--communities-per",
            str(params["communities_per"]),
            "--grids-per",
            str(params["grids_per"]),
            "--buildings-per",
            str(params["buildings_per"]),
        ]
    parts += ["--seed", str(seed)]
    if county_code != DEFAULT_COUNTY_CODE or county_name != DEFAULT_COUNTY_NAME:
        parts += ["--county-code", county_code, "--county-name", county_name]
    return " ".join(parts)


class Progress:
    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.t0 = time.monotonic()
        self.tty = sys.stderr.isatty()

    def say(self, msg: str) -> None:
        if self.enabled:
            end = "\n"
            if self.tty:
                sys.stderr.write("\r\x1b[K")
            sys.stderr.write(f"[{time.monotonic() - self.t0:6.1f}s] {msg}{end}")
            sys.stderr.flush()

    def step(self, what: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        tick = max(1, total // 10)
        if self.tty and done % max(1, total // 100) == 0 and done != total:
            sys.stderr.write(f"\r[{time.monotonic() - self.t0:6.1f}s] {what} {done}/{total}")
            sys.stderr.flush()
        elif not self.tty and done % tick == 0 and done != total:
            self.say(f"{what} {done}/{total}")


def area_features(city: City) -> Iterator[str]:
    lat = city.lattice
    for sd in city.sub_districts:
        name = sd.base + "街道"
        yield feature(
            sd.code,
            {
                "level": "sub_district",
                "code": sd.code,
                "name": name,
                "name_i18n": i18n(f"{sd.en} Subdistrict", name),
                "parent": None,
                "party_org": {"kind": "party_working_committee", "name": name + "党工委"},
            },
            polygon(lat.ring(sd.block)),
        )
    for co in city.communities:
        yield feature(
            co.code,
            {
                "level": "community",
                "code": co.code,
                "name": co.name,
                "name_i18n": i18n(f"{co.en} Community", co.name),
                "parent": co.parent.code,
                "party_org": {"kind": "party_branch", "name": co.name + "党支部"},
            },
            polygon(lat.ring(co.block)),
        )


def grid_feature(city: City, gr: Grid) -> str:
    co = gr.parent
    base = f"{co.name}第{gr.number}网格"
    name = base + ("(门店)" if gr.storefront else "")
    en = f"{co.en} Community Grid {gr.number}" + (" (Storefront)" if gr.storefront else "")
    return feature(
        gr.code,
        {
            "level": "grid",
            "code": gr.code,
            "name": name,
            "name_i18n": i18n(en, name),
            "parent": co.code,
            "kind": "storefront" if gr.storefront else "building_block",
            "party_org": {"kind": "party_group", "name": base + "党小组"},
        },
        polygon(city.lattice.ring(gr.block)),
    )


def grid_contents(city: City, gr: Grid, n_buildings: int) -> tuple[list[str], list[str]]:
    """Building features and storefront features of one grid."""
    lat = city.lattice
    co = gr.parent
    rng = random.Random(f"linli/grid/{city.seed}/{gr.code}")
    n_shops = rng.randint(*SHOPS_PER_GRID) if gr.storefront else 0
    slots = find_slots(lat.ring(gr.block), n_buildings + n_shops, rng, lat.m_lon, lat.m_lat)
    shop_idx = set(rng.sample(range(len(slots)), n_shops))
    compound, compound_en = co.compound
    county = city.county_name
    buildings: list[str] = []
    shops: list[str] = []
    trades = rng.sample(sorted(TRADES), n_shops)
    b_no = 0
    for k, slot in enumerate(slots):
        if k in shop_idx:
            trade = trades[len(shops)]
            zh, en = TRADES[trade]
            pre, pre_en = rng.choice(SHOP_PREFIXES)
            name = pre + zh
            x = round(slot.x + rng.uniform(-0.3, 0.3) * slot.len_deg, DECIMALS)
            y = round(slot.y + rng.uniform(-0.3, 0.3) * slot.dep_deg, DECIMALS)
            code = f"{gr.code}S{len(shops) + 1:03d}"
            shops.append(
                feature(
                    code,
                    {
                        "level": "storefront",
                        "code": code,
                        "name": name,
                        "name_i18n": i18n(pre_en + en, name),
                        "parent": gr.code,
                        "address": f"{county}{co.road}{co.next_shop_no}号",
                        "trade": trade,
                    },
                    {"type": "Point", "coordinates": [x, y]},
                )
            )
            co.next_shop_no += 2
            continue
        b_no += 1
        number = gr.first_building_no + b_no - 1
        floors = rng.choice(FLOOR_CHOICES)
        units = rng.randint(1, 3)  # stairwells
        per_floor = rng.choice((2, 2, 2, 3, 4))  # flats per floor per stairwell
        while floors * units * per_floor > 120:
            if units > 1:
                units -= 1
            else:
                per_floor -= 1
        households = max(12, floors * units * per_floor)
        length_m = min(SLAB_LEN_M, 18.0 + 16.0 * (units - 1) + rng.uniform(0.0, 4.0))
        depth_m = rng.uniform(12.0, SLAB_DEPTH_M)
        scale = slot.len_deg * lat.m_lon / SLAB_LEN_M  # < 1 when slots were shrunk
        half_w = length_m * scale / 2 / lat.m_lon
        half_h = depth_m * scale / 2 / lat.m_lat
        x = slot.x + rng.uniform(-1.0, 1.0) * (slot.len_deg / 2 - half_w)
        name = f"{compound}{number}号楼"
        code = f"{gr.code}B{b_no:03d}"
        buildings.append(
            feature(
                code,
                {
                    "level": "building",
                    "code": code,
                    "name": name,
                    "name_i18n": i18n(f"{compound_en} Building {number}", name),
                    "parent": gr.code,
                    "address": f"{county}{co.road}{co.gate_no}号{name}",
                    "households": households,
                    "floors": floors,
                },
                polygon(rect_ring(x, slot.y, half_w, half_h)),
            )
        )
    return buildings, shops


def write_city(city: City, out: TextIO, generator: str, progress: Progress) -> dict[str, int]:
    header = {
        "type": "FeatureCollection",
        "linli": {
            "format": 1,
            "county_code": city.county_code,
            "county_name": city.county_name,
            "segments": [6, 3, 3, 3],
            "synthetic": True,
            "generator": generator,
        },
        "bbox": list(city.lattice.bbox),
    }
    out.write(dumps(header)[:-1] + ',"features":[\n')
    first = True

    def emit(line: str) -> None:
        nonlocal first
        out.write(line if first else ",\n" + line)
        first = False

    for line in area_features(city):
        emit(line)
    total = len(city.grids)
    for k, gr in enumerate(city.grids, start=1):
        emit(grid_feature(city, gr))
        progress.step("grids", k, total)
    progress.say(
        f"wrote {len(city.sub_districts)} sub-districts, "
        f"{len(city.communities)} communities, {total} grids"
    )

    n_buildings = city.params["buildings_per"]
    shops: list[str] = []
    counter: dict[str, int] = {}
    for k, gr in enumerate(city.grids, start=1):
        gr.first_building_no = counter.get(gr.parent.code, 0) + 1
        blds, gshops = grid_contents(city, gr, n_buildings)
        counter[gr.parent.code] = gr.first_building_no - 1 + len(blds)
        for line in blds:
            emit(line)
        shops += gshops
        progress.step("buildings: grids done", k, total)
    for line in shops:
        emit(line)
    out.write("\n]}\n")
    return {
        "sub_district": len(city.sub_districts),
        "community": len(city.communities),
        "grid": total,
        "building": total * n_buildings,
        "storefront": len(shops),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Generate a synthetic Linli city (GeoJSON, one feature per line)."
    )
    ap.add_argument("--preset", choices=sorted(PRESETS), help="demo (60 grids) or large (30,000)")
    ap.add_argument("--sub-districts", type=int, help="number of sub-districts (1-999)")
    ap.add_argument("--communities-per", type=int, help="communities per sub-district (1-999)")
    ap.add_argument("--grids-per", type=int, help="grids per community (1-999)")
    ap.add_argument("--buildings-per", type=int, help="buildings per grid (0-999)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"default {DEFAULT_SEED}")
    ap.add_argument("--county-code", default=DEFAULT_COUNTY_CODE, help="6-digit county code")
    ap.add_argument("--county-name", default=DEFAULT_COUNTY_NAME, help="used in addresses")
    ap.add_argument("--out", required=True, help="output file ('-' for stdout)")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    args = ap.parse_args(argv)

    params = dict(PRESETS[args.preset]) if args.preset else {}
    for key in ("sub_districts", "communities_per", "grids_per", "buildings_per"):
        value = getattr(args, key)
        if value is not None:
            params[key] = value
        if key not in params:
            ap.error(
                "give --preset or all of --sub-districts, --communities-per, "
                "--grids-per, --buildings-per"
            )
        low = 0 if key == "buildings_per" else 1
        if not low <= params[key] <= 999:
            ap.error(f"--{key.replace('_', '-')} must be between {low} and 999 (3-digit codes)")
    if not (len(args.county_code) == 6 and args.county_code.isdigit()):
        ap.error("--county-code must be 6 digits")

    check_vocabulary()
    t0 = time.monotonic()
    n_grids = params["sub_districts"] * params["communities_per"] * params["grids_per"]
    progress = Progress(not args.quiet and n_grids >= LARGE_RUN_GRIDS)
    city = build_city(params, args.seed, args.county_code, args.county_name)
    progress.say(
        f"lattice {city.lattice.width}x{city.lattice.height} cells, "
        f"{len(city.lattice.coords)} vertices"
    )
    generator = generator_string(args.preset, params, args.seed, args.county_code, args.county_name)

    if args.out == "-":
        counts = write_city(city, sys.stdout, generator, progress)
    else:
        out_path = Path(args.out)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_path.with_name(out_path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            counts = write_city(city, fh, generator, progress)
        os.replace(tmp, out_path)
    if not args.quiet:
        summary = ", ".join(f"{v} {k}" for k, v in counts.items())
        print(f"{args.out}: {summary} in {time.monotonic() - t0:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
