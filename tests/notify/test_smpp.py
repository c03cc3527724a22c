"""SmppSms against a real SMPP 3.4 SMSC on loopback (tests/support/smsc.py, built on smpp34)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from server.notify.channels.base import (
    Accepted,
    DeliveryReceipt,
    InboundSms,
    Outgoing,
    PermanentFailure,
    PushTarget,
    SmsTarget,
    TemporaryFailure,
)
from server.notify.channels.sms import SmppSms, e164, parse_receipt_text, ucs2_parts
from tests.support.smsc import (
    ESME_RINVDSTADR,
    ESME_RMSGQFUL,
    ESME_RSYSERR,
    ESME_RTHROTTLED,
    Smsc,
    TcpProxy,
)

PHONE = "13812345678"
SHORT = "【邻里】您的心愿“帮忙修自行车”已通过审核并发布，请留意志愿者联系。"
# 150 characters: three concatenated parts of at most 67 UCS2 units.
LONG = ("登月社区网格员提醒：" + "本周六上午九点在社区广场开展义诊和磨刀服务，欢迎居民参加。" * 6)[
    :150
]


class Receipts:
    """An on_receipt handler that records what it is given."""

    def __init__(self) -> None:
        self.got: list[DeliveryReceipt] = []
        self.event = asyncio.Event()

    async def __call__(self, receipt: DeliveryReceipt) -> None:
        self.got.append(receipt)
        self.event.set()

    async def wait(self, count: int, within: float = 5.0) -> list[DeliveryReceipt]:
        async with asyncio.timeout(within):
            while len(self.got) < count:
                self.event.clear()
                await self.event.wait()
        return self.got


@pytest.fixture
async def smsc() -> AsyncIterator[Smsc]:
    server = Smsc()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def receipts() -> Receipts:
    return Receipts()


def make_channel(smsc: Smsc, receipts: Receipts | None = None, **kw: object) -> SmppSms:
    options: dict[str, object] = {
        "on_receipt": receipts,
        "timeout": 2.0,
        "reconnect_delay": (0.05, 0.2),
        "receipt_retry_delays": (0.05, 0.05, 0.1, 0.2),
    }
    options.update(kw)
    port = options.pop("port", smsc.port)
    return SmppSms("127.0.0.1", port, "linli", "secret", "10690001", **options)  # type: ignore[arg-type]


@pytest.fixture
async def channel(smsc: Smsc, receipts: Receipts) -> AsyncIterator[SmppSms]:
    ch = make_channel(smsc, receipts)
    yield ch
    await ch.close()


def sms(text: str, *, id: int = 1, phone: str = PHONE) -> Outgoing:
    return Outgoing(
        id=id,
        target=SmsTarget(phone),
        title="",
        text=text,
        template="wish.approved",
        params={"title": "帮忙修自行车"},
    )


# --- pure functions ------------------------------------------------------------------------


def test_e164() -> None:
    assert e164("13812345678") == "8613812345678"
    assert e164("+86 138-1234-5678") == "8613812345678"
    assert e164("0085291234567") == "85291234567"
    assert e164("85291234567") == "85291234567"
    assert e164("+13125550123") == "13125550123"  # explicit + : North America, not mainland
    for bad in ("", "12345", "138abc45678", "+1" + "2" * 20):
        with pytest.raises(PermanentFailure):
            e164(bad)


def test_ucs2_parts() -> None:
    assert ucs2_parts("短" * 70, ref=9) == [(0, ("短" * 70).encode("utf-16-be"))]
    parts = ucs2_parts("长" * 71, ref=9)
    assert [esm for esm, _ in parts] == [0x40, 0x40]
    assert parts[0][1][:6] == bytes([5, 0, 3, 9, 2, 1]) and parts[1][1][:6] == bytes(
        [5, 0, 3, 9, 2, 2]
    )
    assert all(len(data) <= 140 for _, data in parts)
    # A character outside the BMP (two UTF-16 units) is never cut in half.
    text = "好" * 66 + "😀" + "好" * 10
    parts = ucs2_parts(text, ref=1)
    assert b"".join(data[6:] for _, data in parts).decode("utf-16-be") == text
    for _, data in parts:
        data[6:].decode("utf-16-be")  # each part decodes on its own


def test_relative_validity_and_field_limits() -> None:
    from server.notify.channels.sms.smpp import _relative_validity

    assert _relative_validity(24 * 3600) == "000001000000000R"
    assert _relative_validity(90 * 60 + 5) == "000000013005000R"
    with pytest.raises(ValueError):
        SmppSms("127.0.0.1", 2775, "linli", "longer-than-8", "10690001")
    with pytest.raises(ValueError):
        SmppSms("127.0.0.1", 2775, "linli", "secret", "1" * 21)


def test_parse_receipt_text_leaves_out_the_message_text() -> None:
    fields = parse_receipt_text(
        "id:0A1B2C sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 "
        "stat:DELIVRD err:000 text:13812345678 你好"
    )
    assert fields == {
        "id": "0A1B2C",
        "sub": "001",
        "dlvrd": "001",
        "submit_date": "2601011200",
        "done_date": "2601011201",
        "stat": "DELIVRD",
        "err": "000",
    }


# --- against the SMSC ----------------------------------------------------------------------


async def test_chinese_text_arrives_as_ucs2(smsc: Smsc, channel: SmppSms) -> None:
    result = await channel.send(sms(SHORT))

    [message] = smsc.messages()
    [part] = message.parts
    assert message.text == SHORT
    assert part.data_coding == 8 and part.esm_class == 0
    assert part.registered_delivery == 1
    assert (part.destination_addr, part.dest_addr_ton, part.dest_addr_npi) == (
        "8613812345678",
        1,
        1,
    )
    assert (part.source_addr, part.source_addr_ton, part.source_addr_npi) == ("10690001", 0, 1)
    assert result == Accepted(provider_id=part.message_id)
    assert smsc.binds == ["linli"]


async def test_long_text_goes_as_concatenated_parts(smsc: Smsc, channel: SmppSms) -> None:
    assert len(LONG) == 150
    result = await channel.send(sms(LONG, id=300))

    [message] = smsc.messages()
    assert message.text == LONG
    assert len(message.parts) == 3
    assert all(p.esm_class == 0x40 and p.data_coding == 8 for p in message.parts)
    assert [p.concat for p in message.parts] == [
        (300 & 0xFF, 3, 1),
        (300 & 0xFF, 3, 2),
        (300 & 0xFF, 3, 3),
    ]
    assert all(len(p.short_message) <= 140 for p in message.parts)
    assert result.provider_id == message.parts[0].message_id


async def test_receipt_after_resp(smsc: Smsc, channel: SmppSms, receipts: Receipts) -> None:
    result = await channel.send(sms(SHORT))
    [receipt] = await receipts.wait(1)
    assert receipt.provider_id == result.provider_id
    assert receipt.delivered and receipt.status == "DELIVRD"
    assert "text" not in receipt.raw  # the receipt's copy of the message text is not kept


async def test_receipt_before_resp(smsc: Smsc, channel: SmppSms, receipts: Receipts) -> None:
    smsc.receipts = "before"
    first = await channel.send(sms(SHORT, id=1))
    second = await channel.send(sms("第二条", id=2))
    got = await receipts.wait(2)
    assert first.provider_id != second.provider_id
    assert sorted(r.provider_id for r in got) == sorted([first.provider_id, second.provider_id])  # type: ignore[type-var]
    assert all(r.delivered for r in got)


async def test_receipt_before_the_outbox_knows_the_id_is_offered_again(smsc: Smsc) -> None:
    """A handler that does not know the id yet (returns False) is asked again later."""
    known: set[str] = set()
    matched: list[str] = []
    done = asyncio.Event()

    async def record_receipt(receipt: DeliveryReceipt) -> bool:
        if receipt.provider_id not in known:
            return False
        matched.append(receipt.provider_id)
        done.set()
        return True

    smsc.receipts = "before"
    ch = make_channel(smsc, None, on_receipt=record_receipt)
    try:
        result = await ch.send(sms(SHORT))
        assert result.provider_id is not None
        await asyncio.sleep(0.01)  # the dispatcher commits the provider id a moment later
        known.add(result.provider_id)
        async with asyncio.timeout(3):
            await done.wait()
        assert matched == [result.provider_id]
    finally:
        await ch.close()


@pytest.mark.parametrize("mode", ["after", "before"])
async def test_one_receipt_for_a_concatenated_message(
    smsc: Smsc, channel: SmppSms, receipts: Receipts, mode: str
) -> None:
    smsc.receipts = mode  # type: ignore[assignment]
    result = await channel.send(sms(LONG, id=7))
    [receipt] = await receipts.wait(1)
    await asyncio.sleep(0.1)  # no further receipts for the other parts
    assert receipts.got == [receipt]
    assert receipt.provider_id == result.provider_id
    assert receipt.delivered and len(receipt.raw["parts"]) == 3


async def test_a_failed_part_fails_the_message(
    smsc: Smsc, channel: SmppSms, receipts: Receipts
) -> None:
    smsc.receipt_stat = lambda sub: "UNDELIV" if (sub.concat or (0, 0, 0))[2] == 2 else "DELIVRD"
    result = await channel.send(sms(LONG, id=8))
    [receipt] = await receipts.wait(1)
    await asyncio.sleep(0.1)
    assert receipts.got == [receipt]
    assert receipt.provider_id == result.provider_id
    assert not receipt.delivered and receipt.status == "UNDELIV"


async def test_receipt_with_tlvs_and_intermediate_states(
    smsc: Smsc, channel: SmppSms, receipts: Receipts
) -> None:
    smsc.receipts = "none"
    result = await channel.send(sms(SHORT))
    [sub] = smsc.submits
    await smsc.send_receipt(sub, "ENROUTE")  # not final: no receipt reported
    await smsc.send_receipt(sub, "EXPIRED", as_tlv=True)
    [receipt] = await receipts.wait(1)
    assert receipt.provider_id == result.provider_id
    assert not receipt.delivered and receipt.status == "EXPIRED"
    assert receipt.raw["message_state"] == 3


async def test_concurrent_sends_get_their_own_ids(
    smsc: Smsc, channel: SmppSms, receipts: Receipts
) -> None:
    smsc.receipts = "before"
    results = await asyncio.gather(*(channel.send(sms(f"第{i}条通知", id=i)) for i in range(10)))
    ids = [r.provider_id for r in results]
    assert len(set(ids)) == 10
    by_text = {m.text: m.message_ids[0] for m in smsc.messages()}
    assert [by_text[f"第{i}条通知"] for i in range(10)] == ids
    got = await receipts.wait(10)
    assert sorted(r.provider_id for r in got) == sorted(ids)  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (ESME_RTHROTTLED, TemporaryFailure),
        (ESME_RMSGQFUL, TemporaryFailure),
        (ESME_RSYSERR, TemporaryFailure),
        (ESME_RINVDSTADR, PermanentFailure),
    ],
)
async def test_submit_errors(
    smsc: Smsc, channel: SmppSms, status: int, outcome: type[Exception]
) -> None:
    smsc.refuse_next = [status]
    with pytest.raises(outcome):
        await channel.send(sms(SHORT))
    assert isinstance(await channel.send(sms(SHORT)), Accepted)  # the session is still fine


async def test_throttled_middle_part_is_temporary(smsc: Smsc, channel: SmppSms) -> None:
    await channel.send(sms(SHORT))  # bind first
    smsc.refuse_next = []
    original = smsc.submits.copy()

    async def throttle_second_part() -> None:
        await smsc.wait_for(lambda: len(smsc.submits) > len(original))
        smsc.refuse_next = [ESME_RTHROTTLED]

    watcher = asyncio.create_task(throttle_second_part())
    with pytest.raises(TemporaryFailure):
        await channel.send(sms(LONG))
    await watcher


async def test_reconnects_when_the_smsc_unbinds(smsc: Smsc, channel: SmppSms) -> None:
    await channel.send(sms(SHORT))
    await smsc.drop_sessions()
    await smsc.wait_for(lambda: len(smsc.binds) == 2)  # rebound in the background
    assert isinstance(await channel.send(sms(SHORT)), Accepted)


async def test_smsc_down_is_temporary_and_recovers(smsc: Smsc, receipts: Receipts) -> None:
    ch = make_channel(smsc, receipts)
    try:
        await ch.send(sms(SHORT))
        port = smsc.port
        await smsc.stop()
        with pytest.raises(TemporaryFailure):
            async with asyncio.timeout(5):  # fails fast, not after a long wait
                await ch.send(sms(SHORT))
        await smsc.start(port)
        async with asyncio.timeout(5):
            while True:
                try:
                    result = await ch.send(sms("恢复后的通知", id=2))
                    break
                except TemporaryFailure:
                    await asyncio.sleep(0.05)
        assert result.provider_id is not None
        assert smsc.messages()[-1].text == "恢复后的通知"
    finally:
        await ch.close()


async def test_reconnects_after_the_connection_is_cut(smsc: Smsc, receipts: Receipts) -> None:
    proxy = TcpProxy(smsc.port)
    await proxy.start()
    ch = make_channel(smsc, receipts, port=proxy.port)
    try:
        await ch.send(sms(SHORT))
        proxy.cut()  # no unbind: the TCP connection just dies
        await smsc.wait_for(lambda: proxy.connections == 2)  # re-connected in the background
        await smsc.wait_for(lambda: ch.bound)
        assert isinstance(await ch.send(sms("断线重连后", id=2)), Accepted)
        assert smsc.messages()[-1].text == "断线重连后"
    finally:
        await ch.close()
        await proxy.stop()


async def test_silent_smsc_times_out_as_temporary(smsc: Smsc, receipts: Receipts) -> None:
    proxy = TcpProxy(smsc.port)
    await proxy.start()
    ch = make_channel(smsc, receipts, port=proxy.port, timeout=0.3, enquire_link_interval=0.2)
    try:
        await ch.send(sms(SHORT))
        proxy.stalled = True
        with pytest.raises(TemporaryFailure):
            await ch.send(sms(SHORT))
        # The unanswered enquire_link makes the client drop the dead connection ...
        await smsc.wait_for(lambda: not ch.bound)
        # ... and once the peer answers again, a new one is bound.
        proxy.stalled = False
        await smsc.wait_for(lambda: ch.bound)
        assert proxy.connections >= 2
        assert isinstance(await ch.send(sms(SHORT)), Accepted)
    finally:
        await ch.close()
        await proxy.stop()


async def test_start_binds_and_keepalive_holds(smsc: Smsc, receipts: Receipts) -> None:
    ch = make_channel(smsc, receipts, enquire_link_interval=0.05, timeout=0.5)
    try:
        await ch.start()
        assert ch.bound
        await asyncio.sleep(0.4)  # several enquire_link round trips
        assert ch.bound and smsc.binds == ["linli"]
    finally:
        await ch.close()
    await smsc.wait_for(lambda: smsc.unbinds == 1)  # close() unbinds politely


async def test_wrong_target_is_permanent(channel: SmppSms) -> None:
    message = Outgoing(
        id=1, target=PushTarget("https://x", "k", "a"), title="", text="x", template="t"
    )
    with pytest.raises(PermanentFailure):
        await channel.send(message)
    with pytest.raises(PermanentFailure):
        await channel.send(sms(SHORT, phone="not a phone"))


async def test_logs_carry_no_phone_and_no_text(
    smsc: Smsc, channel: SmppSms, receipts: Receipts, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    smsc.refuse_next = [ESME_RINVDSTADR]
    with pytest.raises(PermanentFailure):
        await channel.send(sms(SHORT))
    await channel.send(sms(LONG))
    await receipts.wait(1)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "138****5678" in logged
    assert PHONE not in logged
    assert "心愿" not in logged and "义诊" not in logged


async def test_inbound_sms_reach_the_inbound_handler_whole(smsc: Smsc, receipts: Receipts) -> None:
    """An SMS a person sends (deliver_sm, esm_class 0) is no receipt: it goes to on_inbound,
    a concatenated one put back together whatever order its parts came in."""
    got: list[InboundSms] = []
    arrived = asyncio.Event()

    async def inbound(message: InboundSms) -> None:
        got.append(message)
        arrived.set()

    ch = make_channel(smsc, receipts, on_inbound=inbound)
    try:
        await ch.start()
        await smsc.wait_for(lambda: bool(smsc.sessions))
        reply = "满意。志愿者很耐心，帮我把水管修好了，还教我怎么关总阀。谢谢社区！" * 3
        await smsc.send_mo(PHONE, "退订")
        await smsc.send_mo("+85291234567", reply, parts=3, ref=42, reverse=True)
        await smsc.send_mo(PHONE, "TD", ucs2=False)
        async with asyncio.timeout(10):
            while len(got) < 3:
                arrived.clear()
                await arrived.wait()
        assert sorted((m.phone, m.text) for m in got) == sorted(
            [(PHONE, "退订"), ("+85291234567", reply), (PHONE, "TD")]
        )
        assert {m.provider for m in got} == {"smpp"}
        assert receipts.got == []  # none of them was taken for a delivery receipt
    finally:
        await ch.close()
