"""Benchmarks of the wish board and the dispatcher, on both engines. ``make bench-wishes``.

1. A community with 10,000 wishes: ``GET /api/v1/communities/{code}/wishes`` (the
   public board, newest 50) and ``POST /api/v1/wishes`` (a resident posting), each
   with wrk at 8 connections against 2 uvicorn workers: requests/s and latency.
2. Dispatcher throughput: 2,000 notifications (half web push to a loopback push
   service that verifies and decrypts, half SMS to a loopback SMPP SMSC), one
   dispatcher, notifications/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from server.accounts.models import User
from server.db.base import utcnow
from server.db.engine import make_engine, make_sessionmaker
from server.db.migrate import upgrade
from server.demo import load_demo
from server.notify.channels.sms import SmppSms
from server.notify.channels.webpush import WebPushChannel
from server.notify.dispatcher import Dispatcher
from server.notify.models import Notification, OutboxStatus, PushSubscription
from server.notify.outbox import enqueue
from server.notify.services import ensure_vapid_keys
from server.people.messaging import Recipient
from server.people.models import NotifyVia, Resident
from server.wishes.models import Wish, WishCategory
from server.wishes.states import State
from tests.bench.run import bench_server, machine, say, summarise_wrk
from tests.conftest import make_settings
from tests.support.postgis import throwaway_postgis
from tests.support.push_service import PushService
from tests.support.smsc import Smsc

COMMUNITY = "410902001001"
RESIDENT = "13800000007"

POST_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
wrk.body = '{"title": "想请人帮忙换灯泡", "category": "repair", "description": "厨房的灯坏了"}'
"""


async def prepare(url: str, var_dir: Path, wishes: int) -> None:
    settings = make_settings(url, var_dir)
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    async with make_sessionmaker(engine).begin() as session:
        await load_demo(session, settings)
        resident = await session.scalar(select(Resident).where(Resident.phone == RESIDENT))
        assert resident is not None
        from server.grids.models import Building

        building = await session.get(Building, resident.building_id)
        assert building is not None
        now = utcnow()
        rows = [
            {
                "title": f"心愿{i}",
                "description": "基准测试",
                "category": WishCategory.daily_help,
                "state": State.approved,
                "beneficiary_id": resident.id,
                "building_id": building.id,
                "location": building.location,
                "sub_district_id": resident.sub_district_id,
                "community_id": resident.community_id,
                "grid_id": resident.grid_id,
                "expires_at": now + timedelta(days=30),
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(wishes)
        ]
        for start in range(0, len(rows), 1000):
            await session.execute(insert(Wish), rows[start : start + 1000])
    await engine.dispose()


def login(base: str) -> str:
    req = urllib.request.Request(
        f"{base}/api/v1/auth/login",
        method="POST",
        data=json.dumps({"phone": RESIDENT, "password": "linli-demo-2026"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return str(json.load(r)["access_token"])


def http(url: str, var_dir: Path, seconds: int) -> None:
    wrk = shutil.which("wrk")
    if wrk is None:
        say("  wrk not installed: HTTP part skipped")
        return
    with bench_server(url, var_dir) as base:
        board = f"{base}/api/v1/communities/{COMMUNITY}/wishes"
        subprocess.run([wrk, "-t2", "-c8", "-d3s", board], capture_output=True, check=False)
        out = subprocess.run(
            [wrk, "-t2", "-c8", f"-d{seconds}s", "--latency", board],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        say("  GET the public board (newest 50 of 10,000+ wishes), 8 connections:")
        say(summarise_wrk(out))
        script = var_dir / "post.lua"
        script.write_text(POST_LUA % login(base))
        out = subprocess.run(
            [
                wrk,
                "-t2",
                "-c8",
                f"-d{seconds}s",
                "--latency",
                "-s",
                str(script),
                f"{base}/api/v1/wishes",
            ],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        say(
            "  POST /api/v1/wishes (a resident posting; each writes the wish, its history and 2 outbox rows):"
        )
        say(summarise_wrk(out))


async def queue_notifications(
    session: Any, prefix: str, n: int, user_id: int, resident: Resident
) -> None:
    """n pushes to the user and n SMS to the resident, all due now."""
    for i in range(n):
        await enqueue(
            session,
            event=f"{prefix}:p{i}",
            template="wish.approved",
            params={"title": f"P{i}"},
            recipients=[Recipient(user_id=user_id, via=NotifyVia.push)],
            urgent=True,
            community_id=resident.community_id,
            topic=f"{prefix}-{i}",
        )
        await enqueue(
            session,
            event=f"{prefix}:s{i}",
            template="wish.approved",
            params={"title": f"S{i}"},
            recipients=[Recipient(resident_id=resident.id, via=NotifyVia.sms)],
            urgent=True,
            community_id=resident.community_id,
        )


async def dispatcher_throughput(url: str, count: int) -> None:
    engine = make_engine(url)
    sm = make_sessionmaker(engine)
    push, smsc = PushService(), Smsc()
    await push.start()
    await smsc.start()
    try:
        async with sm.begin() as session:
            # Only the benchmark's own rows are due (the posting benchmark queued some).
            await session.execute(
                update(Notification)
                .where(Notification.status == OutboxStatus.pending)
                .values(status=OutboxStatus.failed)
            )
            private, public = await ensure_vapid_keys(session)
            user = await session.scalar(select(User).where(User.phone == RESIDENT))
            resident = await session.scalar(select(Resident).where(Resident.user_id == user.id))  # type: ignore[union-attr]
            assert user is not None and resident is not None
            sub = push.new_subscription(application_server_key=public)
            session.add(
                PushSubscription(
                    user_id=user.id, endpoint=sub.endpoint, p256dh=sub.p256dh, auth=sub.auth
                )
            )
            await queue_notifications(session, "bench", count // 2, user.id, resident)
        half = count // 2
        for workers in (1, 4):
            dispatchers = []
            for _ in range(workers):
                channels: dict[str, Any] = {
                    "push": WebPushChannel(
                        private, "mailto:ops@linli.example.org", require_https=False
                    )
                }
                d = Dispatcher(sm, channels, batch=50)
                sms = SmppSms(
                    "127.0.0.1",
                    smsc.port,
                    "linli",
                    "secret",
                    "10690000",
                    on_receipt=d.record_receipt,
                )
                channels["sms"] = sms
                await sms.start()
                dispatchers.append(d)
            started = time.perf_counter()
            results = await asyncio.gather(*(d.drain() for d in dispatchers))
            elapsed = time.perf_counter() - started
            for d in dispatchers:
                await d.close()
            sent = sum(r.sent for r in results)
            failed = sum(r.failed for r in results)
            say(
                f"  {workers} dispatcher(s): {sent} sent ({failed} failed) in {elapsed:.1f} s = "
                f"{sent / elapsed:.0f} notifications/s (push verified and decrypted by the peer; SMPP UCS2)"
            )
            if workers == 1:  # queue as many again for the next round
                async with sm.begin() as session:
                    await queue_notifications(session, "bench2", half, user.id, resident)
    finally:
        await push.stop()
        await smsc.stop()
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engines", default="spatialite,postgis")
    parser.add_argument("--wishes", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--notifications", type=int, default=2000)
    args = parser.parse_args()
    os.environ.setdefault("LINLI_SECRET_KEY", "bench-secret-0123456789abcdef0123456789abcdef")
    say(f"machine: {machine()}")
    for engine in args.engines.split(","):
        say(f"\n== {engine} ==")
        var_dir = Path(tempfile.mkdtemp(prefix=f"linli-bench-{engine}-"))
        try:
            if engine == "spatialite":
                url = f"sqlite+aiosqlite:///{var_dir / 'linli.sqlite3'}"
                asyncio.run(prepare(url, var_dir, args.wishes))
                http(url, var_dir, args.seconds)
                asyncio.run(dispatcher_throughput(url, args.notifications))
            else:
                with throwaway_postgis() as url:
                    asyncio.run(prepare(url, var_dir, args.wishes))
                    http(url, var_dir, args.seconds)
                    asyncio.run(dispatcher_throughput(url, args.notifications))
        finally:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
