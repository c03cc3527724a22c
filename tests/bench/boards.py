"""Benchmark: a sub-district's year board 案件统计 over ``--cases`` cases (default
1,000,000) on PostGIS. Run on demand: ``python -m tests.bench.boards``.

A throwaway PostGIS, migrated; one sub-district of ``--communities`` communities (default
20) of 10 grids each, all the cases in it, spread over three years (so a year's board
reads about a third of them): 80% closed with handling hours and ratings, the rest open,
rejected or merged. Then the board's statements as the service runs them
(:func:`server.boards.figures.side_by_side`: the unit and its communities side by
side, one ``GROUP BY ROLLUP``), ``--rounds`` times for the last full year, and the time
of each round: p50, p95, p99 and the maximum, with the load average beside them.
Target (issue 11): p99 ≤ 200 ms on 2 cores. Then the public 三公开 page of one of its
communities for the same year, as many rounds. ``--explain`` prints the plan of the
grouped statement first. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import date

SEED = """
INSERT INTO cases (number, channel, state, sub_district_id, community_id, grid_id, level,
                   version, description, photos, fields, reworks, returns, escalations,
                   flagged, deadline_missed, created_at, updated_at, closed_at,
                   handling_hours, on_time, satisfaction)
SELECT 'B' || lpad(i::text, 10, '0'), 'window', st, :sd, g.community_id, g.id, 'grid',
       1, '', '[]', '{}', (i % 17 = 0)::int, 0, (i % 23 = 0)::int, false, (i % 29 = 0),
       t, t, CASE WHEN st = 'closed' THEN t + interval '2 days' END,
       CASE WHEN st = 'closed' THEN (i % 40) + 0.5 END,
       CASE WHEN st = 'closed' THEN (i % 29 <> 0) END,
       CASE WHEN st = 'closed' AND i % 3 <> 0 THEN 1 + i % 3 END
FROM generate_series(1, :n) AS i
JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, community_id FROM grids
      WHERE sub_district_id = :sd) AS g ON g.k = i % :grids
CROSS JOIN LATERAL (
  SELECT CASE WHEN i % 10 < 8 THEN 'closed' WHEN i % 10 = 8 THEN 'in_progress'
              WHEN i % 20 = 9 THEN 'rejected' ELSE 'merged' END AS st,
         timestamptz '2024-01-01 00:00+08' + (i::float / :n) * interval '1095 days' AS t
) AS x
"""


async def run(url: str, args: argparse.Namespace) -> None:
    from geoalchemy2 import WKTElement
    from sqlalchemy import text

    from server.accounts.scope import Scope
    from server.boards.figures import Period, side_by_side
    from server.db.engine import make_engine, make_sessionmaker
    from server.db.migrate import upgrade
    from server.disclosure.services import DisclosureService
    from server.grids.models import Community, Grid, SubDistrict

    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url, pool=False)
    area = WKTElement("MULTIPOLYGON(((100 10, 100.1 10, 100.1 10.1, 100 10.1, 100 10)))", 4326)
    started = time.perf_counter()
    async with make_sessionmaker(engine).begin() as s:
        sd = SubDistrict(code="bench", name="基准街道", boundary=area)
        s.add(sd)
        await s.flush()
        for c in range(args.communities):
            community = Community(
                code=f"bench{c:03d}", name=f"基准{c}社区", sub_district_id=sd.id, boundary=area
            )
            s.add(community)
            await s.flush()
            s.add_all(
                Grid(
                    code=f"bench{c:03d}g{g}",
                    name=f"基准{c}社区{g}网格",
                    sub_district_id=sd.id,
                    community_id=community.id,
                    boundary=area,
                )
                for g in range(10)
            )
        await s.flush()
        await s.execute(text(SEED), {"sd": sd.id, "n": args.cases, "grids": args.communities * 10})
        sd_id = sd.id
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        # A past year's cases are all-visible in a database autovacuum keeps (what lets the
        # board read the covering index alone); a plain VACUUM right after the bulk insert
        # left half the pages unmarked here, so freeze them as the steady state has them.
        await conn.execute(text("VACUUM (FREEZE, ANALYZE) cases"))
        await conn.execute(text("VACUUM (FREEZE, ANALYZE) case_tallies"))
    print(f"seeded {args.cases:,} cases in {time.perf_counter() - started:.0f} s", flush=True)

    scope = Scope(user_id=0, sub_district_ids=frozenset({sd_id}))
    year = Period(date(2025, 1, 1), date(2025, 12, 31))
    maker = make_sessionmaker(engine)
    if args.explain:
        async with maker() as s:
            for line in (
                await s.execute(
                    text(
                        "EXPLAIN (ANALYZE, BUFFERS) SELECT community_id, count(*),"
                        " percentile_cont(0.9) WITHIN GROUP (ORDER BY handling_hours)"
                        " FILTER (WHERE state = 'closed') FROM cases WHERE sub_district_id"
                        " = :sd AND created_at >= :a AND created_at < :b GROUP BY community_id"
                    ),
                    {"sd": sd_id, "a": year.since, "b": year.until},
                )
            ).scalars():
                print("  ", line)
    times: list[float] = []
    for _ in range(args.rounds):
        async with maker() as s:
            t = time.perf_counter()
            tally, children = await side_by_side(
                s, scope, year, level="sub_district", unit_id=sd_id, by="community"
            )
            times.append((time.perf_counter() - t) * 1000)
    # The public 三公开 page of one of its communities for that year (no log-in): its
    # figures, examples and commitments, as the public endpoint serves them.
    page_times: list[float] = []
    for _ in range(args.rounds):
        async with maker() as s:
            t = time.perf_counter()
            page = await DisclosureService(s, "zh_Hans").public("bench000", 2025)
            page_times.append((time.perf_counter() - t) * 1000)
    await engine.dispose()
    print(
        f"year board of a sub-district, {tally.received:,} received ({args.cases:,} in all),"
        f" {len(children)} communities side by side, {args.rounds} rounds:"
    )
    print(_figures(times))
    print(
        f"public 三公开 page of one community for 2025 ({page.figures.cases_received:,} cases received),"
        f" {args.rounds} rounds:"
    )
    print(_figures(page_times))


def _figures(times: list[float]) -> str:
    times = sorted(times)

    def q(p: float) -> float:
        return times[min(len(times) - 1, round(p * (len(times) - 1)))]

    return (
        f"  p50 {statistics.median(times):.0f} ms  p95 {q(0.95):.0f} ms  p99 {q(0.99):.0f} ms"
        f"  max {times[-1]:.0f} ms   load {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--communities", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    from tests.support.postgis import throwaway_postgis

    with throwaway_postgis("linli_bench_boards") as url:
        asyncio.run(run(url, args))


if __name__ == "__main__":
    main()
