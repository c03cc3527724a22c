"""Benchmark: service cases over a million rows on PostGIS. Run on demand: ``make bench-cases``.

A throwaway PostGIS with the large generated city (30,000 grids, 300 communities; see
:mod:`tests.bench.run`), the demo service catalogue and ``--cases`` cases (default
1,000,000) spread over all its grids: three years of closed, rejected and merged cases,
and the newest ``--open`` (default 50,000) still being worked (received, accepted,
dispatched, in progress, resolved), of which the oldest ``--overdue`` are past their
deadline and the next ``--due-soon`` due within the week. Every grid has its grid worker,
every community its window clerk, every grid with buildings one registered resident; cases
are assigned to the real grid worker or clerk, reported by the real resident, the worker,
the clerk at the window or a hotline caller (sealed phone).

Seeding takes a few minutes, so the seeded database is kept as a ``pg_dump`` under
``var/bench/`` (named by the seed's parameters and a digest of its SQL) and restored on
the next run (``--reseed`` makes it again); after a restore the migrations are brought
to head and the open cases' times are moved by the time since seeding, so deadlines
stand where they stood when it was made.

Then a real ``linli serve`` (2 workers, dispatcher and chores off) and ``wrk`` (Lua
scripts rotating several users' tokens) measure, for ``--seconds`` each:

1. ``GET /api/v1/me/case-inbox``: 64 grid workers, 32 connections;
2. ``GET /api/v1/communities/{code}/cases``: 15 window clerks, each their own community,
   32 connections: the first page; with a state; overdue only; an item; a later page;
3. ``POST /api/v1/cases`` (intake): residents for themselves and clerks at the window for
   a resident of their community, 8 connections;

and last the deadline chore ``case_deadlines`` as the task runner runs it (each round in a
transaction of its own), round after round until no case is overdue: the time and the
statements of each round. ``--explain`` first prints ``EXPLAIN ANALYZE`` of the lists'
statements (as the services build them, written out) for one community and grid worker. Prints figures with the load average of the machine beside
each; asserts nothing. Target (issue 10): inbox and list p99 ≤ 25 ms at 32 connections on
2 cores.

Figures are recorded in README.md (Performance → Service cases).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / "var" / "bench"
# Sealed contacts in the cached dump are opened by the server: one key for both, always.
BENCH_SECRET = "bench-cases-secret-0123456789abcdef0123456789abcdef"
PASSWORD = "bench-cases-2026"

# Phones: grid workers 170 + grid id, window clerks 171 + community id, residents 172 +
# grid id (8 digits each).
SEED_SQL = [
    "ANALYZE",
    # The grids with their worker, clerk and resident (ids made below), and a point.
    """
    CREATE TABLE bench_grids AS
    SELECT (row_number() OVER (ORDER BY g.id) - 1)::int AS k, g.id AS grid_id, g.code,
           g.community_id, g.sub_district_id, c.code AS community_code,
           ST_PointOnSurface(g.boundary) AS pt, b.id AS building_id,
           NULL::int AS worker_id, NULL::int AS clerk_id, NULL::int AS resident_id,
           NULL::int AS resident_user_id
    FROM grids g JOIN communities c ON c.id = g.community_id
    LEFT JOIN (SELECT DISTINCT ON (grid_id) grid_id, id FROM buildings ORDER BY grid_id, id)
        AS b ON b.grid_id = g.id
    """,
    "CREATE UNIQUE INDEX ON bench_grids (k)",
    """
    INSERT INTO users (phone, name, password_hash, locale, is_active, created_at, updated_at)
    SELECT '170' || lpad(grid_id::text, 8, '0'), '网格员' || grid_id, :hash, 'zh_Hans', true,
           now(), now()
    FROM bench_grids
    """,
    """
    INSERT INTO users (phone, name, password_hash, locale, is_active, created_at, updated_at)
    SELECT '171' || lpad(id::text, 8, '0'), '窗口' || id, :hash, 'zh_Hans', true, now(), now()
    FROM communities
    """,
    """
    INSERT INTO users (phone, name, password_hash, locale, is_active, home_building_id,
                       created_at, updated_at)
    SELECT '172' || lpad(grid_id::text, 8, '0'), '居民' || grid_id, :hash, 'zh_Hans', true,
           building_id, now(), now()
    FROM bench_grids WHERE building_id IS NOT NULL
    """,
    """
    UPDATE bench_grids t SET worker_id = w.id, clerk_id = c.id, resident_user_id = r.id
    FROM bench_grids g
    JOIN users w ON w.phone = '170' || lpad(g.grid_id::text, 8, '0')
    JOIN users c ON c.phone = '171' || lpad(g.community_id::text, 8, '0')
    LEFT JOIN users r ON r.phone = '172' || lpad(g.grid_id::text, 8, '0')
    WHERE t.k = g.k
    """,
    """
    INSERT INTO role_assignments (user_id, role, scope_code, sub_district_id, community_id,
                                  grid_id, created_at, updated_at)
    SELECT worker_id, 'grid_worker', code, sub_district_id, community_id, grid_id, now(), now()
    FROM bench_grids
    """,
    """
    INSERT INTO role_assignments (user_id, role, title, scope_code, sub_district_id,
                                  community_id, created_at, updated_at)
    SELECT DISTINCT clerk_id, 'community_staff', '窗口受理员', community_code, sub_district_id,
           community_id, now(), now()
    FROM bench_grids
    """,
    """
    INSERT INTO role_assignments (user_id, role, scope_code, created_at, updated_at)
    SELECT resident_user_id, 'resident', '', now(), now()
    FROM bench_grids WHERE resident_user_id IS NOT NULL
    """,
    """
    INSERT INTO residents (name, phone, building_id, unit, is_minor, care_tags, user_id,
                           notify_via, locale, grid_id, community_id, sub_district_id,
                           created_at, updated_at)
    SELECT '居民' || grid_id, '172' || lpad(grid_id::text, 8, '0'), building_id, '1单元101',
           false, '[]', resident_user_id, 'both', 'zh_Hans', grid_id, community_id,
           sub_district_id, now(), now()
    FROM bench_grids WHERE building_id IS NOT NULL
    """,
    """
    UPDATE bench_grids t SET resident_id = r.id FROM residents r WHERE r.user_id = t.resident_user_id
    """,
    """
    CREATE TABLE bench_items AS
    SELECT (row_number() OVER (ORDER BY id) - 1)::int AS k, id, deadline_hours
    FROM service_items WHERE active
    """,
    # The cases: id = g, oldest first, three years up to the seeding, one per ~95 s.
    # The newest :open are being worked; the older ones are done.
    """
    INSERT INTO cases (
        id, number, item_id, channel, reporter_user_id, resident_id, contact_phone_sealed,
        contact_hash, taken_by_user_id, consent_note, description, location, photos, fields,
        state, version, level, assignee_user_id, due_at, accepted_at, resolved_at,
        closed_at, reject_reason, resolution, satisfaction, reworks, returns, escalations,
        flagged, merged_into_id, grid_id, sub_district_id, community_id, created_at,
        updated_at)
    SELECT
        s.g, 'T' || s.g, i.id, s.channel,
        CASE s.channel WHEN 'resident_app' THEN gr.resident_user_id
                       WHEN 'patrol' THEN gr.worker_id END,
        CASE WHEN s.channel IN ('resident_app', 'window') THEN gr.resident_id END,
        CASE WHEN s.channel = 'hotline' THEN (:sealed::bytea[])[1 + s.g % 50] END,
        CASE WHEN s.channel = 'hotline' THEN (:hashes::text[])[1 + s.g % 50] END,
        CASE WHEN s.channel IN ('window', 'hotline') THEN gr.clerk_id END,
        CASE WHEN s.channel = 'window' THEN '居民本人到窗口，同意代为登记' END,
        (ARRAY['楼道灯不亮了，晚上回家看不见路', '小区门口下水道堵塞，污水外溢',
               '想咨询老年人高龄津贴怎么申请', '楼上漏水，卫生间天花板一直滴水',
               '路边井盖松动，车辆经过响声很大', '需要开具居住证明，请告知所需材料',
               '垃圾分类亭满了没人清运', '独居老人家中燃气报警器一直响'])[1 + s.g % 8],
        CASE WHEN s.channel IN ('patrol', 'resident_app') AND s.g % 2 = 0 THEN gr.pt END,
        '[]', '{}', s.state,
        CASE s.state WHEN 'received' THEN 1 WHEN 'accepted' THEN 2 WHEN 'rejected' THEN 2
                     WHEN 'merged' THEN 2 WHEN 'dispatched' THEN 3 WHEN 'in_progress' THEN 4
                     WHEN 'resolved' THEN 5 ELSE 7 END,
        s.level,
        CASE WHEN s.state IN ('dispatched', 'in_progress', 'resolved', 'closed')
             THEN CASE s.level WHEN 'grid' THEN gr.worker_id ELSE gr.clerk_id END END,
        s.created + make_interval(hours => i.deadline_hours * 3),
        CASE WHEN s.state NOT IN ('received', 'rejected') THEN s.created + interval '2 hours' END,
        CASE WHEN s.state IN ('resolved', 'closed') THEN s.created + interval '20 hours' END,
        CASE WHEN s.state = 'closed' THEN s.created + interval '30 hours' END,
        CASE WHEN s.state = 'rejected' THEN '不属于社区受理范围，请拨打12345' END,
        CASE WHEN s.state IN ('resolved', 'closed') THEN '已上门处理完毕，居民确认' END,
        CASE WHEN s.state = 'closed' AND s.g % 3 <> 0 THEN 1 + s.g % 29 % 3 END,
        CASE WHEN s.g % 97 = 0 THEN 1 ELSE 0 END,
        CASE WHEN s.g % 89 = 0 THEN 1 ELSE 0 END,
        CASE WHEN s.level = 'grid' THEN 0 ELSE 1 END,
        false,
        CASE WHEN s.state = 'merged' THEN s.g - 1 END,
        gr.grid_id, gr.sub_district_id, gr.community_id, s.created,
        s.created + interval '30 hours'
    FROM (
        SELECT g, h, created,
               CASE WHEN h % 100 < 40 THEN 'resident_app' WHEN h % 100 < 60 THEN 'patrol'
                    WHEN h % 100 < 78 THEN 'window' WHEN h % 100 < 93 THEN 'hotline'
                    ELSE 'visit' END AS channel,
               CASE WHEN g <= :n::int - :open::int THEN
                        CASE WHEN h % 50 < 46 THEN 'closed' WHEN h % 50 < 49 THEN 'rejected'
                             ELSE 'merged' END
                    ELSE CASE WHEN h % 20 < 2 THEN 'received' WHEN h % 20 < 5 THEN 'accepted'
                              WHEN h % 20 < 10 THEN 'dispatched'
                              WHEN h % 20 < 16 THEN 'in_progress' ELSE 'resolved' END
               END AS state,
               CASE WHEN h % 23 = 0 THEN 'community' ELSE 'grid' END AS level
        FROM (
            SELECT g, (g * 2654435761) % 4294967291 AS h,
                   :seeded::timestamptz - make_interval(secs => (:n::int - g) * 94.6) AS created
            FROM generate_series(1, :n::int) AS g
        ) AS raw
    ) AS s
    JOIN bench_grids gr ON gr.k = (s.h / 7) % (SELECT count(*) FROM bench_grids)
    JOIN bench_items i ON i.k = (s.h / 13) % (SELECT count(*) FROM bench_items)
    """,
    # Visits are not seeded: a case from a visit here is the resident's, taken at the door.
    """
    UPDATE cases SET channel = 'window' WHERE channel = 'visit' AND resident_id IS NOT NULL
    """,
    "UPDATE cases SET channel = 'patrol', reporter_user_id = taken_by_user_id "
    "WHERE channel = 'visit'",
    # Numbers: per year of Beijing time, in order.
    """
    UPDATE cases c SET number = n.number FROM (
        SELECT id, y || '-' || lpad((row_number() OVER (PARTITION BY y ORDER BY id))::text,
                                    6, '0') AS number
        FROM (SELECT id, extract(year FROM created_at AT TIME ZONE 'Asia/Shanghai')::int AS y
              FROM cases) AS t
    ) AS n WHERE n.id = c.id
    """,
    """
    INSERT INTO case_counters (year, last)
    SELECT split_part(number, '-', 1)::int, max(split_part(number, '-', 2)::int)
    FROM cases GROUP BY 1
    """,
    "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))",
    # Deadlines of the cases being worked (not the resolved ones): the oldest :overdue past
    # theirs, the next :due_soon within the week, the rest later.
    """
    UPDATE cases c SET due_at = CASE
        WHEN w.r <= :overdue::int THEN :seeded::timestamptz
            - make_interval(mins => (:overdue::int - w.r + 1)::int * 2)
        WHEN w.r <= :overdue::int + :due_soon::int THEN :seeded::timestamptz
            + make_interval(secs => (w.r - :overdue::int) * 604800.0 / :due_soon::int)
        ELSE :seeded::timestamptz + interval '8 days' + make_interval(secs => w.r * 20) END
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS r FROM cases
          WHERE state IN ('received', 'accepted', 'dispatched', 'in_progress')) AS w
    WHERE w.id = c.id
    """,
    "CREATE TABLE bench_seed (seeded_at timestamptz NOT NULL)",
    "INSERT INTO bench_seed VALUES (:seeded::timestamptz)",
    "VACUUM ANALYZE",
]
DEFAULTS = {"cases": 1_000_000, "open": 50_000, "overdue": 2_000, "due_soon": 3_000}


def say(msg: str) -> None:
    print(msg, flush=True)


def load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def pg(cmd: str) -> str:
    from tests.support.postgis import find_pg_bin

    return str(find_pg_bin() / cmd)


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def dump_path(args: argparse.Namespace) -> Path:
    digest = hashlib.sha256("\n".join(SEED_SQL).encode()).hexdigest()[:10]
    return BENCH_DIR / (
        f"cases-{args.cases}-{args.open}-{args.overdue}-{args.due_soon}-{digest}.dump"
    )


def _bind(sql: str, params: dict[str, Any]) -> tuple[str, list[Any]]:
    """``:name`` parameters as asyncpg's ``$n``."""
    order: list[str] = []

    def number(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    text = re.sub(r"(?<![:\w]):([a-z_]+)\b", number, sql)
    return text, [params[n] for n in order]


async def seed(url: str, args: argparse.Namespace) -> None:
    """The large city, the catalogue, the people and the cases (see the module)."""
    import asyncpg
    from argon2 import PasswordHasher

    from server.cases.demo_catalogue import load_catalogue
    from server.cases.services import CONTACT_CONTEXT, contact_hash
    from server.db.engine import make_engine, make_sessionmaker
    from server.db.migrate import upgrade
    from server.grids.importer import import_grid_map
    from server.lib.crypto import seal
    from tests.bench.run import ensure_large_city

    doc = ensure_large_city()
    started = time.perf_counter()
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url, pool=False)
    async with make_sessionmaker(engine).begin() as session:
        await import_grid_map(session, doc, segments=(6, 3, 3, 3), tolerance_m=2.0)
        await load_catalogue(session)
    await engine.dispose()
    say(f"  large city and catalogue in {time.perf_counter() - started:.0f} s")
    phones = [f"+86139{n:08d}" for n in range(50)]
    params = {
        "hash": PasswordHasher().hash(PASSWORD),
        "sealed": [seal(p, context=CONTACT_CONTEXT) for p in phones],
        "hashes": [contact_hash("phone", p) for p in phones],
        "n": args.cases,
        "open": args.open,
        "overdue": args.overdue,
        "due_soon": args.due_soon,
        "seeded": datetime.now(UTC),
    }
    conn = await asyncpg.connect(plain(url))
    try:
        for sql in SEED_SQL:
            t = time.perf_counter()
            text, values = _bind(sql, params)
            await conn.execute(text, *values)
            took = time.perf_counter() - t
            if took > 2:
                say(f"  {took:5.0f} s  {' '.join(sql.split())[:70]}")
    finally:
        await conn.close()
    say(f"  seeded in {time.perf_counter() - started:.0f} s")


def _pg_cmd(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {done.stderr[-2000:]}")


async def restore(url: str, dump: Path) -> None:
    """The cached dump into a fresh database of the same name; times moved to now."""
    import asyncpg

    from server.db.migrate import upgrade

    base, name = plain(url).rsplit("/", 1)
    conn = await asyncpg.connect(base + "/postgres")
    try:
        await conn.execute(f"DROP DATABASE {name}")
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    _pg_cmd([pg("pg_restore"), "-j", "2", "--no-owner", "-d", plain(url), str(dump)])
    await asyncio.to_thread(upgrade, url)
    conn = await asyncpg.connect(plain(url))
    try:
        await conn.execute(
            """
            UPDATE cases SET created_at = created_at + d, updated_at = updated_at + d,
                   due_at = due_at + d, accepted_at = accepted_at + d,
                   resolved_at = resolved_at + d
            FROM (SELECT now() - seeded_at AS d FROM bench_seed) AS s
            WHERE state IN ('received', 'accepted', 'dispatched', 'in_progress', 'resolved')
            """
        )
        await conn.execute("UPDATE bench_seed SET seeded_at = now()")
        await conn.execute("VACUUM ANALYZE cases")
    finally:
        await conn.close()


@contextlib.contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    from tests.support.postgis import throwaway_postgis

    dump = dump_path(args)
    with throwaway_postgis("linli_bench_cases") as url:
        started = time.perf_counter()
        if dump.exists() and not args.reseed:
            say(f"restoring {dump.relative_to(ROOT)} …")
            asyncio.run(restore(url, dump))
            say(f"  restored in {time.perf_counter() - started:.0f} s")
        else:
            say(f"seeding {args.cases:,} cases (cached afterwards as {dump.relative_to(ROOT)}) …")
            asyncio.run(seed(url, args))
            BENCH_DIR.mkdir(parents=True, exist_ok=True)
            for old in BENCH_DIR.glob("cases-*.dump"):
                old.unlink()
            _pg_cmd([pg("pg_dump"), "-Fc", "-Z", "1", "-f", str(dump), plain(url)])
            say(f"  dumped in {time.perf_counter() - started:.0f} s in all")
        yield url


# --- HTTP ------------------------------------------------------------------------------

LUA = """
local tokens, paths, bodies = {}, {}, {}
for line in io.lines("%(lines)s") do
  local token, path, body = line:match("^([^\\t]*)\\t([^\\t]*)\\t?(.*)$")
  tokens[#tokens + 1] = token
  paths[#paths + 1] = path
  bodies[#bodies + 1] = body
end
local i = 0
local method = "%(method)s"
function init(args)
  i = math.random(#tokens) - 1
end
request = function()
  i = i %% #tokens + 1
  local headers = {["Authorization"] = "Bearer " .. tokens[i]}
  if method == "POST" then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", paths[i], headers, bodies[i])
  end
  return wrk.format("GET", paths[i], headers)
end
"""


def login(base: str, phone: str) -> str:
    req = urllib.request.Request(
        base + "/api/v1/auth/login",
        data=json.dumps({"phone": phone, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return str(json.loads(r.read())["access_token"])


def _ms(text: str) -> float:
    value = float(re.sub(r"[a-z]+$", "", text))
    if text.endswith("us"):
        return value / 1000
    if text.endswith("ms"):
        return value
    return value * 1000


def wrk(
    base: str,
    name: str,
    lines: list[tuple[str, str, str]],
    *,
    method: str,
    connections: int,
    seconds: int,
    var_dir: Path,
) -> None:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    data = var_dir / f"{slug}.tsv"
    data.write_text("".join("\t".join(line) + "\n" for line in lines))
    script = var_dir / f"{slug}.lua"
    script.write_text(LUA % {"lines": data, "method": method})
    cmd = [shutil.which("wrk") or "wrk", "-t2", f"-c{connections}", "--latency"]
    cmd += ["-s", str(script), base]
    if method == "GET":  # warm-up: plans cached, pages in shared buffers
        subprocess.run([*cmd[:4], "-d2s", *cmd[4:]], capture_output=True, check=False)
    before = load()
    out = subprocess.run(
        [*cmd[:4], f"-d{seconds}s", *cmd[4:]], capture_output=True, text=True, check=True
    ).stdout
    m = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    rps = float(m.group(1)) if m else 0.0
    latency = {
        p: _ms(v) for p, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, flags=re.MULTILINE)
    }
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    say(
        f"  {name:<34} {rps:8,.0f} req/s  p50 {latency.get('50', 0):6.1f}  "
        f"p90 {latency.get('90', 0):6.1f}  p99 {latency.get('99', 0):6.1f} ms  "
        f"non-2xx {non2xx.group(1) if non2xx else 0}"
        f"{'  socket errors ' + errors.group(1) if errors else ''}  ({before})"
    )


async def people(url: str) -> dict[str, Any]:
    """Whom to sign in as: grid workers of grids with open cases, clerks of communities
    spread over the city with their residents, item codes intake may use."""
    import asyncpg

    conn = await asyncpg.connect(plain(url))
    try:
        grids = await conn.fetch(
            """
            SELECT g.grid_id, u.phone FROM bench_grids g JOIN users u ON u.id = g.worker_id
            WHERE g.k % 469 = 0 ORDER BY g.k LIMIT 64
            """
        )
        communities = await conn.fetch(
            """
            SELECT DISTINCT ON (g.community_id) g.community_id, g.community_code, u.phone
            FROM bench_grids g JOIN users u ON u.id = g.clerk_id
            WHERE g.community_id % 19 = 0 ORDER BY g.community_id LIMIT 16
            """
        )
        residents = await conn.fetch(
            """
            SELECT g.community_id, g.resident_id, u.phone FROM bench_grids g
            JOIN users u ON u.id = g.resident_user_id
            WHERE g.community_id = ANY($1::int[]) AND g.k % 5 = 0 ORDER BY g.k
            """,
            [r["community_id"] for r in communities],
        )
        items = await conn.fetch(
            """
            SELECT code FROM service_items
            WHERE active AND fields::text = '[]' ORDER BY id
            """
        )
        counts = await conn.fetch(
            """
            SELECT count(*) AS cases,
                   count(*) FILTER (WHERE state IN ('received', 'accepted', 'dispatched',
                                                     'in_progress', 'resolved')) AS open,
                   count(*) FILTER (WHERE state IN ('received', 'accepted', 'dispatched',
                                                     'in_progress') AND due_at < now())
                     AS overdue
            FROM cases
            """
        )
        return {
            "workers": [r["phone"] for r in grids],
            "communities": [(r["community_code"], r["phone"]) for r in communities],
            "residents": {(r["community_id"], r["resident_id"], r["phone"]) for r in residents},
            "community_ids": {r["community_code"]: r["community_id"] for r in communities},
            "items": [r["code"] for r in items],
            "counts": dict(counts[0]),
        }
    finally:
        await conn.close()


def measure_http(url: str, args: argparse.Namespace, var_dir: Path) -> None:
    from tests.support.live import live_server

    who = asyncio.run(people(url))
    c = who["counts"]
    say(
        f"cases: {c['cases']:,} ({c['open']:,} open, {c['overdue']:,} overdue); "
        f"{len(who['workers'])} grid workers, {len(who['communities'])} clerks, "
        f"{len(who['residents'])} residents signed in"
    )
    env = {"LINLI_DISPATCHER": "off", "LINLI_SECRET_KEY": BENCH_SECRET}
    with live_server(var_dir, database_url=url, workers=2, prepare=False, extra_env=env) as base:
        workers = [login(base, p) for p in who["workers"]]
        clerks = {code: login(base, p) for code, p in who["communities"]}
        residents = [(cid, rid, login(base, p)) for cid, rid, p in sorted(who["residents"])]
        items = who["items"]
        conns, secs = args.connections, args.seconds
        say(f"HTTP, 2 workers, wrk {conns} connections, {secs} s each (latency in ms):")
        run = {"connections": conns, "seconds": secs, "var_dir": var_dir}
        wrk(
            base,
            "inbox",
            [(t, "/api/v1/me/case-inbox", "") for t in workers],
            method="GET",
            **run,
        )
        lists = {
            "community list, first page": "",
            "community list, state=in_progress": "?state=in_progress",
            "community list, overdue": "?overdue=true",
            f"community list, item={items[0]}": f"?item={items[0]}",
            "community list, offset=2000": "?offset=2000",
        }
        for name, query in lists.items():
            lines = [
                (t, f"/api/v1/communities/{code}/cases{query}", "") for code, t in clerks.items()
            ]
            wrk(base, name, lines, method="GET", **run)
        if args.bare:
            bare_side_by_side(url, base, workers, clerks, run)
        rng = random.Random(3334)
        intake: list[tuple[str, str, str]] = []
        by_community: dict[int, list[int]] = {}
        for cid, rid, _ in residents:
            by_community.setdefault(cid, []).append(rid)
        for n in range(400):
            cid, rid, token = residents[n % len(residents)]
            body: dict[str, Any] = {"item": rng.choice(items), "description": f"压测 {n}"}
            if n % 2:
                code = next(k for k, v in who["community_ids"].items() if v == cid)
                token = clerks[code]
                body |= {
                    "channel": "window",
                    "resident_id": rng.choice(by_community[cid]),
                    "consent_note": "居民本人到窗口",
                }
            intake.append((token, "/api/v1/cases", json.dumps(body, ensure_ascii=False)))
        wrk(
            base,
            "intake (POST /api/v1/cases)",
            intake,
            method="POST",
            connections=args.intake_connections,
            seconds=secs,
            var_dir=var_dir,
        )


@contextlib.contextmanager
def bare_server(
    url: str, app: str = "tests.bench.bare_cases:app", probe: str = "/api/v1/me/case-inbox"
) -> Iterator[str]:
    """A bare app (``tests/bench/bare_*.py``) served as Linli is (2 workers, a socket
    each), with the benchmark's secret; ready once ``probe`` answers (with an error: no
    token is sent)."""
    from tests.support.live import free_port

    port = free_port()
    code = (
        "from server.serving import serve; "
        f"serve({app!r}, host='127.0.0.1', port={port}, workers=2, log_level='warning')"
    )
    env = {**os.environ, "DATABASE_URL": url, "LINLI_SECRET_KEY": BENCH_SECRET}
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + probe, timeout=2)
            except urllib.error.HTTPError:
                break  # 401 or 405: it answers
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the bare app did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def bare_side_by_side(
    url: str, base: str, workers: list[str], clerks: dict[str, str], run: dict[str, Any]
) -> None:
    """The inbox and a community's first page, Linli and the bare app in turn, twice."""
    lists = {
        "inbox": [(t, "/api/v1/me/case-inbox", "") for t in workers],
        "first page": [(t, f"/api/v1/communities/{c}/cases", "") for c, t in clerks.items()],
    }
    with bare_server(url) as bare:
        for name, lines in lists.items():
            # Same answers, but for what the bare app leaves out (see its documentation).
            token, path, _ = lines[0]
            answers = []
            for at in (base, bare):
                req = urllib.request.Request(
                    at + path, headers={"Authorization": f"Bearer {token}"}
                )
                with urllib.request.urlopen(req, timeout=30) as r:
                    answers.append(json.loads(r.read()))
            ours, theirs = answers
            same = ["total", "limit", "offset"]
            assert [ours[k] for k in same] == [theirs[k] for k in same], (ours, theirs)
            assert [c["id"] for c in ours["items"]] == [c["id"] for c in theirs["items"]]
            for _ in range(2):
                for label, at in (("Linli", base), ("bare", bare)):
                    wrk(at, f"{name} ({label})", lines, method="GET", **run)


# --- plans ----------------------------------------------------------------------------

PLANS = {
    "list: count": "SELECT count(*) FROM cases WHERE community_id = $1",
    "list: first page": "SELECT * FROM cases WHERE community_id = $1 ORDER BY id DESC LIMIT 50",
    "list: offset 2000": "SELECT * FROM cases WHERE community_id = $1 ORDER BY id DESC "
    "LIMIT 50 OFFSET 2000",
    "list: a state": "SELECT * FROM cases WHERE community_id = $1 AND state = 'in_progress' "
    "ORDER BY id DESC LIMIT 50",
    "list: overdue": "SELECT * FROM cases WHERE community_id = $1 AND state IN ('received', "
    "'accepted', 'dispatched', 'in_progress', 'resolved') AND due_at < now() "
    "ORDER BY id DESC LIMIT 50",
    "list: an item": "SELECT * FROM cases WHERE community_id = $1 AND item_id IN "
    "(SELECT id FROM service_items WHERE code = 'marriage_cert') ORDER BY id DESC LIMIT 50",
    "inbox": "SELECT * FROM cases WHERE (assignee_user_id = $1 OR grid_id IN ($2)) "
    "AND state IN ('received', 'accepted', 'dispatched', 'in_progress', 'resolved') "
    "ORDER BY due_at IS NULL, due_at, id LIMIT 50",
    "inbox: count": "SELECT count(*) FROM cases WHERE (assignee_user_id = $1 "
    "OR grid_id IN ($2)) AND state IN ('received', 'accepted', 'dispatched', "
    "'in_progress', 'resolved')",
}


async def explain(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(plain(url))
    try:
        row = await conn.fetchrow(
            "SELECT community_id, worker_id, grid_id FROM bench_grids WHERE k = 4690"
        )
        say("plans (EXPLAIN ANALYZE, second run):")
        for name, sql in PLANS.items():
            values = [row["worker_id"], row["grid_id"]] if "$2" in sql else [row["community_id"]]
            for _ in range(2):
                plan = [
                    r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *values)
                ]
            took = next((p for p in plan if p.startswith("Execution Time")), "")
            scans = {
                m.group(0)
                for p in plan
                for m in [re.search(r"(Index|Seq|Bitmap)[\w ]* on \w+", p)]
                if m
            }
            say(f"  {name:<18} {took:<28} {'; '.join(sorted(scans))}")
    finally:
        await conn.close()


# --- the deadline chore ----------------------------------------------------------------


async def sweep(url: str, rounds: int) -> None:
    """``case_deadlines`` as the task runner runs it: a transaction per round."""
    from sqlalchemy import event, func, select

    from server.cases.models import Case, CaseState
    from server.db.base import utcnow
    from server.db.engine import make_engine, make_sessionmaker
    from server.domains import register_domains
    from server.housekeeping import CHORES

    register_domains()
    chore = CHORES["case_deadlines"]
    engine = make_engine(url)
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    sessionmaker = make_sessionmaker(engine)
    watched = (CaseState.received, CaseState.accepted, CaseState.dispatched, CaseState.in_progress)

    async def overdue() -> int:
        async with sessionmaker() as session:
            n = await session.scalar(
                select(func.count()).where(Case.state.in_(watched), Case.due_at < utcnow())
            )
            return int(n or 0)

    left = await overdue()
    say(f"deadline chore (case_deadlines), {left:,} cases overdue:")
    total_time, total_statements, total_touched = 0.0, 0, 0
    for n in range(1, rounds + 1):
        if left == 0:
            break
        before, statements = load(), 0
        t = time.perf_counter()
        async with sessionmaker.begin() as session:
            touched = await chore(session, utcnow())
        took = time.perf_counter() - t
        left = await overdue()
        total_time += took
        total_statements += statements
        total_touched += touched
        say(
            f"  round {n}: {touched} cases touched in {took:.2f} s, {statements} statements "
            f"({statements / max(touched, 1):.1f} per case); {left:,} still overdue  ({before})"
        )
    say(
        f"  in all: {total_touched:,} cases in {total_time:.1f} s "
        f"({total_touched / max(total_time, 1e-9):,.0f} cases/s), {total_statements:,} statements"
    )
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=DEFAULTS["cases"])
    parser.add_argument("--open", type=int, default=DEFAULTS["open"], help="the newest, open")
    parser.add_argument("--overdue", type=int, default=DEFAULTS["overdue"])
    parser.add_argument("--due-soon", type=int, default=DEFAULTS["due_soon"])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--intake-connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=20, help="of the deadline chore, at most")
    parser.add_argument("--reseed", action="store_true", help="seed again, ignore the cache")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--explain", action="store_true", help="print the lists' plans first")
    parser.add_argument(
        "--bare",
        action="store_true",
        help="also serve tests/bench/bare_cases.py and measure it on the same lists",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None and not args.skip_http:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    os.environ["LINLI_SECRET_KEY"] = BENCH_SECRET
    os.environ.pop("LINLI_DATA_KEY", None)
    say(f"machine: {os.cpu_count()} cores, {platform.platform()}, {platform.python_version()}")
    var_dir = Path(tempfile.mkdtemp(prefix="linli-bench-cases-"))
    try:
        with database(args) as url:
            if args.explain:
                asyncio.run(explain(url))
            if not args.skip_http:
                measure_http(url, args, var_dir)
            asyncio.run(sweep(url, args.rounds))
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
