"""SMS people send us: 退订/TD opts a number out, for real over SMPP and the HTTP providers' callbacks.

The SMPP peer is the smpp34 SMSC (tests/support/smsc.py) sending a mobile-originated
``deliver_sm``; Aliyun's SmsUp push and Tencent's reply callback are posted in their
documented shapes (tests/support/sms_fakes.py), and the confirmation goes back out
through the signature-checking fakes. Each on both engines.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from server.audit.models import AuditEntry
from server.notify.channels.base import Accepted, Outgoing
from server.notify.channels.sms import AliyunSms, SmppSms, TencentSms
from server.notify.dispatcher import Dispatcher
from server.notify.inbound import (
    Reply,
    normalise,
    register_inbound,
    route_of,
)
from server.notify.models import Notification, OptOut, OutboxStatus
from server.notify.outbox import Contact, Recipient, enqueue
from server.notify.recipients import address_hash
from tests.conftest import Backend
from tests.integration.test_dispatch import SmsInbox
from tests.support.sms_fakes import AliyunFake, TencentFake
from tests.support.smsc import Smsc

TOKEN = "cb-" + "0123456789abcdefXYZ"
# The SMSC sends a delivery receipt soon after it accepts a message.
SENT = (OutboxStatus.sent, OutboxStatus.delivered)


def new_phone() -> str:
    """A mainland mobile no other test uses."""
    return "139" + f"{random.randrange(10**8):08d}"


async def eventually(check: Callable[[], Awaitable[object]], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "not in time"
        await asyncio.sleep(0.05)


class PushInbox:
    """A push channel that takes anything (these tests are about SMS)."""

    name = "push"

    async def send(self, message: Outgoing) -> Accepted:
        return Accepted(provider_id=None)

    async def close(self) -> None:
        return None


async def opted_out(backend: Backend, phone: str) -> OptOut | None:
    async with backend.sessionmaker()() as session:
        return await session.get(OptOut, ("sms", address_hash("phone", phone)))


async def tell(backend: Backend, phone: str, event: str, **kw: object) -> list[Notification]:
    """Queue a wish message to a bare contact with this number."""
    async with backend.sessionmaker().begin() as session:
        rows = await enqueue(
            session,
            event=event,
            template="wish.approved",
            params={"title": "帮忙修自行车"},
            recipients=[Recipient(contact=Contact(phone=phone))],
            community_id=None,
            **kw,  # type: ignore[arg-type]
        )
        return rows


def to(smsc: Smsc, phone: str) -> list[Any]:
    """What the SMSC received for this number (the shared outbox may hold other tests' SMS,
    which a dispatcher sends too)."""
    return [m for m in smsc.messages() if m.destination_addr == "86" + phone]


async def status_of(backend: Backend, row_id: int) -> Notification:
    async with backend.sessionmaker()() as session:
        row = await session.get(Notification, row_id)
        assert row is not None
        return row


# --- matching -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["TD", "td", " T ", "ｔｄ", "ＴＤ", "退订", " 退订。", "退訂", "t", "Td!"]
)
def test_unsubscribe_keywords_and_their_variants(text: str) -> None:
    assert route_of(text)[0] == "notify.opt_out"


@pytest.mark.parametrize("text", ["订阅", "DY", "开通", " 訂閱 "])
def test_subscribe_keywords(text: str) -> None:
    assert route_of(text)[0] == "notify.opt_in"


@pytest.mark.parametrize("text", ["你好", "TDD", "退订谢谢再说", "", "1"])
def test_anything_else_goes_to_the_default(text: str) -> None:
    assert route_of(text)[0] == "default"


def test_a_domain_adds_keywords_and_may_not_take_anothers() -> None:
    async def satisfied(session: object, message: object) -> Reply | None:
        return None

    register_inbound("test.satisfaction", ["满意", "1"], satisfied)  # type: ignore[arg-type]
    try:
        assert route_of("１")[0] == "test.satisfaction"  # full-width digit
        assert route_of("满意")[0] == "test.satisfaction"
        with pytest.raises(ValueError, match=r"notify\.opt_out"):
            register_inbound("test.other", ["td"], satisfied)  # type: ignore[arg-type]
    finally:
        from server.notify import inbound

        inbound._ROUTES[:] = [r for r in inbound._ROUTES if not r.name.startswith("test.")]
    assert normalise("  ｔｄ。") == "TD"


# --- SMPP -----------------------------------------------------------------------------------


@pytest.fixture
async def smsc() -> AsyncIterator[Smsc]:
    server = Smsc()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def smpp_dispatcher(backend: Backend, smsc: Smsc) -> AsyncIterator[Dispatcher]:
    channel = SmppSms(
        "127.0.0.1",
        smsc.port,
        "linli",
        "secret",
        "10690001",
        timeout=10.0,
        reconnect_delay=(0.05, 0.2),
    )
    dispatcher = Dispatcher(backend.sessionmaker(), {"sms": channel})
    channel.on_receipt = dispatcher.record_receipt
    channel.on_inbound = dispatcher.record_inbound
    await channel.start()
    await smsc.wait_for(lambda: bool(smsc.sessions), within=30)
    yield dispatcher
    await dispatcher.close()


async def test_td_over_smpp_opts_out_and_later_messages_are_not_sent(
    backend: Backend, smsc: Smsc, smpp_dispatcher: Dispatcher
) -> None:
    phone = new_phone()
    [before] = await tell(backend, phone, f"test:inbound:{random.randrange(10**12)}:before")
    await smpp_dispatcher.drain()
    assert (await status_of(backend, before.id)).status in SENT
    assert [m.destination_addr for m in to(smsc, phone)] == ["86" + phone]

    await smsc.send_mo(phone, "ＴＤ ")  # full-width, as phones often type it
    await eventually(lambda: opted_out(backend, phone))
    await smpp_dispatcher.drain()  # the confirmation
    await smsc.wait_for(lambda: len(to(smsc, phone)) == 2, within=30)
    out = await opted_out(backend, phone)
    assert out is not None and out.source == "sms:smpp"
    # The one confirmation went out, over the same SMSC, in Chinese.
    confirmation = to(smsc, phone)[1]
    assert confirmation.destination_addr == "86" + phone
    assert "退订" in confirmation.text
    # The number is kept only as a keyed hash: nowhere in the table or the audit log.
    async with backend.sessionmaker()() as session:
        entry = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "notify.opt_out")
                .order_by(AuditEntry.id.desc())
            )
        ).first()
    assert entry is not None and phone not in str(entry.detail) and phone not in out.address_hash

    # Every later SMS to that number ends suppressed, with the reason, and reaches no SMSC.
    [after] = await tell(backend, phone, f"test:inbound:{random.randrange(10**12)}:after")
    stats = await smpp_dispatcher.drain()
    assert stats.suppressed >= 1
    row = await status_of(backend, after.id)
    assert row.status == OutboxStatus.suppressed and "opted out" in (row.last_error or "")
    assert len(to(smsc, phone)) == 2
    # A second TD is no new opt-out, but is confirmed again (the person asked).
    await smsc.send_mo(phone, "退订")

    async def confirmed_twice() -> bool:
        await smpp_dispatcher.drain()
        return len(to(smsc, phone)) == 3

    await eventually(confirmed_twice)


async def test_subscribing_again_over_smpp(
    backend: Backend, smsc: Smsc, smpp_dispatcher: Dispatcher
) -> None:
    phone = new_phone()
    await smsc.send_mo(phone, "TD", ucs2=False)
    await eventually(lambda: opted_out(backend, phone))
    await smpp_dispatcher.drain()
    await smsc.wait_for(lambda: len(to(smsc, phone)) == 1, within=30)
    await smsc.send_mo(phone, "订阅")

    async def back_in() -> bool:
        return await opted_out(backend, phone) is None

    await eventually(back_in)
    await smpp_dispatcher.drain()
    await smsc.wait_for(lambda: len(to(smsc, phone)) == 2, within=30)
    assert "TD" in to(smsc, phone)[1].text
    [row] = await tell(backend, phone, f"test:inbound:{random.randrange(10**12)}:back")
    await smpp_dispatcher.drain()
    assert (await status_of(backend, row.id)).status in SENT
    assert len(to(smsc, phone)) == 3


async def test_a_resident_who_opted_out_still_gets_push_but_no_sms(backend: Backend) -> None:
    """The opt-out is per number: whoever has it (a resident the office keeps) gets no SMS."""
    from server.accounts.models import User
    from server.people.messaging import Recipient as ResidentRecipient
    from server.people.models import Resident
    from tests.conftest import DENGYUE_RESIDENT

    async with backend.sessionmaker().begin() as session:
        user = await session.scalar(select(User).where(User.phone == DENGYUE_RESIDENT))
        resident = await session.scalar(select(Resident).where(Resident.user_id == user.id))
        assert user is not None and resident is not None and resident.phone
        session.add(
            OptOut(channel="sms", address_hash=address_hash("phone", resident.phone), source="test")
        )
        event = f"test:inbound:resident:{random.randrange(10**9)}"
        rows = await enqueue(
            session,
            event=event,
            template="wish.approved",
            params={"title": "帮忙修自行车"},
            recipients=[
                ResidentRecipient(
                    user_id=user.id, resident_id=resident.id, via="both", locale="zh_Hans"
                )
            ],
            community_id=None,
        )
    try:
        sms = SmsInbox()
        await Dispatcher(backend.sessionmaker(), {"sms": sms, "push": PushInbox()}).drain()
        by_channel = {r.channel: await status_of(backend, r.id) for r in rows}
        assert by_channel["sms"].status == OutboxStatus.suppressed
        assert sms.sent == []
        assert by_channel["push"].status != OutboxStatus.suppressed
    finally:
        async with backend.sessionmaker().begin() as session:
            await session.delete(
                await session.get(OptOut, ("sms", address_hash("phone", resident.phone)))
            )


# --- HTTP providers' reply callbacks --------------------------------------------------------


@pytest.fixture
async def callbacks(backend: Backend) -> AsyncIterator[AsyncTestClient[Litestar]]:
    from server.app import create_app

    app = create_app(dataclasses.replace(backend.settings, sms_callback_token=TOKEN))
    async with AsyncTestClient(app) as client:
        yield client


async def test_aliyun_sms_up_opts_out_and_is_confirmed_through_aliyun(
    backend: Backend, callbacks: AsyncTestClient[Litestar]
) -> None:
    phone = new_phone()
    async with AliyunFake(
        keys={"LTAI-linli": "aliyun-secret"},
        sign_names={"邻里"},
        templates={"SMS_1001": ["title"], "SMS_1009": []},
    ) as fake:
        r = await callbacks.post(
            f"/api/v1/sms/replies/aliyun/{TOKEN}", json=fake.sms_up(phone, "td")
        )
        assert r.status_code == 200, r.text
        assert r.json() == {"code": 0, "msg": "接收成功"}
        assert (await opted_out(backend, phone)).source == "sms:aliyun"  # type: ignore[union-attr]
        channel = AliyunSms(
            "LTAI-linli",
            "aliyun-secret",
            "邻里",
            {"wish.approved": "SMS_1001", "notify.opted_out": "SMS_1009"},
            endpoint=fake.endpoint,
        )
        dispatcher = Dispatcher(backend.sessionmaker(), {"sms": channel})
        try:
            [row] = await tell(backend, phone, f"test:inbound:{random.randrange(10**12)}:aliyun")
            await dispatcher.drain()
        finally:
            await dispatcher.close()
        # The confirmation went through Aliyun with its approved template; the message did not.
        assert [(s.phone, s.template) for s in fake.sent] == [(phone, "SMS_1009")]
        assert (await status_of(backend, row.id)).status == OutboxStatus.suppressed


async def test_tencent_reply_opts_out(
    backend: Backend, callbacks: AsyncTestClient[Litestar]
) -> None:
    phone = new_phone()
    async with TencentFake(
        keys={"AKID-linli": "tencent-secret"},
        sdk_app_id="1400000001",
        sign_names={"邻里"},
        templates={"2001": 1, "2009": 0},
    ) as fake:
        r = await callbacks.post(
            f"/api/v1/sms/replies/tencent/{TOKEN}", json=fake.sms_reply(phone, " 退订 ")
        )
        assert r.status_code == 200, r.text
        assert r.json() == {"result": 0, "errmsg": "OK"}
        assert await opted_out(backend, phone) is not None
        channel = TencentSms(
            "AKID-linli",
            "tencent-secret",
            "1400000001",
            "邻里",
            {
                "wish.approved": {"id": "2001", "params": ["title"]},
                "notify.opted_out": {"id": "2009", "params": []},
            },
            endpoint=fake.endpoint,
        )
        dispatcher = Dispatcher(backend.sessionmaker(), {"sms": channel})
        try:
            [row] = await tell(backend, phone, f"test:inbound:{random.randrange(10**12)}:tencent")
            await dispatcher.drain()
        finally:
            await dispatcher.close()
        assert [s.template for s in fake.sent] == ["2009"]
        assert (await status_of(backend, row.id)).status == OutboxStatus.suppressed


async def test_reply_callbacks_need_the_token_and_a_body_that_is_one(
    callbacks: AsyncTestClient[Litestar],
) -> None:
    body = [{"phone_number": "13900000000", "content": "TD"}]
    assert (await callbacks.post("/api/v1/sms/replies/aliyun/wrong", json=body)).status_code == 404
    for provider, bad in (
        ("aliyun", {"phone_number": "13900000000"}),
        ("aliyun", [{"content": "TD"}]),
        ("tencent", {"text": "TD"}),
        ("tencent", "TD"),
    ):
        r = await callbacks.post(f"/api/v1/sms/replies/{provider}/{TOKEN}", json=bad)
        assert r.status_code == 400, (provider, r.text)
        assert r.json()["extra"]


# --- bare contacts and stale messages -------------------------------------------------------


async def test_a_contact_gets_sms_and_their_number_is_sealed(backend: Backend) -> None:
    phone = new_phone()
    [row] = await tell(backend, phone, f"test:contact:{random.randrange(10**12)}")
    assert row.address_kind == "phone" and row.address_sealed is not None
    assert phone.encode() not in row.address_sealed and phone not in row.dedupe_key
    sms = SmsInbox()
    dispatcher = Dispatcher(backend.sessionmaker(), {"sms": sms})
    await dispatcher.drain()
    [sent] = [m for m in sms.sent if m.id == row.id]
    assert sent.target.phone == "86" + phone  # type: ignore[union-attr]
    assert (await status_of(backend, row.id)).status == OutboxStatus.sent


async def test_an_email_contact_is_queued_for_the_email_channel(backend: Backend) -> None:
    async with backend.sessionmaker().begin() as session:
        rows = await enqueue(
            session,
            event=f"test:email:{random.randrange(10**9)}",
            template="wish.approved",
            params={"title": "x"},
            recipients=[Recipient(contact=Contact(email="Reporter@Example.org"))],
            community_id=None,
        )
    assert [(r.channel, r.address_kind) for r in rows] == [("email", "email")]
    with pytest.raises(ValueError):
        Contact(email="not an address")
    with pytest.raises(ValueError):
        Contact()


async def test_a_newer_message_on_the_same_topic_supersedes_the_unsent_one(
    backend: Backend,
) -> None:
    """At 07:30 a resident hears what is true now: not claimed, open again, claimed again."""
    phone, other = new_phone(), new_phone()
    topic = f"wish-test-{random.randrange(10**9)}"
    later = {"topic": topic}
    async with backend.sessionmaker().begin() as session:
        rows = []
        for what, template, params in (
            ("claimed", "wish.claimed", {"title": "修车", "claimant": "张*"}),
            ("released", "wish.released", {"title": "修车"}),
            ("claimed2", "wish.claimed", {"title": "修车", "claimant": "李*"}),
        ):
            rows += await enqueue(
                session,
                event=f"{topic}:{what}",
                template=template,
                params=params,
                recipients=[
                    Recipient(contact=Contact(phone=phone)),
                    *([Recipient(contact=Contact(phone=other))] if what == "claimed" else []),
                ],
                community_id=None,
                **later,  # type: ignore[arg-type]
            )
    mine = [
        r
        for r in rows
        if r.collapse_key and r.collapse_key.endswith(Contact(phone=phone).key() + ":sms")
    ]
    statuses = [(await status_of(backend, r.id)).status for r in mine]
    assert statuses == [OutboxStatus.superseded, OutboxStatus.superseded, OutboxStatus.pending]
    first = await status_of(backend, mine[0].id)
    assert first.last_error == f"superseded by #{mine[1].id}"
    sms = SmsInbox()
    await Dispatcher(backend.sessionmaker(), {"sms": sms}).drain()
    texts = [m.text for m in sms.sent if m.id in {r.id for r in rows}]
    # Only the last word to this number, and the other recipient's own message.
    assert len(texts) == 2 and sum("李*" in t for t in texts) == 1
    assert sum("张*" in t for t in texts) == 1  # the other number's, never superseded by ours


async def test_a_row_whose_template_nobody_registered_fails_at_once(backend: Backend) -> None:
    """E.g. a worker started without a domain's registration: failed, not retried forever."""
    from server.lib.crypto import seal
    from server.notify.outbox import ADDRESS_CONTEXT

    async with backend.sessionmaker().begin() as session:
        row = Notification(
            dedupe_key=f"test:gone:{random.randrange(10**12)}",
            channel="sms",
            address_kind="phone",
            address_sealed=seal("8613912345678", context=ADDRESS_CONTEXT),
            template="gone.template",
            params={},
        )
        session.add(row)
    sms = SmsInbox()
    await Dispatcher(backend.sessionmaker(), {"sms": sms}).drain()
    done = await status_of(backend, row.id)
    assert done.status == OutboxStatus.failed and "unknown template" in (done.last_error or "")
    assert sms.sent == []


async def test_a_sender_that_is_no_phone_number_gets_no_reply(backend: Backend) -> None:
    from server.notify.channels.base import InboundSms
    from server.notify.inbound import handle_inbound

    async def always(session: object, message: object) -> Reply | None:
        return Reply("notify.opted_in")

    register_inbound("test.always", ["测试回复"], always)  # type: ignore[arg-type]
    try:
        async with backend.sessionmaker().begin() as session:
            for sender in ("10086", "LINLI"):
                message = InboundSms(phone=sender, text="测试回复", provider="smpp")
                assert await handle_inbound(session, message) == "test.always"
                assert await handle_inbound(session, InboundSms(sender, "TD", "smpp")) == (
                    "notify.opt_out"
                )
    finally:
        from server.notify import inbound

        inbound._ROUTES[:] = [r for r in inbound._ROUTES if not r.name.startswith("test.")]


async def test_the_configured_smpp_channel_hands_replies_to_the_dispatcher(
    backend: Backend, smsc: Smsc
) -> None:
    """As the app and ``linli worker`` build it (server/notify/setup.py)."""
    from server.notify.setup import make_dispatcher

    settings = dataclasses.replace(
        backend.settings,
        sms_provider="smpp",
        sms_options={
            "host": "127.0.0.1",
            "port": str(smsc.port),
            "system_id": "linli",
            "password": "secret",
            "source": "10690001",
        },
    )
    dispatcher = await make_dispatcher(settings, backend.sessionmaker())
    try:
        await smsc.wait_for(lambda: bool(smsc.sessions), within=30)
        phone = new_phone()
        await smsc.send_mo(phone, "td")
        await eventually(lambda: opted_out(backend, phone))
    finally:
        await dispatcher.close()
