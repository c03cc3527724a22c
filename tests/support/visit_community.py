"""A generated community for the visit planner: grids of buildings, care households, people.

Seeded, so the same arguments give the same community. Used by the unit tests (a small
one) and by ``tests/bench/visits_plan.py`` (5,000 care households).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from server.visits.planner import DueVisit, Person, PersonKind

__all__ = ["MONDAY", "OFFICE", "Community", "generate"]

MONDAY = date(2026, 12, 7)
OFFICE = (115.0300, 35.7600)
"""The community service centre, in the middle of the community (Puyang)."""
WEEK = tuple(MONDAY + timedelta(days=d) for d in range(7))
# care tags: (name, share of households, chance to be due in a given week)
CARE = (("weekly", 0.08, 1.0), ("fortnightly", 0.25, 0.5), ("monthly", 0.67, 0.25))


@dataclass(frozen=True)
class Community:
    visits: list[DueVisit]
    people: list[Person]
    households: int
    buildings: int


def generate(
    seed: int = 1,
    households: int = 5000,
    grids: int = 10,
    area_km2: float = 2.0,
    staff: int = 4,
    party_members: int = 150,
    paired_households: int = 300,
) -> Community:
    rnd = random.Random(seed)
    side_m = math.sqrt(area_km2) * 1000
    m_per_deg_lat = 111_320.0
    m_per_deg_lon = m_per_deg_lat * math.cos(math.radians(OFFICE[1]))
    cols = math.ceil(math.sqrt(grids * 2))
    rows = math.ceil(grids / cols)
    tile_w, tile_h = side_m / cols, side_m / rows

    # buildings of 20–60 care households, in grid tiles; codes run row by row as in a
    # community's register, which is what the building-code baseline walks
    per_grid = households / grids
    visits: list[DueVisit] = []
    all_households: list[tuple[str, str, tuple[float, float], str]] = []
    n_buildings = 0
    for g in range(grids):
        gid = f"G{g + 1:02d}"
        gx, gy = (g % cols) * tile_w - side_m / 2, (g // cols) * tile_h - side_m / 2
        left = round(per_grid)
        sites: list[tuple[float, float, int]] = []
        while left > 0:
            size = min(left, rnd.randint(20, 60))
            left -= size
            sites.append((gx + rnd.uniform(0, tile_w), gy + rnd.uniform(0, tile_h), size))
        sites.sort(key=lambda s: (round(s[1] / 60), s[0]))
        for b, (x, y, size) in enumerate(sites, 1):
            n_buildings += 1
            code = f"{gid}-{b:03d}"
            point = (OFFICE[0] + x / m_per_deg_lon, OFFICE[1] + y / m_per_deg_lat)
            for h in range(size):
                all_households.append((f"{code}-{h + 1:02d}", gid, point, code))

    paired = rnd.sample(range(len(all_households)), min(paired_households, len(all_households)))
    pair_of: dict[int, str] = {
        hi: f"P{k % party_members + 1:03d}" for k, hi in enumerate(sorted(paired))
    }

    for hi, (hid, gid, point, code) in enumerate(all_households):
        r = rnd.random()
        acc, chance = 0.0, 1.0
        for _tag, share, chance_of_tag in CARE:
            acc, chance = acc + share, chance_of_tag
            if r <= acc:
                break
        if rnd.random() > chance:
            continue
        due_by = 6 if chance == 1.0 else rnd.randint(2, 6)
        visits.append(
            DueVisit(
                id=f"V{len(visits) + 1:05d}",
                household=hid,
                point=point,
                grid=gid,
                building=code,
                days=frozenset(WEEK[: due_by + 1]),
                preferred_window=rnd.choice(("noon", "evening")) if rnd.random() < 0.3 else None,
                paired_with=pair_of.get(hi),
            )
        )

    people: list[Person] = []
    weekdays = WEEK[:5]
    for g in range(grids):
        # grid workers: weekdays noon and evening, Saturday noon (staggered hours 错时)
        avail = {(d, w) for d in weekdays for w in ("noon", "evening")} | {(WEEK[5], "noon")}
        people.append(
            Person(
                id=f"W{g + 1:02d}",
                kind=PersonKind.GRID_WORKER,
                grids=frozenset({f"G{g + 1:02d}"}),
                availability=frozenset(avail),
            )
        )
    for s in range(staff):
        evenings = rnd.sample(weekdays, 3)
        avail = {(d, "noon") for d in weekdays} | {(d, "evening") for d in evenings}
        people.append(
            Person(
                id=f"S{s + 1}",
                kind=PersonKind.COMMUNITY_STAFF,
                availability=frozenset(avail),
                start=OFFICE,
            )
        )
    for p in range(party_members):
        # party members at work in the week: a couple of evenings and the weekend
        evenings = rnd.sample(weekdays, rnd.randint(1, 3))
        avail = {(d, "evening") for d in evenings} | {(WEEK[rnd.choice((5, 6))], "noon")}
        people.append(
            Person(
                id=f"P{p + 1:03d}",
                kind=PersonKind.PARTY_MEMBER,
                availability=frozenset(avail),
                capacity=3,
            )
        )
    return Community(
        visits=visits, people=people, households=len(all_households), buildings=n_buildings
    )
