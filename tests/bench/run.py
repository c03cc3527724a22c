"""Benchmarks on the large generated city, on both engines. Run on demand: ``make bench``.

Prints figures; asserts nothing. What it measures:

1. import of the large city (30,000 grids, 300,000 buildings) through the real importer;
2. point → grid lookup at the database (the production query, prepared, one connection),
   p50/p99 over random points in the city's bounding box;
3. ``GET /api/v1/locate`` over HTTP: uvicorn with 2 workers, ``wrk`` with 8 connections,
   requests/s and latency percentiles.

Options: ``--engines spatialite,postgis``, ``--lookups N``, ``--http-seconds S``, ``--skip-http``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from server.db.engine import (
    _loadable_sqlite_module,
    make_engine,
    make_sessionmaker,
    spatialite_path,
)
from server.db.migrate import upgrade
from server.grids.importer import import_grid_map
from server.grids.sql import LOCATE_POSTGIS, LOCATE_SPATIALITE
from tests.support.live import live_server
from tests.support.postgis import throwaway_postgis

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / "var" / "bench"
LARGE = ROOT / "var" / "large-city.geojson"


def say(msg: str) -> None:
    print(msg, flush=True)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.platform()}, Python {platform.python_version()}"


def ensure_large_city() -> dict[str, Any]:
    if not LARGE.exists():
        say("generating the large city …")
        subprocess.run(
            [sys.executable, "grid_maps/generate.py", "--preset", "large", "--out", str(LARGE)],
            cwd=ROOT,
            check=True,
        )
    return json.loads(LARGE.read_text(encoding="utf-8"))


def percentiles(samples: list[float]) -> dict[str, float]:
    q = statistics.quantiles(samples, n=100)
    return {"p50": q[49], "p90": q[89], "p99": q[98], "max": max(samples)}


async def load_city(url: str, doc: dict[str, Any]) -> float:
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url, pool=False)
    started = time.perf_counter()
    async with make_sessionmaker(engine).begin() as session:
        result = await import_grid_map(session, doc, segments=(6, 3, 3, 3), tolerance_m=2.0)
    elapsed = time.perf_counter() - started
    await engine.dispose()
    say(f"  imported {result.created} in {elapsed:.0f} s")
    return elapsed


def random_points(doc: dict[str, Any], n: int) -> list[tuple[float, float]]:
    minx, miny, maxx, maxy = doc["bbox"]
    rng = random.Random(3334)
    return [(rng.uniform(minx, maxx), rng.uniform(miny, maxy)) for _ in range(n)]


def lookups_spatialite(path: Path, points: list[tuple[float, float]]) -> tuple[list[float], int]:
    driver: Any = _loadable_sqlite_module()
    conn = driver.connect(str(path))
    conn.enable_load_extension(True)
    conn.load_extension(spatialite_path())
    sql = LOCATE_SPATIALITE
    for lon, lat in points:  # warm-up: steady state, pages cached, as in a running server
        conn.execute(sql, {"lon": lon, "lat": lat}).fetchone()
    times: list[float] = []
    hits = 0
    for lon, lat in points:
        t = time.perf_counter()
        row = conn.execute(sql, {"lon": lon, "lat": lat}).fetchone()
        times.append((time.perf_counter() - t) * 1e6)
        hits += row is not None
    conn.close()
    return times, hits


_SERVER_SIDE = """
CREATE FUNCTION pg_temp.locate_timings(lons float8[], lats float8[]) RETURNS SETOF float8 AS $$
DECLARE
    t0 timestamptz;
    found text;
BEGIN
    FOR i IN 1 .. array_length(lons, 1) LOOP
        t0 := clock_timestamp();
        SELECT g_code INTO found FROM (%s) AS located;
        RETURN NEXT extract(epoch FROM clock_timestamp() - t0) * 1e6;
    END LOOP;
END $$ LANGUAGE plpgsql
"""


async def postgis_floor_and_server_side(url: str, points: list[tuple[float, float]]) -> None:
    """What the client round trip costs (SELECT 1), and the lookup timed inside PostgreSQL."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    one = await conn.prepare("SELECT 1")
    for _ in range(2000):
        await one.fetchval()
    floor = []
    for _ in range(len(points)):
        t = time.perf_counter()
        await one.fetchval()
        floor.append((time.perf_counter() - t) * 1e6)
    body = LOCATE_POSTGIS.replace(":lon", "lons[i]").replace(":lat", "lats[i]")
    await conn.execute(_SERVER_SIDE % body)
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    await conn.fetch("SELECT * FROM pg_temp.locate_timings($1, $2)", lons, lats)  # warm-up
    inside = [
        r[0] for r in await conn.fetch("SELECT * FROM pg_temp.locate_timings($1, $2)", lons, lats)
    ]
    await conn.close()
    f, i = percentiles(floor), percentiles(inside)
    say(f"  client round trip floor (SELECT 1): p50 {f['p50']:.0f} µs, p99 {f['p99']:.0f} µs")
    say(
        f"  point → grid timed inside PostgreSQL (no round trip): p50 {i['p50']:.0f} µs, "
        f"p90 {i['p90']:.0f} µs, p99 {i['p99']:.0f} µs, max {i['max']:.0f} µs"
    )


async def lookups_postgis(url: str, points: list[tuple[float, float]]) -> tuple[list[float], int]:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    sql = LOCATE_POSTGIS.replace(":lon", "$1").replace(":lat", "$2")
    stmt = await conn.prepare(sql)
    for lon, lat in points:  # warm-up: plan cached, pages in shared buffers
        await stmt.fetchrow(lon, lat)
    times: list[float] = []
    hits = 0
    for lon, lat in points:
        t = time.perf_counter()
        row = await stmt.fetchrow(lon, lat)
        times.append((time.perf_counter() - t) * 1e6)
        hits += row is not None
    await conn.close()
    return times, hits


WRK_SCRIPT = """
local points = {}
for line in io.lines("%s") do table.insert(points, line) end
local i = 0
request = function()
  i = i %% #points + 1
  return wrk.format("GET", "/api/v1/locate?" .. points[i])
end
"""


def http_bench(url: str, points: list[tuple[float, float]], seconds: int, var_dir: Path) -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        return "wrk not installed (apt-get install wrk): HTTP benchmark skipped"
    pts = var_dir / "points.txt"
    pts.write_text("\n".join(f"lon={x:.6f}&lat={y:.6f}" for x, y in points[:5000]))
    script = var_dir / "points.lua"
    script.write_text(WRK_SCRIPT % pts)
    with bench_server(url, var_dir) as base:
        subprocess.run(
            [wrk, "-t2", "-c8", "-d3s", "-s", str(script), base], capture_output=True, check=False
        )
        done = subprocess.run(
            [wrk, "-t2", "-c8", f"-d{seconds}s", "--latency", "-s", str(script), base],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout


def bench_server(url: str, var_dir: Path) -> Any:
    """The app on an already loaded database: 2 workers, no rate limit, no inline dispatcher."""
    return live_server(
        var_dir, database_url=url, workers=2, prepare=False, extra_env={"LINLI_DISPATCHER": "off"}
    )


def summarise_wrk(out: str) -> str:
    keep = []
    for line in out.splitlines():
        s = line.strip()
        if (
            s.startswith(("Latency", "50%", "75%", "90%", "99%", "Requests/sec", "Non-2xx"))
            or "requests in" in s
        ):
            keep.append("    " + s)
    return "\n".join(keep) or out


async def bench_engine(engine: str, doc: dict[str, Any], args: argparse.Namespace) -> None:
    var_dir = BENCH_DIR / engine
    var_dir.mkdir(parents=True, exist_ok=True)
    points = random_points(doc, args.lookups)
    say(f"\n== {engine} ==")
    if engine == "spatialite":
        db = var_dir / "large.sqlite3"
        url = f"sqlite+aiosqlite:///{db}"
        if not db.exists() or args.reload:
            for p in var_dir.glob("large.sqlite3*"):
                p.unlink()
            await load_city(url, doc)
        times, hits = await asyncio.to_thread(lookups_spatialite, db, points)
        report(engine, times, hits, "in process")
        if not args.skip_http:
            say("  HTTP GET /api/v1/locate, 2 uvicorn workers, wrk 8 connections:")
            say(summarise_wrk(http_bench(url, points, args.http_seconds, var_dir)))
        return
    with throwaway_postgis() as url:
        await load_city(url, doc)
        times, hits = await lookups_postgis(url, points)
        report(engine, times, hits, "prepared statement over loopback, asyncpg")
        await postgis_floor_and_server_side(url, points)
        if not args.skip_http:
            say("  HTTP GET /api/v1/locate, 2 uvicorn workers, wrk 8 connections:")
            say(summarise_wrk(http_bench(url, points, args.http_seconds, var_dir)))


def report(engine: str, times: list[float], hits: int, how: str) -> None:
    p = percentiles(times)
    say(
        f"  point → grid, {how}, {len(times)} random points ({hits} inside a grid): "
        f"p50 {p['p50']:.0f} µs, p90 {p['p90']:.0f} µs, p99 {p['p99']:.0f} µs, max {p['max']:.0f} µs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engines", default="spatialite,postgis")
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--http-seconds", type=int, default=20)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument(
        "--reload", action="store_true", help="re-import the SpatiaLite bench database"
    )
    args = parser.parse_args()
    say(f"machine: {machine()}")
    say(f"sqlite {sqlite3.sqlite_version} (driver {_loadable_sqlite_module().__name__})")
    doc = ensure_large_city()
    levels: dict[str, int] = {}
    for f in doc["features"]:
        levels[f["properties"]["level"]] = levels.get(f["properties"]["level"], 0) + 1
    say(f"city: {levels}")
    for engine in args.engines.split(","):
        asyncio.run(bench_engine(engine.strip(), doc, args))


if __name__ == "__main__":
    main()
