"""Benchmark: phones syncing visit records in batches of 50. Run on demand:
``make bench-sync`` (PostGIS) or ``make bench-sync BENCH_ARGS="--engine spatialite"``.

A real ``linli serve`` (2 workers, the outbox dispatcher off) on a throwaway PostGIS
with the demo city and ``--visits`` planned visits of the demo grid worker; ``wrk`` with
8 connections (1 thread) posts ``POST /api/v1/visits/records``, each request 50 records of
visits not recorded before (one urgent finding per batch, told to the office), for
``--seconds``. Prints requests/s, records/s (counted in the database: visits done), and
latency percentiles; asserts nothing. Targets (issue 9): ≥ 25,000 records/s, p99 ≤ 100 ms
at 8 connections on 2 cores.

``--bare`` also serves ``tests/bench/bare_sync.py`` (the same writes in one SQL statement,
no ORM, no middleware, less checking: see its documentation) on the same database and
runs the two in turn, ``--rounds`` times, each run on visits of its own. Before measuring
it checks that both apps answer a batch alike and write the same rows for it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from server.db.base import utcnow
from server.db.engine import make_engine, make_sessionmaker
from server.people.models import Resident
from server.visits.models import ReportOutcome, Visit, VisitReport, VisitState, VisitWindow
from tests.bench.cases import BENCH_SECRET, bare_server
from tests.conftest import DEMO_PASSWORD, DENGYUE_GRID_WORKER
from tests.support.live import live_server
from tests.support.postgis import throwaway_postgis

LUA = """
local first, n = %(first)d, 0
local at = "%(at)s"
local prefix = "%(prefix)s"
request = function()
  local parts = {}
  for i = 0, 49 do
    local k = n * 50 + i
    parts[#parts + 1] = string.format(
      '{"ref":"%%s-%%09d","visit_id":%%d,"condition":"good","visited_at":"%%s","notes":"bench","urgent":%%s}',
      prefix, k, first + k, at, i == 0 and "true" or "false")
  end
  n = n + 1
  return wrk.format("POST", "/api/v1/visits/records",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(token)s"},
    '{"records":[' .. table.concat(parts, ",") .. ']}')
end
"""


@contextlib.contextmanager
def _database(engine: str, var_dir: Path) -> Iterator[str]:
    if engine == "postgis":
        with throwaway_postgis("linli_bench_sync") as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{var_dir / 'linli.sqlite3'}"


def _row(resident: Any, source: str, i: int, worker: int | None, **values: Any) -> dict[str, Any]:
    """A visit of the demo grid worker: planned for today at noon unless ``values`` say
    otherwise."""
    now = utcnow()
    return {
        "resident_id": resident.id,
        "source": source,
        "due_by": date(2020, 1, 1) + timedelta(days=i % 7),
        "state": VisitState.planned,
        "version": 1,
        "person_user_id": worker,
        "visit_date": now.date(),
        "window": VisitWindow.noon,
        "position": 0,
        "fixed": False,
        "needs": [],
        "notes": "",
        "urgent": False,
        "created_at": now,
        "updated_at": now,
        **Visit.placed_in(resident),
        **values,
    }


async def _make_visits(url: str, how_many: int, history: int = 0) -> int:
    """Planned visits of the demo grid worker, ids contiguous; the first id.

    ``history``: as many visits recorded before, each with the report its phone sent,
    so the tables the sync reads are the size they are in a city that has used Linli
    for a while (a sync against empty tables plans its lookups for empty tables)."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            from server.accounts.models import User

            worker = await session.scalar(select(User.id).where(User.phone == DENGYUE_GRID_WORKER))
            residents = (
                await session.scalars(select(Resident).order_by(Resident.id).limit(5))
            ).all()
            rows = [
                _row(residents[i % len(residents)], f"bench{i // len(residents)}", i, worker)
                for i in range(how_many)
            ]
            for start in range(0, how_many, 5_000):
                await session.execute(insert(Visit.__table__), rows[start : start + 5_000])  # type: ignore[arg-type]
            await _history(session, residents, worker, history)
            first = await session.scalar(
                select(func.min(Visit.id)).where(Visit.source.like("bench%"))
            )
            # Fresh statistics, as autovacuum would have them by the time phones sync.
            await session.execute(text("ANALYZE"))
            assert first is not None
            return int(first)
    finally:
        await engine.dispose()


async def _history(session: Any, residents: Any, worker: int | None, how_many: int) -> None:
    """Visits of earlier years, recorded, with their phones' reports."""
    now = utcnow()
    for start in range(0, how_many, 5_000):
        rows = [
            _row(
                residents[i % len(residents)],
                f"hist{i // len(residents)}",
                i,
                worker,
                due_by=date(2019, 1, 1) + timedelta(days=i % 7),
                state=VisitState.done,
                version=2,
                visit_date=date(2019, 1, 1),
                condition="good",
                recorded_by=worker,
                visited_at=now,
            )
            for i in range(start, min(start + 5_000, how_many))
        ]
        ids = (
            await session.scalars(
                insert(Visit.__table__).returning(Visit.__table__.c.id),  # type: ignore[arg-type]
                rows,
            )
        ).all()
        await session.execute(
            insert(VisitReport.__table__),  # type: ignore[arg-type]
            [
                {
                    "ref": f"hist-{visit_id}",
                    "visit_id": visit_id,
                    "reporter_user_id": worker,
                    "received_at": now,
                    "outcome": ReportOutcome.applied,
                    "record": {"condition": "good"},
                    **Visit.placed_in(residents[0]),
                }
                for visit_id in ids
            ],
        )


async def _done(url: str, first: int, end: int) -> int:
    """How many of the visits with ids from ``first`` to before ``end`` are done."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            count = await session.scalar(
                select(func.count()).where(
                    Visit.id >= first, Visit.id < end, Visit.state == VisitState.done
                )
            )
            return int(count or 0)
    finally:
        await engine.dispose()


def _post(base: str, token: str, body: dict[str, Any]) -> Any:
    req = urllib.request.Request(
        base + "/api/v1/visits/records",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


async def _written(url: str, ids: list[int]) -> list[Any]:
    """What a batch wrote for these visits, with their ids, refs and times left out: the
    visits, their reports, their history rows and the outbox rows naming them."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            out: list[Any] = []
            for visit_id in ids:
                visit = (
                    await conn.execute(
                        text(
                            "SELECT state, version, condition, needs::jsonb, notes, urgent, "
                            "visited_at, visit_date, recorded_by, person_user_id, photo, lon, "
                            "lat FROM visits WHERE id = :id"
                        ),
                        {"id": visit_id},
                    )
                ).one()
                reports = (
                    await conn.execute(
                        text(
                            "SELECT reporter_user_id, outcome, reason, record::jsonb, "
                            "sub_district_id, community_id, grid_id FROM visit_reports "
                            "WHERE visit_id = :id"
                        ),
                        {"id": visit_id},
                    )
                ).all()
                events = (
                    await conn.execute(
                        text(
                            "SELECT actor_user_id, action, from_state, to_state, note, "
                            "detail::jsonb ? 'ref' FROM visit_events WHERE visit_id = :id"
                        ),
                        {"id": visit_id},
                    )
                ).all()
                outbox = (
                    await conn.execute(
                        text(
                            "SELECT channel, user_id, recipient_kind, address_kind, template, "
                            "params::jsonb, locale, url = '/#/visits/' || :id, urgent, "
                            "community_id, status, attempts, "
                            "dedupe_key = 'visit:' || :id || ':urgent:u' || user_id || ':' "
                            "|| channel FROM outbox WHERE dedupe_key LIKE 'visit:' || :id "
                            "|| ':%' ORDER BY user_id, channel"
                        ),
                        {"id": str(visit_id)},
                    )
                ).all()
                out.append((tuple(visit), sorted(map(tuple, reports)), events, outbox))
            return out
    finally:
        await engine.dispose()


def same_work(url: str, apps: dict[str, str], token: str, first: int) -> None:
    """Post the same batch (three records, one urgent with needs, one placed) to each
    app, on visits of its own of the same residents, then again: both must answer alike,
    write the same rows, and write nothing the second time."""
    at = (utcnow() - timedelta(hours=1)).isoformat()
    seen = []
    for n, (label, base) in enumerate(apps.items()):
        ids = [first + 5 * n + i for i in range(3)]  # the same residents (5 in turn)
        records = [
            {"ref": f"check-{label}-{i}", "visit_id": v, "condition": c, "visited_at": at}
            for i, (v, c) in enumerate(zip(ids, ["good", "poor", "fair"], strict=True))
        ]
        records[1] |= {"urgent": True, "needs": ["food", "heating"], "notes": " 没有暖气 "}
        records[2] |= {"lon": 115.03, "lat": 35.76, "notes": "bench"}
        answers = [_post(base, token, {"records": records}) for _ in range(2)]
        for answer in answers:
            for result in answer["results"]:
                result.pop("ref")
                result.pop("visit_id")
        seen.append((answers, asyncio.run(_written(url, ids))))
    (ours, ours_rows), (theirs, theirs_rows) = seen
    assert ours == theirs, (ours, theirs)
    assert ours_rows == theirs_rows, (ours_rows, theirs_rows)
    assert ours[0]["recorded"] == 3 and ours[1]["duplicate"] == 3, ours
    assert all(len(reports) == 1 and len(events) == 1 for _, reports, events, _ in ours_rows)
    assert any(outbox for *_, outbox in ours_rows), "no urgent message written"
    print("  both apps answer alike and write the same rows for the same batch")


def _ms(text: str) -> float:
    value = float(re.sub(r"[a-z]+$", "", text))
    if text.endswith("us"):
        return value / 1000
    if text.endswith("ms"):
        return value
    return value * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", default="postgis", choices=["postgis", "spatialite"])
    parser.add_argument("--visits", type=int, default=150_000, help="planned visits per run")
    parser.add_argument(
        "--history", type=int, default=150_000, help="visits recorded before, with reports"
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--bare", action="store_true", help="also measure tests/bench/bare_sync.py, in turn"
    )
    parser.add_argument("--rounds", type=int, default=None, help="runs of each app (1; --bare 2)")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    if args.bare and args.engine != "postgis":
        raise SystemExit("the bare app speaks PostgreSQL only")
    rounds = args.rounds or (2 if args.bare else 1)
    labels = ["Linli", "bare"] if args.bare else ["Linli"]
    runs = [label for _ in range(rounds) for label in labels]
    print(f"machine: {os.cpu_count()} cores, {platform.platform()}, {platform.python_version()}")
    var_dir = Path(tempfile.mkdtemp(prefix="linli-bench-sync-"))
    with (
        _database(args.engine, var_dir) as url,
        live_server(
            var_dir,
            database_url=url,
            workers=2,
            extra_env={"LINLI_DISPATCHER": "off", "LINLI_SECRET_KEY": BENCH_SECRET},
        ) as base,
        bare_server(url, "tests.bench.bare_sync:app", "/api/v1/visits/records")
        if args.bare
        else contextlib.nullcontext("") as bare,
    ):
        first = asyncio.run(_make_visits(url, args.visits * len(runs) + 10, args.history))
        login = urllib.request.Request(
            base + "/api/v1/auth/login",
            data=json.dumps({"phone": DENGYUE_GRID_WORKER, "password": DEMO_PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(login, timeout=10) as r:
            token = json.loads(r.read())["access_token"]
        apps = {"Linli": base, "bare": bare}
        if args.bare:
            same_work(url, apps, token, first + args.visits * len(runs))
        at = (utcnow() - timedelta(hours=1)).isoformat()
        print(
            f"{args.engine}: POST /api/v1/visits/records, batches of 50, "
            f"{args.connections} connections, {args.seconds} s, 2 workers"
        )
        for n, label in enumerate(runs):
            start = first + n * args.visits
            script = var_dir / f"sync{n}.lua"
            script.write_text(LUA % {"first": start, "at": at, "token": token, "prefix": f"b{n}"})
            out = subprocess.run(
                [
                    wrk,
                    "-t1",
                    f"-c{args.connections}",
                    f"-d{args.seconds}s",
                    "--latency",
                    "-s",
                    str(script),
                    apps[label],
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            done = asyncio.run(_done(url, start, start + args.visits))
            _report(label, out, done, args)
    shutil.rmtree(var_dir, ignore_errors=True)


def _report(label: str, out: str, done: int, args: argparse.Namespace) -> None:
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    latency = {
        p: _ms(v) for p, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, flags=re.MULTILINE)
    }
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    exhausted = " (visits ran out: raise --visits)" if done >= args.visits else ""
    print(
        f"  {label}: {rps:,.0f} batches/s; {done / args.seconds:,.0f} records/s stored "
        f"({done:,} visits recorded){exhausted}; latency p50 {latency.get('50', 0):.1f} ms, "
        f"p90 {latency.get('90', 0):.1f} ms, p99 {latency.get('99', 0):.1f} ms; "
        f"non-2xx: {non2xx.group(1) if non2xx else 0}"
    )


if __name__ == "__main__":
    main()
