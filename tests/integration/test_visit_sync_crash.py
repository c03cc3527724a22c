"""Kill the server again and again while phones sync 5,000 batches of 50 visit records.

A real ``linli serve`` (two worker processes) is SIGKILLed, whole process group, at
least ten times, spread over the run, and started again; eight clients keep sending
their batches, retrying each until it gets an answer (a batch in flight at a kill may
have been stored with its answer lost), and one batch in ten is sent twice anyway, as a
page and its service worker both replaying would. Afterwards: every visit recorded
exactly once (one history row, one report), none lost, and each batch's urgent finding
told to the office exactly once. On a database of its own on each engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import func, insert, select

from server.accounts.models import User
from server.db.base import utcnow
from server.notify.models import Notification
from server.people.models import Resident
from server.visits.models import Visit, VisitEvent, VisitReport, VisitState, VisitWindow
from tests.conftest import DEMO_PASSWORD, DENGYUE_GRID_WORKER, Backend, own_backend
from tests.support.live import ROOT, free_port

BATCHES = 5_000
PER_BATCH = 50
KILLS = 10
CLIENTS = 8
SECRET = "crash-sync-secret-0123456789abcdef0123456789"


@pytest.fixture(scope="module", params=["spatialite", "postgis"])
async def crashed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    async with own_backend(request, tmp_path_factory, "sync_crash") as b:
        yield b


async def _make_visits(backend: Backend) -> tuple[int, list[int]]:
    """BATCHES × PER_BATCH planned visits of the grid worker's residents."""
    async with backend.sessionmaker().begin() as session:
        worker = await session.scalar(select(User.id).where(User.phone == DENGYUE_GRID_WORKER))
        residents = (
            await session.scalars(
                select(Resident).where(Resident.grid_id.is_not(None)).order_by(Resident.id)
            )
        ).all()
        mine = [r for r in residents if r.community_id == residents[0].community_id][:5]
        today = utcnow().date()
        rows = [
            {
                "resident_id": mine[i % len(mine)].id,
                "source": f"crash{i // len(mine)}"[:20],
                "due_by": date(2020, 1, 1) + timedelta(days=i % 7),
                "state": VisitState.planned,
                "version": 1,
                "person_user_id": worker,
                "visit_date": today,
                "window": VisitWindow.noon,
                "position": i % PER_BATCH,
                "fixed": False,
                "needs": [],
                "notes": "",
                "urgent": False,
                "created_at": utcnow(),
                "updated_at": utcnow(),
                **Visit.placed_in(mine[i % len(mine)]),
            }
            for i in range(BATCHES * PER_BATCH)
        ]
        table = Visit.__table__
        for start in range(0, len(rows), 5_000):
            await session.execute(insert(table), rows[start : start + 5_000])  # type: ignore[arg-type]
        ids = (
            await session.scalars(
                select(Visit.id).where(Visit.source.like("crash%")).order_by(Visit.id)
            )
        ).all()
    assert worker is not None and len(ids) == BATCHES * PER_BATCH
    return worker, list(ids)


class Server:
    """``linli serve`` in a process group of its own, killed whole."""

    def __init__(self, backend: Backend, var_dir: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": backend.url,
            "LINLI_VAR_DIR": var_dir,
            "LINLI_SECRET_KEY": SECRET,
            "LINLI_RATE_LIMIT_PER_MINUTE": "0",
            "LINLI_DISPATCHER": "off",
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server.cli",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                "2",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def kill(self) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    async def up(self) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    if (await client.get(self.base + "/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("the server did not come back")


def _batch(ids: list[int], n: int) -> dict[str, object]:
    at = (utcnow() - timedelta(hours=1)).isoformat()
    return {
        "records": [
            {
                "ref": f"crash-{n:05d}-{i:02d}",
                "visit_id": ids[n * PER_BATCH + i],
                "condition": "good",
                "visited_at": at,
                "notes": f"batch {n}",
                "urgent": i == 0,  # each batch has one urgent finding for the office
            }
            for i in range(PER_BATCH)
        ]
    }


async def test_killing_the_server_while_phones_sync_loses_and_doubles_nothing(
    crashed: Backend, tmp_path
) -> None:
    _worker, ids = await _make_visits(crashed)
    server = Server(crashed, str(tmp_path))
    server.start()
    await server.up()
    async with httpx.AsyncClient(timeout=30) as client:
        login = await client.post(
            server.base + "/api/v1/auth/login",
            json={"phone": DENGYUE_GRID_WORKER, "password": DEMO_PASSWORD},
        )
        token = login.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(BATCHES):
        queue.put_nowait(n)
    done = 0
    retries = 0
    outcomes: dict[str, int] = {}

    async def phone() -> None:
        nonlocal done, retries
        async with httpx.AsyncClient(timeout=30, headers=headers) as client:
            while True:
                try:
                    n = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                body = _batch(ids, n)
                for _attempt in range(2 if n % 10 == 0 else 1):  # one in ten sent twice
                    while True:
                        try:
                            r = await client.post(server.base + "/api/v1/visits/records", json=body)
                        except httpx.TransportError:
                            r = None
                        if r is not None and r.status_code == 200:
                            break
                        assert r is None or r.status_code >= 500 or r.status_code == 401, r.text
                        retries += 1
                        await asyncio.sleep(0.2)
                    for item in r.json()["results"]:
                        outcomes[item["outcome"]] = outcomes.get(item["outcome"], 0) + 1
                done += 1

    async def killer() -> int:
        kills = 0
        # Spread the kills over the run: one each time another twelfth of the batches is in.
        for k in range(1, KILLS + 2):
            # Polls the phones' counter: no event to wait for at each batch.
            while done < BATCHES * k // (KILLS + 2) and not all_done.is_set():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            if all_done.is_set():
                break
            server.kill()
            kills += 1
            server.start()
            await server.up()
        return kills

    all_done = asyncio.Event()
    started = time.monotonic()
    kill_task = asyncio.create_task(killer())
    await asyncio.gather(*(phone() for _ in range(CLIENTS)))
    all_done.set()
    kills = await kill_task
    elapsed = time.monotonic() - started
    server.kill()
    print(
        f"\n[{crashed.name}] {BATCHES} batches of {PER_BATCH} in {elapsed:.0f} s with {kills} "
        f"kills and {retries} retries: {outcomes}"
    )
    assert kills >= KILLS

    async with crashed.sessionmaker()() as session:
        crash = select(Visit.id).where(Visit.source.like("crash%"))
        states = dict(
            (
                await session.execute(
                    select(Visit.state, func.count())
                    .where(Visit.id.in_(crash))
                    .group_by(Visit.state)
                )
            ).all()
        )
        events = await session.scalar(
            select(func.count(VisitEvent.id)).where(
                VisitEvent.visit_id.in_(crash), VisitEvent.action == "record"
            )
        )
        visits_with_events = await session.scalar(
            select(func.count(func.distinct(VisitEvent.visit_id))).where(
                VisitEvent.visit_id.in_(crash), VisitEvent.action == "record"
            )
        )
        reports = await session.scalar(
            select(func.count(VisitReport.id)).where(VisitReport.ref.like("crash-%"))
        )
        urgent_rows = dict(
            (
                await session.execute(
                    select(Notification.url, func.count())
                    .where(Notification.dedupe_key.like("visit:%:urgent:%"))
                    .where(
                        Notification.url.in_(
                            [f"/#/visits/{ids[n * PER_BATCH]}" for n in range(0, BATCHES, 97)]
                        )
                    )
                    .group_by(Notification.url)
                )
            ).all()
        )
        urgent_total = await session.scalar(
            select(func.count(Notification.id)).where(
                Notification.dedupe_key.like("visit:%:urgent:%"),
                Notification.url.like("/#/visits/%"),
            )
        )
    total = BATCHES * PER_BATCH
    assert states == {VisitState.done: total}, states  # none lost
    assert events == visits_with_events == total, (events, visits_with_events)  # none doubled
    assert reports == total
    # Each batch's urgent finding: the same rows for every batch (the office by push and
    # SMS), written once whatever the kills and retries.
    assert len(set(urgent_rows.values())) == 1, urgent_rows
    assert urgent_total == BATCHES * next(iter(urgent_rows.values()))
    assert outcomes.get("refused", 0) == 0 and outcomes.get("kept", 0) == 0
