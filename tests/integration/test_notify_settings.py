"""A community's quiet hours: read and changed by its office through the API, honoured by the outbox.

Who may do what (every demo account) is in security/test_access_matrix.py; here: the
defaults, a change and its audit entry, bad input, and SMS held or not accordingly.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from server.audit.models import AuditEntry
from server.grids.models import Community
from server.notify.models import CommunityNotifySettings, OutboxStatus
from server.notify.outbox import LOCAL_TZ, Contact, Recipient, enqueue
from tests.conftest import DENGYUE_ADMIN, DENGYUE_CLERK, YULAN_ADMIN, Backend

DENGYUE = "410902001001"
URL = f"/api/v1/communities/{DENGYUE}/notify-settings"


async def _reset(backend: Backend) -> int:
    async with backend.sessionmaker().begin() as session:
        community = await session.scalar(select(Community).where(Community.code == DENGYUE))
        assert community is not None
        row = await session.get(CommunityNotifySettings, community.id)
        if row is not None:
            await session.delete(row)
        return community.id


async def test_defaults_then_a_change_by_the_admin(client, tokens, backend: Backend) -> None:
    await _reset(backend)
    clerk = await tokens.get(client, DENGYUE_CLERK)
    r = await client.get(URL, headers=clerk)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "community_code": DENGYUE,
        "quiet_enabled": True,
        "quiet_start": "21:30",
        "quiet_end": "07:30",
        "updated_at": None,
    }
    admin = await tokens.get(client, DENGYUE_ADMIN)
    body = {"quiet_enabled": True, "quiet_start": "22:00", "quiet_end": "06:45"}
    r = await client.put(URL, json=body, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["quiet_start"] == "22:00" and r.json()["updated_at"]
    assert (await client.get(URL, headers=clerk)).json()["quiet_end"] == "06:45"
    async with backend.sessionmaker()() as session:
        entry = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "notify.settings")
                .order_by(AuditEntry.id.desc())
            )
        ).first()
    assert entry is not None and entry.object_id == DENGYUE
    assert entry.detail["after"] == [True, "22:00", "06:45"]
    # The clerk reads but may not change; another community's admin does not see it at all.
    assert (await client.put(URL, json=body, headers=clerk)).status_code == 403
    yulan = await tokens.get(client, YULAN_ADMIN)
    assert (await client.get(URL, headers=yulan)).status_code == 404
    assert (await client.put(URL, json=body, headers=yulan)).status_code == 404
    await _reset(backend)


async def test_bad_input_is_400_with_a_reason(client, tokens) -> None:
    admin = await tokens.get(client, DENGYUE_ADMIN)
    for body in (
        {"quiet_enabled": True, "quiet_start": "24:00", "quiet_end": "07:30"},
        {"quiet_enabled": True, "quiet_start": "9:30", "quiet_end": "07:30"},
        {"quiet_enabled": True, "quiet_start": "21:30"},
        {"quiet_enabled": "yes", "quiet_start": "21:30", "quiet_end": "07:30"},
        {"quiet_enabled": True, "quiet_start": "21:30", "quiet_end": "07:30", "x": 1},
        {"quiet_enabled": True, "quiet_start": "21:30", "quiet_end": "21:30"},
        [],
    ):
        r = await client.put(URL, json=body, headers=admin, params={})
        assert r.status_code == 400, (body, r.text)
        assert r.json()["detail"]
    r = await client.put(
        URL,
        json={"quiet_enabled": True, "quiet_start": "21:30", "quiet_end": "21:30"},
        headers={**admin, "Accept-Language": "zh-CN"},
    )
    assert r.json()["detail"] == "免打扰时段的开始和结束时间不能相同"
    # Off, the times may be anything well-formed (kept for when it is switched on again).
    off = {"quiet_enabled": False, "quiet_start": "21:30", "quiet_end": "21:30"}
    assert (await client.put(URL, json=off, headers=admin)).status_code == 200
    r = await client.get("/api/v1/communities/999999999999/notify-settings", headers=admin)
    assert r.status_code == 404


async def test_openapi_documents_the_refusals(client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    ops = schema["paths"]["/api/v1/communities/{code}/notify-settings"]
    assert {"400", "401", "403", "404"} <= set(ops["put"]["responses"])
    assert {"401", "404"} <= set(ops["get"]["responses"])


async def _queue(backend: Backend, community_id: int) -> tuple[datetime, datetime]:
    async with backend.sessionmaker().begin() as session:
        [row] = await enqueue(
            session,
            event=f"test:quiet:{random.randrange(10**12)}",
            template="wish.approved",
            params={"title": "x"},
            recipients=[Recipient(contact=Contact(phone="13912345678"))],
            community_id=community_id,
        )
        assert row.status == OutboxStatus.pending
        return row.created_at, row.next_attempt_at


async def test_the_outbox_follows_the_communitys_setting(client, tokens, backend: Backend) -> None:
    community_id = await _reset(backend)
    admin = await tokens.get(client, DENGYUE_ADMIN)
    local = datetime.now(LOCAL_TZ)
    # A window around now: SMS waits for its end.
    start = (local - timedelta(hours=1)).strftime("%H:%M")
    end = (local + timedelta(hours=1)).strftime("%H:%M")
    body = {"quiet_enabled": True, "quiet_start": start, "quiet_end": end}
    assert (await client.put(URL, json=body, headers=admin)).status_code == 200
    created, due = await _queue(backend, community_id)
    assert due - created > timedelta(minutes=55)
    # Switched off: sent at once.
    body["quiet_enabled"] = False
    assert (await client.put(URL, json=body, headers=admin)).status_code == 200
    created, due = await _queue(backend, community_id)
    assert due - created < timedelta(seconds=5)
    await _reset(backend)


async def test_after_the_night_a_resident_hears_only_what_is_true_now(
    client, tokens, backend: Backend
) -> None:
    """Claimed by one, open again, claimed by another during quiet hours: one SMS in the
    morning, the last; the earlier ones are superseded and never sent."""
    from sqlalchemy import update

    from server.db.base import utcnow
    from server.notify.dispatcher import Dispatcher
    from server.notify.models import Notification
    from tests.conftest import DENGYUE_PARTY_MEMBER, DENGYUE_VOLUNTEER
    from tests.integration.test_dispatch import SmsInbox
    from tests.integration.test_wishes import act, post_wish

    await _reset(backend)
    admin = await tokens.get(client, DENGYUE_ADMIN)
    local = datetime.now(LOCAL_TZ)
    body = {
        "quiet_enabled": True,
        "quiet_start": (local - timedelta(hours=1)).strftime("%H:%M"),
        "quiet_end": (local + timedelta(hours=1)).strftime("%H:%M"),
    }
    assert (await client.put(URL, json=body, headers=admin)).status_code == 200
    try:
        wid = (await post_wish(client, tokens, title="夜里想找人修水管"))["id"]
        assert (await act(client, tokens, DENGYUE_ADMIN, wid, "approve")).status_code == 200
        assert (await act(client, tokens, DENGYUE_VOLUNTEER, wid, "claim")).status_code == 200
        assert (await act(client, tokens, DENGYUE_VOLUNTEER, wid, "release")).status_code == 200
        again = await act(
            client, tokens, DENGYUE_PARTY_MEMBER, wid, "claim", {"kind": "party_member"}
        )
        assert again.status_code == 200, again.text
        async with backend.sessionmaker().begin() as session:
            rows = (
                await session.scalars(
                    select(Notification)
                    .where(
                        Notification.dedupe_key.startswith(f"wish:{wid}:"),
                        Notification.channel == "sms",
                    )
                    .order_by(Notification.id)
                )
            ).all()
            assert [r.template for r in rows] == [
                "wish.approved",
                "wish.claimed",
                "wish.released",
                "wish.claimed",
            ]
            assert [r.status for r in rows] == [OutboxStatus.superseded] * 3 + [
                OutboxStatus.pending
            ]
            # Morning.
            await session.execute(
                update(Notification)
                .where(Notification.id.in_([r.id for r in rows]))
                .values(next_attempt_at=utcnow())
            )
        sms = SmsInbox()
        await Dispatcher(backend.sessionmaker(), {"sms": sms}).drain()
        mine = [m for m in sms.sent if m.id in {r.id for r in rows}]
        assert [m.template for m in mine] == ["wish.claimed"]
        assert mine[0].params["claimant"] != "赵*" and "夜里想找人修水管" in mine[0].text
    finally:
        await _reset(backend)
