"""The outbox delivered: web push through a real (loopback) push service, retries, leases, receipts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from server.db.base import utcnow
from server.grids.models import Community
from server.notify.channels.base import (
    Accepted,
    DeliveryReceipt,
    Outgoing,
    SmsTarget,
    TemporaryFailure,
)
from server.notify.channels.webpush import WebPushChannel
from server.notify.dispatcher import Dispatcher
from server.notify.models import (
    CommunityNotifySettings,
    Notification,
    OutboxStatus,
    PushSubscription,
)
from server.notify.outbox import LOCAL_TZ, quiet_until
from server.notify.services import ensure_vapid_keys
from tests.conftest import DENGYUE_ADMIN, DENGYUE_RESIDENT, Backend
from tests.integration.test_wishes import act, post_wish
from tests.support.push_service import PushService

SUBJECT = "mailto:ops@linli.example.org"


class SmsInbox:
    """An SMS channel that keeps what it is given (the real providers have their own tests)."""

    name = "sms"

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self.fail_next = 0

    async def send(self, message: Outgoing) -> Accepted:
        if self.fail_next:
            self.fail_next -= 1
            raise TemporaryFailure("throttled")
        assert isinstance(message.target, SmsTarget)
        self.sent.append(message)
        return Accepted(provider_id=f"sms-{message.id}-{len(self.sent)}")

    async def close(self) -> None:
        return None


@pytest.fixture(autouse=True)
async def sms_outside_quiet_hours(backend: Backend) -> None:
    """These tests are about delivery: keep every community's quiet window away from now.

    (Without this they fail at night in China, when SMS rightly waits for the morning.)
    """
    local = datetime.now(LOCAL_TZ)
    start = (local + timedelta(hours=2)).strftime("%H:%M")
    end = (local + timedelta(hours=3)).strftime("%H:%M")
    async with backend.sessionmaker().begin() as session:
        for community_id in (await session.scalars(select(Community.id))).all():
            await session.merge(
                CommunityNotifySettings(community_id=community_id, quiet_start=start, quiet_end=end)
            )


@pytest.fixture
async def push_service() -> AsyncIterator[PushService]:
    service = PushService()
    await service.start()
    yield service
    await service.stop()


async def dispatcher_for(backend: Backend, sms: SmsInbox) -> tuple[Dispatcher, WebPushChannel]:
    async with backend.sessionmaker().begin() as session:
        private, _ = await ensure_vapid_keys(session)
    push = WebPushChannel(private, SUBJECT, require_https=False)
    return Dispatcher(backend.sessionmaker(), {"push": push, "sms": sms}), push


async def pending_for(backend: Backend, prefix: str) -> list[Notification]:
    async with backend.sessionmaker()() as session:
        return list(
            (
                await session.scalars(
                    select(Notification)
                    .where(Notification.dedupe_key.startswith(prefix))
                    .order_by(Notification.id)
                )
            ).all()
        )


async def test_resident_hears_by_push_and_sms_in_their_language(
    client, tokens, backend, push_service
) -> None:
    resident = await tokens.get(client, DENGYUE_RESIDENT)
    key = (await client.get("/api/v1/push/key")).json()["public_key"]
    sub = push_service.new_subscription(application_server_key=key)
    r = await client.post("/api/v1/push/subscriptions", json=sub.to_json(), headers=resident)
    assert r.status_code == 204
    wid = (await post_wish(client, tokens, title="想学用智能手机"))["id"]
    await act(client, tokens, DENGYUE_ADMIN, wid, "approve")

    sms = SmsInbox()
    dispatcher, _push = await dispatcher_for(backend, sms)
    try:
        await dispatcher.drain()
    finally:
        await dispatcher.close()
    [delivery] = [
        d for d in push_service.delivered_to(sub) if d.json()["url"] == f"/#/wishes/{wid}"
    ]
    payload = delivery.json()
    assert payload["title"] == "您的心愿已发布"
    assert "想学用智能手机" in payload["body"]
    assert delivery.topic and delivery.urgency == "normal"
    [text] = [
        m
        for m in sms.sent
        if m.template == "wish.approved" and m.params["title"] == "想学用智能手机"
    ]
    assert text.target == SmsTarget(phone=DENGYUE_RESIDENT)
    assert "已审核通过" in text.text
    rows = await pending_for(backend, f"wish:{wid}:approved")
    assert {r.status for r in rows} == {OutboxStatus.sent}


async def test_gone_subscriptions_are_removed_and_temporary_failures_retried(
    client, tokens, backend, push_service
) -> None:
    resident = await tokens.get(client, DENGYUE_RESIDENT)
    async with backend.sessionmaker().begin() as session:
        await session.execute(
            update(Notification)
            .where(Notification.status == OutboxStatus.pending)
            .values(status=OutboxStatus.failed)
        )  # earlier tests' leftovers
    key = (await client.get("/api/v1/push/key")).json()["public_key"]
    gone = push_service.new_subscription(application_server_key=key)
    await client.post("/api/v1/push/subscriptions", json=gone.to_json(), headers=resident)
    push_service.answer(gone.endpoint, 410)
    wid = (await post_wish(client, tokens, title="想找人下象棋"))["id"]
    await act(client, tokens, DENGYUE_ADMIN, wid, "approve")
    sms = SmsInbox()
    sms.fail_next = 1
    dispatcher, _ = await dispatcher_for(backend, sms)
    try:
        await dispatcher.drain()
        async with backend.sessionmaker()() as session:
            assert (
                await session.scalar(
                    select(PushSubscription).where(PushSubscription.endpoint == gone.endpoint)
                )
                is None
            )
        [sms_row] = [
            r for r in await pending_for(backend, f"wish:{wid}:approved") if r.channel == "sms"
        ]
        assert sms_row.status == OutboxStatus.pending and sms_row.attempts == 1
        assert sms_row.next_attempt_at > utcnow()
        async with backend.sessionmaker().begin() as session:
            await session.execute(
                update(Notification)
                .where(Notification.id == sms_row.id)
                .values(next_attempt_at=utcnow())
            )
        await dispatcher.drain()
    finally:
        await dispatcher.close()
    [sms_row] = [
        r for r in await pending_for(backend, f"wish:{wid}:approved") if r.channel == "sms"
    ]
    assert sms_row.status == OutboxStatus.sent and sms_row.attempts == 2
    # A delivery receipt for it arrives later.
    assert await dispatcher.record_receipt(
        DeliveryReceipt(sms_row.provider_id or "", True, "DELIVRD")
    )
    [sms_row] = [
        r for r in await pending_for(backend, f"wish:{wid}:approved") if r.channel == "sms"
    ]
    assert sms_row.status == OutboxStatus.delivered and sms_row.delivered_at is not None


async def test_an_expired_lease_is_sent_again_and_concurrent_dispatchers_send_once(
    client, tokens, backend
) -> None:
    async with backend.sessionmaker().begin() as session:
        await session.execute(
            update(Notification)
            .where(Notification.status == OutboxStatus.pending)
            .values(status=OutboxStatus.failed)
        )
    wids = [(await post_wish(client, tokens, title=f"并发心愿{i}"))["id"] for i in range(6)]
    for wid in wids:
        await act(client, tokens, DENGYUE_ADMIN, wid, "approve")
    # One row looks like a dispatcher died holding it a while ago.
    rows = [
        r
        for wid in wids
        for r in await pending_for(backend, f"wish:{wid}:approved")
        if r.channel == "sms"
    ]
    async with backend.sessionmaker().begin() as session:
        await session.execute(
            update(Notification)
            .where(Notification.id == rows[0].id)
            .values(
                status=OutboxStatus.sending, lease_until=utcnow() - timedelta(seconds=1), attempts=1
            )
        )
    sms = SmsInbox()
    a, _ = await dispatcher_for(backend, sms)
    b, _ = await dispatcher_for(backend, sms)
    a.batch = b.batch = 2
    try:
        await asyncio.gather(a.drain(), b.drain())
    finally:
        await a.close()
        await b.close()
    sent_ids = [m.id for m in sms.sent if m.id in {r.id for r in rows}]
    assert sorted(sent_ids) == sorted(r.id for r in rows), "each row exactly once"


def test_quiet_hours_hold_sms_until_morning() -> None:
    tz_cn = timedelta(hours=8)
    late = datetime(2026, 11, 28, 23, 0, tzinfo=UTC) - tz_cn  # 23:00 in Puyang
    until = quiet_until(late, "21:30", "07:30")
    assert until is not None and (until + tz_cn).hour == 7 and (until + tz_cn).day == 29
    early = datetime(2026, 11, 28, 6, 0, tzinfo=UTC) - tz_cn
    morning = quiet_until(early, "21:30", "07:30")
    assert morning is not None and (morning + tz_cn).day == 28 and (morning + tz_cn).hour == 7
    noon = datetime(2026, 11, 28, 12, 0, tzinfo=UTC) - tz_cn
    assert quiet_until(noon, "21:30", "07:30") is None
    assert quiet_until(noon, "12:00", "13:30") is not None  # a daytime window works too
