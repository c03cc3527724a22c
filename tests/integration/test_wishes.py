"""The micro-wish board end to end through the API, on both engines."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from server.db.base import utcnow
from server.grids.models import Building
from server.grids.points import lon_lat
from server.notify.models import Notification
from server.people.models import Resident, VolunteerHours
from server.wishes.models import Wish, WishEvent
from server.wishes.services import WishService
from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_CLERK,
    DENGYUE_GRID_WORKER,
    DENGYUE_PARTY_MEMBER,
    DENGYUE_RESIDENT,
    DENGYUE_VOLUNTEER,
    SYSTEM_ADMIN,
    YULAN_ADMIN,
    YULAN_RESIDENT,
    Backend,
)


async def as_(client, tokens, phone: str) -> dict[str, str]:
    return await tokens.get(client, phone)


async def post_wish(client, tokens, phone: str = DENGYUE_RESIDENT, **extra: Any) -> dict[str, Any]:
    body = {
        "title": "想请人帮忙换灯泡",
        "category": "repair",
        "description": "厨房的灯坏了",
        **extra,
    }
    r = await client.post("/api/v1/wishes", json=body, headers=await as_(client, tokens, phone))
    assert r.status_code == 201, r.text
    return r.json()


async def act(
    client, tokens, phone: str, wish_id: int, action: str, body: dict[str, Any] | None = None
):
    return await client.post(
        f"/api/v1/wishes/{wish_id}/{action}", json=body, headers=await as_(client, tokens, phone)
    )


async def outbox(backend: Backend, event_prefix: str) -> list[Notification]:
    async with backend.sessionmaker()() as session:
        rows = await session.scalars(
            select(Notification)
            .where(Notification.dedupe_key.startswith(event_prefix))
            .order_by(Notification.id)
        )
        return list(rows.all())


async def resident_id(backend: Backend, name: str) -> int:
    async with backend.sessionmaker()() as session:
        return int(await session.scalar(select(Resident.id).where(Resident.name == name)))


async def test_a_wish_from_post_to_thanks(client, tokens, backend: Backend) -> None:
    wish = await post_wish(client, tokens)
    wid = wish["id"]
    assert wish["state"] == "submitted" and wish["beneficiary"] == "孙桂兰"
    assert wish["community"] == "登月社区" and wish["grid"].startswith("登月社区")
    # Staff of the community hear there is something to review, by push.
    new = await outbox(backend, f"wish:{wid}:new")
    assert {n.channel for n in new} == {"push"} and len(new) == 2  # the admin and the window clerk

    # Not on the public board before approval.
    board = (await client.get(f"/api/v1/communities/{wish_code(wish)}/wishes")).json()
    assert wid not in [w["id"] for w in board]

    approved = await act(client, tokens, DENGYUE_CLERK, wid, "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"
    told = await outbox(backend, f"wish:{wid}:approved")
    assert {n.channel for n in told} == {"push", "sms"}  # the resident chose both

    board = (await client.get(f"/api/v1/communities/{wish_code(wish)}/wishes")).json()
    item = next(w for w in board if w["id"] == wid)
    assert item["beneficiary"].startswith("孙*") and "孙桂兰" not in str(board)

    claimed = await act(client, tokens, DENGYUE_VOLUNTEER, wid, "claim")
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["state"] == "claimed" and claimed.json()["claimant"] == "赵丽"
    second = await act(client, tokens, DENGYUE_PARTY_MEMBER, wid, "claim", {"kind": "party_member"})
    assert second.status_code == 409

    released = await act(client, tokens, DENGYUE_VOLUNTEER, wid, "release")
    assert released.json()["state"] == "approved"
    again = await act(client, tokens, DENGYUE_PARTY_MEMBER, wid, "claim", {"kind": "party_member"})
    assert again.status_code == 200 and again.json()["claimant_kind"] == "party_member"

    not_mine = await act(client, tokens, DENGYUE_VOLUNTEER, wid, "fulfil", {"note": "换好了"})
    assert not_mine.status_code in (403, 404)
    done = await act(
        client, tokens, DENGYUE_PARTY_MEMBER, wid, "fulfil", {"note": "换好了，顺便修了开关"}
    )
    assert done.json()["state"] == "fulfilled" and done.json()["proof_note"].startswith("换好了")

    assert (await act(client, tokens, DENGYUE_PARTY_MEMBER, wid, "confirm")).status_code == 403
    confirmed = await act(
        client, tokens, DENGYUE_RESIDENT, wid, "confirm", {"thanks": "谢谢小郑！有事打13912345678"}
    )
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert body["state"] == "confirmed" and body["thanks"].startswith("谢谢小郑！")
    assert [e["action"] for e in body["history"]] == [
        "post",
        "approve",
        "claim",
        "release",
        "claim",
        "fulfil",
        "confirm",
    ]

    async with backend.sessionmaker()() as session:
        hours = (
            await session.scalars(select(VolunteerHours).where(VolunteerHours.source_id == wid))
        ).all()
    assert len(hours) == 1 and float(hours[0].hours) == 1.0
    assert [n.channel for n in await outbox(backend, f"wish:{wid}:confirmed")] == ["push"]

    # A confirmed wish cannot be approved, claimed or confirmed again.
    for phone, action in (
        (DENGYUE_CLERK, "approve"),
        (DENGYUE_VOLUNTEER, "claim"),
        (DENGYUE_RESIDENT, "confirm"),
    ):
        r = await act(client, tokens, phone, wid, action)
        assert r.status_code == 409, (action, r.text)
        assert "已确认" in r.json()["detail"]
    # The thanks wall: what was done, the helper masked, the resident's words (phones masked).
    wall = (await client.get(f"/api/v1/communities/{wish_code(wish)}/thanks")).json()
    [mine] = [w for w in wall if w["id"] == wid]
    assert mine["thanks"] == "谢谢小郑！有事打139****5678"
    assert mine["helper"] == "郑**" and mine["helper_kind"] == "party_member"
    assert "孙" not in str(mine)  # the resident is not named

    # The office edits a personal detail out of the thank-you, then takes it off the wall;
    # the original words stay in the history. Texts of a confirmed wish stay as they are.
    admin = await as_(client, tokens, DENGYUE_ADMIN)
    staff_view = (await client.get(f"/api/v1/wishes/{wid}", headers=admin)).json()
    assert "edit_thanks" in staff_view["allowed_actions"]
    r = await client.patch(f"/api/v1/wishes/{wid}", json={"thanks": "谢谢小郑！"}, headers=admin)
    assert r.status_code == 200 and r.json()["thanks"] == "谢谢小郑！"
    assert r.json()["history"][-1]["note"] == "谢谢小郑！有事打13912345678"
    r = await client.patch(f"/api/v1/wishes/{wid}", json={"title": "改个标题"}, headers=admin)
    assert r.status_code == 409
    r = await client.patch(f"/api/v1/wishes/{wid}", json={}, headers=admin)
    assert r.status_code == 400 and r.json()["detail"] == "没有要修改的内容"
    r = await client.patch(
        f"/api/v1/wishes/{wid}",
        json={"thanks": ""},
        headers=await as_(client, tokens, DENGYUE_PARTY_MEMBER),
    )
    assert r.status_code in (403, 404)
    r = await client.patch(f"/api/v1/wishes/{wid}", json={"thanks": ""}, headers=admin)
    assert r.status_code == 200 and r.json()["thanks"] is None
    wall = (await client.get(f"/api/v1/communities/{wish_code(wish)}/thanks")).json()
    assert wid not in [w["id"] for w in wall]


def wish_code(wish: dict[str, Any]) -> str:
    return WISH_COMMUNITY_CODE


WISH_COMMUNITY_CODE = "410902001001"  # 登月社区 in the demo city


async def test_reject_with_a_reason_the_resident_sees(client, tokens, backend: Backend) -> None:
    wid = (await post_wish(client, tokens, title="电话13912345678找我"))["id"]
    r = await act(client, tokens, DENGYUE_ADMIN, wid, "reject", {"reason": "请不要在心愿里留电话"})
    assert r.json()["state"] == "rejected"
    mine = await client.get(
        f"/api/v1/wishes/{wid}", headers=await as_(client, tokens, DENGYUE_RESIDENT)
    )
    assert mine.json()["reject_reason"] == "请不要在心愿里留电话"
    [_push, sms] = sorted(await outbox(backend, f"wish:{wid}:rejected"), key=lambda n: n.channel)
    assert sms.params["reason"] == "请不要在心愿里留电话"


async def test_moderators_edit_out_personal_details_and_keep_the_original(client, tokens) -> None:
    wid = (await post_wish(client, tokens, description="我家住1单元101，电话13912345678"))["id"]
    r = await client.patch(
        f"/api/v1/wishes/{wid}",
        json={"description": "厨房灯坏了"},
        headers=await as_(client, tokens, DENGYUE_ADMIN),
    )
    assert r.status_code == 200
    assert r.json()["description"] == "厨房灯坏了"
    assert "13912345678" in r.json()["original_description"]
    resident_view = await client.get(
        f"/api/v1/wishes/{wid}", headers=await as_(client, tokens, DENGYUE_RESIDENT)
    )
    assert resident_view.json()["original_description"] is None  # staff only


async def test_grid_worker_posts_for_a_resident_with_consent(
    client, tokens, backend: Backend
) -> None:
    headers = await as_(client, tokens, DENGYUE_GRID_WORKER)
    zhou = await resident_id(backend, "周大爷")
    body = {"title": "想找人陪着去医院复查", "category": "health", "beneficiary_id": zhou}
    missing = await client.post("/api/v1/wishes", json=body, headers=headers)
    assert missing.status_code == 400
    r = await client.post(
        "/api/v1/wishes",
        json={**body, "consent_note": "周大爷电话同意，2026-11-28"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["on_behalf"] is True and r.json()["beneficiary"] == "周大爷"
    qian = await resident_id(backend, "钱小红")  # 玉兰花园社区: not this grid worker's
    r = await client.post(
        "/api/v1/wishes",
        json={**body, "beneficiary_id": qian, "consent_note": "x"},
        headers=headers,
    )
    assert r.status_code == 404


async def test_minors_are_never_shown_on_the_board(client, tokens, backend: Backend) -> None:
    xm = await resident_id(backend, "小明")
    wid = (
        await post_wish(
            client,
            tokens,
            DENGYUE_CLERK,
            title="想要一套课外书",
            category="study",
            beneficiary_id=xm,
            consent_note="监护人同意",
        )
    )["id"]
    await act(client, tokens, DENGYUE_ADMIN, wid, "approve")
    board = (await client.get(f"/api/v1/communities/{WISH_COMMUNITY_CODE}/wishes")).json()
    item = next(w for w in board if w["id"] == wid)
    assert item["beneficiary"] == "—" and "小明" not in str(board)
    volunteer_view = await act(client, tokens, DENGYUE_VOLUNTEER, wid, "claim")
    assert "小明" not in volunteer_view.text


async def test_withdraw_only_while_unclaimed(client, tokens) -> None:
    wid = (await post_wish(client, tokens))["id"]
    await act(client, tokens, DENGYUE_ADMIN, wid, "approve")
    r = await act(client, tokens, DENGYUE_RESIDENT, wid, "withdraw")
    assert r.json()["state"] == "withdrawn"
    assert (await act(client, tokens, DENGYUE_VOLUNTEER, wid, "claim")).status_code in (404, 409)
    wid2 = (await post_wish(client, tokens))["id"]
    await act(client, tokens, DENGYUE_ADMIN, wid2, "approve")
    await act(client, tokens, DENGYUE_VOLUNTEER, wid2, "claim")
    assert (await act(client, tokens, DENGYUE_RESIDENT, wid2, "withdraw")).status_code == 409


async def test_other_scopes_cannot_see_or_touch_a_wish(client, tokens) -> None:
    wid = (await post_wish(client, tokens))["id"]
    for phone in (YULAN_ADMIN, YULAN_RESIDENT):
        headers = await as_(client, tokens, phone)
        assert (await client.get(f"/api/v1/wishes/{wid}", headers=headers)).status_code == 404
        assert (await act(client, tokens, phone, wid, "approve")).status_code == 404
    assert (await client.get(f"/api/v1/wishes/{wid}")).status_code == 401
    # The grid worker of its grid sees it but does not moderate.
    assert (await act(client, tokens, DENGYUE_GRID_WORKER, wid, "approve")).status_code == 403
    # A user who is not a resident anywhere cannot post for themselves.
    r = await client.post(
        "/api/v1/wishes",
        json={"title": "测试心愿", "category": "other"},
        headers=await as_(client, tokens, SYSTEM_ADMIN),
    )
    assert r.status_code == 403
    queue = await client.get("/api/v1/wishes/queue", headers=await as_(client, tokens, YULAN_ADMIN))
    assert wid not in [w["id"] for w in queue.json()]
    queue = await client.get(
        "/api/v1/wishes/queue", headers=await as_(client, tokens, DENGYUE_ADMIN)
    )
    assert wid in [w["id"] for w in queue.json()]


async def test_a_residents_own_post_is_placed_where_they_live(client, tokens, backend) -> None:
    """A resident's post with no point of its own (on PostgreSQL one statement finds the
    home and writes the wish with its history) sits at their building, in its grid,
    community and sub-district; the answer, made from rows in hand, is what reading the
    wish back gives; one with a point of its own is placed by the point."""
    headers = await as_(client, tokens, DENGYUE_RESIDENT)
    wish = await post_wish(client, tokens)
    async with backend.sessionmaker()() as session:
        row = await session.get(Wish, wish["id"])
        assert row is not None
        resident = await session.get(Resident, row.beneficiary_id)
        assert resident is not None and resident.name == "孙桂兰"
        building = await session.get(Building, resident.building_id)
        assert building is not None
        history = (
            await session.scalars(select(WishEvent).where(WishEvent.wish_id == row.id))
        ).all()
    assert row.building_id == building.id and row.posted_by_user_id == resident.user_id
    assert (row.sub_district_id, row.community_id, row.grid_id) == (
        building.sub_district_id,
        building.community_id,
        building.grid_id,
    )
    assert lon_lat(row.location) == lon_lat(building.location)
    assert [(e.action, e.from_state, e.to_state, e.note) for e in history] == [
        ("post", None, "submitted", None)
    ]
    again = await client.get(f"/api/v1/wishes/{wish['id']}", headers=headers)
    assert again.status_code == 200 and again.json() == wish

    x, y = lon_lat(building.location)
    there = await post_wish(client, tokens, lon=x + 0.00001, lat=y + 0.00001)
    async with backend.sessionmaker()() as session:
        placed = await session.get(Wish, there["id"])
        assert placed is not None
    assert placed.building_id == building.id and placed.grid_id == building.grid_id
    assert lon_lat(placed.location) == (x + 0.00001, y + 0.00001)
    assert (await client.get(f"/api/v1/wishes/{there['id']}", headers=headers)).json() == there


async def test_fifty_simultaneous_claims_one_wins(client, tokens) -> None:
    wid = (await post_wish(client, tokens))["id"]
    await act(client, tokens, DENGYUE_ADMIN, wid, "approve")
    volunteer = await as_(client, tokens, DENGYUE_VOLUNTEER)
    party = await as_(client, tokens, DENGYUE_PARTY_MEMBER)

    async def claim(i: int):
        headers = volunteer if i % 2 else party
        body = {"kind": "volunteer"} if i % 2 else {"kind": "party_member"}
        return await client.post(f"/api/v1/wishes/{wid}/claim", json=body, headers=headers)

    results = await asyncio.gather(*(claim(i) for i in range(50)))
    codes = sorted(r.status_code for r in results)
    assert codes.count(200) == 1, codes
    assert set(codes) <= {200, 409}, codes
    view = await client.get(
        f"/api/v1/wishes/{wid}", headers=await as_(client, tokens, DENGYUE_ADMIN)
    )
    assert [e["action"] for e in view.json()["history"]].count("claim") == 1


async def test_expired_wishes_leave_the_board(client, tokens, backend: Backend) -> None:
    wid = (await post_wish(client, tokens))["id"]
    await act(client, tokens, DENGYUE_ADMIN, wid, "approve")
    async with backend.sessionmaker().begin() as session:
        await session.execute(
            update(Wish).where(Wish.id == wid).values(expires_at=utcnow() - timedelta(days=1))
        )
        assert await WishService(session).expire_due() >= 1
    view = await client.get(
        f"/api/v1/wishes/{wid}", headers=await as_(client, tokens, DENGYUE_RESIDENT)
    )
    assert view.json()["state"] == "expired"


async def test_statistics_of_a_community(client, tokens) -> None:
    r = await client.get(
        f"/api/v1/communities/{WISH_COMMUNITY_CODE}/wish-stats",
        headers=await as_(client, tokens, DENGYUE_ADMIN),
    )
    assert r.status_code == 200, r.text
    stats = r.json()
    assert stats["posted"] >= stats["approved"] >= 1
    assert stats["confirmed"] >= 1 and stats["median_hours_to_fulfil"] is not None
    assert stats["top_contributors"][0]["name"].endswith("*")
    other = await client.get(
        f"/api/v1/communities/{WISH_COMMUNITY_CODE}/wish-stats",
        headers=await as_(client, tokens, YULAN_ADMIN),
    )
    assert other.status_code == 404


async def test_a_replayed_action_with_the_version_it_saw_does_not_act_twice(client, tokens) -> None:
    wish = await post_wish(client, tokens)
    wid, version = wish["id"], wish["version"]
    first = await act(client, tokens, DENGYUE_ADMIN, wid, "approve", {"expected_version": version})
    assert first.status_code == 200 and first.json()["version"] == version + 1
    replay = await act(client, tokens, DENGYUE_ADMIN, wid, "approve", {"expected_version": version})
    assert replay.status_code == 409
    claim = await act(
        client, tokens, DENGYUE_VOLUNTEER, wid, "claim", {"expected_version": version}
    )
    assert claim.status_code == 409 and claim.json()["code"] == "stale"
    claim = await act(
        client, tokens, DENGYUE_VOLUNTEER, wid, "claim", {"expected_version": version + 1}
    )
    assert claim.status_code == 200


async def test_me_tells_the_community_and_party_membership(client, tokens) -> None:
    me = (await client.get("/api/v1/me", headers=await tokens.get(client, DENGYUE_RESIDENT))).json()
    assert me["community_code"] == WISH_COMMUNITY_CODE and me["community_name"] == "登月社区"
    assert me["party_member"] is False
    party = (
        await client.get("/api/v1/me", headers=await tokens.get(client, DENGYUE_PARTY_MEMBER))
    ).json()
    assert party["party_member"] is True and party["community_code"] == WISH_COMMUNITY_CODE
