"""SMS delivery reports from Aliyun and Tencent Cloud: asked for (polling) and posted (callbacks).

Polling runs the real adapters against the signature-checking fakes; the
callbacks go through the HTTP API with the providers' documented bodies. Both
on each engine.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from server.accounts.models import User
from server.db.base import utcnow
from server.notify.channels.base import Outgoing, SmsTarget
from server.notify.channels.sms import AliyunSms, TencentSms
from server.notify.dispatcher import Dispatcher
from server.notify.models import Notification, OutboxStatus
from server.people.models import Resident
from tests.conftest import DENGYUE_RESIDENT, Backend
from tests.support.sms_fakes import AliyunFake, TencentFake

TOKEN = "cb-" + "0123456789abcdefXYZ"

Channel = AliyunSms | TencentSms


@pytest.fixture
async def aliyun_fake() -> AsyncIterator[AliyunFake]:
    async with AliyunFake(
        keys={"LTAI-linli": "aliyun-secret"}, sign_names={"邻里"}, templates={"SMS_1001": ["title"]}
    ) as fake:
        yield fake


@pytest.fixture
async def tencent_fake() -> AsyncIterator[TencentFake]:
    async with TencentFake(
        keys={"AKID-linli": "tencent-secret"},
        sdk_app_id="1400000001",
        sign_names={"邻里"},
        templates={"2001": 1},
    ) as fake:
        yield fake


@pytest.fixture(params=["aliyun", "tencent"])
async def provider(
    request: pytest.FixtureRequest, aliyun_fake: AliyunFake, tencent_fake: TencentFake
) -> AsyncIterator[tuple[Channel, AliyunFake | TencentFake]]:
    fake: AliyunFake | TencentFake
    channel: Channel
    if request.param == "aliyun":
        fake = aliyun_fake
        channel = AliyunSms(
            "LTAI-linli",
            "aliyun-secret",
            "邻里",
            {"wish.approved": "SMS_1001"},
            endpoint=fake.endpoint,
        )
    else:
        fake = tencent_fake
        channel = TencentSms(
            "AKID-linli",
            "tencent-secret",
            "1400000001",
            "邻里",
            {"wish.approved": {"id": "2001", "params": ["title"]}},
            endpoint=fake.endpoint,
        )
    yield channel, fake
    await channel.close()


async def recipients(backend: Backend) -> tuple[int, int, str]:
    """The demo resident with an account (user id), and 周大爷 who has none (resident id, phone)."""
    async with backend.sessionmaker()() as session:
        user_id = await session.scalar(select(User.id).where(User.phone == DENGYUE_RESIDENT))
        row = (
            await session.execute(
                select(Resident.id, Resident.phone).where(
                    Resident.user_id.is_(None), Resident.phone.is_not(None)
                )
            )
        ).first()
    assert user_id is not None and row is not None and row[1]
    return user_id, row[0], row[1]


async def outbox_row(
    backend: Backend,
    *,
    user_id: int | None = None,
    resident_id: int | None = None,
    provider_id: str | None = None,
    sent_ago: timedelta = timedelta(seconds=1),
) -> int:
    """An SMS row in status ``sent``, as the dispatcher leaves it."""
    async with backend.sessionmaker().begin() as session:
        row = Notification(
            dedupe_key=f"test:receipts:{uuid.uuid4().hex}",
            channel="sms",
            user_id=user_id,
            recipient_kind="resident" if resident_id is not None else None,
            recipient_ref=resident_id,
            template="wish.approved",
            params={"title": "帮忙修自行车"},
            status=OutboxStatus.sent,
            provider_id=provider_id or f"{uuid.uuid4().int % 10**15:015d}^0",
            sent_at=utcnow() - sent_ago,
        )
        session.add(row)
        await session.flush()
        return row.id


async def sent_through(
    backend: Backend, channel: Channel, phone: str, **recipient: Any
) -> tuple[int, str]:
    """Send for real through the adapter and record the row as the dispatcher would."""
    nid = await outbox_row(backend, provider_id="placeholder-" + uuid.uuid4().hex, **recipient)
    accepted = await channel.send(
        Outgoing(
            id=nid,
            target=SmsTarget(phone),
            title="",
            text="",
            template="wish.approved",
            params={"title": "帮忙修自行车"},
        )
    )
    assert accepted.provider_id
    async with backend.sessionmaker().begin() as session:
        row = await session.get(Notification, nid)
        assert row is not None
        row.provider_id = accepted.provider_id
    return nid, accepted.provider_id


async def rows(backend: Backend, *ids: int) -> list[Notification]:
    async with backend.sessionmaker()() as session:
        found = {
            n.id: n
            for n in (
                await session.scalars(select(Notification).where(Notification.id.in_(ids)))
            ).all()
        }
    return [found[i] for i in ids]


# --- polling ---------------------------------------------------------------------------------


async def test_polling_marks_delivered_and_failed_rows(
    backend: Backend, provider: tuple[Channel, AliyunFake | TencentFake]
) -> None:
    channel, fake = provider
    user_id, resident_id, resident_phone = await recipients(backend)
    delivered, delivered_pid = await sent_through(
        backend, channel, DENGYUE_RESIDENT, user_id=user_id
    )
    failed, failed_pid = await sent_through(
        backend, channel, resident_phone, resident_id=resident_id
    )
    waiting, _ = await sent_through(backend, channel, DENGYUE_RESIDENT, user_id=user_id)
    unknown = await outbox_row(backend, user_id=user_id)  # the provider never heard of it
    fake.report(delivered_pid, delivered=True)
    fake.report(failed_pid, delivered=False)
    if isinstance(fake, TencentFake):
        fake.report("2645:someone-else", delivered=True)  # not in the outbox: ignored

    dispatcher = Dispatcher(backend.sessionmaker(), {"sms": channel})
    assert await dispatcher.poll_receipts() >= 2
    a, b, c, d = await rows(backend, delivered, failed, waiting, unknown)
    assert a.status == OutboxStatus.delivered and a.delivered_at is not None
    assert b.status == OutboxStatus.failed and b.delivered_at is None
    assert b.last_error == (
        "receipt: MK:0001" if isinstance(fake, AliyunFake) else "receipt: UNDELIV"
    )
    assert c.status == OutboxStatus.sent and d.status == OutboxStatus.sent
    assert fake.refusals == []
    if isinstance(fake, AliyunFake):
        # The resident without an account was asked about by the number the office keeps.
        asked = {
            p["BizId"]: p["PhoneNumber"] for p in fake.received if p["Action"] == "QuerySendDetails"
        }
        assert asked[failed_pid] == resident_phone
        assert asked[delivered_pid] == DENGYUE_RESIDENT

    # The waiting one is delivered later and the next poll learns it.
    waiting_pid = c.provider_id or ""
    fake.report(waiting_pid, delivered=True)
    await dispatcher.poll_receipts()
    [c] = await rows(backend, waiting)
    assert c.status == OutboxStatus.delivered


async def test_polling_leaves_old_rows_and_walks_the_rest_in_batches(
    backend: Backend, aliyun_fake: AliyunFake
) -> None:
    channel = AliyunSms(
        "LTAI-linli",
        "aliyun-secret",
        "邻里",
        {"wish.approved": "SMS_1001"},
        endpoint=aliyun_fake.endpoint,
    )
    try:
        user_id, _, _ = await recipients(backend)
        old = await outbox_row(backend, user_id=user_id, sent_ago=timedelta(days=4))
        sent = [
            await sent_through(backend, channel, DENGYUE_RESIDENT, user_id=user_id)
            for _ in range(5)
        ]
        for _, pid in sent:
            aliyun_fake.report(pid, delivered=True)
        dispatcher = Dispatcher(backend.sessionmaker(), {"sms": channel}, receipt_batch=2)
        for _ in range(20):  # every row is reached, two at a time, whatever else waits
            await dispatcher.poll_receipts()
            if all(
                n.status == OutboxStatus.delivered
                for n in await rows(backend, *(nid for nid, _ in sent))
            ):
                break
        else:
            pytest.fail("polling in batches of two never reached every row")
        [o] = await rows(backend, old)
        assert o.status == OutboxStatus.sent  # older than three days: not asked about
        assert o.provider_id not in {
            p.get("BizId") for p in aliyun_fake.received if p["Action"] == "QuerySendDetails"
        }
    finally:
        await channel.close()


async def test_the_running_dispatcher_polls_on_its_own(
    backend: Backend, aliyun_fake: AliyunFake
) -> None:
    channel = AliyunSms(
        "LTAI-linli",
        "aliyun-secret",
        "邻里",
        {"wish.approved": "SMS_1001"},
        endpoint=aliyun_fake.endpoint,
    )
    user_id, _, _ = await recipients(backend)
    nid, pid = await sent_through(backend, channel, DENGYUE_RESIDENT, user_id=user_id)
    aliyun_fake.report(pid, delivered=True)
    # batch=0: this dispatcher sends nothing, so other tests' pending rows stay as they are.
    dispatcher = Dispatcher(
        backend.sessionmaker(), {"sms": channel}, batch=0, receipt_poll_seconds=0.05
    )
    task = asyncio.create_task(dispatcher.run_forever())
    try:
        for _ in range(100):
            await asyncio.sleep(0.05)
            [row] = await rows(backend, nid)
            if row.status == OutboxStatus.delivered:
                break
        else:
            pytest.fail("the dispatcher never polled")
    finally:
        dispatcher.stop()
        await asyncio.wait_for(task, 5)
        await dispatcher.close()


# --- callbacks -------------------------------------------------------------------------------


@pytest.fixture
async def callbacks(backend: Backend) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The app with a callback token configured."""
    from server.app import create_app

    app = create_app(dataclasses.replace(backend.settings, sms_callback_token=TOKEN))
    async with AsyncTestClient(app) as client:
        yield client


def aliyun_report(biz_id: str, success: bool, code: str) -> dict[str, Any]:
    return {
        "phone_number": "13800000007",
        "send_time": "2026-11-28 10:00:00",
        "report_time": "2026-11-28 10:00:05",
        "success": success,
        "err_code": code,
        "err_msg": "用户接收成功" if success else "失败",
        "sms_size": "1",
        "biz_id": biz_id,
        "out_id": "1",
    }


def tencent_report(sid: str, status: str, errmsg: str) -> dict[str, Any]:
    return {
        "user_receive_time": "2026-11-28 10:00:05",
        "nationcode": "86",
        "mobile": "13800000007",
        "report_status": status,
        "errmsg": errmsg,
        "description": "用户短信送达成功" if status == "SUCCESS" else "用户短信未送达",
        "sid": sid,
    }


async def test_aliyun_callback_marks_rows(
    backend: Backend, callbacks: AsyncTestClient[Litestar]
) -> None:
    user_id, _, _ = await recipients(backend)
    ok, bad = "100000000000001^0", "100000000000002^0"
    ok_id = await outbox_row(backend, user_id=user_id, provider_id=ok + uuid.uuid4().hex[:6])
    bad_id = await outbox_row(backend, user_id=user_id, provider_id=bad + uuid.uuid4().hex[:6])
    ok_row, bad_row = await rows(backend, ok_id, bad_id)
    r = await callbacks.post(
        f"/api/v1/sms/reports/aliyun/{TOKEN}",
        json=[
            aliyun_report(ok_row.provider_id or "", True, "DELIVERED"),
            aliyun_report(bad_row.provider_id or "", False, "MK:0001"),
            aliyun_report("999999999999999^0", True, "DELIVERED"),  # not ours: ignored
        ],
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"code": 0, "msg": "接收成功"}
    ok_row, bad_row = await rows(backend, ok_id, bad_id)
    assert ok_row.status == OutboxStatus.delivered and ok_row.delivered_at is not None
    assert bad_row.status == OutboxStatus.failed and bad_row.last_error == "receipt: MK:0001"


async def test_tencent_callback_marks_rows(
    backend: Backend, callbacks: AsyncTestClient[Litestar]
) -> None:
    user_id, _, _ = await recipients(backend)
    ok_id = await outbox_row(backend, user_id=user_id, provider_id=f"2645:{uuid.uuid4().hex}")
    bad_id = await outbox_row(backend, user_id=user_id, provider_id=f"2645:{uuid.uuid4().hex}")
    ok_row, bad_row = await rows(backend, ok_id, bad_id)
    report = tencent_report(ok_row.provider_id or "", "SUCCESS", "DELIVRD")
    report["a_field_added_later"] = 1  # tolerated
    r = await callbacks.post(
        f"/api/v1/sms/reports/tencent/{TOKEN}",
        json=[report, tencent_report(bad_row.provider_id or "", "FAIL", "UNDELIV")],
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"result": 0, "errmsg": "OK"}
    ok_row, bad_row = await rows(backend, ok_id, bad_id)
    assert ok_row.status == OutboxStatus.delivered
    assert bad_row.status == OutboxStatus.failed and bad_row.last_error == "receipt: UNDELIV"


async def test_callbacks_need_the_token(
    backend: Backend,
    callbacks: AsyncTestClient[Litestar],
    client: AsyncTestClient[Litestar],
) -> None:
    user_id, _, _ = await recipients(backend)
    nid = await outbox_row(backend, user_id=user_id, provider_id=f"2645:{uuid.uuid4().hex}")
    [row] = await rows(backend, nid)
    body = [tencent_report(row.provider_id or "", "SUCCESS", "DELIVRD")]
    aliyun_body = [aliyun_report(row.provider_id or "", True, "DELIVERED")]
    for path in (
        f"/api/v1/sms/reports/tencent/{TOKEN}x",
        f"/api/v1/sms/reports/tencent/{TOKEN[:-1]}",
        "/api/v1/sms/reports/tencent/",
        "/api/v1/sms/reports/tencent",
        f"/api/v1/sms/reports/aliyun/{TOKEN.upper()}",
    ):
        r = await callbacks.post(path, json=aliyun_body if "aliyun" in path else body)
        assert r.status_code == 404, (path, r.status_code)
    # A wrong token is a 404 before anything is said about the body.
    r = await callbacks.post("/api/v1/sms/reports/aliyun/wrong-token-0123456789", content=b"{")
    assert r.status_code == 404
    # No token configured (the suite's own app): the endpoints do not exist.
    r = await client.post(f"/api/v1/sms/reports/tencent/{TOKEN}", json=body)
    assert r.status_code == 404
    [row] = await rows(backend, nid)
    assert row.status == OutboxStatus.sent


@pytest.mark.parametrize(
    ("provider_name", "body"),
    [
        ("aliyun", b"not json"),
        ("aliyun", b'{"biz_id": "1^0", "success": true}'),  # an object, not an array
        ("aliyun", b'[{"success": true}]'),  # no biz_id
        ("aliyun", b'[{"biz_id": "1^0", "success": "perhaps"}]'),
        ("aliyun", b'[{"biz_id": "", "success": true}]'),
        ("tencent", b""),
        ("tencent", b'[{"sid": "2645:1", "report_status": "MAYBE"}]'),
        ("tencent", b'[{"report_status": "SUCCESS"}]'),
        ("tencent", b"[1, 2]"),
    ],
)
async def test_malformed_callbacks_are_400_with_a_reason(
    callbacks: AsyncTestClient[Litestar], provider_name: str, body: bytes
) -> None:
    r = await callbacks.post(
        f"/api/v1/sms/reports/{provider_name}/{TOKEN}",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text
    answer = r.json()
    assert answer["status_code"] == 400 and answer["detail"]
    assert "delivery reports" in answer["extra"][0]["message"]
