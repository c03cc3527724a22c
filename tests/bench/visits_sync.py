"""Benchmark: phones syncing visit records in batches of 50. Run on demand:
``make bench-sync`` (PostGIS) or ``make bench-sync BENCH_ARGS="--engine spatialite"``.

A real ``linli serve`` (2 workers, the outbox dispatcher off) on a throwaway PostGIS
with the demo city and ``--visits`` planned visits of the demo grid worker; ``wrk`` with
8 connections (1 thread) posts ``POST /api/v1/visits/records``, each request 50 records of
visits not recorded before (one urgent finding per batch, told to the office), for
``--seconds``. Prints requests/s, records/s (counted in the database: visits done), and
latency percentiles; asserts nothing. Targets (issue 9): ≥ 25,000 records/s, p99 ≤ 100 ms
at 8 connections on 2 cores.
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
from tests.conftest import DEMO_PASSWORD, DENGYUE_GRID_WORKER
from tests.support.live import live_server
from tests.support.postgis import throwaway_postgis

LUA = """
local first, n = %(first)d, 0
local at = "%(at)s"
request = function()
  local parts = {}
  for i = 0, 49 do
    local k = n * 50 + i
    parts[#parts + 1] = string.format(
      '{"ref":"bench-%%09d","visit_id":%%d,"condition":"good","visited_at":"%%s","notes":"bench","urgent":%%s}',
      k, first + k, at, i == 0 and "true" or "false")
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


async def _done(url: str) -> int:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            count = await session.scalar(
                select(func.count()).where(
                    Visit.source.like("bench%"), Visit.state == VisitState.done
                )
            )
            return int(count or 0)
    finally:
        await engine.dispose()


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
    parser.add_argument("--visits", type=int, default=150_000)
    parser.add_argument(
        "--history", type=int, default=150_000, help="visits recorded before, with reports"
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    print(f"machine: {os.cpu_count()} cores, {platform.platform()}, {platform.python_version()}")
    var_dir = Path(tempfile.mkdtemp(prefix="linli-bench-sync-"))
    with (
        _database(args.engine, var_dir) as url,
        live_server(
            var_dir, database_url=url, workers=2, extra_env={"LINLI_DISPATCHER": "off"}
        ) as base,
    ):
        first = asyncio.run(_make_visits(url, args.visits, args.history))
        login = urllib.request.Request(
            base + "/api/v1/auth/login",
            data=json.dumps({"phone": DENGYUE_GRID_WORKER, "password": DEMO_PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(login, timeout=10) as r:
            token = json.loads(r.read())["access_token"]
        at = (utcnow() - timedelta(hours=1)).isoformat()
        script = var_dir / "sync.lua"
        script.write_text(LUA % {"first": first, "at": at, "token": token})
        out = subprocess.run(
            [
                wrk,
                "-t1",
                f"-c{args.connections}",
                f"-d{args.seconds}s",
                "--latency",
                "-s",
                str(script),
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        done = asyncio.run(_done(url))
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    latency = {
        p: _ms(v) for p, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, flags=re.MULTILINE)
    }
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    exhausted = " (visits ran out: raise --visits)" if done >= args.visits else ""
    print(
        f"{args.engine}: POST /api/v1/visits/records, batches of 50, {args.connections} connections, "
        f"{args.seconds} s, 2 workers\n"
        f"  {rps:,.0f} batches/s; {done / args.seconds:,.0f} records/s stored "
        f"({done:,} visits recorded){exhausted}\n"
        f"  latency p50 {latency.get('50', 0):.1f} ms, p90 {latency.get('90', 0):.1f} ms, "
        f"p99 {latency.get('99', 0):.1f} ms; non-2xx: {non2xx.group(1) if non2xx else 0}"
    )
    shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
