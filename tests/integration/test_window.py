"""The window terminal 办事窗口 on both engines: windows, the day's queue (who calls which
number, waits, the hall display), looking a walk-in up by phone, name or ID number (scoped,
audited, never the ID number itself in the log), and their card.

In a database of its own: tickets and windows of this module must not change what the
access matrix or other modules count.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import delete, select, update

from server.audit.models import AuditEntry
from server.db.base import utcnow
from server.notify.models import OptOut
from server.notify.recipients import address_hash
from server.people.models import Resident
from server.window.demo_window import DEMO_ID_NUMBER
from server.window.models import Ticket
from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_CLERK,
    DENGYUE_GRID_WORKER,
    DENGYUE_RESIDENT,
    DENGYUE_VOLUNTEER,
    SUBDISTRICT_ADMIN,
    YULAN_ADMIN,
    YULAN_CLERK,
    Backend,
    own_backend,
)
from tests.integration.security.test_security import DENGYUE, YULAN
from tests.integration.test_cases import as_, user_id

ZHOU_PHONE = "13900000001"  # 周大爷, a demo resident of 登月社区 with no account


@pytest.fixture(scope="module", params=["spatialite", "postgis"])
async def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    async with own_backend(request, tmp_path_factory, "window") as b:
        yield b


@pytest.fixture(scope="module")
async def app(backend: Backend) -> Litestar:
    from server.app import create_app

    return create_app(backend.settings)


async def windows(client, tokens, phone: str = DENGYUE_CLERK) -> dict[int, dict[str, Any]]:
    r = await client.get(
        f"/api/v1/communities/{DENGYUE}/windows", headers=await as_(client, tokens, phone)
    )
    assert r.status_code == 200, r.text
    return {w["number"]: w for w in r.json()}


async def take(client, tokens, category: str | None, phone: str = DENGYUE_CLERK) -> dict[str, Any]:
    r = await client.post(
        f"/api/v1/communities/{DENGYUE}/tickets",
        json={"category": category},
        headers=await as_(client, tokens, phone),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def call(client, tokens, window_id: int, phone: str = DENGYUE_CLERK) -> dict[str, Any]:
    r = await client.post(
        f"/api/v1/windows/{window_id}/call-next", headers=await as_(client, tokens, phone)
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def queue(client, tokens, phone: str = DENGYUE_CLERK) -> dict[str, Any]:
    r = await client.get(
        f"/api/v1/communities/{DENGYUE}/queue", headers=await as_(client, tokens, phone)
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def clear_tickets(backend: Backend) -> None:
    async with backend.sessionmaker().begin() as session:
        await session.execute(update(Ticket).values(state="served"))


async def test_the_demo_windows_and_setting_one_up(client, tokens) -> None:
    w = await windows(client, tokens)
    assert [w[n]["name"] for n in sorted(w)] == ["综合受理", "社会保障", "民政与养老", "证明开具"]
    assert w[1]["categories"] == [] and w[1]["category_names"] == []
    assert w[2]["category_names"] == ["社会保障", "医疗保障"]

    admin = await as_(client, tokens, DENGYUE_ADMIN)
    url = f"/api/v1/communities/{DENGYUE}/windows/5"
    r = await client.put(url, json={"name": "矛盾调解", "categories": ["disputes"]}, headers=admin)
    assert r.status_code == 200 and r.json()["category_names"] == ["矛盾纠纷"], r.text
    r = await client.put(url, json={"name": "矛盾调解", "categories": ["nope"]}, headers=admin)
    assert r.status_code == 400 and "nope" in r.json()["detail"]
    # A clerk of the community may see the windows, not set them up; another community's
    # administrator does not learn that the community has any.
    clerk = await as_(client, tokens, DENGYUE_CLERK)
    r = await client.put(url, json={"name": "x"}, headers=clerk)
    assert r.status_code == 403
    for phone in (YULAN_ADMIN, YULAN_CLERK):
        h = await as_(client, tokens, phone)
        assert (await client.put(url, json={"name": "x"}, headers=h)).status_code == 404
        r = await client.get(f"/api/v1/communities/{DENGYUE}/windows", headers=h)
        assert r.status_code == 404 and "矛盾" not in r.text
    for phone in (DENGYUE_GRID_WORKER, DENGYUE_VOLUNTEER, DENGYUE_RESIDENT):
        r = await client.get(
            f"/api/v1/communities/{DENGYUE}/windows", headers=await as_(client, tokens, phone)
        )
        assert r.status_code == 404
    # Closed again, so the queue below has the four demo windows.
    r = await client.put(
        url, json={"name": "矛盾调解", "categories": ["disputes"], "active": False}, headers=admin
    )
    assert r.status_code == 200 and r.json()["active"] is False


async def test_a_walk_in_is_called_to_the_window_whose_business_fits(
    client, tokens, backend: Backend
) -> None:
    await clear_tickets(backend)
    w = await windows(client, tokens)
    pension = await take(client, tokens, "social_security")
    cert = await take(client, tokens, "certificates")
    general = await take(client, tokens, None)
    repair = await take(client, tokens, "housing_repair")  # no window names it: general ones
    pension2 = await take(client, tokens, "medical_insurance")
    assert (
        pension["number"] + 1 == cert["number"] and pension["label"] == f"{pension['number']:03d}"
    )
    assert pension["windows"] == [2] and pension["waiting_ahead"] == 0
    assert cert["windows"] == [4] and cert["waiting_ahead"] == 0
    assert general["windows"] == [1] and general["category_name"] == "综合业务"
    assert repair["windows"] == [1] and repair["waiting_ahead"] == 1
    assert pension2["windows"] == [2] and pension2["waiting_ahead"] == 1

    got = await call(client, tokens, w[2]["id"])
    assert got["finished"] is None and got["called"]["id"] == pension["id"]
    assert got["called"]["window_number"] == 2 and got["called"]["state"] == "called"
    got = await call(client, tokens, w[4]["id"])
    assert got["called"]["id"] == cert["id"]
    got = await call(client, tokens, w[1]["id"])
    assert got["called"]["id"] == general["id"]
    # The next call at window 2 finishes the one it served and calls the medical one.
    got = await call(client, tokens, w[2]["id"])
    assert got["finished"]["id"] == pension["id"] and got["finished"]["state"] == "served"
    assert got["called"]["id"] == pension2["id"]
    # Window 3 (civil affairs) has nobody to call: no civil-affairs ticket waits.
    got = await call(client, tokens, w[3]["id"])
    assert got == {"finished": None, "called": None}

    # The one at window 4 did not come: 过号.
    h = await as_(client, tokens, DENGYUE_CLERK)
    r = await client.post(
        f"/api/v1/tickets/{cert['id']}/finish", json={"outcome": "missed"}, headers=h
    )
    assert r.status_code == 200 and r.json()["state"] == "missed"
    r = await client.post(
        f"/api/v1/tickets/{cert['id']}/finish", json={"outcome": "served"}, headers=h
    )
    assert r.status_code == 400  # no longer being called

    # Waits worked out by hand: each called ticket waited exactly its minutes.
    async with backend.sessionmaker().begin() as session:
        for ticket_id, minutes in (
            (pension["id"], 4),
            (cert["id"], 10),
            (general["id"], 7),
            (pension2["id"], 9),
        ):
            t = await session.get(Ticket, ticket_id)
            assert t is not None and t.called_at is not None
            t.issued_at = t.called_at - timedelta(minutes=minutes)
        t = await session.get(Ticket, repair["id"])
        assert t is not None
        t.issued_at = utcnow() - timedelta(minutes=30)

    q = await queue(client, tokens)
    assert (q["issued"], q["waiting"], q["called"], q["served"], q["missed"]) == (5, 1, 2, 1, 1)
    assert q["average_wait_minutes"] == 7.5  # (4 + 10 + 7 + 9) / 4
    assert 30 <= q["longest_waiting_minutes"] < 31
    by_number = {row["window"]["number"]: row for row in q["windows"]}
    assert by_number[2]["served"] == 1 and by_number[2]["current"]["id"] == pension2["id"]
    assert by_number[2]["average_wait_minutes"] == 6.5
    assert by_number[4]["missed"] == 1 and by_number[4]["current"] is None
    assert by_number[1]["waiting"] == 1 and by_number[3]["waiting"] == 0
    assert q["by_category"] == [{"category": "housing_repair", "name": "房屋维修", "waiting": 1}]
    offered = [c["category"] for c in q["categories"]]
    assert offered[-1] is None and "social_security" in offered and "disputes" not in offered

    # The hall's display: the latest calls first, no names, no phone numbers.
    r = await client.get(f"/api/v1/public/communities/{DENGYUE}/queue")
    assert r.status_code == 200, r.text
    hall = r.json()
    assert hall["waiting"] == 1 and hall["community_name"] == "登月社区"
    assert [c["label"] for c in hall["calls"]][:1] == [pension2["label"]]
    assert {c["window_number"] for c in hall["calls"]} == {1, 2, 4}
    assert not re.search(r"1[3-9]\d{9}", r.text) and "周" not in r.text  # no phone, no name


async def test_two_windows_calling_at_once_never_get_the_same_number(
    client, tokens, backend: Backend
) -> None:
    await clear_tickets(backend)
    admin = await as_(client, tokens, DENGYUE_ADMIN)
    # Two general windows: both may call the same housing-repair tickets.
    r = await client.put(
        f"/api/v1/communities/{DENGYUE}/windows/5",
        json={"name": "综合二", "categories": []},
        headers=admin,
    )
    assert r.status_code == 200
    try:
        w = await windows(client, tokens)
        made = [await take(client, tokens, "housing_repair") for _ in range(3)]
        assert made[0]["windows"] == [1, 5]
        calls = await asyncio.gather(*(call(client, tokens, w[n]["id"]) for n in (1, 5, 1, 5)))
        called = [c["called"]["id"] for c in calls if c["called"]]
        assert len(called) == len(set(called)), calls
        assert set(called) <= {t["id"] for t in made}
        q = await queue(client, tokens)
        assert q["waiting"] + q["called"] + q["served"] == q["issued"] - 0
    finally:
        r = await client.put(
            f"/api/v1/communities/{DENGYUE}/windows/5",
            json={"name": "综合二", "categories": [], "active": False},
            headers=admin,
        )
        assert r.status_code == 200


async def test_the_queue_is_the_offices_own(client, tokens) -> None:
    w = await windows(client, tokens)
    for phone in (YULAN_CLERK, YULAN_ADMIN, DENGYUE_GRID_WORKER, DENGYUE_RESIDENT):
        h = await as_(client, tokens, phone)
        r = await client.post(f"/api/v1/communities/{DENGYUE}/tickets", json={}, headers=h)
        assert r.status_code == 404, (phone, r.text)
        r = await client.post(f"/api/v1/windows/{w[1]['id']}/call-next", headers=h)
        assert r.status_code == 404 and "综合" not in r.text
        r = await client.get(f"/api/v1/communities/{DENGYUE}/queue", headers=h)
        assert r.status_code == 404
    # The sub-district above sees it; a ticket for a business that does not exist is a 400.
    assert (await queue(client, tokens, SUBDISTRICT_ADMIN))["community"] == DENGYUE
    r = await client.post(
        f"/api/v1/communities/{DENGYUE}/tickets",
        json={"category": "no_such"},
        headers=await as_(client, tokens, DENGYUE_CLERK),
    )
    assert r.status_code == 400 and "no_such" in r.json()["detail"]
    r = await client.get(f"/api/v1/public/communities/{YULAN}/queue")
    assert r.status_code == 200 and r.json()["calls"] == []


async def lookup(client, tokens, q: str, phone: str = DENGYUE_CLERK, status: int = 200) -> Any:
    r = await client.post(
        "/api/v1/window/lookup", json={"q": q}, headers=await as_(client, tokens, phone)
    )
    assert r.status_code == status, (q, phone, r.text)
    return r.json()


async def test_looking_a_walk_in_up_by_phone_name_or_id_number(
    client, tokens, backend: Backend
) -> None:
    for q, kind in (
        (ZHOU_PHONE, "phone"),
        ("0001", "phone_tail"),
        ("周大", "name"),
        (DEMO_ID_NUMBER, "id_number"),
        (DEMO_ID_NUMBER.lower(), "id_number"),
        (DEMO_ID_NUMBER[:6] + " " + DEMO_ID_NUMBER[6:], "id_number"),
    ):
        found = await lookup(client, tokens, q)
        assert found["kind"] == kind, q
        assert "周大爷" in [r["name"] for r in found["items"]], q
        zhou = next(r for r in found["items"] if r["name"] == "周大爷")
        assert zhou["phone_masked"] == "139****0001" and zhou["has_id_number"] is True
        assert ZHOU_PHONE not in str(found)
    # A valid ID number of nobody finds nobody; an invalid one, a stray digit string: 400.
    assert (await lookup(client, tokens, "11010519491231002X"))["items"] == []
    r = await lookup(client, tokens, "410902194803151230", status=400)
    assert "ID number" in r["detail"] or "身份证" in r["detail"]
    r = await lookup(client, tokens, "12345", status=400)
    assert "4" in r["detail"]

    # The lookup is audited: the kind and who was found, never what was typed.
    async with backend.sessionmaker()() as session:
        entries = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "resident.lookup")
                .order_by(AuditEntry.id.desc())
                .limit(6)
            )
        ).all()
        zhou_id = await session.scalar(select(Resident.id).where(Resident.phone == ZHOU_PHONE))
    clerk = await user_id(backend, DENGYUE_CLERK)
    assert all(e.actor_id == clerk for e in entries)
    id_entry = next(e for e in entries if e.detail.get("kind") == "id_number" and e.detail["found"])
    assert id_entry.detail["found"] == [zhou_id] and id_entry.object_id == str(zhou_id)
    assert all(DEMO_ID_NUMBER[-8:] not in str(e.detail) for e in entries)

    # Another community's clerk finds nobody of 登月社区 by the same phone or ID number;
    # a grid worker, volunteer or resident may not look anyone up.
    for q in (ZHOU_PHONE, DEMO_ID_NUMBER, "周大"):
        assert (await lookup(client, tokens, q, YULAN_CLERK))["items"] == []
    for phone in (DENGYUE_GRID_WORKER, DENGYUE_VOLUNTEER, DENGYUE_RESIDENT):
        await lookup(client, tokens, ZHOU_PHONE, phone, status=403)
    # The sub-district above finds him.
    found = await lookup(client, tokens, ZHOU_PHONE, SUBDISTRICT_ADMIN)
    assert [r["name"] for r in found["items"]] == ["周大爷"]


async def test_a_walk_ins_card_shows_their_cases_and_how_they_hear_back(
    client, tokens, backend: Backend
) -> None:
    zhou = (await lookup(client, tokens, ZHOU_PHONE))["items"][0]
    h = await as_(client, tokens, DENGYUE_CLERK)
    r = await client.post(
        "/api/v1/cases",
        json={
            "item": "stair_light",
            "description": "楼道灯坏了",
            "fields": {"floor": 2},
            "channel": "window",
            "resident_id": zhou["id"],
            "consent_note": "本人到窗口口头同意",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    case = r.json()
    r = await client.get(f"/api/v1/residents/{zhou['id']}/window-card", headers=h)
    assert r.status_code == 200, r.text
    card = r.json()
    assert (
        card["resident"]["name"] == "周大爷" and card["resident"]["phone_masked"] == "139****0001"
    )
    assert card["hears_back"] == ["sms"]  # no account: SMS to his phone
    # Once his number has opted out of SMS (退订), the receipt promises no text message.
    hashed = address_hash("phone", ZHOU_PHONE)
    async with backend.sessionmaker().begin() as session:
        session.add(OptOut(channel="sms", address_hash=hashed, source="sms:test"))
    try:
        r = await client.get(f"/api/v1/residents/{zhou['id']}/window-card", headers=h)
        assert r.status_code == 200 and r.json()["hears_back"] == [], r.text
    finally:
        async with backend.sessionmaker().begin() as session:
            await session.execute(delete(OptOut).where(OptOut.address_hash == hashed))
    mine = [c for c in card["open_cases"] if c["id"] == case["id"]]
    assert mine and mine[0]["number"] == case["number"] and mine[0]["item"] == case["item"]["name"]
    assert mine[0]["due_at"] and mine[0]["state_name"]
    assert ZHOU_PHONE not in r.text and DEMO_ID_NUMBER not in r.text
    async with backend.sessionmaker()() as session:
        opened = await session.scalar(
            select(AuditEntry)
            .where(AuditEntry.action == "resident.window_card")
            .order_by(AuditEntry.id.desc())
        )
    assert opened is not None and opened.object_id == str(zhou["id"])

    for phone in (YULAN_CLERK, YULAN_ADMIN, DENGYUE_GRID_WORKER, DENGYUE_RESIDENT):
        r = await client.get(
            f"/api/v1/residents/{zhou['id']}/window-card", headers=await as_(client, tokens, phone)
        )
        assert r.status_code == 404 and "周" not in r.text, phone
