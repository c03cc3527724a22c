"""Users, their roles and scopes; who may create whom; masked lists and audited reveals."""

from __future__ import annotations

import asyncio
import functools
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, column, exists, or_, select, table, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import (
    ADMIN_ROLES,
    CAPABILITIES,
    SCOPE_LEVEL_OF_ROLE,
    STAFF_ROLES,
    Role,
    RoleAssignment,
    User,
)
from server.accounts.rank import RANK, outranks, rank_over
from server.accounts.schemas import (
    PhoneReveal,
    RoleGrant,
    RoleView,
    TemporaryPassword,
    UserCreate,
    UserDetail,
    UserSummary,
    UserView,
)
from server.accounts.scope import Scope, ScopedRow
from server.audit.services import AuditService
from server.auth.models import RevokedAccessToken
from server.db.core import execute
from server.grids.models import Building, Community, Grid, SubDistrict, placed_in
from server.lib.errors import BadRequest, Conflict, Forbidden, NotFound
from server.lib.i18n import N_, localised_name
from server.lib.masking import mask_phone

__all__ = [
    "ADMIN_ROLES",
    "AccountService",
    "CurrentUser",
    "hash_password",
    "home_of",
    "homes_of",
    "verify_password",
]

# Argon2id with the library's defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
# Who may register residents (window clerks take in walk-ins; grid workers on visits).
RESIDENT_REGISTRARS = ADMIN_ROLES | {Role.community_staff, Role.grid_worker}


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


@dataclass(frozen=True, slots=True)
class Grant:
    role: Role
    sub_district_id: int | None
    community_id: int | None
    grid_id: int | None
    scope_code: str
    title: str | None


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The authenticated caller, resolved once per request by the auth middleware."""

    id: int
    name: str
    locale: str
    grants: tuple[Grant, ...]
    home: ScopedRow | None = None
    scope: Scope = field(default_factory=lambda: Scope(user_id=0))
    #: Their own record in the community's resident register (None: not a registered resident).
    resident_id: int | None = None

    def has(self, *roles: Role) -> bool:
        return any(g.role in roles for g in self.grants)

    def scope_of(self, roles: Iterable[Role]) -> Scope:
        """The scope given by only these roles (e.g. the units this user administers)."""
        wanted = set(roles)
        return Scope.from_assignments(
            self.id, [g for g in self.grants if g.role in wanted], staff_only=False
        )

    def community_ids(self) -> frozenset[int]:
        """Communities the user belongs to by any role or by home (for public boards, maps)."""
        ids = {g.community_id for g in self.grants if g.community_id is not None}
        if self.home and self.home.community_id is not None:
            ids.add(self.home.community_id)
        return frozenset(ids)


async def home_of(session: AsyncSession, user: User) -> ScopedRow | None:
    """Where a person lives, as the three scope ids of their home building (None: nowhere)."""
    if user.home_building_id is None:
        return None
    b = await session.get(Building, user.home_building_id)
    return ScopedRow(b.sub_district_id, b.community_id, b.grid_id) if b is not None else None


async def homes_of(session: AsyncSession, users: Sequence[User]) -> dict[int, ScopedRow]:
    """``home_of`` for many people in one query (none for those who live nowhere)."""
    wanted = {u.home_building_id for u in users if u.home_building_id is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(
            Building.id, Building.sub_district_id, Building.community_id, Building.grid_id
        ).where(Building.id.in_(wanted))
    )
    by_building = {r[0]: ScopedRow(r[1], r[2], r[3]) for r in rows.all()}
    return {
        u.id: by_building[u.home_building_id]
        for u in users
        if u.home_building_id is not None and u.home_building_id in by_building
    }


# The resident register (server.people) builds on accounts, so accounts names its table bare.
_RESIDENTS = table("residents", column("id"), column("user_id"))


@functools.cache
def _current_user_query(with_revocation: bool) -> Any:
    """The one statement of :func:`load_current_user`, built once (it runs on every
    signed-in request): the account, its home building's scope ids, its role
    assignments (one row per assignment), its resident record and, with
    ``with_revocation``, whether the token ``:jti`` was revoked."""
    ra = RoleAssignment
    columns: list[Any] = [
        User.name,
        User.locale,
        User.is_active,
        Building.id,
        Building.sub_district_id,
        Building.community_id,
        Building.grid_id,
        ra.id,
        ra.role,
        ra.sub_district_id,
        ra.community_id,
        ra.grid_id,
        ra.scope_code,
        ra.title,
        select(_RESIDENTS.c.id).where(_RESIDENTS.c.user_id == User.id).limit(1).scalar_subquery(),
    ]
    if with_revocation:
        columns.append(exists().where(RevokedAccessToken.jti == bindparam("jti")))
    return (
        select(*columns)
        .select_from(User)
        .outerjoin(Building, Building.id == User.home_building_id)
        .outerjoin(ra, ra.user_id == User.id)
        .where(User.id == bindparam("user_id"))
        .order_by(ra.id)
    )


async def load_current_user(
    session: AsyncSession, user_id: int, *, revoked_jti: str | None = None
) -> CurrentUser | None:
    """The signed-in person in one statement (:func:`_current_user_query`); None for a
    missing or inactive account, or when the access token ``revoked_jti`` was revoked."""
    params: dict[str, Any] = {"user_id": user_id}
    if revoked_jti is not None:
        params["jti"] = revoked_jti
    rows = (await execute(session, _current_user_query(revoked_jti is not None), params)).all()
    if not rows:
        return None
    first = rows[0]
    if not first[2] or (revoked_jti is not None and first[15]):
        return None
    grants = tuple(
        Grant(Role(r[8]), r[9], r[10], r[11], r[12], r[13]) for r in rows if r[7] is not None
    )
    home = ScopedRow(first[4], first[5], first[6]) if first[3] is not None else None
    return CurrentUser(
        id=user_id,
        name=first[0],
        locale=first[1],
        grants=grants,
        home=home,
        scope=Scope.from_assignments(user_id, grants),
        resident_id=first[14],
    )


class AccountService:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale
        self.audit = AuditService(session)

    # --- views -------------------------------------------------------------------------

    async def role_views(self, assignments: Sequence[RoleAssignment | Grant]) -> list[RoleView]:
        return self._role_views(assignments, await self._unit_names(assignments))

    def _role_views(
        self,
        assignments: Sequence[RoleAssignment | Grant],
        names: dict[tuple[str, int], str],
    ) -> list[RoleView]:
        views = []
        for a in assignments:
            unit = (
                a.grid_id
                if a.grid_id is not None
                else a.community_id
                if a.community_id is not None
                else a.sub_district_id
            )
            if a.grid_id is not None:
                level = "grid"
            elif a.community_id is not None:
                level = "community"
            elif a.sub_district_id is not None:
                level = "sub_district"
            else:
                level = None
            views.append(
                RoleView(
                    role=Role(a.role),
                    scope_level=level,  # type: ignore[arg-type]
                    scope_code=a.scope_code or None,
                    scope_name=names.get((level, unit)) if level and unit is not None else None,
                    title=a.title,
                )
            )
        return views

    async def _unit_names(
        self, assignments: Sequence[RoleAssignment | Grant]
    ) -> dict[tuple[str, int], str]:
        names: dict[tuple[str, int], str] = {}
        for level, model, ids in (
            ("grid", Grid, {a.grid_id for a in assignments if a.grid_id is not None}),
            (
                "community",
                Community,
                {a.community_id for a in assignments if a.community_id is not None},
            ),
            (
                "sub_district",
                SubDistrict,
                {a.sub_district_id for a in assignments if a.sub_district_id is not None},
            ),
        ):
            if ids:
                for row in await self.session.execute(
                    select(model.id, model.name, model.name_i18n).where(model.id.in_(ids))
                ):
                    names[(level, row.id)] = localised_name(row.name, row.name_i18n, self.locale)
        return names

    async def me(self, current: CurrentUser) -> UserView:
        from server.people.models import PartyMember, Resident

        user = await self._get(current.id)
        community_id = await self.session.scalar(
            select(Resident.community_id).where(Resident.user_id == user.id)
        )
        if community_id is None:
            community_id = next(iter(sorted(current.community_ids())), None)
        community = (
            await self.session.get(Community, community_id) if community_id is not None else None
        )
        return UserView(
            id=user.id,
            name=user.name,
            phone_masked=mask_phone(user.phone),
            locale=user.locale,
            roles=await self.role_views(current.grants),
            community_code=community.code if community else None,
            community_name=localised_name(community.name, community.name_i18n, self.locale)
            if community
            else None,
            party_member=await self.session.get(PartyMember, user.id) is not None,
            can=sorted(name for name, roles in CAPABILITIES.items() if current.has(*roles)),
        )

    async def set_locale(self, current: CurrentUser, locale: str) -> UserView:
        user = await self._get(current.id)
        user.locale = locale
        self.locale = locale
        return await self.me(current)

    # --- staff lists (scoped, masked) ----------------------------------------------------

    def visible(self, scope: Scope):  # type: ignore[no-untyped-def]
        """Users visible in ``scope``: a role bound inside it, or a home building inside it."""
        role_in_scope = exists().where(
            RoleAssignment.user_id == User.id, scope.clause(RoleAssignment)
        )
        home_in_scope = exists().where(Building.id == User.home_building_id, scope.clause(Building))
        return or_(role_in_scope, home_in_scope)

    async def list_users(
        self, current: CurrentUser, *, role: Role | None = None, limit: int = 50, offset: int = 0
    ) -> list[UserSummary]:
        scope = current.scope
        if scope.is_empty:
            raise Forbidden(N_("Your role does not allow this"))
        query = select(User).where(self.visible(scope))
        if role is not None:
            query = query.where(
                exists().where(RoleAssignment.user_id == User.id, RoleAssignment.role == role)
            )
        users = (
            await self.session.scalars(query.order_by(User.id).limit(limit).offset(offset))
        ).all()
        by_user = await self._assignments([u.id for u in users])
        # The units' names for the whole page at once, not a look-up per person.
        names = await self._unit_names([a for found in by_user.values() for a in found])
        return [
            UserSummary(
                id=u.id,
                name=u.name,
                phone_masked=mask_phone(u.phone),
                roles=self._role_views(by_user.get(u.id, []), names),
                is_active=u.is_active,
            )
            for u in users
        ]

    async def _assignments(self, user_ids: list[int]) -> dict[int, list[RoleAssignment]]:
        out: dict[int, list[RoleAssignment]] = {}
        if user_ids:
            for a in (
                await self.session.scalars(
                    select(RoleAssignment).where(RoleAssignment.user_id.in_(user_ids))
                )
            ).all():
                out.setdefault(a.user_id, []).append(a)
        return out

    async def _get(self, user_id: int) -> User:
        user = await self.session.get(User, user_id)
        if user is None:
            raise NotFound(N_("No such user"))
        return user

    async def _get_in_scope(self, current: CurrentUser, user_id: int) -> User:
        if user_id == current.id:
            return await self._get(user_id)
        if current.scope.is_empty:
            # Not staff: nobody else is theirs to see (404, as for any object out of scope).
            raise NotFound(N_("No such user"))
        user = await self.session.scalar(
            select(User).where(User.id == user_id, self.visible(current.scope))
        )
        if user is None:
            # Same answer for "absent" and "out of scope": ids are not an oracle.
            raise NotFound(N_("No such user"))
        return user

    async def get_user(self, current: CurrentUser, user_id: int) -> UserDetail:
        user = await self._get_in_scope(current, user_id)
        code = None
        if user.home_building_id is not None:
            code = await self.session.scalar(
                select(Building.code).where(Building.id == user.home_building_id)
            )
        assignments = (await self._assignments([user.id])).get(user.id, [])
        return UserDetail(
            id=user.id,
            name=user.name,
            phone_masked=mask_phone(user.phone),
            roles=await self.role_views(assignments),
            is_active=user.is_active,
            locale=user.locale,
            created_at=user.created_at,
            home_building_code=code,
        )

    async def reveal_phone(
        self, current: CurrentUser, user_id: int, client_ip: str | None
    ) -> PhoneReveal:
        user = await self._get_in_scope(current, user_id)
        if user.id != current.id:
            where = await self.anchor_in(current.scope, user)
            self.audit.record(
                current.id,
                "user.unmask_phone",
                "user",
                user.id,
                where=where,
                client_ip=client_ip,
                field="phone",
            )
        return PhoneReveal(id=user.id, phone=user.phone)

    async def anchor_in(self, scope: Scope, user: User) -> ScopedRow | RoleAssignment | None:
        """Where in ``scope`` this person is: their home, else a role bound inside it (for the audit log)."""
        home = await home_of(self.session, user)
        if home is not None and scope.covers(home):
            return home
        assignments = (await self._assignments([user.id])).get(user.id, [])
        return next((a for a in assignments if scope.covers(a)), None)

    async def issue_temporary_password(
        self, current: CurrentUser, user_id: int, client_ip: str | None
    ) -> TemporaryPassword:
        """A one-time password for someone in my area (an imported volunteer, a resident who forgot).

        Shown once to the staff member who hands it over; the person's sessions end; audited.
        """
        if not current.has(*RESIDENT_REGISTRARS):
            raise Forbidden(N_("Your role does not allow this"))
        user = await self._get_in_scope(current, user_id)
        await self.check_may_change(current, user)
        password = "".join(secrets.choice("23456789abcdefghjkmnpqrstuvwxyz") for _ in range(10))
        user.password_hash = await hash_password(password)
        from server.auth.models import RefreshToken
        from server.db.base import utcnow

        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        self.audit.record(
            current.id,
            "user.temporary_password",
            "user",
            user.id,
            where=await self.anchor_in(current.scope, user),
            client_ip=client_ip,
        )
        return TemporaryPassword(id=user.id, password=password)

    async def may_change(self, actor: CurrentUser, user: User, *, staff: bool = True) -> bool:
        """Does the actor outrank this person in their area (the rank rule)?

        ``staff=False``: and the person holds no staff role at all (what an import may touch).
        """
        return (await self.may_change_many(actor, [user], staff=staff))[user.id]

    async def may_change_many(
        self, actor: CurrentUser, users: Sequence[User], *, staff: bool = True
    ) -> dict[int, bool]:
        """``may_change`` for each of these people, in two queries whatever their number."""
        others = [u for u in users if u.id != actor.id]
        by_user = await self._assignments([u.id for u in others])
        homes = await homes_of(self.session, others)
        out = {u.id: False for u in users}
        for u in others:
            assignments = by_user.get(u.id, [])
            if not staff and any(Role(a.role) in STAFF_ROLES for a in assignments):
                continue
            out[u.id] = outranks(actor.grants, assignments, homes.get(u.id))
        return out

    async def check_may_change(self, actor: CurrentUser, user: User) -> None:
        """Refuse a change to an account the actor does not outrank (roles, profile, password)."""
        if not await self.may_change(actor, user):
            raise Forbidden(
                N_("You may only change the accounts of people you outrank in your area")
            )

    # --- creating people ---------------------------------------------------------------

    async def resolve_grant(self, grant: RoleGrant) -> Grant:
        level = SCOPE_LEVEL_OF_ROLE[grant.role]
        if level is None:
            if grant.scope_code:
                raise BadRequest(N_("Role {role} is not bound to an area"), role=grant.role.value)
            return Grant(grant.role, None, None, None, "", grant.title)
        if not grant.scope_code:
            raise BadRequest(N_("Role {role} needs the code of its area"), role=grant.role.value)
        code = grant.scope_code
        if level == "grid":
            g = await self.session.scalar(select(Grid).where(Grid.code == code))
            if g is None:
                raise BadRequest(N_("No grid has code {code}"), code=code)
            return Grant(grant.role, g.sub_district_id, g.community_id, g.id, code, grant.title)
        if level == "community":
            c = await self.session.scalar(select(Community).where(Community.code == code))
            if c is None:
                raise BadRequest(N_("No community has code {code}"), code=code)
            return Grant(grant.role, c.sub_district_id, c.id, None, code, grant.title)
        s = await self.session.scalar(select(SubDistrict).where(SubDistrict.code == code))
        if s is None:
            raise BadRequest(N_("No sub-district has code {code}"), code=code)
        return Grant(grant.role, s.id, None, None, code, grant.title)

    def check_may_grant(
        self, actor: CurrentUser | None, grant: Grant, home: ScopedRow | None
    ) -> None:
        """Admins grant roles below their own inside the units they administer; staff may
        register residents of their area. Nobody grants a role as high as their own."""
        if actor is None:  # the operator's CLI
            return
        if grant.role is Role.system_admin:
            raise Forbidden(N_("Only the operator may grant this role"))
        if grant.role is Role.resident:
            registrars = actor.scope_of(RESIDENT_REGISTRARS)
            if home is None or not registrars.covers(home):
                raise Forbidden(N_("You may only register residents of buildings in your area"))
            return
        admin = [g for g in actor.grants if g.role in ADMIN_ROLES]
        if rank_over(admin, grant) <= RANK[grant.role]:
            raise Forbidden(
                N_("You may only grant roles below your own, inside the area you administer")
            )

    async def create_user(
        self, actor: CurrentUser | None, data: UserCreate, client_ip: str | None = None
    ) -> UserDetail:
        home: ScopedRow | None = None
        building: Building | None = None
        if data.home_building_code:
            building = await self.session.scalar(
                select(Building).where(Building.code == data.home_building_code)
            )
            if building is None:
                raise BadRequest(N_("No building has code {code}"), code=data.home_building_code)
            home = ScopedRow(building.sub_district_id, building.community_id, building.grid_id)
        grants = [await self.resolve_grant(g) for g in data.roles]
        for grant in grants:
            self.check_may_grant(actor, grant, home)
        if await self.session.scalar(select(User.id).where(User.phone == data.phone)) is not None:
            raise Conflict(N_("A user with this phone number already exists"))
        user = User(
            phone=data.phone,
            name=data.name,
            password_hash=await hash_password(data.password),
            locale=data.locale,
            home_building_id=building.id if building else None,
        )
        self.session.add(user)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(N_("A user with this phone number already exists")) from exc
        for grant in grants:
            self.session.add(
                RoleAssignment(
                    user_id=user.id,
                    role=grant.role,
                    title=grant.title,
                    scope_code=grant.scope_code,
                    **placed_in(grant),
                )
            )
        await self.session.flush()
        where = grants[0] if grants[0].sub_district_id is not None else home
        self.audit.record(
            actor.id if actor else None,
            "user.create",
            "user",
            user.id,
            where=where,
            client_ip=client_ip,
            roles=[g.role.value for g in grants],
        )
        return UserDetail(
            id=user.id,
            name=user.name,
            phone_masked=mask_phone(user.phone),
            roles=await self.role_views(grants),
            is_active=True,
            locale=user.locale,
            created_at=user.created_at,
            home_building_code=data.home_building_code,
        )
