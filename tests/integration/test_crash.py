"""Kill the dispatcher again and again while it sends 1,000 notifications.

The worker (``linli worker``, a real process) delivers to a real push service
and a real SMSC on loopback and is SIGKILLed at random moments. Afterwards
every notification has reached its peer, and the repeats the peers saw are no
more than the number of kills (a repeat happens only when a process died
between the provider accepting and the outbox recording).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter

from sqlalchemy import select, update

from server.accounts.models import User
from server.notify.models import Notification, OutboxStatus, PushSubscription
from server.notify.outbox import enqueue
from server.people.messaging import Recipient
from server.people.models import NotifyVia, Resident
from tests.conftest import DENGYUE_RESIDENT, Backend
from tests.support.live import ROOT
from tests.support.push_service import PushService
from tests.support.smsc import Smsc

PUSHES = 500
TEXTS = 500
KILLS = 6


async def test_dispatcher_killed_repeatedly_loses_nothing(backend: Backend, tmp_path) -> None:
    push = PushService()
    await push.start()
    smsc = Smsc()
    await smsc.start()
    try:
        await _run(backend, push, smsc, tmp_path)
    finally:
        await push.stop()
        await smsc.stop()


async def _run(backend: Backend, push: PushService, smsc: Smsc, tmp_path) -> None:
    sm = backend.sessionmaker()
    async with sm.begin() as session:
        # Only this test's rows are due.
        await session.execute(
            update(Notification)
            .where(Notification.status.in_([OutboxStatus.pending, OutboxStatus.sending]))
            .values(status=OutboxStatus.failed)
        )
        user = await session.scalar(select(User).where(User.phone == DENGYUE_RESIDENT))
        resident = await session.scalar(select(Resident).where(Resident.user_id == user.id))
        from server.notify.services import ensure_vapid_keys

        _, public = await ensure_vapid_keys(session)
        sub = push.new_subscription(application_server_key=public)
        await session.execute(
            PushSubscription.__table__.delete().where(PushSubscription.user_id == user.id)
        )
        session.add(
            PushSubscription(
                user_id=user.id, endpoint=sub.endpoint, p256dh=sub.p256dh, auth=sub.auth
            )
        )
        tag = random.randrange(10**9)
        for i in range(PUSHES):
            await enqueue(
                session,
                event=f"crash:{tag}:p{i}",
                template="wish.approved",
                params={"title": f"P{tag}-{i}"},
                urgent=True,
                community_id=resident.community_id,
                recipients=[Recipient(user_id=user.id, via=NotifyVia.push)],
                topic=f"crash-{i}",
            )
        for i in range(TEXTS):
            await enqueue(
                session,
                event=f"crash:{tag}:s{i}",
                template="wish.approved",
                params={"title": f"S{tag}-{i}"},
                urgent=True,
                community_id=resident.community_id,
                recipients=[Recipient(resident_id=resident.id, via=NotifyVia.sms)],
            )
    env = {
        **os.environ,
        "DATABASE_URL": backend.url,
        "LINLI_VAR_DIR": str(tmp_path),
        "LINLI_SMS_PROVIDER": "smpp",
        "LINLI_SMS_HOST": "127.0.0.1",
        "LINLI_SMS_PORT": str(smsc.port),
        "LINLI_SMS_SYSTEM_ID": "linli",
        "LINLI_SMS_PASSWORD": "secret",
        "LINLI_SMS_SOURCE": "10690000",
        "LINLI_PUSH_REQUIRE_HTTPS": "0",
        "LINLI_VAPID_SUBJECT": "mailto:ops@linli.example.org",
    }

    async def sent_so_far() -> int:
        async with sm() as session:
            return len(
                (
                    await session.scalars(
                        select(Notification.id).where(
                            Notification.dedupe_key.startswith(f"crash:{tag}:"),
                            Notification.status == OutboxStatus.sent,
                        )
                    )
                ).all()
            )

    worker = [sys.executable, "-m", "server.cli", "worker"]
    rng = random.Random(3334)
    kills = 0
    for _ in range(KILLS):
        before = await sent_so_far()
        proc = await asyncio.create_subprocess_exec(
            *worker,
            env=env,
            cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        # Kill it while it sends: once this worker has sent something (however slowly a
        # loaded machine starts it), at a random moment soon after.
        for _ in range(300):
            if proc.returncode is not None or await sent_so_far() > before:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(rng.uniform(0.0, 0.5))
        if proc.returncode is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        await proc.wait()
    sent_before = await sent_so_far()
    assert 0 < sent_before < PUSHES + TEXTS, "the kills must land while sending"
    # Leases of the killed workers run out after 60 s; make them due now instead of waiting.
    async with sm.begin() as session:
        await session.execute(
            update(Notification)
            .where(Notification.status == OutboxStatus.sending)
            .values(lease_until=None, status=OutboxStatus.pending)
        )
    final = await asyncio.create_subprocess_exec(
        *worker,
        "--once",
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(final.communicate(), timeout=300)
    assert final.returncode == 0, out.decode()[-3000:]
    await smsc.wait_for(lambda: len({m.text for m in smsc.messages()}) >= TEXTS, within=30)

    async with sm() as session:
        statuses = Counter(
            (
                await session.scalars(
                    select(Notification.status).where(
                        Notification.dedupe_key.startswith(f"crash:{tag}:")
                    )
                )
            ).all()
        )
    assert statuses == Counter({OutboxStatus.sent: PUSHES + TEXTS}) or set(statuses) <= {
        OutboxStatus.sent,
        OutboxStatus.delivered,
    }, statuses

    pushed = Counter(
        d.json()["body"] for d in push.delivered_to(sub) if f"P{tag}-" in d.json()["body"]
    )
    texts = Counter(m.text for m in smsc.messages() if f"S{tag}-" in m.text)
    assert len(pushed) == PUSHES and len(texts) == TEXTS, (len(pushed), len(texts))
    repeats = sum(n - 1 for n in pushed.values()) + sum(n - 1 for n in texts.values())
    assert repeats <= kills, (repeats, kills)
    print(
        f"\n[crash] {backend.name}: {kills} kills, {sent_before} of {PUSHES + TEXTS} sent before the "
        f"final run, {repeats} repeats seen by the peers"
    )
    # A repeated push carries the same Topic, so on the phone it replaces the first.
    assert all(push.topic_counts[t] >= 1 for t in {d.topic for d in push.delivered_to(sub)} if t)
