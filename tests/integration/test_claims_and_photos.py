"""Who may do what to a wish (allowed actions, claim options), caring businesses, and who sees photos."""

from __future__ import annotations

from typing import Any

from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_CLERK,
    DENGYUE_PARTY_MEMBER,
    DENGYUE_RESIDENT,
    DENGYUE_VOLUNTEER,
    YULAN_ADMIN,
    YULAN_GRID_WORKER,
    YULAN_RESIDENT,
)
from tests.integration.test_wishes import act, as_, post_wish, resident_id
from tests.support.images import png

DENGYUE = "410902001001"


async def upload(client, tokens, phone: str, data: bytes | None = None) -> str:
    headers = {**await as_(client, tokens, phone), "Content-Type": "image/png"}
    r = await client.post("/api/v1/media", content=data or png(), headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["key"])


async def view(client, tokens, phone: str, wish_id: int) -> dict[str, Any]:
    r = await client.get(f"/api/v1/wishes/{wish_id}", headers=await as_(client, tokens, phone))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def me(client, tokens, phone: str) -> dict[str, Any]:
    return dict((await client.get("/api/v1/me", headers=await as_(client, tokens, phone))).json())


async def test_each_viewer_is_told_what_they_may_do_now(client, tokens) -> None:
    wish = await post_wish(client, tokens, title="想请人陪我去医院")
    wid = wish["id"]
    assert sorted(wish["allowed_actions"]) == ["withdraw"]  # the resident, while it waits
    assert sorted((await view(client, tokens, DENGYUE_ADMIN, wid))["allowed_actions"]) == [
        "approve",
        "edit",
        "reject",
        "withdraw",
    ]
    approved = (await act(client, tokens, DENGYUE_ADMIN, wid, "approve")).json()
    # (The office claims only for a caring business, when one is registered.)
    assert {"edit", "withdraw"} <= set(approved["allowed_actions"]) <= {"claim", "edit", "withdraw"}
    assert sorted((await view(client, tokens, DENGYUE_RESIDENT, wid))["allowed_actions"]) == [
        "withdraw"
    ]  # never "claim" one's own wish
    claimed = (await act(client, tokens, DENGYUE_VOLUNTEER, wid, "claim")).json()
    assert sorted(claimed["allowed_actions"]) == ["address", "fulfil", "release"]
    assert (await view(client, tokens, DENGYUE_RESIDENT, wid))["allowed_actions"] == []
    assert (await view(client, tokens, DENGYUE_ADMIN, wid))["allowed_actions"] == ["release"]
    fulfilled = (
        await act(client, tokens, DENGYUE_VOLUNTEER, wid, "fulfil", {"note": "已陪同就诊"})
    ).json()
    assert fulfilled["allowed_actions"] == []
    assert (await view(client, tokens, DENGYUE_RESIDENT, wid))["allowed_actions"] == ["confirm"]
    # The rules the actions enforce and the list agree: what is not listed is refused.
    assert (await act(client, tokens, DENGYUE_VOLUNTEER, wid, "confirm")).status_code == 403


async def test_the_claimer_asks_where_to_go_and_it_is_audited(client, tokens) -> None:
    wid = (await post_wish(client, tokens, title="帮我搬一下米"))["id"]
    await act(client, tokens, DENGYUE_ADMIN, wid, "approve")
    claimed = (await act(client, tokens, DENGYUE_VOLUNTEER, wid, "claim")).json()
    assert claimed["building"] is not None and "1单元101" not in str(claimed)  # no door in views

    def ask(phone: str):
        return as_(client, tokens, phone)

    r = await client.post(f"/api/v1/wishes/{wid}/address", headers=await ask(DENGYUE_VOLUNTEER))
    assert r.status_code == 200, r.text
    assert r.json()["building"] == claimed["building"] and r.json()["unit"] == "1单元101"
    audit = await client.get(
        "/api/v1/audit",
        params={"action": "wish.address"},
        headers=await ask(DENGYUE_ADMIN),
    )
    assert [e["object_id"] for e in audit.json()][:1] == [str(wid)]
    # Staff who see the wish, and a volunteer of another community, are refused.
    for phone, status in ((DENGYUE_ADMIN, 403), (YULAN_ADMIN, 404), (DENGYUE_PARTY_MEMBER, 404)):
        r = await client.post(f"/api/v1/wishes/{wid}/address", headers=await ask(phone))
        assert r.status_code == status, (phone, r.text)
        assert "1单元101" not in r.text
    # Once it is done, the claimer no longer needs the door.
    await act(client, tokens, DENGYUE_VOLUNTEER, wid, "fulfil", {"note": "搬好了"})
    r = await client.post(f"/api/v1/wishes/{wid}/address", headers=await ask(DENGYUE_VOLUNTEER))
    assert r.status_code == 409


async def test_claiming_for_a_service_group_of_the_community(client, tokens) -> None:
    admin = await as_(client, tokens, DENGYUE_ADMIN)
    groups = (await client.get("/api/v1/service-groups", headers=admin)).json()
    assert groups, "the demo city has a service group per grid"
    group = groups[0]
    party_member = await me(client, tokens, DENGYUE_PARTY_MEMBER)
    r = await client.post(
        f"/api/v1/service-groups/{group['id']}/members",
        json={"user_id": party_member["id"], "trade": "teacher"},
        headers=admin,
    )
    assert r.status_code == 200, r.text

    options = (
        await client.get(
            f"/api/v1/communities/{DENGYUE}/claim-options",
            headers=await as_(client, tokens, DENGYUE_PARTY_MEMBER),
        )
    ).json()
    assert "service_group" in options["kinds"] and "party_member" in options["kinds"]
    assert group["id"] in [g["id"] for g in options["service_groups"]]
    bystander = (
        await client.get(
            f"/api/v1/communities/{DENGYUE}/claim-options",
            headers=await as_(client, tokens, YULAN_RESIDENT),
        )
    ).json()
    assert bystander == {"kinds": [], "service_groups": [], "businesses": []}

    wid = (await post_wish(client, tokens, title="想请人辅导孩子功课"))["id"]
    await act(client, tokens, DENGYUE_ADMIN, wid, "approve")
    missing = await act(
        client, tokens, DENGYUE_PARTY_MEMBER, wid, "claim", {"kind": "service_group"}
    )
    assert missing.status_code == 400 and "服务组" in missing.json()["detail"]
    outsider = await act(
        client,
        tokens,
        YULAN_GRID_WORKER,
        wid,
        "claim",
        {"kind": "service_group", "service_group_id": group["id"]},
    )
    assert outsider.status_code == 403
    ok = await act(
        client,
        tokens,
        DENGYUE_PARTY_MEMBER,
        wid,
        "claim",
        {"kind": "service_group", "service_group_id": group["id"]},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["claimant_kind"] == "service_group"


async def test_caring_businesses_are_registered_by_the_office_and_claim_through_their_contact(
    client, tokens
) -> None:
    admin = await as_(client, tokens, DENGYUE_ADMIN)
    assert (await client.get(f"/api/v1/communities/{DENGYUE}/storefronts")).status_code == 401
    stores = (await client.get(f"/api/v1/communities/{DENGYUE}/storefronts", headers=admin)).json()
    free = [s for s in stores if not s["caring"]]
    assert free, "the demo community has storefronts"
    code = free[0]["code"]
    # Another community's office cannot touch it; an unknown contact is refused in words.
    yulan = await as_(client, tokens, YULAN_ADMIN)
    r = await client.put(f"/api/v1/storefronts/{code}/caring", json={}, headers=yulan)
    assert r.status_code == 404
    r = await client.put(
        f"/api/v1/storefronts/{code}/caring", json={"contact_phone": "13912345678"}, headers=admin
    )
    assert r.status_code == 404 and "手机号" in r.json()["detail"]
    r = await client.put(
        f"/api/v1/storefronts/{code}/caring",
        json={"offer": "每月为独居老人免费理发", "contact_phone": DENGYUE_VOLUNTEER},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert r.json()["caring"] is True and r.json()["contact"].endswith("*")
    public = (await client.get(f"/api/v1/communities/{DENGYUE}/businesses")).json()
    mine = next(b for b in public if b["code"] == code)
    assert mine["offer"] == "每月为独居老人免费理发" and mine["contact"] is None

    options = (
        await client.get(
            f"/api/v1/communities/{DENGYUE}/claim-options",
            headers=await as_(client, tokens, DENGYUE_VOLUNTEER),
        )
    ).json()
    assert "business" in options["kinds"]
    assert code in [b["code"] for b in options["businesses"]]

    wid = (await post_wish(client, tokens, title="想理个发"))["id"]
    await act(client, tokens, DENGYUE_ADMIN, wid, "approve")
    not_contact = await act(
        client,
        tokens,
        DENGYUE_PARTY_MEMBER,
        wid,
        "claim",
        {"kind": "business", "storefront_code": code},
    )
    assert not_contact.status_code == 403
    ok = await act(
        client,
        tokens,
        DENGYUE_VOLUNTEER,
        wid,
        "claim",
        {"kind": "business", "storefront_code": code},
    )
    assert ok.status_code == 200 and ok.json()["claimant_kind"] == "business"

    # The window clerk records a claim the business phoned in.
    wid2 = (await post_wish(client, tokens, title="想修剪一下头发"))["id"]
    await act(client, tokens, DENGYUE_ADMIN, wid2, "approve")
    clerk = await act(
        client, tokens, DENGYUE_CLERK, wid2, "claim", {"kind": "business", "storefront_code": code}
    )
    assert clerk.status_code == 200, clerk.text

    # Stepping back: no longer listed, no longer claimable.
    r = await client.put(
        f"/api/v1/storefronts/{code}/caring", json={"active": False}, headers=admin
    )
    assert r.status_code == 200 and r.json()["caring"] is False
    public = (await client.get(f"/api/v1/communities/{DENGYUE}/businesses")).json()
    assert code not in [b["code"] for b in public]


async def test_photos_are_seen_by_those_who_may_see_their_wish(client, tokens) -> None:
    key = await upload(client, tokens, DENGYUE_RESIDENT)
    wid = (await post_wish(client, tokens, title="想请人修自行车", photo=key))["id"]
    public = f"/api/v1/media/public/{key}"
    private = f"/api/v1/media/{key}"
    volunteer = await as_(client, tokens, DENGYUE_VOLUNTEER)
    # Waiting for review: the poster and the office, nobody else.
    assert (await client.get(public)).status_code == 404
    assert (await client.get(private, headers=volunteer)).status_code == 404
    assert (
        await client.get(private, headers=await as_(client, tokens, DENGYUE_ADMIN))
    ).status_code == 200
    assert (
        await client.get(private, headers=await as_(client, tokens, YULAN_ADMIN))
    ).status_code == 404
    # On the board: anyone.
    await act(client, tokens, DENGYUE_ADMIN, wid, "approve")
    r = await client.get(public)
    assert r.status_code == 200 and r.headers["cache-control"].startswith("public")
    assert (await client.get(private, headers=volunteer)).status_code == 200
    # Claimed: off the board again; the claimant still sees it.
    await act(client, tokens, DENGYUE_VOLUNTEER, wid, "claim")
    assert (await client.get(public)).status_code == 404
    assert (await client.get(private, headers=volunteer)).status_code == 200
    proof = await upload(client, tokens, DENGYUE_VOLUNTEER)
    r = await act(
        client, tokens, DENGYUE_VOLUNTEER, wid, "fulfil", {"note": "车修好了", "photo": proof}
    )
    assert r.status_code == 200, r.text
    resident = await as_(client, tokens, DENGYUE_RESIDENT)
    assert (await client.get(f"/api/v1/media/{proof}", headers=resident)).status_code == 200
    other = await as_(client, tokens, DENGYUE_PARTY_MEMBER)
    assert (await client.get(f"/api/v1/media/{proof}", headers=other)).status_code == 404
    assert (await client.get(f"/api/v1/media/public/{proof}")).status_code == 404


async def test_a_minors_photo_is_never_public(client, tokens, backend) -> None:
    child = await resident_id(backend, "小明")
    key = await upload(client, tokens, DENGYUE_ADMIN)
    wish = await post_wish(
        client,
        tokens,
        DENGYUE_ADMIN,
        title="想要一套课外读物",
        photo=key,
        beneficiary_id=child,
        consent_note="监护人当面同意",
    )
    await act(client, tokens, DENGYUE_ADMIN, wish["id"], "approve")
    board = (await client.get(f"/api/v1/communities/{DENGYUE}/wishes")).json()
    item = next(i for i in board if i["id"] == wish["id"])
    assert item["photo"] is None and item["beneficiary"] == "—"
    assert (await client.get(f"/api/v1/media/public/{key}")).status_code == 404
