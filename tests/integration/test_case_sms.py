"""Cases by SMS over the providers' reply callbacks (as 退订 is): a message opens a case,
``查询 <number>`` answers its reporter, ``1``/``2``/``3`` rates the case finished last."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from server.cases import inbound
from server.cases.models import Case
from server.notify.models import Notification
from server.notify.outbox import LOCAL_TZ
from tests.conftest import DENGYUE_CLERK, DENGYUE_GRID_WORKER, DENGYUE_RESIDENT, Backend
from tests.integration.test_cases import act, as_, grids_of, user_id

TOKEN = "case-sms-callback-token"


@pytest.fixture
async def callbacks(backend: Backend) -> AsyncIterator[AsyncTestClient[Litestar]]:
    from server.app import create_app

    grid = (await grids_of(backend))[1]
    app = create_app(
        dataclasses.replace(backend.settings, sms_callback_token=TOKEN, case_sms_grid=grid)
    )
    try:
        async with AsyncTestClient(app) as client:
            yield client
    finally:
        inbound.configure(None)


async def sms(client: AsyncTestClient[Litestar], phone: str, text: str) -> None:
    """An SMS a person sent, as Aliyun's SmsUp push posts it."""
    body = [
        {
            "phone_number": phone,
            "send_time": datetime.now(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            "content": text,
            "sign_name": "邻里",
            "dest_code": "",
            "sequence_id": random.randrange(10**9),
        }
    ]
    r = await client.post(f"/api/v1/sms/replies/aliyun/{TOKEN}", json=body)
    assert r.status_code == 200, r.text


async def replies(backend: Backend, template: str) -> list[Notification]:
    async with backend.sessionmaker()() as session:
        rows = await session.scalars(
            select(Notification)
            .where(
                Notification.template == template, Notification.dedupe_key.startswith("inbound:")
            )
            .order_by(Notification.id)
        )
        return list(rows.all())


async def latest_case(backend: Backend) -> Case:
    async with backend.sessionmaker()() as session:
        case = await session.scalar(select(Case).order_by(Case.id.desc()).limit(1))
    assert case is not None
    return case


async def test_a_resident_texts_a_case_asks_after_it_and_rates_it(
    callbacks: AsyncTestClient[Litestar], client, tokens, backend: Backend
) -> None:
    text = f"楼下路灯坏了{random.randrange(10**6)}"
    await sms(callbacks, DENGYUE_RESIDENT, text)
    case = await latest_case(backend)
    assert case.description == text and case.channel == "sms" and case.item_id is None
    assert case.resident_id is not None and case.state == "received" and case.due_at
    [reply] = [
        r for r in await replies(backend, "case.sms_received") if r.params["number"] == case.number
    ]
    assert reply.channel == "sms" and reply.params["due"]
    async with backend.sessionmaker()() as session:
        new = await session.scalars(
            select(Notification).where(Notification.dedupe_key.startswith(f"case:{case.id}:new"))
        )
        assert new.all()  # the office hears of it
    # 查询: its state, to its reporter only.
    await sms(callbacks, DENGYUE_RESIDENT, f"查询 {case.number}")
    status = [
        r for r in await replies(backend, "case.sms_status") if r.params["number"] == case.number
    ]
    assert status and status[-1].params["state"] == "待受理"
    await sms(callbacks, "13700009999", f"查询{case.number}")
    unknown = [
        r for r in await replies(backend, "case.sms_unknown") if r.params["number"] == case.number
    ]
    assert unknown
    # The office chooses its item when it accepts it, and it is handled to the end.
    view = (
        await client.get(
            f"/api/v1/cases/{case.id}", headers=await as_(client, tokens, DENGYUE_CLERK)
        )
    ).json()
    assert view["channel"] == "sms" and view["item"] is None
    await act(client, tokens, DENGYUE_CLERK, view, "accept", 400)
    view = await act(
        client, tokens, DENGYUE_CLERK, view, "accept", item="stair_light", fields={"floor": 1}
    )
    assert view["item"]["code"] == "stair_light"
    worker = await user_id(backend, DENGYUE_GRID_WORKER)
    view = await act(client, tokens, DENGYUE_CLERK, view, "dispatch", assignee_id=worker)
    view = await act(client, tokens, DENGYUE_GRID_WORKER, view, "start")
    view = await act(client, tokens, DENGYUE_GRID_WORKER, view, "resolve", note="已修好")
    view = await act(client, tokens, DENGYUE_GRID_WORKER, view, "close")
    # She replies 2 to the finished SMS: recorded as the callback.
    await sms(callbacks, DENGYUE_RESIDENT, "２")
    async with backend.sessionmaker()() as session:
        row = await session.get(Case, case.id)
        assert row is not None and row.satisfaction == 2
    await sms(callbacks, DENGYUE_RESIDENT, "3")  # nothing left to rate: ignored
    async with backend.sessionmaker()() as session:
        row = await session.get(Case, case.id)
        assert row is not None and row.satisfaction == 2


async def test_an_unknown_number_is_a_bare_contact(
    callbacks: AsyncTestClient[Litestar], backend: Backend
) -> None:
    phone = f"1390000{random.randrange(10**4):04d}"
    await sms(callbacks, phone, "小区门口井盖丢了")
    case = await latest_case(backend)
    assert case.description == "小区门口井盖丢了" and case.resident_id is None
    assert (
        case.contact_hash
        and case.contact_phone_sealed
        and phone.encode() not in case.contact_phone_sealed
    )
    assert case.grid_id is not None
    await sms(callbacks, phone, f"CX {case.number}")
    assert [
        r for r in await replies(backend, "case.sms_status") if r.params["number"] == case.number
    ]
    # Without an SMS intake grid, an unknown number is asked to call its community.
    inbound.configure(None)
    before = len(await replies(backend, "case.sms_unplaced"))
    await sms(callbacks, f"1390001{random.randrange(10**4):04d}", "你好")
    assert len(await replies(backend, "case.sms_unplaced")) == before + 1
    assert (await latest_case(backend)).id == case.id
