"""The demo city: Hualong district's synthetic grid map and one account per role.

Idempotent: a second load updates the map in place and leaves existing
accounts alone. All demo accounts share one password (``LINLI_DEMO_PASSWORD``,
default ``linli-demo-2026``) and are listed in the README.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, RoleAssignment, User
from server.accounts.schemas import RoleGrant, UserCreate
from server.accounts.services import AccountService
from server.businesses.models import CaringBusiness
from server.cases.demo_cases import load_demo_cases
from server.cases.demo_catalogue import load_catalogue
from server.config import ROOT, Settings
from server.disclosure.demo_disclosure import load_demo_disclosure
from server.grids.importer import ImportResult, Progress, import_grid_map
from server.grids.models import Building, Community, Grid, PartyOrg, Storefront, SubDistrict
from server.people.models import (
    PartyMember,
    PartyMemberKind,
    Resident,
    ServiceGroup,
    ServiceGroupMember,
    VolunteerProfile,
)
from server.visits.demo_visits import load_demo_visits
from server.window.demo_window import load_demo_windows
from server.wishes.demo_wishes import load_demo_wishes

__all__ = ["DEMO_ACCOUNTS", "DEMO_MAP", "DemoAccount", "load_demo"]

DEMO_MAP = ROOT / "grid_maps" / "hualong.geojson"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    phone: str
    name: str
    role: Role
    # Where the role is bound (or, for a resident, where they live):
    # "sub_district" → the first sub-district; "community" → `community`;
    # "grid"/"home" → the first grid of `community`.
    bound: str | None = None
    community: str | None = None
    title: str | None = None


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("13800000001", "张建国", Role.system_admin),
    DemoAccount("13800000002", "李卫东", Role.subdistrict_admin, "sub_district"),
    DemoAccount("13800000003", "王秀英", Role.community_admin, "community", "登月社区"),
    DemoAccount("13800000004", "刘芳", Role.community_staff, "community", "登月社区", "窗口受理员"),
    DemoAccount("13800000005", "陈志强", Role.grid_worker, "grid", "登月社区"),
    DemoAccount("13800000006", "赵丽", Role.volunteer, "community", "登月社区", "理发师"),
    DemoAccount("13800000007", "孙桂兰", Role.resident, "home", "登月社区"),
    DemoAccount("13800000008", "周海燕", Role.grid_worker, "grid", "玉兰花园社区"),
    DemoAccount("13800000009", "吴国华", Role.community_admin, "community", "玉兰花园社区"),
    DemoAccount("13800000010", "郑建军", Role.volunteer, "community", "登月社区", "在职党员"),
    DemoAccount("13800000011", "钱小红", Role.resident, "home", "玉兰花园社区"),
    DemoAccount("13800000012", "郭玉梅", Role.volunteer, "community", "玉兰花园社区", "厨师"),
    DemoAccount(
        "13800000013", "何静", Role.community_staff, "community", "玉兰花园社区", "窗口受理员"
    ),
)

# Residents the community office knows, in the first grid of 登月社区 (the demo
# resident's account is linked to the first of them).
DEMO_RESIDENTS: tuple[tuple[str, str | None, str, bool, tuple[str, ...]], ...] = (
    ("孙桂兰", "13800000007", "1单元101", False, ("elderly_alone",)),
    ("周大爷", "13900000001", "2单元302", False, ("elderly_alone", "low_income")),
    ("小明", None, "3单元201", True, ("left_behind_child",)),
)


async def _first_grid_of(session: AsyncSession, community_name: str) -> Grid:
    community = await session.scalar(select(Community).where(Community.name == community_name))
    if community is None:
        raise LookupError(f"demo map has no community named {community_name}")
    grid = await session.scalar(
        select(Grid).where(Grid.community_id == community.id).order_by(Grid.code).limit(1)
    )
    if grid is None:
        raise LookupError(f"demo community {community_name} has no grid")
    return grid


async def _grant_and_home(
    session: AsyncSession, account: DemoAccount
) -> tuple[RoleGrant, str | None]:
    """The role grant of a demo account and, for a resident, the code of their building."""
    code: str | None = None
    home: str | None = None
    if account.bound == "sub_district":
        code = await session.scalar(select(SubDistrict.code).order_by(SubDistrict.code).limit(1))
    elif account.bound == "community":
        code = await session.scalar(
            select(Community.code).where(Community.name == account.community)
        )
    elif account.bound in ("grid", "home"):
        grid = await _first_grid_of(session, account.community or "")
        if account.bound == "grid":
            code = grid.code
        else:
            home = await session.scalar(
                select(Building.code)
                .where(Building.grid_id == grid.id)
                .order_by(Building.code)
                .limit(1)
            )
    return RoleGrant(role=account.role, scope_code=code, title=account.title), home


async def load_demo(
    session: AsyncSession,
    settings: Settings,
    map_path: Path = DEMO_MAP,
    progress: Progress | None = None,
) -> tuple[ImportResult, int]:
    """Import the demo map and create missing demo accounts; returns (map result, accounts created)."""
    doc = json.loads(await asyncio.to_thread(map_path.read_text, encoding="utf-8"))
    result = await import_grid_map(
        session,
        doc,
        segments=settings.code_segments,
        tolerance_m=settings.containment_tolerance_m,
        progress=progress,
    )
    created = 0
    accounts = AccountService(session)
    for account in DEMO_ACCOUNTS:
        if await session.scalar(select(User.id).where(User.phone == account.phone)) is not None:
            continue
        grant, home = await _grant_and_home(session, account)
        await accounts.create_user(
            None,
            UserCreate(
                phone=account.phone,
                name=account.name,
                password=settings.demo_password,
                roles=[grant],
                home_building_code=home,
            ),
        )
        created += 1
    await _load_people(session)
    await load_catalogue(session)
    await load_demo_cases(session)
    await load_demo_visits(session)
    await load_demo_wishes(session)
    await load_demo_disclosure(session)
    await load_demo_windows(session)
    return result, created


async def _load_people(session: AsyncSession) -> None:
    """Residents, a volunteer's trades, a party member, one service group per grid, a caring
    business (idempotent)."""
    users = {u.phone: u for u in (await session.scalars(select(User))).all()}
    dengyue = await _first_grid_of(session, "登月社区")
    home = await session.scalar(
        select(Building).where(Building.grid_id == dengyue.id).order_by(Building.code).limit(1)
    )
    assert home is not None
    for name, phone, unit, minor, tags in DEMO_RESIDENTS:
        if await session.scalar(
            select(Resident.id).where(Resident.name == name, Resident.building_id == home.id)
        ):
            continue
        linked = users.get(phone or "")
        session.add(
            Resident(
                name=name,
                phone=phone,
                building_id=home.id,
                unit=unit,
                is_minor=minor,
                care_tags=list(tags),
                user_id=linked.id if linked else None,
                **Resident.placed_in(home),
            )
        )
    yulan = await _first_grid_of(session, "玉兰花园社区")
    yulan_home = await session.scalar(
        select(Building).where(Building.grid_id == yulan.id).order_by(Building.code).limit(1)
    )
    assert yulan_home is not None
    qian = users["13800000011"]
    if await session.scalar(select(Resident.id).where(Resident.user_id == qian.id)) is None:
        session.add(
            Resident(
                name=qian.name,
                phone=qian.phone,
                building_id=yulan_home.id,
                unit="1单元102",
                user_id=qian.id,
                **Resident.placed_in(yulan_home),
            )
        )
    for phone, trades, community_id in (
        ("13800000006", ["barber"], dengyue.community_id),
        ("13800000010", ["electrician"], dengyue.community_id),
        ("13800000012", ["cook"], yulan.community_id),
    ):
        if await session.get(VolunteerProfile, users[phone].id) is None:
            session.add(
                VolunteerProfile(
                    user_id=users[phone].id,
                    trades=trades,
                    community_id=community_id,
                    availability=[
                        {"weekday": d, "start": "18:00", "end": "20:30"} for d in range(5)
                    ],
                )
            )
    party_member = users["13800000010"]
    if await session.get(PartyMember, party_member.id) is None:
        branch = await session.scalar(
            select(PartyOrg.id).where(
                PartyOrg.community_id == dengyue.community_id, PartyOrg.grid_id.is_(None)
            )
        )
        session.add(
            PartyMember(
                user_id=party_member.id,
                kind=PartyMemberKind.in_service,
                party_org_id=branch,
                reported_community_id=dengyue.community_id,
            )
        )
    leaders = {
        c: uid
        for c, uid in (
            await session.execute(
                select(RoleAssignment.community_id, RoleAssignment.user_id)
                .where(RoleAssignment.role == Role.community_staff)
                .order_by(RoleAssignment.id)
            )
        ).all()
    }
    existing = set((await session.scalars(select(ServiceGroup.grid_id))).all())
    for grid in (await session.scalars(select(Grid).order_by(Grid.code))).all():
        if grid.id in existing:
            continue
        session.add(
            ServiceGroup(
                grid_id=grid.id,
                name=f"{grid.name}为民服务组",
                leader_user_id=leaders.get(grid.community_id),
                **ServiceGroup.placed_in(grid),
            )
        )
    await session.flush()
    group = await session.scalar(select(ServiceGroup).where(ServiceGroup.grid_id == dengyue.id))
    barber = users["13800000006"]
    if group is not None and await session.get(ServiceGroupMember, (group.id, barber.id)) is None:
        session.add(ServiceGroupMember(group_id=group.id, user_id=barber.id, trade="barber"))
    # A caring business 爱心商户 in 登月社区, the barber (赵丽) claiming wishes in its name.
    store = await session.scalar(
        select(Storefront)
        .where(Storefront.community_id == dengyue.community_id)
        .order_by(Storefront.code)
        .limit(1)
    )
    if store is not None and await session.get(CaringBusiness, store.id) is None:
        session.add(
            CaringBusiness(
                storefront_id=store.id,
                contact_user_id=barber.id,
                offer="每月为独居老人免费理发 2 次",
                **CaringBusiness.placed_in(store),
            )
        )
