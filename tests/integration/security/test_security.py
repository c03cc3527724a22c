"""The holes found by trying every account against every scope, each closed and kept closed.

Changes to people (roles, profiles, passwords, imports) reach only people the caller
outranks in their area; volunteers and party members claim only in the communities they
serve; bad bodies are 4xx; a photo is attached only by whoever uploaded it.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import func, select

from server.accounts.models import Role, RoleAssignment
from server.accounts.schemas import RoleGrant, UserCreate
from server.accounts.services import AccountService
from server.grids.models import Building, Community, Grid
from server.notify.models import Notification
from server.people.models import PartyMember, PartyMemberKind
from tests.conftest import (
    DEMO_PASSWORD,
    DENGYUE_ADMIN,
    DENGYUE_CLERK,
    DENGYUE_GRID_WORKER,
    DENGYUE_PARTY_MEMBER,
    DENGYUE_RESIDENT,
    DENGYUE_VOLUNTEER,
    SUBDISTRICT_ADMIN,
    SYSTEM_ADMIN,
    YULAN_ADMIN,
    YULAN_CLERK,
    YULAN_GRID_WORKER,
    YULAN_RESIDENT,
    YULAN_VOLUNTEER,
    Backend,
)
from tests.integration.test_claims_and_photos import upload
from tests.integration.test_scope import user_id
from tests.integration.test_wishes import act, as_, post_wish
from tests.support.images import png

DENGYUE = "410902001001"
YULAN = "410902002001"
_phones = itertools.count(13500070000)


async def first_building(backend: Backend, community: str) -> Building:
    """The first building of the community's first grid (where the demo residents live)."""
    async with backend.sessionmaker()() as session:
        grid = await session.scalar(
            select(Grid)
            .join(Community, Community.id == Grid.community_id)
            .where(Community.code == community)
            .order_by(Grid.code)
            .limit(1)
        )
        assert grid is not None
        building = await session.scalar(
            select(Building).where(Building.grid_id == grid.id).order_by(Building.code).limit(1)
        )
        assert building is not None
        return building


async def person(
    backend: Backend, *roles: tuple[Role, str | None], home: str | None = None
) -> tuple[int, str]:
    """A person made by the operator (no API limits), with roles and a home; (id, phone)."""
    phone = str(next(_phones))
    async with backend.sessionmaker().begin() as session:
        user = await AccountService(session).create_user(
            None,
            UserCreate(
                phone=phone,
                name="测试人员",
                password=DEMO_PASSWORD,
                roles=[RoleGrant(role=r, scope_code=code) for r, code in roles],
                home_building_code=home,
            ),
        )
    return user.id, phone


async def role_count(backend: Backend) -> int:
    async with backend.sessionmaker()() as session:
        return int(await session.scalar(select(func.count()).select_from(RoleAssignment)))


def volunteer_sheet(*rows: tuple[str, str, str]) -> bytes:
    lines = ["姓名,手机,技能,社区编码,党员", *(f"{n},{p},厨师,{c}," for n, p, c in rows)]
    return "\r\n".join(lines).encode("utf-8-sig")


# --- account takeover through a volunteer import ------------------------------------------


async def test_a_volunteer_import_never_reaches_staff_or_people_of_another_area(
    client, tokens, backend: Backend
) -> None:
    """The attack: a community admin imports a sheet holding a system administrator's
    phone, so the person becomes hers to see and to give a one-time password."""
    yulan = await tokens.get(client, YULAN_ADMIN)
    dengyue_volunteer = await user_id(backend, DENGYUE_VOLUNTEER)
    before = await role_count(backend)
    for phone in (
        SYSTEM_ADMIN,  # the whole city
        DENGYUE_ADMIN,  # another community's admin
        SUBDISTRICT_ADMIN,
        YULAN_GRID_WORKER,  # staff of her own community: never touched by an import
        YULAN_CLERK,
        DENGYUE_VOLUNTEER,  # a volunteer of another community
    ):
        sheet = volunteer_sheet(("新来的", str(next(_phones)), YULAN), ("冒名", phone, YULAN))
        r = await client.post(
            "/api/v1/volunteers/import",
            content=sheet,
            headers={**yulan, "Content-Type": "text/csv"},
        )
        assert r.status_code == 422, (phone, r.text)
        [rejected] = r.json()["rejected"]
        assert rejected["row"] == 3 and rejected["column"] == "手机", rejected
        assert rejected["reason"] == "“手机”列：该手机号属于您无权修改的账户"
        assert r.json()["created"] == 0  # all rows or none
    assert await role_count(backend) == before
    # Still not hers to see, so still no one-time password.
    for phone in (SYSTEM_ADMIN, DENGYUE_ADMIN):
        target = await user_id(backend, phone)
        for path in (f"/api/v1/users/{target}", f"/api/v1/users/{target}/temporary-password"):
            method = client.get if path.endswith(str(target)) else client.post
            assert (await method(path, headers=yulan)).status_code == 404
    assert (
        await client.post(f"/api/v1/users/{dengyue_volunteer}/temporary-password", headers=yulan)
    ).status_code == 404

    # What an import is for still works: new people, and a resident of her own area.
    resident = await user_id(backend, YULAN_RESIDENT)
    sheet = volunteer_sheet(
        ("新志愿者", str(next(_phones)), YULAN), ("钱小红", YULAN_RESIDENT, YULAN)
    )
    r = await client.post(
        "/api/v1/volunteers/import", content=sheet, headers={**yulan, "Content-Type": "text/csv"}
    )
    assert r.status_code == 200 and r.json()["created"] == 1 and r.json()["updated"] == 1, r.text
    volunteers = (await client.get("/api/v1/volunteers", headers=yulan)).json()
    assert resident in [v["user_id"] for v in volunteers]


# --- escalation through one-time passwords and other changes to people -----------------


@pytest.mark.parametrize(
    ("caller", "target_roles", "status"),
    [
        # The escalations found: each caller and a target of higher or equal rank.
        (DENGYUE_CLERK, [(Role.community_admin, DENGYUE)], 403),
        (DENGYUE_GRID_WORKER, [(Role.community_admin, DENGYUE)], 403),
        (DENGYUE_GRID_WORKER, [(Role.system_admin, None)], 403),
        (DENGYUE_ADMIN, [(Role.subdistrict_admin, "410902001")], 403),
        (DENGYUE_ADMIN, [(Role.community_admin, DENGYUE)], 403),  # a peer
        (SUBDISTRICT_ADMIN, [(Role.system_admin, None)], 403),
        (DENGYUE_CLERK, [(Role.community_staff, DENGYUE)], 403),  # a peer
        (DENGYUE_GRID_WORKER, [(Role.volunteer, DENGYUE)], 403),  # seen at home, role above him
        # A role held in another area is not the caller's to outrank.
        (DENGYUE_ADMIN, [(Role.volunteer, YULAN)], 403),
        # What stays allowed: a lower rank, wholly inside the caller's area.
        (DENGYUE_GRID_WORKER, [], 200),
        (DENGYUE_CLERK, [(Role.volunteer, DENGYUE)], 200),
        (DENGYUE_ADMIN, [(Role.community_staff, DENGYUE)], 200),
        (SUBDISTRICT_ADMIN, [(Role.community_admin, DENGYUE)], 200),
        (SYSTEM_ADMIN, [(Role.subdistrict_admin, "410902001")], 200),
    ],
)
async def test_one_time_passwords_only_for_people_the_caller_outranks(
    client, tokens, backend: Backend, caller: str, target_roles: list[Any], status: int
) -> None:
    home = (await first_building(backend, DENGYUE)).code  # in the grid worker's grid
    roles = [(Role.resident, None), *target_roles]
    target, phone = await person(backend, *roles, home=home)
    headers = await tokens.get(client, caller)
    r = await client.post(f"/api/v1/users/{target}/temporary-password", headers=headers)
    assert r.status_code == status, r.text
    login = await client.post(
        "/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD}
    )
    if status == 200:
        assert r.json()["password"] and login.status_code == 401  # the old password is gone
    else:
        assert "password" not in r.json() and login.status_code == 200  # nothing changed
        assert r.json()["detail"] == "您只能修改本辖区内职级低于您的人员的账户"


async def test_one_time_passwords_are_audited(client, tokens, backend: Backend) -> None:
    target, _ = await person(backend, (Role.volunteer, DENGYUE))
    admin = await tokens.get(client, DENGYUE_ADMIN)
    assert (
        await client.post(f"/api/v1/users/{target}/temporary-password", headers=admin)
    ).status_code == 200
    audit = (
        await client.get(
            "/api/v1/audit", params={"action": "user.temporary_password"}, headers=admin
        )
    ).json()
    assert str(target) in [e["object_id"] for e in audit]


async def test_a_residents_one_time_password_respects_rank_too(
    client, tokens, backend: Backend
) -> None:
    """The resident record of a community admin is in the grid worker's grid, her account is not."""
    home = (await first_building(backend, DENGYUE)).code
    admin_id, phone = await person(
        backend, (Role.resident, None), (Role.community_admin, DENGYUE), home=home
    )
    worker = await tokens.get(client, DENGYUE_GRID_WORKER)
    r = await client.post(
        "/api/v1/residents",
        headers=worker,
        json={"name": "王主任", "phone": phone, "building_code": home},
    )
    assert r.status_code == 201, r.text
    async with backend.sessionmaker().begin() as session:
        from server.people.models import Resident

        record = await session.get(Resident, r.json()["id"])
        assert record is not None
        record.user_id = admin_id
    path = f"/api/v1/residents/{r.json()['id']}/temporary-password"
    assert (await client.post(path, headers=worker)).status_code == 403


@pytest.mark.parametrize(
    ("caller", "role", "code", "status"),
    [
        (DENGYUE_ADMIN, Role.community_admin, DENGYUE, 403),  # not as high as her own
        (DENGYUE_ADMIN, Role.subdistrict_admin, "410902001", 403),
        (DENGYUE_ADMIN, Role.community_staff, YULAN, 403),  # not outside her area
        (SUBDISTRICT_ADMIN, Role.system_admin, None, 403),
        (SYSTEM_ADMIN, Role.system_admin, None, 403),  # only the operator's CLI
        (DENGYUE_CLERK, Role.volunteer, DENGYUE, 403),  # staff register residents only
        (DENGYUE_ADMIN, Role.community_staff, DENGYUE, 201),
        (SUBDISTRICT_ADMIN, Role.community_admin, DENGYUE, 201),
    ],
)
async def test_roles_are_granted_only_below_the_granters_own(
    client, tokens, caller: str, role: Role, code: str | None, status: int
) -> None:
    body = {
        "phone": str(next(_phones)),
        "name": "新同事",
        "password": "long-enough-password",
        "roles": [{"role": role.value, **({"scope_code": code} if code else {})}],
    }
    r = await client.post("/api/v1/users", json=body, headers=await tokens.get(client, caller))
    assert r.status_code == status, r.text


async def test_volunteer_profiles_and_party_membership_only_of_people_outranked(
    client, tokens, backend: Backend
) -> None:
    staff_volunteer, _ = await person(
        backend, (Role.volunteer, DENGYUE), (Role.community_admin, DENGYUE)
    )
    two_places, _ = await person(backend, (Role.volunteer, DENGYUE), (Role.volunteer, YULAN))
    plain, _ = await person(backend, (Role.volunteer, DENGYUE))
    clerk = await tokens.get(client, DENGYUE_CLERK)
    admin = await tokens.get(client, DENGYUE_ADMIN)
    # The lists say whom the caller may change, by the same rule the changes enforce.
    for headers, expected in (
        (clerk, {staff_volunteer: False, two_places: False, plain: True}),
        (admin, {staff_volunteer: False, two_places: False, plain: True}),
    ):
        listed = (await client.get("/api/v1/volunteers", headers=headers)).json()
        manageable = {v["user_id"]: v["manageable"] for v in listed if v["user_id"] in expected}
        assert manageable == expected
    profile = {"trades": ["cook"], "availability": []}
    party = {"kind": "retired"}
    for headers, target, status in (
        (clerk, staff_volunteer, 403),
        (admin, staff_volunteer, 403),
        (admin, two_places, 403),
        (await tokens.get(client, YULAN_ADMIN), plain, 404),
        (await tokens.get(client, DENGYUE_VOLUNTEER), plain, 404),  # not hers to see
        (clerk, plain, 200),
    ):
        for path, body in (
            (f"/api/v1/volunteers/{target}/profile", profile),
            (f"/api/v1/volunteers/{target}/party-member", party),
        ):
            r = await client.put(path, json=body, headers=headers)
            assert r.status_code == status, (path, r.text)
    for action in ("volunteer.profile", "party_member.set"):
        audit = await client.get("/api/v1/audit", params={"action": action}, headers=admin)
        assert str(plain) in [e["object_id"] for e in audit.json()], action


# --- cross-community claims ----------------------------------------------------------------


async def approved_wish(client, tokens, title: str) -> dict[str, Any]:
    wish = await post_wish(client, tokens, title=title)
    r = await act(client, tokens, DENGYUE_ADMIN, wish["id"], "approve")
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_volunteers_claim_only_in_the_communities_they_serve(
    client, tokens, backend: Backend
) -> None:
    wish = await approved_wish(client, tokens, "想请人帮忙修水龙头")
    foreign = await as_(client, tokens, YULAN_VOLUNTEER)
    options = await client.get(f"/api/v1/communities/{DENGYUE}/claim-options", headers=foreign)
    assert options.status_code == 200 and options.json()["kinds"] == []
    own = await client.get(f"/api/v1/communities/{YULAN}/claim-options", headers=foreign)
    assert own.json()["kinds"] == ["volunteer"]
    r = await act(client, tokens, YULAN_VOLUNTEER, wish["id"], "claim", {"kind": "volunteer"})
    assert r.status_code == 403, r.text
    assert r.json()["detail"] == "只有本社区的志愿者才能认领本社区的心愿"
    for secret in ("孙桂兰", "登月小区", str(wish["lon"])):
        assert secret not in r.text
    # Nothing reached the resident: no "claimed by 郭**" text, no release afterwards.
    async with backend.sessionmaker()() as session:
        told = await session.scalars(
            select(Notification.dedupe_key).where(
                Notification.dedupe_key.startswith(f"wish:{wish['id']}:claimed")
            )
        )
        assert told.all() == []
    # The same wish, seen by her, offers no claim; a volunteer of 登月 still claims it.
    assert "claim" not in (
        await client.get(f"/api/v1/wishes/{wish['id']}", headers=foreign)
    ).json().get("allowed_actions", [])
    mine = await act(client, tokens, DENGYUE_VOLUNTEER, wish["id"], "claim", {"kind": "volunteer"})
    assert mine.status_code == 200, mine.text


async def test_party_members_claim_where_they_reported_volunteer_or_live(
    client, tokens, backend: Backend
) -> None:
    member = await as_(client, tokens, DENGYUE_PARTY_MEMBER)  # reported to 登月, volunteers there
    kinds = (await client.get(f"/api/v1/communities/{YULAN}/claim-options", headers=member)).json()[
        "kinds"
    ]
    assert kinds == []
    # A retired member living in 玉兰 (no volunteer role) serves 玉兰, not 登月.
    home = (await first_building(backend, YULAN)).code
    retired, phone = await person(backend, (Role.resident, None), home=home)
    async with backend.sessionmaker().begin() as session:
        session.add(PartyMember(user_id=retired, kind=PartyMemberKind.retired))
    r = await client.post("/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD})
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    for code, expected in ((YULAN, ["party_member"]), (DENGYUE, [])):
        r = await client.get(f"/api/v1/communities/{code}/claim-options", headers=headers)
        assert r.json()["kinds"] == expected, code
    wish = await approved_wish(client, tokens, "想请党员帮忙读报")
    r = await client.post(
        f"/api/v1/wishes/{wish['id']}/claim", json={"kind": "party_member"}, headers=headers
    )
    assert r.status_code == 403 and "孙桂兰" not in r.text, r.text


# --- bad bodies, status codes, photos ------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/wishes", "/api/v1/users"],
)
async def test_a_deeply_nested_body_is_a_400_not_a_500(client, tokens, path: str) -> None:
    headers = {**await tokens.get(client, DENGYUE_ADMIN), "Content-Type": "application/json"}
    for body in (b"[" * 1000, b'{"a":' * 1000):
        r = await client.post(path, content=body, headers=headers)
        assert r.status_code == 400, r.text
        assert r.json()["detail"] == "请求数据嵌套层级过深"


async def test_a_person_outside_ones_scope_is_404_for_everyone(client, tokens, backend) -> None:
    admin = await user_id(backend, DENGYUE_ADMIN)
    for phone in (DENGYUE_RESIDENT, DENGYUE_VOLUNTEER, YULAN_ADMIN, YULAN_CLERK):
        headers = await tokens.get(client, phone)
        for path in (f"/api/v1/users/{admin}", f"/api/v1/users/{2**31 - 1}"):
            r = await client.get(path, headers=headers)
            assert r.status_code == 404, (phone, r.text)
            assert "王秀英" not in r.text
    me = await user_id(backend, DENGYUE_RESIDENT)
    r = await client.get(f"/api/v1/users/{me}", headers=await tokens.get(client, DENGYUE_RESIDENT))
    assert r.status_code == 200 and r.json()["name"] == "孙桂兰"


async def test_only_a_photo_one_uploaded_is_attached(client, tokens) -> None:
    image = png(bytes((10, 200, 30)))
    theirs = await upload(client, tokens, DENGYUE_RESIDENT, image)
    # A key copied from another wish (or a board it left) does not re-open the photo.
    r = await client.post(
        "/api/v1/wishes",
        json={"title": "借照片", "category": "repair", "description": "x", "photo": theirs},
        headers=await as_(client, tokens, YULAN_RESIDENT),
    )
    assert r.status_code == 400 and r.json()["detail"] == "请附上您自己上传的照片", r.text
    # The same picture uploaded by her is hers to attach (a photo of its own).
    mine = await upload(client, tokens, YULAN_RESIDENT, image)
    assert mine != theirs
    ok = await post_wish(client, tokens, YULAN_RESIDENT, title="我的照片", photo=mine)
    assert ok["photo"] == mine
    # Proof of fulfilment too.
    wish = await approved_wish(client, tokens, "想请人帮忙贴春联")
    claimed = await act(
        client, tokens, DENGYUE_VOLUNTEER, wish["id"], "claim", {"kind": "volunteer"}
    )
    assert claimed.status_code == 200, claimed.text
    r = await act(
        client, tokens, DENGYUE_VOLUNTEER, wish["id"], "fulfil", {"note": "贴好了", "photo": theirs}
    )
    assert r.status_code == 400, r.text
    proof = await upload(client, tokens, DENGYUE_VOLUNTEER, image)
    r = await act(
        client, tokens, DENGYUE_VOLUNTEER, wish["id"], "fulfil", {"note": "贴好了", "photo": proof}
    )
    assert r.status_code == 200, r.text


async def test_a_caring_business_contact_is_someone_of_the_offices_own_area(client, tokens) -> None:
    """Naming a contact hands them the right to claim the community's wishes."""
    admin = await tokens.get(client, DENGYUE_ADMIN)
    stores = (await client.get(f"/api/v1/communities/{DENGYUE}/storefronts", headers=admin)).json()
    path = f"/api/v1/storefronts/{stores[-1]['code']}/caring"
    for phone in (YULAN_RESIDENT, YULAN_ADMIN, SYSTEM_ADMIN, "13999999999"):
        r = await client.put(path, json={"offer": "义剪", "contact_phone": phone}, headers=admin)
        assert r.status_code == 404, r.text
        assert r.json()["detail"] == "您的辖区内没有使用该手机号的账户，请先将此人登记为志愿者"
    r = await client.put(
        path, json={"offer": "义剪", "contact_phone": DENGYUE_VOLUNTEER}, headers=admin
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("phone", "kinds"),
    [
        (SYSTEM_ADMIN, ["business"]),  # the office records a claim a business phoned in
        (SUBDISTRICT_ADMIN, ["business"]),
        (DENGYUE_ADMIN, ["business"]),
        (DENGYUE_CLERK, ["service_group", "business"]),  # she leads the service groups
        (DENGYUE_GRID_WORKER, []),
        (DENGYUE_VOLUNTEER, ["volunteer", "service_group", "business"]),  # the shop's contact
        (DENGYUE_PARTY_MEMBER, ["volunteer", "party_member"]),
        (DENGYUE_RESIDENT, []),
        (YULAN_ADMIN, []),
        (YULAN_CLERK, []),
        (YULAN_GRID_WORKER, []),
        (YULAN_VOLUNTEER, []),
        (YULAN_RESIDENT, []),
    ],
)
async def test_claim_options_of_every_account_in_a_community(
    client, tokens, phone: str, kinds: list[str]
) -> None:
    """Who may claim 登月社区's wishes, and in whose name: every demo account."""
    r = await client.get(
        f"/api/v1/communities/{DENGYUE}/claim-options", headers=await tokens.get(client, phone)
    )
    assert r.status_code == 200 and r.json()["kinds"] == kinds, r.text
    if not kinds:
        assert r.json()["service_groups"] == [] and r.json()["businesses"] == []
