"""Every operation on every kind of object, by every demo account, on both engines.

The objects live in 登月社区. Each account is either allowed (the answer is 2xx, and for
the first allowed account of an unsafe operation the change really happened) or refused:
404 when the object is outside what the account may see, 403 when it may see it but not
do this. A refusal carries none of the object's personal data, and every answer's status
is one the OpenAPI document lists for that operation. Foreign accounts that may use a list
(玉兰花园社区's staff) see nothing of 登月社区 in it.

``test_every_operation_is_in_the_matrix`` keeps the matrix whole: an operation added to the
API without a row here (or a reason it has none) fails the suite.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import select

from server.accounts.models import Role, User
from server.db.base import utcnow
from server.grids.models import Building, Community, Grid, SubDistrict
from server.people.models import Resident
from server.visits.models import Visit, VisitReport, VisitState, VisitWindow
from tests.conftest import (
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
from tests.integration.security.test_security import DENGYUE, first_building, person
from tests.support.images import png

ACCOUNTS: dict[str, str] = {
    "system_admin": SYSTEM_ADMIN,
    "subdistrict_admin": SUBDISTRICT_ADMIN,  # 中原路街道, above 登月社区
    "dengyue_admin": DENGYUE_ADMIN,
    "dengyue_clerk": DENGYUE_CLERK,
    "dengyue_worker": DENGYUE_GRID_WORKER,  # the grid the objects are in
    "dengyue_volunteer": DENGYUE_VOLUNTEER,
    "dengyue_party": DENGYUE_PARTY_MEMBER,
    "dengyue_resident": DENGYUE_RESIDENT,  # the beneficiary of the wishes
    "yulan_admin": YULAN_ADMIN,
    "yulan_clerk": YULAN_CLERK,
    "yulan_worker": YULAN_GRID_WORKER,
    "yulan_volunteer": YULAN_VOLUNTEER,
    "yulan_resident": YULAN_RESIDENT,
}
ALL = frozenset(ACCOUNTS)
FOREIGN = frozenset(a for a in ALL if a.startswith("yulan"))
FOREIGN_STAFF = frozenset({"yulan_admin", "yulan_clerk", "yulan_worker"})
OFFICE = frozenset({"system_admin", "subdistrict_admin", "dengyue_admin", "dengyue_clerk"})
ADMINS = frozenset({"system_admin", "subdistrict_admin", "dengyue_admin"})
STAFF = OFFICE | {"dengyue_worker"}
ALL_STAFF = STAFF | FOREIGN_STAFF
NOT_STAFF = frozenset(
    {
        "dengyue_volunteer",
        "dengyue_party",
        "dengyue_resident",
        "yulan_volunteer",
        "yulan_resident",
    }
)
_seq = itertools.count(1)
_phones = itertools.count(13500080000)


class World:
    """Fresh objects of 登月社区 for one call, made through the API as their owners would."""

    def __init__(self, client: Any, tokens: Any, backend: Backend) -> None:
        self.client, self.tokens, self.backend = client, tokens, backend
        self.secrets: list[str] = []

    async def as_(self, account: str) -> dict[str, str]:
        return dict(await self.tokens.get(self.client, ACCOUNTS[account]))

    async def call(self, account: str, method: str, path: str, **kw: Any) -> Any:
        r = await self.client.request(method, path, headers=await self.as_(account), **kw)
        assert r.is_success, (method, path, r.status_code, r.text)
        return r.json() if r.content else None

    async def wish(self, state: str = "submitted") -> dict[str, Any]:
        """A wish of 孙桂兰 (with her photo) in the given state."""
        photo = await self.photo("dengyue_resident")
        wish = await self.call(
            "dengyue_resident",
            "POST",
            "/api/v1/wishes",
            json={
                "title": f"矩阵心愿{next(_seq)}",
                "category": "repair",
                "description": "厨房的灯坏了",
                "photo": photo,
            },
        )
        steps = {
            "submitted": [],
            "approved": [("dengyue_admin", "approve", None)],
            "claimed": [("dengyue_admin", "approve", None), ("dengyue_volunteer", "claim", {})],
            "fulfilled": [
                ("dengyue_admin", "approve", None),
                ("dengyue_volunteer", "claim", {}),
                ("dengyue_volunteer", "fulfil", {"note": "修好了"}),
            ],
        }[state]
        for account, action, body in steps:
            wish = await self.call(
                account, "POST", f"/api/v1/wishes/{wish['id']}/{action}", json=body
            )
        self.secrets += ["孙桂兰", "13800000007", "1单元101", str(wish["lon"])]
        return dict(wish, photo_key=photo)

    async def case(self, state: str = "received", item: str = "stair_light") -> dict[str, Any]:
        """A case 孙桂兰 reported in her grid (the first of 登月社区), driven to ``state``."""
        text = f"矩阵诉求{next(_seq)}"
        case = await self.call(
            "dengyue_resident",
            "POST",
            "/api/v1/cases",
            json={"item": item, "description": text, "fields": {"floor": 2}},
        )
        worker = await self.user_id("dengyue_worker")
        steps = {
            "received": [],
            "accepted": [("dengyue_clerk", "accept", {})],
            "dispatched": [
                ("dengyue_clerk", "accept", {}),
                ("dengyue_clerk", "dispatch", {"assignee_id": worker}),
            ],
            "in_progress": [
                ("dengyue_clerk", "accept", {}),
                ("dengyue_clerk", "dispatch", {"assignee_id": worker}),
                ("dengyue_worker", "start", {}),
            ],
            "resolved": [
                ("dengyue_clerk", "accept", {}),
                ("dengyue_clerk", "dispatch", {"assignee_id": worker}),
                ("dengyue_worker", "start", {}),
                ("dengyue_worker", "resolve", {"note": "灯已更换"}),
            ],
            "closed": [
                ("dengyue_clerk", "accept", {}),
                ("dengyue_clerk", "dispatch", {"assignee_id": worker}),
                ("dengyue_worker", "start", {}),
                ("dengyue_worker", "resolve", {"note": "灯已更换"}),
                ("dengyue_worker", "close", {}),
            ],
            "unsatisfied": [
                ("dengyue_clerk", "accept", {}),
                ("dengyue_clerk", "dispatch", {"assignee_id": worker}),
                ("dengyue_worker", "start", {}),
                ("dengyue_worker", "resolve", {"note": "灯已更换"}),
                ("dengyue_worker", "close", {}),
                ("dengyue_resident", "callback", {"satisfaction": 3}),
            ],
            "extension": [
                ("dengyue_clerk", "accept", {}),
                ("dengyue_clerk", "dispatch", {"assignee_id": worker}),
                ("dengyue_worker", "request-extension", {"hours": 4, "reason": "等配件"}),
            ],
        }[state]
        for account, action, body in steps:
            case = await self.call(
                account, "POST", f"/api/v1/cases/{case['id']}/{action}", json=body
            )
        # Her phone whole and masked (138****0007: "0007" alone is in case numbers too).
        self.secrets += ["孙桂兰", "13800000007", "*0007", text]
        return dict(case)

    async def user_id(self, account: str) -> int:
        async with self.backend.sessionmaker()() as session:
            uid = await session.scalar(select(User.id).where(User.phone == ACCOUNTS[account]))
        assert uid is not None
        return int(uid)

    async def photo(self, account: str) -> str:
        r = await self.client.post(
            "/api/v1/media",
            content=png(),
            headers={**await self.as_(account), "Content-Type": "image/png"},
        )
        assert r.status_code == 201, r.text
        return str(r.json()["key"])

    async def resident(self) -> dict[str, Any]:
        """A resident the office registered in the first grid of 登月社区."""
        building = await first_building(self.backend, DENGYUE)
        name, phone = f"矩阵居民{next(_seq)}", str(next(_phones))
        r = await self.call(
            "dengyue_admin",
            "POST",
            "/api/v1/residents",
            json={
                "name": name,
                "phone": phone,
                "building_code": building.code,
                "id_number": "11010519491231002X",
            },
        )
        self.secrets += [name, phone, phone[-4:] + '"', "11010519491231002X"]
        return dict(r)

    async def visit(self) -> dict[str, Any]:
        """A visit of a fresh resident, planned today for the grid worker of her grid."""
        resident = await self.resident()
        today = date.today()
        async with self.backend.sessionmaker()() as session, session.begin():
            row = await session.get(Resident, resident["id"])
            worker = await session.scalar(
                select(User.id).where(User.phone == ACCOUNTS["dengyue_worker"])
            )
            visit = Visit(
                resident_id=resident["id"],
                due_by=today,
                state=VisitState.planned,
                person_user_id=worker,
                visit_date=today,
                window=VisitWindow.noon,
                position=1,
                **Visit.placed_in(row),
            )
            session.add(visit)
        return {"id": visit.id, "worker": worker}

    async def kept_report(self) -> dict[str, Any]:
        """A visit record kept for the office: the grid worker of the first grid recorded,
        on a phone offline, the visit of a fresh resident of another grid of 登月社区 that
        the plan names the admin for (the household reassigned meanwhile)."""
        async with self.backend.sessionmaker()() as session:
            building = await session.scalar(
                select(Building.code)
                .join(Grid, Grid.id == Building.grid_id)
                .join(Community, Community.id == Grid.community_id)
                .where(Community.code == DENGYUE)
                .order_by(Grid.code.desc(), Building.code)
                .limit(1)
            )
        name, phone = f"矩阵走访{next(_seq)}", str(next(_phones))
        made = await self.call(
            "dengyue_admin",
            "POST",
            "/api/v1/residents",
            json={"name": name, "phone": phone, "building_code": building},
        )
        async with self.backend.sessionmaker()() as session, session.begin():
            row = await session.get(Resident, made["id"])
            admin = await session.scalar(
                select(User.id).where(User.phone == ACCOUNTS["dengyue_admin"])
            )
            visit = Visit(
                resident_id=made["id"],
                source=f"matrix:{next(_seq)}",
                due_by=date(2020, 1, 1),
                state=VisitState.planned,
                person_user_id=admin,
                window=VisitWindow.noon,
                **Visit.placed_in(row),
            )
            session.add(visit)
        notes = f"矩阵走访所见{next(_seq)}"
        sync = await self.call(
            "dengyue_worker",
            "POST",
            "/api/v1/visits/records",
            json={
                "records": [
                    {
                        "ref": f"matrix{next(_seq):08d}",
                        "visit_id": visit.id,
                        "condition": "fair",
                        "visited_at": (utcnow() - timedelta(hours=1)).isoformat(),
                        "notes": notes,
                    }
                ]
            },
        )
        assert sync["results"][0]["outcome"] == "kept", sync
        async with self.backend.sessionmaker()() as session:
            report = await session.scalar(
                select(VisitReport.id).where(VisitReport.visit_id == visit.id)
            )
        self.secrets += [name, phone, notes]
        return {"id": report, "visit": visit.id, "code": DENGYUE}

    async def volunteer(self) -> int:
        """A volunteer of 登月社区 (no home, no other role)."""
        uid, phone = await person(self.backend, (Role.volunteer, DENGYUE))
        self.secrets += [phone]
        return uid

    async def group(self) -> int:
        groups = await self.call("dengyue_admin", "GET", "/api/v1/service-groups")
        return int(groups[0]["id"])

    async def org(self) -> int:
        name = f"矩阵志愿队{next(_seq)}"
        org = await self.call(
            "dengyue_admin",
            "POST",
            "/api/v1/volunteer-orgs",
            json={"name": name, "community_code": DENGYUE},
        )
        self.secrets.append(name)
        return int(org["id"])

    async def storefront(self) -> str:
        stores = await self.call(
            "dengyue_admin", "GET", f"/api/v1/communities/{DENGYUE}/storefronts"
        )
        return str(stores[-1]["code"])


Prepare = Callable[[World], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Op:
    method: str
    path: str  # formatted with what ``prepare`` returns
    allowed: frozenset[str]
    prepare: Prepare
    json: Callable[[dict[str, Any]], Any] | None = None
    content: Callable[[dict[str, Any]], tuple[bytes, str]] | None = None
    query: dict[str, str] = field(default_factory=dict)  # formatted like ``path``
    # Refused with 404 (cannot see the object); the other refusals are 403.
    hidden: frozenset[str] = frozenset()
    # Answers other than 2xx/403/404 that are the right refusal (e.g. 422 rows refused).
    status: dict[str, int] = field(default_factory=dict)
    # Lists: allowed accounts that must see none of the objects' personal data.
    blind: frozenset[str] = frozenset()
    # Secrets of a list that holds no fresh object (e.g. the demo residents).
    extra_secrets: tuple[str, ...] = ()

    @property
    def unsafe(self) -> bool:
        return self.method != "GET"


def wish_in(state: str) -> Prepare:
    async def make(w: World) -> dict[str, Any]:
        wish = await w.wish(state)
        return {"id": wish["id"], "key": wish["photo_key"]}

    return make


async def _nothing(w: World) -> dict[str, Any]:
    return {"code": DENGYUE}


def _monday() -> date:
    today = date.today()
    return today - timedelta(days=today.weekday())


async def _visit(w: World) -> dict[str, Any]:
    return await w.visit()


async def _week_with_visit(w: World) -> dict[str, Any]:
    """登月社区's week with a fresh resident's visit in it (a name refusals must not leak)."""
    return {**await w.visit(), "code": DENGYUE}


async def _resident(w: World) -> dict[str, Any]:
    return {"id": (await w.resident())["id"], "member": await _party_member(w)}


async def _kept_report(w: World) -> dict[str, Any]:
    return await w.kept_report()


async def _party_member(w: World) -> int:
    async with w.backend.sessionmaker()() as session:
        member = await session.scalar(
            select(User.id).where(User.phone == ACCOUNTS["dengyue_party"])
        )
    assert member is not None
    return int(member)


async def _pair(w: World) -> dict[str, Any]:
    made = await _resident(w)
    pair = await w.call(
        "dengyue_admin",
        "POST",
        "/api/v1/care-pairs",
        json={"member_user_id": made["member"], "resident_id": made["id"]},
    )
    return {"id": pair["id"]}


async def _volunteer(w: World) -> dict[str, Any]:
    return {"id": await w.volunteer()}


async def _group_and_volunteer(w: World) -> dict[str, Any]:
    return {"group": await w.group(), "user": await w.volunteer()}


async def _group_with_member(w: World) -> dict[str, Any]:
    group, user = await w.group(), await w.volunteer()
    await w.call(
        "dengyue_admin",
        "POST",
        f"/api/v1/service-groups/{group}/members",
        json={"user_id": user},
    )
    return {"group": group, "user": user}


async def _org_and_volunteer(w: World) -> dict[str, Any]:
    return {"org": await w.org(), "user": await w.volunteer()}


async def _org_with_member(w: World) -> dict[str, Any]:
    org, user = await w.org(), await w.volunteer()
    await w.call(
        "dengyue_admin", "POST", f"/api/v1/volunteer-orgs/{org}/members", json={"user_id": user}
    )
    return {"org": org, "user": user}


async def _storefront(w: World) -> dict[str, Any]:
    return {"code": await w.storefront()}


async def _building(w: World) -> dict[str, Any]:
    building = await first_building(w.backend, DENGYUE)
    return {"building": building.code, "phone": str(next(_phones)), "n": next(_seq)}


async def _wish_and_resident(w: World) -> dict[str, Any]:
    return {"resident": (await w.resident())["id"]}


def _resident_sheet(p: dict[str, Any]) -> tuple[bytes, str]:
    rows = [
        "姓名,手机,楼栋编码,单元,出生年份,关爱标签,身份证号,通知方式",
        f"导入居民{p['n']},{p['phone']},{p['building']},1单元,1950,,,",
    ]
    return "\r\n".join(rows).encode("utf-8-sig"), "text/csv"


def _volunteer_sheet(p: dict[str, Any]) -> tuple[bytes, str]:
    rows = ["姓名,手机,技能,社区编码,党员", f"导入志愿者{p['n']},{p['phone']},厨师,{DENGYUE},"]
    return "\r\n".join(rows).encode("utf-8-sig"), "text/csv"


# Who may see a wish of 孙桂兰 in the first grid of 登月社区: staff in scope and herself.
SEE_WISH = STAFF | {"dengyue_resident"}
# A claimed wish is also seen by its claimant.
SEE_CLAIMED = SEE_WISH | {"dengyue_volunteer"}
# Who may see a resident record: staff in scope (the grid worker of its grid included).
SEE_RESIDENT = STAFF
# Who may see a volunteer of 登月社区 (a role bound to the community, no home): the office.
SEE_VOLUNTEER = OFFICE

# --- the service catalogue (city-wide: every administrator writes it) ------------------------
CATALOGUE_ADMINS = ADMINS | {"yulan_admin"}


def _catalogue_item(code: str) -> dict[str, Any]:
    label = {"zh_Hans": "矩阵事项", "zh_Hant": "矩陣事項", "en": "Matrix item"}
    return {
        "code": code,
        "category": "sanitation",
        "names": label,
        "close_level": "grid",
        "deadline_hours": 8,
        "mode": "on_the_spot",
    }


async def _new_item_code(w: World) -> dict[str, Any]:
    return {"code": f"matrix_{next(_seq)}_{id(w)}"}


async def _catalogue_item_made(w: World) -> dict[str, Any]:
    code = (await _new_item_code(w))["code"]
    await w.call("dengyue_admin", "POST", "/api/v1/service-items", json=_catalogue_item(code))
    return {"code": code}


async def _dibao(w: World) -> dict[str, Any]:
    return {"code": "dibao"}


# --- Open311 api_keys (city-wide: a key takes cases in anywhere, so system admins only) ---------
async def _open311_key(w: World) -> dict[str, Any]:
    key = await w.call("system_admin", "POST", "/api/v1/open311-keys", json={"name": "矩阵密钥"})
    w.secrets.append(key["api_key"])
    return {"key_id": key["id"]}


# --- cases -----------------------------------------------------------------------------------
# Who sees a case 孙桂兰 reported in the first grid of 登月社区: staff in scope and herself.
SEE_CASE = STAFF | {"dengyue_resident"}


def case_in(state: str) -> Prepare:
    async def make(w: World) -> dict[str, Any]:
        case = await w.case(state)
        return {"id": case["id"], "worker": await w.user_id("dengyue_worker")}

    return make


async def _case_grid(w: World) -> dict[str, Any]:
    """The grid the case is transferred to: the second of 登月社区."""
    made = await case_in("received")(w)
    async with w.backend.sessionmaker()() as session:
        codes = (
            await session.scalars(
                select(Grid.code)
                .join(Community, Community.id == Grid.community_id)
                .where(Community.code == DENGYUE)
                .order_by(Grid.code)
            )
        ).all()
    return {**made, "grid": codes[1]}


async def _first_grid(w: World) -> dict[str, Any]:
    building = await first_building(w.backend, DENGYUE)
    async with w.backend.sessionmaker()() as session:
        code = await session.scalar(select(Grid.code).where(Grid.id == building.grid_id))
    w.secrets.append("矩阵新诉求")
    return {"grid": code}


async def _case_and_another(w: World) -> dict[str, Any]:
    made = await case_in("received")(w)
    return {**made, "into": (await w.case("accepted"))["id"]}


async def _with_code(prepare: Prepare, w: World) -> dict[str, Any]:
    return {**await prepare(w), "code": DENGYUE}


async def _first_grid_code(w: World) -> dict[str, Any]:
    return {"code": await _grid_code(w)}


async def _grid_code(w: World) -> str:
    building = await first_building(w.backend, DENGYUE)
    async with w.backend.sessionmaker()() as s:
        code = await s.scalar(select(Grid.code).where(Grid.id == building.grid_id))
    assert code is not None
    return code


async def _sub_district(w: World) -> dict[str, Any]:
    async with w.backend.sessionmaker()() as s:
        code = await s.scalar(
            select(SubDistrict.code)
            .join(Community, Community.sub_district_id == SubDistrict.id)
            .where(Community.code == DENGYUE)
        )
    assert code is not None
    return {"code": code}


async def _case_point(w: World) -> dict[str, Any]:
    case = await w.case("received")
    return {"lon": case["lon"], "lat": case["lat"]}


def case_op(action: str, state: str, allowed: frozenset[str], **body: Any) -> Op:
    return Op(
        "POST",
        f"/api/v1/cases/{{id}}/{action}",
        allowed,
        case_in(state),
        json=lambda p: {
            k: (p[v[1:]] if isinstance(v, str) and v.startswith("$") else v)
            for k, v in body.items()
        },
        hidden=ALL - SEE_CASE,
    )


OPS: dict[str, Op] = {
    # --- wishes -----------------------------------------------------------------------
    "GET /api/v1/wishes/{wish_id}": Op(
        "GET", "/api/v1/wishes/{id}", SEE_WISH, wish_in("submitted"), hidden=ALL - SEE_WISH
    ),
    "PATCH /api/v1/wishes/{wish_id}": Op(
        "PATCH",
        "/api/v1/wishes/{id}",
        OFFICE,
        wish_in("submitted"),
        json=lambda p: {"title": "改过的标题"},
        hidden=ALL - SEE_WISH,
    ),
    "POST /api/v1/wishes/{wish_id}/approve": Op(
        "POST", "/api/v1/wishes/{id}/approve", OFFICE, wish_in("submitted"), hidden=ALL - SEE_WISH
    ),
    "POST /api/v1/wishes/{wish_id}/reject": Op(
        "POST",
        "/api/v1/wishes/{id}/reject",
        OFFICE,
        wish_in("submitted"),
        json=lambda p: {"reason": "请到社区窗口办理"},
        hidden=ALL - SEE_WISH,
    ),
    "POST /api/v1/wishes/{wish_id}/withdraw": Op(
        "POST",
        "/api/v1/wishes/{id}/withdraw",
        OFFICE | {"dengyue_resident"},
        wish_in("submitted"),
        hidden=ALL - SEE_WISH,
    ),
    # An approved wish is on the public board: refusing to claim it is a 403 for everyone.
    "POST /api/v1/wishes/{wish_id}/claim": Op(
        "POST",
        "/api/v1/wishes/{id}/claim",
        frozenset({"dengyue_volunteer", "dengyue_party"}),
        wish_in("approved"),
        json=lambda p: {"kind": "volunteer"},
    ),
    "POST /api/v1/wishes/{wish_id}/release": Op(
        "POST",
        "/api/v1/wishes/{id}/release",
        OFFICE | {"dengyue_volunteer"},
        wish_in("claimed"),
        hidden=ALL - SEE_CLAIMED,
    ),
    "POST /api/v1/wishes/{wish_id}/fulfil": Op(
        "POST",
        "/api/v1/wishes/{id}/fulfil",
        frozenset({"dengyue_volunteer"}),
        wish_in("claimed"),
        json=lambda p: {"note": "修好了"},
        hidden=ALL - SEE_CLAIMED,
    ),
    # Where to go: the claimer only, even staff who see the wish are refused (403).
    "POST /api/v1/wishes/{wish_id}/address": Op(
        "POST",
        "/api/v1/wishes/{id}/address",
        frozenset({"dengyue_volunteer"}),
        wish_in("claimed"),
        hidden=ALL - SEE_CLAIMED,
    ),
    "POST /api/v1/wishes/{wish_id}/confirm": Op(
        "POST",
        "/api/v1/wishes/{id}/confirm",
        STAFF | {"dengyue_resident"},
        wish_in("fulfilled"),
        json=lambda p: {"thanks": "谢谢"},
        hidden=ALL - SEE_CLAIMED,
    ),
    "POST /api/v1/wishes": Op(  # on behalf of a resident of 登月社区
        "POST",
        "/api/v1/wishes",
        STAFF,
        _wish_and_resident,
        json=lambda p: {
            "title": "代发的心愿",
            "category": "repair",
            "description": "代居民发布",
            "beneficiary_id": p["resident"],
            "consent_note": "本人电话同意",
        },
        hidden=ALL - STAFF,
    ),
    "GET /api/v1/wishes/queue": Op(
        "GET",
        "/api/v1/wishes/queue",
        OFFICE | {"yulan_admin", "yulan_clerk"},
        wish_in("submitted"),
        blind=frozenset({"yulan_admin", "yulan_clerk"}),
    ),
    "GET /api/v1/media/{key}": Op(
        "GET", "/api/v1/media/{key}", SEE_WISH, wish_in("submitted"), hidden=ALL - SEE_WISH
    ),
    "GET /api/v1/communities/{code}/wish-stats": Op(
        "GET",
        "/api/v1/communities/{code}/wish-stats",
        OFFICE,
        _nothing,
        hidden=ALL - OFFICE,
    ),
    # --- residents --------------------------------------------------------------------
    "GET /api/v1/residents/{resident_id}": Op(
        "GET", "/api/v1/residents/{id}", SEE_RESIDENT, _resident, hidden=ALL - SEE_RESIDENT
    ),
    "PATCH /api/v1/residents/{resident_id}": Op(
        "PATCH",
        "/api/v1/residents/{id}",
        SEE_RESIDENT,
        _resident,
        json=lambda p: {"unit": "2单元202"},
        hidden=ALL - SEE_RESIDENT,
    ),
    "POST /api/v1/residents/{resident_id}/temporary-password": Op(
        "POST",
        "/api/v1/residents/{id}/temporary-password",
        SEE_RESIDENT,
        _resident,
        hidden=ALL - SEE_RESIDENT - NOT_STAFF,
    ),
    "POST /api/v1/residents/{resident_id}/reveal/{field}": Op(
        "POST",
        "/api/v1/residents/{id}/reveal/id_number",
        SEE_RESIDENT,
        _resident,
        hidden=ALL - SEE_RESIDENT - NOT_STAFF,
    ),
    "GET /api/v1/residents": Op(
        "GET",
        "/api/v1/residents",
        ALL_STAFF,
        _resident,
        blind=FOREIGN_STAFF,
        extra_secrets=("周大爷", "孙桂兰"),
    ),
    "POST /api/v1/residents": Op(
        "POST",
        "/api/v1/residents",
        STAFF,
        _building,
        json=lambda p: {"name": f"新居民{p['n']}", "building_code": p["building"]},
    ),
    "POST /api/v1/residents/import": Op(
        "POST",
        "/api/v1/residents/import",
        STAFF,
        _building,
        content=_resident_sheet,
        status={a: 422 for a in FOREIGN_STAFF},
    ),
    # --- people and the three teams ------------------------------------------------------
    "GET /api/v1/users/{user_id}": Op(
        "GET", "/api/v1/users/{id}", SEE_VOLUNTEER, _volunteer, hidden=ALL - SEE_VOLUNTEER
    ),
    "POST /api/v1/users/{user_id}/reveal-phone": Op(
        "POST",
        "/api/v1/users/{id}/reveal-phone",
        SEE_VOLUNTEER,
        _volunteer,
        hidden=ALL - SEE_VOLUNTEER,
    ),
    "POST /api/v1/users/{user_id}/temporary-password": Op(
        "POST",
        "/api/v1/users/{id}/temporary-password",
        SEE_VOLUNTEER,
        _volunteer,
        hidden=ALL - SEE_VOLUNTEER - NOT_STAFF,
    ),
    "GET /api/v1/users": Op(
        "GET",
        "/api/v1/users",
        ALL_STAFF,
        _volunteer,
        blind=FOREIGN_STAFF,
        extra_secrets=("赵丽", "王秀英", "刘芳"),
    ),
    "POST /api/v1/users": Op(
        "POST",
        "/api/v1/users",
        ADMINS,
        _building,
        json=lambda p: {
            "phone": p["phone"],
            "name": "新志愿者",
            "password": "long-enough-password",
            "roles": [{"role": "volunteer", "scope_code": DENGYUE}],
        },
    ),
    "PUT /api/v1/volunteers/{user_id}/profile": Op(
        "PUT",
        "/api/v1/volunteers/{id}/profile",
        SEE_VOLUNTEER,
        _volunteer,
        json=lambda p: {"trades": ["cook"], "availability": []},
        hidden=ALL - SEE_VOLUNTEER,
    ),
    "PUT /api/v1/volunteers/{user_id}/party-member": Op(
        "PUT",
        "/api/v1/volunteers/{id}/party-member",
        SEE_VOLUNTEER,
        _volunteer,
        json=lambda p: {"kind": "retired"},
        hidden=ALL - SEE_VOLUNTEER,
    ),
    "GET /api/v1/volunteers": Op(
        "GET",
        "/api/v1/volunteers",
        OFFICE | {"yulan_admin", "yulan_clerk"},
        _volunteer,
        blind=frozenset({"yulan_admin", "yulan_clerk"}),
        extra_secrets=("赵丽", "郑建军"),
    ),
    "POST /api/v1/volunteers/import": Op(
        "POST",
        "/api/v1/volunteers/import",
        OFFICE,
        _building,
        content=_volunteer_sheet,
        status={"yulan_admin": 422, "yulan_clerk": 422},
    ),
    "GET /api/v1/party-members": Op(
        "GET",
        "/api/v1/party-members",
        OFFICE | {"yulan_admin", "yulan_clerk"},
        _nothing,
        blind=frozenset({"yulan_admin", "yulan_clerk"}),
        extra_secrets=("郑建军",),
    ),
    "GET /api/v1/service-groups": Op(  # a grid worker sees the group of their grid
        "GET",
        "/api/v1/service-groups",
        ALL_STAFF,
        _nothing,
        blind=FOREIGN_STAFF,
        extra_secrets=("登月",),
    ),
    "POST /api/v1/service-groups/{group_id}/members": Op(
        "POST",
        "/api/v1/service-groups/{group}/members",
        OFFICE,
        _group_and_volunteer,
        json=lambda p: {"user_id": p["user"], "trade": "cook"},
        hidden=ALL - OFFICE,
    ),
    "DELETE /api/v1/service-groups/{group_id}/members/{user_id}": Op(
        "DELETE",
        "/api/v1/service-groups/{group}/members/{user}",
        OFFICE,
        _group_with_member,
        hidden=ALL - OFFICE,
    ),
    "GET /api/v1/volunteer-orgs": Op(
        "GET",
        "/api/v1/volunteer-orgs",
        ALL_STAFF,
        _org_with_member,
        blind=FOREIGN_STAFF | {"dengyue_worker"},  # teams are the community's, not a grid's
    ),
    "POST /api/v1/volunteer-orgs": Op(
        "POST",
        "/api/v1/volunteer-orgs",
        OFFICE,
        _building,
        json=lambda p: {"name": f"新志愿队{p['n']}", "community_code": DENGYUE},
        hidden=ALL - OFFICE,
    ),
    "POST /api/v1/volunteer-orgs/{org_id}/members": Op(
        "POST",
        "/api/v1/volunteer-orgs/{org}/members",
        OFFICE,
        _org_and_volunteer,
        json=lambda p: {"user_id": p["user"]},
        hidden=ALL - OFFICE,
    ),
    "DELETE /api/v1/volunteer-orgs/{org_id}/members/{user_id}": Op(
        "DELETE",
        "/api/v1/volunteer-orgs/{org}/members/{user}",
        OFFICE,
        _org_with_member,
        hidden=ALL - OFFICE,
    ),
    "GET /api/v1/communities/{code}/hours": Op(
        "GET", "/api/v1/communities/{code}/hours", OFFICE, _nothing, hidden=ALL - OFFICE
    ),
    # --- notification settings -------------------------------------------------------------
    "GET /api/v1/communities/{code}/notify-settings": Op(
        "GET", "/api/v1/communities/{code}/notify-settings", OFFICE, _nothing, hidden=ALL - OFFICE
    ),
    # --- staggered-hour visits ------------------------------------------------------------
    "POST /api/v1/communities/{code}/visit-plan": Op(
        "POST",
        "/api/v1/communities/{code}/visit-plan",
        OFFICE,
        _nothing,
        json=lambda p: {"week_start": _monday().isoformat()},
        hidden=ALL - OFFICE,
    ),
    "GET /api/v1/communities/{code}/visit-plan": Op(
        "GET",
        "/api/v1/communities/{code}/visit-plan",
        OFFICE,
        _week_with_visit,
        query={"week_start": _monday().isoformat()},
        hidden=ALL - OFFICE,
    ),
    "POST /api/v1/visits/{visit_id}/record": Op(
        "POST",
        "/api/v1/visits/{id}/record",
        STAFF,  # the visitor (the grid worker), or staff in scope for a colleague
        _visit,
        json=lambda p: {"condition": "good", "notes": "精神不错"},
        hidden=ALL - STAFF,
    ),
    "POST /api/v1/visits/{visit_id}/move": Op(
        "POST",
        "/api/v1/visits/{id}/move",
        OFFICE,
        _visit,
        json=lambda p: {
            "person_user_id": p["worker"],
            "visit_date": date.today().isoformat(),
            "window": "evening",
        },
        hidden=ALL - STAFF,
    ),
    "POST /api/v1/visits/{visit_id}/cancel": Op(
        "POST", "/api/v1/visits/{id}/cancel", OFFICE, _visit, hidden=ALL - STAFF
    ),
    # Kept visit records: the office reviews them; the grid worker who sent one is refused.
    "GET /api/v1/communities/{code}/visit-reports": Op(
        "GET",
        "/api/v1/communities/{code}/visit-reports",
        OFFICE,
        _kept_report,
        hidden=ALL - OFFICE,
    ),
    "POST /api/v1/visit-reports/{report_id}/review": Op(
        "POST",
        "/api/v1/visit-reports/{id}/review",
        OFFICE,
        _kept_report,
        json=lambda p: {"decision": "apply"},
        hidden=ALL - STAFF,
    ),
    "GET /api/v1/communities/{code}/visit-coverage": Op(
        "GET", "/api/v1/communities/{code}/visit-coverage", OFFICE, _nothing, hidden=ALL - OFFICE
    ),
    "GET /api/v1/residents/{resident_id}/timeline": Op(
        "GET",
        "/api/v1/residents/{id}/timeline",
        STAFF,  # the office, and the grid worker of her grid (the first grid)
        _resident,
        hidden=ALL - STAFF,
    ),
    "POST /api/v1/care-pairs": Op(
        "POST",
        "/api/v1/care-pairs",
        OFFICE,
        _resident,
        json=lambda p: {"member_user_id": p["member"], "resident_id": p["id"]},
        hidden=ALL - OFFICE,
    ),
    "POST /api/v1/care-pairs/{pair_id}/end": Op(
        "POST", "/api/v1/care-pairs/{id}/end", OFFICE, _pair, hidden=ALL - OFFICE
    ),
    "GET /api/v1/communities/{code}/care-pairs": Op(
        "GET", "/api/v1/communities/{code}/care-pairs", OFFICE, _nothing, hidden=ALL - OFFICE
    ),
    "GET /api/v1/communities/{code}/care-settings": Op(
        "GET", "/api/v1/communities/{code}/care-settings", OFFICE, _nothing, hidden=ALL - OFFICE
    ),
    "PUT /api/v1/communities/{code}/care-settings": Op(
        "PUT",
        "/api/v1/communities/{code}/care-settings",
        ADMINS,
        _nothing,
        json=lambda p: {
            "frequencies": {"elderly_alone": 7, "*": 30},
            "windows": {"noon": ["12:00", "14:00"], "evening": ["18:00", "21:00"]},
            "capacity_per_window": 6,
            "office_days": [],
        },
        hidden=ALL - OFFICE,
    ),
    "GET /api/v1/communities/{code}/working-hours": Op(
        "GET", "/api/v1/communities/{code}/working-hours", OFFICE, _nothing, hidden=ALL - OFFICE
    ),
    "PUT /api/v1/communities/{code}/working-hours": Op(
        "PUT",
        "/api/v1/communities/{code}/working-hours",
        ADMINS,
        _nothing,
        json=lambda p: {"periods": [["08:30", "12:00"], ["14:00", "17:30"]]},
        hidden=ALL - OFFICE,
    ),
    "PUT /api/v1/communities/{code}/notify-settings": Op(
        "PUT",
        "/api/v1/communities/{code}/notify-settings",
        ADMINS,
        _nothing,
        json=lambda p: {"quiet_enabled": True, "quiet_start": "21:30", "quiet_end": "07:30"},
        hidden=ALL - OFFICE,
    ),
    # --- caring businesses ----------------------------------------------------------------
    "GET /api/v1/communities/{code}/storefronts": Op(
        "GET", "/api/v1/communities/{code}/storefronts", OFFICE, _nothing, hidden=ALL - OFFICE
    ),
    "PUT /api/v1/storefronts/{code}/caring": Op(
        "PUT",
        "/api/v1/storefronts/{code}/caring",
        OFFICE,
        _storefront,
        json=lambda p: {"offer": "免费修鞋", "contact_phone": DENGYUE_VOLUNTEER},
        hidden=ALL - OFFICE,
    ),
    # --- cases ----------------------------------------------------------------------------
    "GET /api/v1/cases/{case_id}": Op(
        "GET", "/api/v1/cases/{id}", SEE_CASE, case_in("received"), hidden=ALL - SEE_CASE
    ),
    "POST /api/v1/cases": Op(
        "POST",
        "/api/v1/cases",
        STAFF | {"dengyue_resident", "yulan_resident"},
        _first_grid,
        json=lambda p: {
            "item": "garbage",
            "description": "矩阵新诉求",
            "grid_code": p["grid"],
        },
        hidden=FOREIGN_STAFF,
    ),
    "POST /api/v1/cases/{case_id}/accept": case_op("accept", "received", OFFICE),
    "POST /api/v1/cases/{case_id}/reject": case_op("reject", "received", OFFICE, reason="不属实"),
    "POST /api/v1/cases/{case_id}/dispatch": case_op(
        "dispatch", "accepted", STAFF, assignee_id="$worker"
    ),
    "POST /api/v1/cases/{case_id}/start": case_op(
        "start", "dispatched", frozenset({"dengyue_worker"})
    ),
    "POST /api/v1/cases/{case_id}/resolve": case_op(
        "resolve", "in_progress", frozenset({"dengyue_worker"}), note="修好了"
    ),
    "POST /api/v1/cases/{case_id}/close": case_op("close", "resolved", STAFF),
    "POST /api/v1/cases/{case_id}/rework": case_op("rework", "resolved", STAFF, reason="没修好"),
    "POST /api/v1/cases/{case_id}/reopen": case_op(
        "reopen", "unsatisfied", OFFICE, reason="不满意"
    ),
    "POST /api/v1/cases/{case_id}/return": case_op("return", "dispatched", STAFF, reason="非本人"),
    "POST /api/v1/cases/{case_id}/transfer": Op(
        "POST",
        "/api/v1/cases/{id}/transfer",
        OFFICE,
        _case_grid,
        json=lambda p: {"grid_code": p["grid"], "reason": "不在本网格"},
        hidden=ALL - SEE_CASE,
    ),
    "POST /api/v1/cases/{case_id}/escalate": case_op("escalate", "accepted", STAFF, reason="上报"),
    "POST /api/v1/cases/{case_id}/callback": case_op(
        "callback", "closed", OFFICE | {"dengyue_resident"}, satisfaction=1
    ),
    "POST /api/v1/cases/{case_id}/supervise": case_op(
        "supervise", "dispatched", OFFICE, note="督办"
    ),
    "POST /api/v1/cases/{case_id}/request-extension": case_op(
        "request-extension", "dispatched", frozenset({"dengyue_worker"}), hours=4, reason="等配件"
    ),
    "POST /api/v1/cases/{case_id}/approve-extension": case_op(
        "approve-extension", "extension", OFFICE
    ),
    "POST /api/v1/cases/{case_id}/merge": Op(
        "POST",
        "/api/v1/cases/{id}/merge",
        OFFICE,
        _case_and_another,
        json=lambda p: {"into_case_id": p["into"]},
        hidden=ALL - SEE_CASE,
    ),
    "POST /api/v1/cases/{case_id}/reclassify": case_op(
        "reclassify", "received", OFFICE, item="garbage", reason="选错事项"
    ),
    "GET /api/v1/me/cases": Op(
        "GET", "/api/v1/me/cases", ALL, case_in("received"), blind=ALL - {"dengyue_resident"}
    ),
    "GET /api/v1/me/case-inbox": Op(
        "GET", "/api/v1/me/case-inbox", ALL, case_in("received"), blind=ALL - STAFF
    ),
    "GET /api/v1/communities/{code}/cases": Op(
        "GET",
        "/api/v1/communities/{code}/cases",
        OFFICE,
        lambda w: _with_code(case_in("received"), w),
        hidden=ALL - OFFICE,
    ),
    # --- boards 案件统计: staff whose scope covers the unit; others learn nothing ------------
    **{
        f"GET /api/v1/boards/cases{ext}": Op(
            "GET",
            f"/api/v1/boards/cases{ext}",
            OFFICE,
            _nothing,
            query={"level": "community", "code": "{code}"},
            hidden=ALL - OFFICE,
        )
        for ext in ("", ".csv", ".xlsx")
    },
    "GET /api/v1/boards/cases · grid": Op(
        "GET",
        "/api/v1/boards/cases",
        STAFF,  # the grid worker of the first grid too
        _first_grid_code,
        query={"level": "grid", "code": "{code}"},
        hidden=ALL - STAFF,
    ),
    "GET /api/v1/boards/cases · sub-district": Op(
        "GET",
        "/api/v1/boards/cases",
        frozenset({"system_admin", "subdistrict_admin"}),
        _sub_district,
        query={"level": "sub_district", "code": "{code}"},
        hidden=ALL - {"system_admin", "subdistrict_admin"},
    ),
    **{
        f"GET /api/v1/communities/{{code}}/cases{ext}": Op(
            "GET",
            f"/api/v1/communities/{{code}}/cases{ext}",
            OFFICE,
            lambda w: _with_code(case_in("received"), w),
            hidden=ALL - OFFICE,
        )
        for ext in (".csv", ".xlsx")
    },
    "GET /api/v1/case-duplicates": Op(
        "GET",
        "/api/v1/case-duplicates",
        ALL_STAFF,
        _case_point,
        query={"item": "stair_light", "lon": "{lon}", "lat": "{lat}"},
        blind=FOREIGN_STAFF,
    ),
    # --- the service catalogue ------------------------------------------------------------
    "GET /api/v1/service-items/{code}": Op("GET", "/api/v1/service-items/{code}", ALL, _dibao),
    "POST /api/v1/service-items": Op(
        "POST",
        "/api/v1/service-items",
        CATALOGUE_ADMINS,
        _new_item_code,
        json=lambda p: _catalogue_item(p["code"]),
    ),
    "PUT /api/v1/service-items/{code}": Op(
        "PUT",
        "/api/v1/service-items/{code}",
        CATALOGUE_ADMINS,
        _catalogue_item_made,
        json=lambda p: {k: v for k, v in _catalogue_item(p["code"]).items() if k != "code"},
    ),
    "PUT /api/v1/service-categories/{code}": Op(
        "PUT",
        "/api/v1/service-categories/{code}",
        CATALOGUE_ADMINS,
        _new_item_code,
        json=lambda p: {"names": {"zh_Hans": "矩阵类别", "zh_Hant": "矩陣類別", "en": "Matrix"}},
    ),
    # --- Open311 api_keys ---------------------------------------------------------------------
    "GET /api/v1/open311-keys": Op(
        "GET", "/api/v1/open311-keys", frozenset({"system_admin"}), _nothing
    ),
    "POST /api/v1/open311-keys": Op(
        "POST",
        "/api/v1/open311-keys",
        frozenset({"system_admin"}),
        _nothing,
        json=lambda p: {"name": "矩阵新密钥"},
    ),
    "POST /api/v1/open311-keys/{key_id}/revoke": Op(
        "POST",
        "/api/v1/open311-keys/{key_id}/revoke",
        frozenset({"system_admin"}),
        _open311_key,
    ),
    # --- grid, audit ------------------------------------------------------------------------
    "GET /api/v1/areas": Op(
        "GET",
        "/api/v1/areas",
        ALL,
        _nothing,
        query={"level": "community"},
        blind=FOREIGN,
        extra_secrets=("登月",),
    ),
    "GET /api/v1/map": Op(
        "GET", "/api/v1/map", ALL, _nothing, blind=FOREIGN, extra_secrets=("登月",)
    ),
    "GET /api/v1/buildings": Op(
        "GET",
        "/api/v1/buildings",
        ALL_STAFF,
        _nothing,
        query={"q": "登月"},
        blind=FOREIGN_STAFF,
        extra_secrets=("登月",),
    ),
    "GET /api/v1/audit": Op(
        "GET",
        "/api/v1/audit",
        ADMINS | {"yulan_admin"},
        _resident,
        query={"object_type": "resident"},
        blind=frozenset({"yulan_admin"}),
    ),
    "GET /api/v1/grid-maps/export": Op(
        "GET", "/api/v1/grid-maps/export", frozenset({"system_admin"}), _nothing
    ),
}


# --- the same changes to people, aimed at someone who outranks the caller ---------------------


async def _admin_at_home(w: World) -> dict[str, Any]:
    """A community admin of 登月社区 who lives in the grid worker's grid."""
    home = (await first_building(w.backend, DENGYUE)).code
    uid, phone = await person(
        w.backend, (Role.resident, None), (Role.community_admin, DENGYUE), home=home
    )
    w.secrets.append(phone)
    return {"id": uid}


async def _admin_volunteer(w: World) -> dict[str, Any]:
    """A volunteer of 登月社区 who is also its community admin."""
    uid, phone = await person(w.backend, (Role.volunteer, DENGYUE), (Role.community_admin, DENGYUE))
    w.secrets.append(phone)
    return {"id": uid}


async def _admins_record(w: World) -> dict[str, Any]:
    """The resident record of a community admin (linked to her account)."""
    admin = await _admin_at_home(w)
    record = await w.resident()
    async with w.backend.sessionmaker().begin() as session:
        from server.people.models import Resident

        row = await session.get(Resident, record["id"])
        assert row is not None
        row.user_id = admin["id"]
    return {"id": record["id"]}


async def _admins_phone(w: World) -> dict[str, Any]:
    admin = await _admin_at_home(w)
    async with w.backend.sessionmaker()() as session:
        from server.accounts.models import User

        user = await session.get(User, admin["id"])
        assert user is not None
        return {"phone": user.phone, "n": next(_seq)}


ABOVE_COMMUNITY = frozenset({"system_admin", "subdistrict_admin"})
HIGHER = " · a target who outranks the caller"
OPS |= {
    "POST /api/v1/users/{user_id}/temporary-password" + HIGHER: Op(
        "POST",
        "/api/v1/users/{id}/temporary-password",
        ABOVE_COMMUNITY,
        _admin_at_home,
        hidden=FOREIGN_STAFF,
    ),
    "POST /api/v1/residents/{resident_id}/temporary-password" + HIGHER: Op(
        "POST",
        "/api/v1/residents/{id}/temporary-password",
        ABOVE_COMMUNITY,
        _admins_record,
        hidden=FOREIGN_STAFF,
    ),
    "PUT /api/v1/volunteers/{user_id}/profile" + HIGHER: Op(
        "PUT",
        "/api/v1/volunteers/{id}/profile",
        ABOVE_COMMUNITY,
        _admin_volunteer,
        json=lambda p: {"trades": ["cook"], "availability": []},
        hidden=ALL - OFFICE,
    ),
    "PUT /api/v1/volunteers/{user_id}/party-member" + HIGHER: Op(
        "PUT",
        "/api/v1/volunteers/{id}/party-member",
        ABOVE_COMMUNITY,
        _admin_volunteer,
        json=lambda p: {"kind": "retired"},
        hidden=ALL - OFFICE,
    ),
    # A sheet never reaches a staff account, whoever imports it.
    "POST /api/v1/volunteers/import" + HIGHER: Op(
        "POST",
        "/api/v1/volunteers/import",
        frozenset(),
        _admins_phone,
        content=_volunteer_sheet,
        status={a: 422 for a in OFFICE | {"yulan_admin", "yulan_clerk"}},
    ),
    "POST /api/v1/users" + HIGHER: Op(  # granting a role as high as the granter's own
        "POST",
        "/api/v1/users",
        ABOVE_COMMUNITY,
        _building,
        json=lambda p: {
            "phone": p["phone"],
            "name": "新主任",
            "password": "long-enough-password",
            "roles": [{"role": "community_admin", "scope_code": DENGYUE}],
        },
    ),
}

# --- the three disclosures 三公开 (server/disclosure) -----------------------------------------
# The office of 登月社区 (and the sub-district and system above it) writes its commitments and
# the residents' evaluation; only the level above records the superior evaluation.
SUPERIOR = frozenset({"system_admin", "subdistrict_admin"})


async def _commitment(w: World) -> dict[str, Any]:
    made = await w.call(
        "dengyue_admin",
        "POST",
        f"/api/v1/communities/{DENGYUE}/commitments",
        json={"year": 2026, "title": f"矩阵承诺{next(_seq)}", "target": "完成 3 项"},
    )
    return {"id": made["id"]}


def _evaluation(kind: str) -> Callable[[dict[str, Any]], Any]:
    return lambda p: {"year": 2026, "period": "h2", "kind": kind, "grade": "good", "score": 90}


OPS |= {
    "GET /api/v1/communities/{code}/disclosure": Op(
        "GET", "/api/v1/communities/{code}/disclosure", OFFICE, _nothing, hidden=ALL - OFFICE
    ),
    "POST /api/v1/communities/{code}/commitments": Op(
        "POST",
        "/api/v1/communities/{code}/commitments",
        OFFICE,
        _nothing,
        json=lambda p: {"year": 2026, "title": "矩阵新承诺", "target": "完成 1 项"},
        hidden=ALL - OFFICE,
    ),
    "PATCH /api/v1/commitments/{commitment_id}": Op(
        "PATCH",
        "/api/v1/commitments/{id}",
        OFFICE,
        _commitment,
        json=lambda p: {"status": "in_progress", "progress_note": "已启动"},
        hidden=ALL - OFFICE,
    ),
    "DELETE /api/v1/commitments/{commitment_id}": Op(
        "DELETE", "/api/v1/commitments/{id}", OFFICE, _commitment, hidden=ALL - OFFICE
    ),
    "PUT /api/v1/communities/{code}/evaluations · residents'": Op(
        "PUT",
        "/api/v1/communities/{code}/evaluations",
        OFFICE,
        _nothing,
        json=_evaluation("residents"),
        hidden=ALL - OFFICE,
    ),
    "PUT /api/v1/communities/{code}/evaluations · the level above's": Op(
        "PUT",
        "/api/v1/communities/{code}/evaluations",
        SUPERIOR,
        _nothing,
        json=_evaluation("superior"),
        hidden=ALL - OFFICE,
    ),
}

# --- the window terminal 办事窗口 (server/window) --------------------------------------------
# The office of 登月社区 (and above it) issues and calls numbers and looks walk-ins up; only
# administrators set the windows up. The demo city gives 登月社区 four open windows.


async def _window_one(w: World) -> dict[str, Any]:
    """Window 1 (general) of 登月社区, with a number waiting for it."""
    ticket = await w.call(
        "dengyue_admin", "POST", f"/api/v1/communities/{DENGYUE}/tickets", json={}
    )
    windows = await w.call("dengyue_admin", "GET", f"/api/v1/communities/{DENGYUE}/windows")
    return {
        "code": DENGYUE,
        "id": next(x["id"] for x in windows if x["number"] == 1),
        "ticket": ticket["id"],
    }


async def _called_ticket(w: World) -> dict[str, Any]:
    """A number being called at window 1 (every earlier one there is finished first)."""
    made = await _window_one(w)
    while True:
        got = await w.call("dengyue_admin", "POST", f"/api/v1/windows/{made['id']}/call-next")
        if got["called"] is None or got["called"]["id"] == made["ticket"]:
            break
    return {"id": made["ticket"]}


async def _zhou(w: World) -> dict[str, Any]:
    found = await w.call(
        "dengyue_admin", "POST", "/api/v1/window/lookup", json={"q": "13900000001"}
    )
    return {"id": found["items"][0]["id"]}


OPS |= {
    "GET /api/v1/communities/{code}/windows": Op(
        "GET", "/api/v1/communities/{code}/windows", OFFICE, _nothing, hidden=ALL - OFFICE
    ),
    "PUT /api/v1/communities/{code}/windows/{number}": Op(
        "PUT",
        "/api/v1/communities/{code}/windows/9",
        ADMINS,
        _nothing,
        json=lambda p: {"name": "矩阵窗口", "categories": ["disputes"], "active": False},
        hidden=ALL - OFFICE,
    ),
    "GET /api/v1/communities/{code}/queue": Op(
        "GET", "/api/v1/communities/{code}/queue", OFFICE, _nothing, hidden=ALL - OFFICE
    ),
    "POST /api/v1/communities/{code}/tickets": Op(
        "POST",
        "/api/v1/communities/{code}/tickets",
        OFFICE,
        _nothing,
        json=lambda p: {"category": "certificates"},
        hidden=ALL - OFFICE,
    ),
    "POST /api/v1/windows/{window_id}/call-next": Op(
        "POST", "/api/v1/windows/{id}/call-next", OFFICE, _window_one, hidden=ALL - OFFICE
    ),
    "POST /api/v1/tickets/{ticket_id}/finish": Op(
        "POST",
        "/api/v1/tickets/{id}/finish",
        OFFICE,
        _called_ticket,
        json=lambda p: {"outcome": "missed"},
        hidden=ALL - OFFICE,
    ),
    "POST /api/v1/window/lookup": Op(
        "POST",
        "/api/v1/window/lookup",
        OFFICE | {"yulan_admin", "yulan_clerk"},
        _nothing,
        json=lambda p: {"q": "13900000001"},
        blind=frozenset({"yulan_admin", "yulan_clerk"}),
        extra_secrets=("周大爷",),
    ),
    "GET /api/v1/residents/{resident_id}/window-card": Op(
        "GET",
        "/api/v1/residents/{id}/window-card",
        OFFICE,
        _zhou,
        hidden=ALL - OFFICE,
        extra_secrets=("周大爷",),
    ),
}

# Operations with no object of another scope to try, and why.
NOT_IN_MATRIX: dict[str, str] = {
    "GET /health": "public, no data",
    "GET /api/v1/config": "public client configuration",
    "GET /api/v1/push/key": "the public VAPID key",
    "POST /api/v1/auth/login": "log-in (tests/integration/test_auth.py)",
    "POST /api/v1/auth/logout": "the caller's own tokens",
    "POST /api/v1/auth/refresh": "the caller's own tokens",
    "GET /api/v1/me": "the caller's own account",
    "PATCH /api/v1/me": "the caller's own account",
    "GET /api/v1/me/hours": "the caller's own hours",
    "GET /api/v1/me/tasks": (
        "counts in the caller's own scope; another community's staff learn nothing of"
        " 登月社区 (test_tasks.py)"
    ),
    "GET /api/v1/me/volunteer-profile": "the caller's own profile",
    "GET /api/v1/me/visits": "the caller's own visits of a day (test_visits.py)",
    "GET /api/v1/me/visit-hours": "the caller's own hours (test_visits.py)",
    "PUT /api/v1/me/visit-hours": "the caller's own hours (test_visits.py)",
    "POST /api/v1/visits/records": "a batch of records, each answered inside the 200 answer: "
    "all 13 accounts tried in test_visit_sync.py (SYNC_ACCESS)",
    "GET /api/v1/me/notifications": "the caller's own settings",
    "PUT /api/v1/me/notifications": "the caller's own settings",
    "POST /api/v1/push/subscriptions": "the caller's own devices",
    "DELETE /api/v1/push/subscriptions": "the caller's own devices",
    "GET /api/v1/wishes/mine": "the caller's own wishes",
    "POST /api/v1/media": "the caller's own upload",
    "GET /api/v1/people/vocabulary": "the city's care tags and trades, no personal data",
    "GET /api/v1/locate": "public: which grid holds a point",
    "GET /api/v1/service-catalogue": "public: the city's service catalogue (test_cases.py)",
    "GET /api/v1/buildings/{code}/grid": "public: which grid holds a building",
    "GET /api/v1/communities/{code}/wishes": "the public board (masked; test_wishes.py)",
    "GET /api/v1/communities/{code}/thanks": "the public thanks wall (masked)",
    "GET /api/v1/communities/{code}/businesses": "the public list of caring businesses",
    "GET /api/v1/public/communities": "public: the city's communities, names only (picker)",
    "GET /api/v1/public/communities/{code}/queue": (
        "the hall's public display: ticket numbers and windows, no personal data (test_window.py)"
    ),
    "GET /api/v1/public/communities/{code}/disclosure": (
        "public 三公开 page, no log-in: figures and anonymised cases (test_disclosure.py checks"
        " that no personal data is in it)"
    ),
    "GET /api/v1/media/public/{key}": "photos of the public board (test_claims_and_photos.py)",
    "GET /api/v1/communities/{code}/claim-options": (
        "what the caller may claim in, 200 for all; each account's answer is checked in"
        " test_security.py::test_claim_options_of_every_account_in_a_community"
    ),
    "POST /api/v1/grid-maps": "system administrators only (guard; test_grid_maps.py)",
    # Open311 GeoReport v2: no accounts; anyone reads the public face of cases (nothing
    # personal: test_open311.py checks what is masked), a POST needs an api_key.
    "GET /open311/v2/discovery.json": "public: Open311 GeoReport v2, outside the account model (test_open311.py)",
    "GET /open311/v2/discovery.xml": "public: Open311 GeoReport v2, outside the account model (test_open311.py)",
    "GET /open311/v2/services.json": "public: the catalogue as Open311 services",
    "GET /open311/v2/services.xml": "public: the catalogue as Open311 services",
    "GET /open311/v2/services/{code}": "public: an item's fields as Open311 attributes",
    "GET /open311/v2/requests.json": "public: cases anonymised (test_open311.py)",
    "GET /open311/v2/requests.xml": "public: cases anonymised (test_open311.py)",
    "GET /open311/v2/requests/{number}": "public: a case anonymised (test_open311.py)",
    "GET /open311/v2/tokens/{token}": "public: a request's id by its token",
    "POST /open311/v2/requests.json": "api_key, not an account: valid, bad, revoked keys in"
    " test_open311.py",
    "POST /open311/v2/requests.xml": "api_key, not an account: valid, bad, revoked keys in"
    " test_open311.py",
    "POST /api/v1/sms/reports/aliyun/{token}": "provider callback behind a secret token",
    "POST /api/v1/sms/reports/tencent/{token}": "provider callback behind a secret token",
    "POST /api/v1/sms/replies/aliyun/{token}": "provider callback behind a secret token",
    "POST /api/v1/sms/replies/tencent/{token}": "provider callback behind a secret token",
}


def _operations(app: Litestar) -> dict[str, dict[str, Any]]:
    schema = app.openapi_schema.to_schema()
    return {
        f"{method.upper()} {path}": op
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }


async def test_every_operation_is_in_the_matrix(app: Litestar) -> None:
    operations = set(_operations(app))
    rows = {name.split(" · ")[0] for name in OPS}
    missing = operations - rows - set(NOT_IN_MATRIX)
    assert not missing, f"operations with no row in the access matrix: {sorted(missing)}"
    stale = (rows | set(NOT_IN_MATRIX)) - operations
    assert not stale, f"matrix rows for operations that no longer exist: {sorted(stale)}"
    assert not rows & set(NOT_IN_MATRIX)


def _expected(op: Op, account: str) -> int | None:
    """The status a refused account must get (None: allowed, any 2xx)."""
    if account in op.allowed:
        return None
    if account in op.status:
        return op.status[account]
    return 404 if account in op.hidden else 403


@pytest.mark.parametrize("name", sorted(OPS))
async def test_access_matrix(client, tokens, backend: Backend, app: Litestar, name: str) -> None:
    op = OPS[name]
    documented = set(_operations(app)[name.split(" · ")[0]]["responses"])
    world = World(client, tokens, backend)
    problems: list[str] = []

    async def call(account: str, params: dict[str, Any]) -> Any:
        kw: dict[str, Any] = {"params": {k: v.format(**params) for k, v in op.query.items()}}
        if op.json is not None:
            kw["json"] = op.json(params)
        if op.content is not None:
            body, kind = op.content(params)
            kw["content"] = body
            kw["headers"] = {**await world.as_(account), "Content-Type": kind}
        else:
            kw["headers"] = await world.as_(account)
        return await client.request(op.method, op.path.format(**params), **kw)

    # Refusals first, all against one object, which none of them may change.
    params = await op.prepare(world)
    for account in sorted(ALL - op.allowed):
        r = await call(account, params)
        want = _expected(op, account)
        if r.status_code != want:
            problems.append(f"{account}: {r.status_code} (expected {want}) {r.text[:120]}")
        if str(r.status_code) not in documented:
            problems.append(f"{account}: {r.status_code} is not in the OpenAPI document")
        leaked = [s for s in [*world.secrets, *op.extra_secrets] if s in r.text]
        if leaked:
            problems.append(f"{account}: refused, yet the answer holds {leaked}")
    # Then every allowed account, each on an object of its own when the call changes it.
    for account in sorted(op.allowed):
        if op.unsafe:
            params = await op.prepare(world)
        r = await call(account, params)
        if not r.is_success:
            problems.append(f"{account}: {r.status_code} (expected 2xx) {r.text[:160]}")
        if str(r.status_code) not in documented:
            problems.append(f"{account}: {r.status_code} is not in the OpenAPI document")
        if account in op.blind:
            leaked = [s for s in [*world.secrets, *op.extra_secrets] if s in r.text]
            if leaked:
                problems.append(f"{account}: sees {leaked} of another community")
    assert not problems, f"{name}:\n" + "\n".join(problems)
