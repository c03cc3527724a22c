"""Residents and the three teams, within the one scope rule.

Care tags and ID numbers are sensitive (PIPL): only staff whose scope covers
the person see care tags; ID numbers are sealed at rest and shown only through
an audited reveal; phones are masked in every list.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import String, cast, func, null, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.accounts.models import Role, RoleAssignment, User
from server.accounts.schemas import RoleGrant, UserCreate
from server.accounts.scope import ScopedRow
from server.accounts.services import (
    RESIDENT_REGISTRARS,
    AccountService,
    CurrentUser,
    hash_password,
)
from server.audit.services import AuditService
from server.db.base import utcnow
from server.grids.models import Building, Community, Grid, Level, PartyOrg, placed_in
from server.grids.services import GridService
from server.lib.crypto import open_sealed
from server.lib.errors import BadRequest, Conflict, Forbidden, NotFound
from server.lib.i18n import N_, localised_name, translate
from server.lib.masking import mask_name, mask_phone
from server.lib.text import like_escape
from server.people.importer import (
    RowProblem,
    describe,
    id_number_ok,
    read_rows,
    read_volunteer_rows,
    render,
)
from server.people.models import (
    PartyMember,
    PartyMemberKind,
    Resident,
    ServiceGroup,
    ServiceGroupMember,
    VolunteerHours,
    VolunteerOrg,
    VolunteerOrgMember,
    VolunteerProfile,
)
from server.people.schemas import (
    Availability,
    CommunityHours,
    HoursEntry,
    HoursEntryByPerson,
    ImportRejection,
    ImportReport,
    MemberView,
    MyHours,
    PartyMemberIn,
    PartyMemberView,
    ResidentCreate,
    ResidentPage,
    ResidentPassword,
    ResidentUpdate,
    ResidentView,
    Revealed,
    ServiceGroupMemberIn,
    ServiceGroupView,
    VolunteerOrgIn,
    VolunteerOrgView,
    VolunteerProfileIn,
    VolunteerView,
)
from server.people.vocabulary import vocabulary

__all__ = ["PeopleService"]

# A building code as typed: 6+ letters and digits with at least one letter (all digits: a phone).
BUILDING_SEARCH = re.compile(r"[0-9A-Za-z]{6,40}")
MANAGERS = (Role.community_staff, Role.community_admin, Role.subdistrict_admin, Role.system_admin)


class PeopleService:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale
        self.audit = AuditService(session)

    # --- residents ---------------------------------------------------------------------

    def _check_tags(self, tags: list[str]) -> None:
        unknown = [t for t in tags if t not in vocabulary().care_codes]
        if unknown:
            raise BadRequest(N_("unknown care tag: {tag}"), tag="、".join(unknown))

    async def _building_in_scope(self, user: CurrentUser, code: str) -> Building:
        building = await self.session.scalar(select(Building).where(Building.code == code))
        if building is None:
            raise BadRequest(N_("No building has code {code}"), code=code)
        if not user.scope_of(RESIDENT_REGISTRARS).covers(building):
            raise Forbidden(N_("You may only register residents of buildings in your area"))
        return building

    async def _view(self, r: Resident) -> ResidentView:
        return (await self.views([r]))[0]

    async def views(self, residents: Sequence[Resident]) -> list[ResidentView]:
        """Views of residents: their buildings and grids in one query each, however many."""
        buildings = {
            row.id: row
            for row in (
                await self.session.execute(
                    select(Building.id, Building.code, Building.name).where(
                        Building.id.in_({r.building_id for r in residents})
                    )
                )
            ).all()
        }
        grids = dict(
            (
                await self.session.execute(
                    select(Grid.id, Grid.code).where(Grid.id.in_({r.grid_id for r in residents}))
                )
            ).all()
        )
        return [
            self._resident_view(r, buildings[r.building_id], grids[r.grid_id]) for r in residents
        ]

    @staticmethod
    def _resident_view(r: Resident, building: Any, grid_code: str) -> ResidentView:
        return ResidentView(
            id=r.id,
            name=r.name,
            phone_masked=mask_phone(r.phone) if r.phone else None,
            building_code=building.code,
            building=building.name,
            unit=r.unit,
            grid_code=grid_code,
            birth_year=r.birth_year,
            is_minor=r.is_minor,
            care_tags=list(r.care_tags),
            has_id_number=r.id_number_sealed is not None,
            has_account=r.user_id is not None,
            notify_via=r.notify_via,
            visit_window=r.visit_window,
        )

    async def create_resident(
        self, user: CurrentUser, data: ResidentCreate, client_ip: str | None
    ) -> ResidentView:
        building = await self._building_in_scope(user, data.building_code)
        self._check_tags(data.care_tags)
        if data.id_number and not id_number_ok(data.id_number.upper()):
            raise BadRequest(N_("ID number is not valid"))
        resident = Resident(
            name=data.name.strip(),
            phone=data.phone,
            building_id=building.id,
            unit=data.unit.strip(),
            birth_year=data.birth_year,
            is_minor=data.is_minor,
            care_tags=list(data.care_tags),
            notify_via=data.notify_via,
            locale=data.locale,
            **Resident.placed_in(building),
        )
        resident.set_id_number(data.id_number.upper() if data.id_number else None)
        self.session.add(resident)
        await self.session.flush()
        self.audit.record(
            user.id, "resident.create", "resident", resident.id, where=resident, client_ip=client_ip
        )
        return await self._view(resident)

    async def _resident_in_scope(self, user: CurrentUser, resident_id: int) -> Resident:
        resident = await self.session.get(Resident, resident_id)
        if resident is None or not user.scope.covers(resident):
            raise NotFound(N_("No such resident"))
        return resident

    async def get_resident(self, user: CurrentUser, resident_id: int) -> ResidentView:
        return await self._view(await self._resident_in_scope(user, resident_id))

    async def update_resident(
        self, user: CurrentUser, resident_id: int, data: ResidentUpdate, client_ip: str | None
    ) -> ResidentView:
        resident = await self._resident_in_scope(user, resident_id)
        changed = []
        for field in ("phone", "unit", "care_tags", "notify_via", "visit_window"):
            value = getattr(data, field)
            if value is not None:
                if field == "care_tags":
                    self._check_tags(value)
                    value = list(value)
                if field == "visit_window":
                    value = value or None
                setattr(resident, field, value)
                changed.append(field)
        self.audit.record(
            user.id,
            "resident.update",
            "resident",
            resident.id,
            where=resident,
            client_ip=client_ip,
            fields=changed,
        )
        return await self._view(resident)

    async def list_residents(
        self,
        user: CurrentUser,
        *,
        q: str | None = None,
        building_code: str | None = None,
        care_tag: str | None = None,
        grid_code: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> ResidentPage:
        """One page of the residents in scope and how many match, oldest record first.

        ``q`` finds a person the way a window clerk asks: four digits are the end of
        the phone number (what a masked phone shows), eleven digits the whole number,
        a longer code a building (code prefix), anything else the start of the name.
        """
        if user.scope.is_empty:
            raise Forbidden(N_("Your role does not allow this"))
        query = select(Resident).where(user.scope.clause(Resident))
        if grid_code:
            query = query.join(Grid, Grid.id == Resident.grid_id).where(Grid.code == grid_code)
        needle = (q or "").strip()
        by_building = bool(BUILDING_SEARCH.fullmatch(needle)) and not needle.isdigit()
        if building_code or by_building:
            query = query.join(Building, Building.id == Resident.building_id)
            if building_code:
                query = query.where(Building.code == building_code)
        if care_tag:  # the JSON list as text holds each tag in quotes, on both engines
            query = query.where(
                cast(Resident.care_tags, String).like(f'%"{like_escape(care_tag)}"%', escape="\\")
            )
        if needle:
            if needle.isdigit() and len(needle) == 4:
                query = query.where(Resident.phone.like(f"%{needle}"))
            elif needle.isdigit() and len(needle) == 11:
                query = query.where(Resident.phone == needle)
            elif by_building:
                query = query.where(
                    Building.code.like(f"{like_escape(needle.upper())}%", escape="\\")
                )
            else:
                query = query.where(Resident.name.like(f"{like_escape(needle)}%", escape="\\"))
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        residents = (
            await self.session.scalars(query.order_by(Resident.id).limit(limit).offset(offset))
        ).all()
        return ResidentPage(
            total=int(total or 0),
            items=await self.views(residents),
            limit=limit,
            offset=offset,
        )

    async def resident_password(
        self, user: CurrentUser, resident_id: int, client_ip: str | None
    ) -> ResidentPassword:
        """A one-time password for a resident; one without an account gets one first.

        The account is a resident's (role resident, home = their building), bound to the
        record, logging in with the resident's mobile number. Both steps reuse the accounts
        service, so they are checked and audited the same way (user.create,
        user.temporary_password), and the resident record notes that it got an account.
        """
        if not user.has(*RESIDENT_REGISTRARS):
            raise Forbidden(N_("Your role does not allow this"))
        resident = await self._resident_in_scope(user, resident_id)
        accounts = AccountService(self.session, self.locale)
        created = resident.user_id is None
        if resident.user_id is None:
            if not resident.phone:
                raise BadRequest(N_("Add the resident's mobile number first: they log in with it"))
            taken = await self.session.scalar(select(User.id).where(User.phone == resident.phone))
            if taken is not None:
                raise Conflict(N_("A user with this phone number already exists"))
            building = await self.session.get(Building, resident.building_id)
            assert building is not None
            account = await accounts.create_user(
                user,
                UserCreate(
                    phone=resident.phone,
                    name=resident.name,
                    password=secrets.token_urlsafe(24),  # replaced by the one-time password
                    roles=[RoleGrant(role=Role.resident)],
                    locale=resident.locale,  # type: ignore[arg-type]
                    home_building_code=building.code,
                ),
                client_ip,
            )
            resident.user_id = account.id
            await self.session.flush()
            self.audit.record(
                user.id,
                "resident.account_create",
                "resident",
                resident.id,
                where=resident,
                client_ip=client_ip,
                user_id=account.id,
            )
        temporary = await accounts.issue_temporary_password(user, resident.user_id, client_ip)
        return ResidentPassword(
            resident_id=resident.id,
            user_id=temporary.id,
            phone_masked=mask_phone(resident.phone) if resident.phone else "",
            password=temporary.password,
            account_created=created,
        )

    async def reveal(
        self, user: CurrentUser, resident_id: int, field: str, client_ip: str | None
    ) -> Revealed:
        """The full phone or ID number of one resident; who asked is written to the audit log."""
        if not user.has(*MANAGERS, Role.grid_worker):
            raise Forbidden(N_("Your role does not allow this"))
        resident = await self._resident_in_scope(user, resident_id)
        if field == "phone":
            value = resident.phone
        else:
            value = open_sealed(resident.id_number_sealed) if resident.id_number_sealed else None
        if value is None:
            raise NotFound(N_("Not found"))
        self.audit.record(
            user.id,
            f"resident.unmask_{field}",
            "resident",
            resident.id,
            where=resident,
            client_ip=client_ip,
            field=field,
        )
        return Revealed(id=resident.id, field=field, value=value)

    def _file_refused(self, problem: tuple[str, dict[str, object]]) -> ImportReport:
        """The report for a file that could not be read as a sheet at all (nothing imported)."""
        reason = translate(problem[0], self.locale, **problem[1])
        return ImportReport(
            ok=False, rows=0, created=0, updated=0, rejected=[ImportRejection(row=1, reason=reason)]
        )

    def _rejection(self, row: int, problem: RowProblem) -> ImportRejection:
        return ImportRejection(row=row, reason=render(problem, self.locale), column=problem.column)

    async def import_residents(
        self, user: CurrentUser, data: bytes, client_ip: str | None
    ) -> ImportReport:
        """All rows or none; re-import updates (same name, building and unit)."""
        if user.scope_of(RESIDENT_REGISTRARS).is_empty:
            raise Forbidden(N_("Your role does not allow this"))
        words = vocabulary()
        rows, headers, problem = read_rows(data, words.care_codes, words.tag_names)
        if problem is not None:
            return self._file_refused(problem)
        rejected: list[ImportRejection] = []
        accepted: list[tuple[ResidentCreate, Building]] = []
        scope = user.scope_of(RESIDENT_REGISTRARS)
        buildings: dict[str, Building | None] = {}
        for row in rows:
            if row.values is None:
                rejected += [self._rejection(row.row, p) for p in row.problems]
                continue
            try:
                item = msgspec.convert(row.values, ResidentCreate)
            except msgspec.ValidationError as exc:
                rejected.append(self._rejection(row.row, describe(exc, headers)))
                continue
            if item.building_code not in buildings:
                buildings[item.building_code] = await self.session.scalar(
                    select(Building).where(Building.code == item.building_code)
                )
            building = buildings[item.building_code]
            column = headers["building_code"]
            if building is None:
                problem_ = RowProblem(
                    column, N_("No building has code {code}"), {"code": item.building_code}
                )
                rejected.append(self._rejection(row.row, problem_))
            elif not scope.covers(building):
                problem_ = RowProblem(
                    column, N_("You may only register residents of buildings in your area")
                )
                rejected.append(self._rejection(row.row, problem_))
            else:
                accepted.append((item, building))
        if rejected:
            return ImportReport(ok=False, rows=len(rows), created=0, updated=0, rejected=rejected)
        created = updated = 0
        for item, building in accepted:
            existing = await self.session.scalar(
                select(Resident).where(
                    Resident.name == item.name.strip(),
                    Resident.building_id == building.id,
                    Resident.unit == item.unit.strip(),
                )
            )
            number = item.id_number.upper() if item.id_number else None
            if existing is not None:
                existing.phone = item.phone or existing.phone
                existing.birth_year = item.birth_year or existing.birth_year
                existing.is_minor = item.is_minor
                existing.care_tags = list(item.care_tags)
                if number:
                    existing.set_id_number(number)
                existing.notify_via = item.notify_via
                updated += 1
            else:
                resident = Resident(
                    name=item.name.strip(),
                    phone=item.phone,
                    building_id=building.id,
                    unit=item.unit.strip(),
                    birth_year=item.birth_year,
                    is_minor=item.is_minor,
                    care_tags=list(item.care_tags),
                    notify_via=item.notify_via,
                    locale=item.locale,
                    **Resident.placed_in(building),
                )
                resident.set_id_number(number)
                self.session.add(resident)
                created += 1
        await self.session.flush()
        self.audit.record(
            user.id,
            "resident.import",
            "resident",
            None,
            where=accepted[0][1] if accepted else None,
            client_ip=client_ip,
            created=created,
            updated=updated,
        )
        return ImportReport(ok=True, rows=len(rows), created=created, updated=updated, rejected=[])

    async def import_volunteers(
        self, user: CurrentUser, data: bytes, client_ip: str | None
    ) -> ImportReport:
        """Volunteers from a sheet: accounts (no usable password until staff issue one), trades,
        party membership. All rows or none; a phone already registered gains the volunteer role."""
        scope = user.scope_of(MANAGERS)
        if scope.is_empty:
            raise Forbidden(N_("Your role does not allow this"))
        words = vocabulary()
        rows, headers, problem = read_volunteer_rows(data, words.trade_codes, words.trade_names)
        if problem is not None:
            return self._file_refused(problem)
        rejected: list[ImportRejection] = []
        accepted: list[tuple[dict[str, Any], Community, User | None]] = []
        accounts = AccountService(self.session, self.locale)
        seen: dict[str, int] = {}  # phone → the row it was first on
        for row in rows:
            v = row.values
            if v is None:
                rejected += [self._rejection(row.row, p) for p in row.problems]
                continue
            if v["phone"] in seen:
                problem_ = RowProblem(
                    headers["phone"],
                    N_("the same phone number is already on row {row}"),
                    {"row": seen[v["phone"]]},
                )
                rejected.append(self._rejection(row.row, problem_))
                continue
            seen[v["phone"]] = row.row
            community = await self.session.scalar(
                select(Community).where(Community.code == v["community_code"])
            )
            if community is None or not scope.covers(community):
                problem_ = RowProblem(
                    headers["community_code"],
                    N_("No community has code {code}"),
                    {"code": v["community_code"]},
                )
                rejected.append(self._rejection(row.row, problem_))
                continue
            # An import never reaches staff accounts or people of another area.
            target = await self.session.scalar(select(User).where(User.phone == v["phone"]))
            if target is not None and not await accounts.may_change(user, target, staff=False):
                problem_ = RowProblem(
                    headers["phone"],
                    N_("this phone number belongs to an account you may not change"),
                )
                rejected.append(self._rejection(row.row, problem_))
            else:
                accepted.append((v, community, target))
        if rejected:
            return ImportReport(ok=False, rows=len(rows), created=0, updated=0, rejected=rejected)
        created = updated = 0
        for v, community, target in accepted:
            if target is None:
                target = User(
                    phone=v["phone"],
                    name=v["name"],
                    password_hash=await hash_password(secrets.token_urlsafe(24)),
                )
                self.session.add(target)
                await self.session.flush()
                created += 1
            else:
                updated += 1
            has_role = await self.session.scalar(
                select(RoleAssignment.id).where(
                    RoleAssignment.user_id == target.id,
                    RoleAssignment.role == Role.volunteer,
                    RoleAssignment.community_id == community.id,
                )
            )
            if has_role is None:
                self.session.add(
                    RoleAssignment(
                        user_id=target.id,
                        role=Role.volunteer,
                        scope_code=community.code,
                        **placed_in(community),
                    )
                )
            profile = await self.session.get(VolunteerProfile, target.id)
            if profile is None:
                profile = VolunteerProfile(user_id=target.id)
                self.session.add(profile)
            profile.trades = list(v["trades"])
            profile.community_id = community.id
            if v["party"]:
                member = await self.session.get(PartyMember, target.id)
                if member is None:
                    self.session.add(
                        PartyMember(
                            user_id=target.id,
                            kind=PartyMemberKind(v["party"]),
                            reported_community_id=community.id,
                        )
                    )
                else:
                    member.kind = PartyMemberKind(v["party"])
        await self.session.flush()
        self.audit.record(
            user.id,
            "volunteer.import",
            "user",
            None,
            where=accepted[0][1] if accepted else None,
            client_ip=client_ip,
            created=created,
            updated=updated,
        )
        return ImportReport(ok=True, rows=len(rows), created=created, updated=updated, rejected=[])

    # --- volunteers and party members --------------------------------------------------

    async def _volunteer_in_scope(
        self, user: CurrentUser, user_id: int, *, change: bool = False
    ) -> User:
        target = await self.session.get(User, user_id)
        if target is None:
            raise NotFound(N_("No such user"))
        if user_id == user.id:
            return target
        profile = await self.session.get(VolunteerProfile, user_id)
        community = profile.community_id if profile else None
        from server.accounts.models import RoleAssignment

        if community is None:
            community = await self.session.scalar(
                select(RoleAssignment.community_id).where(
                    RoleAssignment.user_id == user_id, RoleAssignment.role == Role.volunteer
                )
            )
        c = await self.session.get(Community, community) if community else None
        if c is None or not user.scope_of(MANAGERS).covers(c):
            raise NotFound(N_("No such user"))
        if change:  # seen, but changed only by someone who outranks them wherever they hold a role
            await AccountService(self.session, self.locale).check_may_change(user, target)
        return target

    async def set_volunteer_profile(
        self,
        user: CurrentUser,
        user_id: int,
        data: VolunteerProfileIn,
        client_ip: str | None = None,
    ) -> VolunteerView:
        target = await self._volunteer_in_scope(user, user_id, change=True)
        unknown = [t for t in data.trades if t not in vocabulary().trade_codes]
        if unknown:
            raise BadRequest(N_("unknown trade: {trade}"), trade="、".join(unknown))
        if any(a.end <= a.start for a in data.availability):
            raise BadRequest(N_("Each available time must end after it starts"))
        profile = await self.session.get(VolunteerProfile, target.id)
        if profile is None:
            profile = VolunteerProfile(user_id=target.id)
            self.session.add(profile)
        profile.trades = list(data.trades)
        profile.availability = [msgspec.to_builtins(a) for a in data.availability]
        await self.session.flush()
        if target.id != user.id:  # staff changing someone's profile is on the record
            accounts = AccountService(self.session, self.locale)
            self.audit.record(
                user.id,
                "volunteer.profile",
                "user",
                target.id,
                where=await accounts.anchor_in(user.scope, target),
                client_ip=client_ip,
            )
        return await self._volunteer_view(target, user)

    async def my_volunteer_profile(self, user: CurrentUser) -> VolunteerView:
        if not user.has(Role.volunteer):
            raise NotFound(N_("You are not registered as a volunteer"))
        me = await self.session.get(User, user.id)
        assert me is not None
        return await self._volunteer_view(me, user)

    async def _volunteer_view(self, target: User, viewer: CurrentUser) -> VolunteerView:
        return (await self._volunteer_views([target], viewer))[0]

    async def _volunteer_views(
        self, targets: Sequence[User], viewer: CurrentUser
    ) -> list[VolunteerView]:
        """Views of volunteers: profiles, party memberships, hours and the rank rule each
        in one query, however many."""
        ids = [t.id for t in targets]
        profiles = {
            p.user_id: p
            for p in (
                await self.session.scalars(
                    select(VolunteerProfile).where(VolunteerProfile.user_id.in_(ids))
                )
            ).all()
        }
        party = dict(
            (
                await self.session.execute(
                    select(PartyMember.user_id, PartyMember.kind).where(
                        PartyMember.user_id.in_(ids)
                    )
                )
            ).all()
        )
        hours = dict(
            (
                await self.session.execute(
                    select(VolunteerHours.user_id, func.sum(VolunteerHours.hours))
                    .where(VolunteerHours.user_id.in_(ids))
                    .group_by(VolunteerHours.user_id)
                )
            ).all()
        )
        # The same rank rule the changes enforce, so the PWA offers only what will work.
        manageable = await AccountService(self.session, self.locale).may_change_many(
            viewer, targets
        )
        views = []
        for target in targets:
            profile = profiles.get(target.id)
            kind = party.get(target.id)
            views.append(
                VolunteerView(
                    user_id=target.id,
                    name=target.name,
                    phone_masked=mask_phone(target.phone),
                    trades=list(profile.trades) if profile else [],
                    availability=[
                        msgspec.convert(a, Availability)
                        for a in (profile.availability if profile else [])
                    ],
                    party_member=PartyMemberKind(kind).value if kind else None,
                    hours=float(hours.get(target.id) or 0),
                    manageable=manageable[target.id],
                )
            )
        return views

    async def list_volunteers(
        self, user: CurrentUser, *, trade: str | None = None
    ) -> list[VolunteerView]:
        from server.accounts.models import RoleAssignment

        scope = user.scope_of(MANAGERS)
        if scope.is_empty:
            raise Forbidden(N_("Your role does not allow this"))
        ids = (
            await self.session.scalars(
                select(RoleAssignment.user_id)
                .where(RoleAssignment.role == Role.volunteer, scope.clause(RoleAssignment))
                .distinct()
            )
        ).all()
        users = (
            await self.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id))
        ).all()
        views = await self._volunteer_views(users, user)
        return [v for v in views if trade is None or trade in v.trades]

    async def set_party_member(
        self, user: CurrentUser, user_id: int, data: PartyMemberIn, client_ip: str | None = None
    ) -> VolunteerView:
        """Record a volunteer's party membership; an in-service member reports to a residential
        community of my area (进社区报到). The member is linked to that community's party
        branch (else their volunteering community's). Audited."""
        target = await self._volunteer_in_scope(user, user_id, change=True)
        if user_id == user.id and not user.has(*MANAGERS):
            raise Forbidden(N_("Your role does not allow this"))
        community = None
        if data.reported_community_code:
            community = await self.session.scalar(
                select(Community).where(Community.code == data.reported_community_code)
            )
            if community is None or not user.scope_of(MANAGERS).covers(community):
                raise BadRequest(
                    N_("No community has code {code}"), code=data.reported_community_code
                )
        member = await self.session.get(PartyMember, target.id)
        if member is None:
            member = PartyMember(user_id=target.id, kind=data.kind)
            self.session.add(member)
        member.kind = data.kind
        if community is not None and community.id != member.reported_community_id:
            member.reported_community_id = community.id
            member.reported_at = utcnow()
        profile = await self.session.get(VolunteerProfile, target.id)
        branch_of = member.reported_community_id or (profile.community_id if profile else None)
        if branch_of is not None:
            member.party_org_id = await self.session.scalar(
                select(PartyOrg.id).where(
                    PartyOrg.level == Level.community, PartyOrg.community_id == branch_of
                )
            )
        await self.session.flush()
        place = community or (
            await self.session.get(Community, branch_of) if branch_of is not None else None
        )
        where = (
            ScopedRow(place.sub_district_id, place.id, None)
            if place
            else await AccountService(self.session, self.locale).anchor_in(user.scope, target)
        )
        self.audit.record(
            user.id,
            "party_member.set",
            "user",
            target.id,
            where=where,
            client_ip=client_ip,
            kind=data.kind.value,
        )
        return await self._volunteer_view(target, user)

    def _party_members_in(self, user: CurrentUser) -> Any:
        """Party members whose reported community, or community they volunteer in, is in my area."""
        scope = user.scope_of(MANAGERS)
        if scope.is_empty:
            raise Forbidden(N_("Your role does not allow this"))
        mine = select(Community.id).where(scope.clause(Community))
        volunteering = select(VolunteerProfile.user_id).where(
            VolunteerProfile.community_id.in_(mine)
        )
        with_role = select(RoleAssignment.user_id).where(
            RoleAssignment.role == Role.volunteer, scope.clause(RoleAssignment)
        )
        return or_(
            PartyMember.reported_community_id.in_(mine),
            PartyMember.user_id.in_(volunteering),
            PartyMember.user_id.in_(with_role),
        )

    async def party_members(
        self,
        user: CurrentUser,
        *,
        kind: PartyMemberKind | None = None,
        community: str | None = None,
    ) -> list[PartyMemberView]:
        """在职党员 who reported here, retired members and activists of the communities I manage."""
        # The reported community and the party organisation come in the same statement.
        reported = aliased(Community)
        query = (
            select(
                PartyMember,
                User,
                reported.code,
                reported.name,
                reported.name_i18n,
                PartyOrg.name.label("org"),
            )
            .join(User, User.id == PartyMember.user_id)
            .outerjoin(reported, reported.id == PartyMember.reported_community_id)
            .outerjoin(PartyOrg, PartyOrg.id == PartyMember.party_org_id)
            .where(self._party_members_in(user))
        )
        if kind is not None:
            query = query.where(PartyMember.kind == kind)
        if community:
            query = query.where(reported.code == community)
        rows = (await self.session.execute(query.order_by(User.name, User.id))).all()
        return [
            PartyMemberView(
                user_id=person.id,
                name=person.name,
                phone_masked=mask_phone(person.phone),
                kind=member.kind,
                reported_community_code=code,
                reported_community=localised_name(name, name_i18n, self.locale)
                if code is not None
                else None,
                reported_at=member.reported_at,
                party_org=org,
            )
            for member, person, code, name, name_i18n, org in rows
        ]

    # --- service groups ----------------------------------------------------------------

    async def _in_scope(self, user: CurrentUser, model: Any) -> Sequence[Any]:
        """All rows of a scoped table the user may see, oldest first."""
        if user.scope.is_empty:
            raise Forbidden(N_("Your role does not allow this"))
        query = select(model).where(user.scope.clause(model)).order_by(model.id)
        return (await self.session.scalars(query)).all()

    async def _members(
        self, table: Any, key: Any, owner_ids: Sequence[int]
    ) -> dict[int, list[MemberView]]:
        """The members of each of these groups (or organisations), in one query."""
        trade = ServiceGroupMember.trade if table is ServiceGroupMember else null()
        rows = await self.session.execute(
            select(key, User.id, User.name, User.phone, trade)
            .join(table, table.user_id == User.id)
            .where(key.in_(owner_ids))
            .order_by(User.name, User.id)
        )
        out: dict[int, list[MemberView]] = {owner: [] for owner in owner_ids}
        for owner, uid, name, phone, trade_ in rows.all():
            out[owner].append(
                MemberView(user_id=uid, name=name, phone_masked=mask_phone(phone), trade=trade_)
            )
        return out

    async def _names(self, user_ids: set[int | None]) -> dict[int, str]:
        wanted = {i for i in user_ids if i is not None}
        if not wanted:
            return {}
        rows = await self.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
        return dict(rows.all())

    async def _group_view(self, g: ServiceGroup) -> ServiceGroupView:
        return (await self._group_views([g]))[0]

    async def _group_views(self, groups: Sequence[ServiceGroup]) -> list[ServiceGroupView]:
        """Views of service groups: grids, leaders and members in one query each."""
        grids = dict(
            (
                await self.session.execute(
                    select(Grid.id, Grid.code).where(Grid.id.in_({g.grid_id for g in groups}))
                )
            ).all()
        )
        leaders = await self._names({g.leader_user_id for g in groups})
        members = await self._members(
            ServiceGroupMember, ServiceGroupMember.group_id, [g.id for g in groups]
        )
        return [
            ServiceGroupView(
                id=g.id,
                name=g.name,
                grid_code=grids[g.grid_id],
                leader=leaders.get(g.leader_user_id) if g.leader_user_id else None,
                members=[p.name for p in members[g.id]],
                people=members[g.id],
                leader_user_id=g.leader_user_id,
            )
            for g in groups
        ]

    async def service_groups(self, user: CurrentUser) -> list[ServiceGroupView]:
        return await self._group_views(await self._in_scope(user, ServiceGroup))

    async def _group_in_scope(self, user: CurrentUser, group_id: int) -> ServiceGroup:
        group = await self.session.get(ServiceGroup, group_id)
        if group is None or not user.scope_of(MANAGERS).covers(group):
            raise NotFound(N_("Not found"))
        return group

    async def add_group_member(
        self, user: CurrentUser, group_id: int, data: ServiceGroupMemberIn, client_ip: str | None
    ) -> ServiceGroupView:
        """A volunteer of the group's community joins it (members are volunteers); audited."""
        group = await self._group_in_scope(user, group_id)
        if data.trade is not None and data.trade not in vocabulary().trade_codes:
            raise BadRequest(N_("unknown trade: {trade}"), trade=data.trade)
        member = await self._volunteer_in_scope(user, data.user_id)
        if await self.session.get(ServiceGroupMember, (group.id, member.id)) is None:
            self.session.add(
                ServiceGroupMember(group_id=group.id, user_id=member.id, trade=data.trade)
            )
            await self.session.flush()
            self.audit.record(
                user.id,
                "service_group.add_member",
                "service_group",
                group.id,
                where=group,
                client_ip=client_ip,
                user_id=member.id,
            )
        return await self._group_view(group)

    async def remove_group_member(
        self, user: CurrentUser, group_id: int, member_user_id: int, client_ip: str | None
    ) -> ServiceGroupView:
        """Take someone off a service group in my area; audited."""
        group = await self._group_in_scope(user, group_id)
        membership = await self.session.get(ServiceGroupMember, (group.id, member_user_id))
        if membership is None:
            raise NotFound(N_("This person is not a member"))
        await self.session.delete(membership)
        await self.session.flush()
        self.audit.record(
            user.id,
            "service_group.remove_member",
            "service_group",
            group.id,
            where=group,
            client_ip=client_ip,
            user_id=member_user_id,
        )
        return await self._group_view(group)

    # --- volunteer organisations --------------------------------------------------------

    async def _org_view(self, org: VolunteerOrg) -> VolunteerOrgView:
        return (await self._org_views([org]))[0]

    async def _org_views(self, orgs: Sequence[VolunteerOrg]) -> list[VolunteerOrgView]:
        """Views of organisations: communities, leaders and members in one query each."""
        communities = {
            row.id: row
            for row in (
                await self.session.execute(
                    select(Community.id, Community.code, Community.name, Community.name_i18n).where(
                        Community.id.in_({o.community_id for o in orgs})
                    )
                )
            ).all()
        }
        leaders = await self._names({o.leader_user_id for o in orgs})
        members = await self._members(
            VolunteerOrgMember, VolunteerOrgMember.org_id, [o.id for o in orgs]
        )
        views = []
        for org in orgs:
            community = communities[org.community_id]
            views.append(
                VolunteerOrgView(
                    id=org.id,
                    name=org.name,
                    community_code=community.code,
                    leader=leaders.get(org.leader_user_id) if org.leader_user_id else None,
                    members=[p.name for p in members[org.id]],
                    people=members[org.id],
                    leader_user_id=org.leader_user_id,
                    community=localised_name(community.name, community.name_i18n, self.locale),
                )
            )
        return views

    async def create_org(
        self, user: CurrentUser, data: VolunteerOrgIn, client_ip: str | None = None
    ) -> VolunteerOrgView:
        """Found a volunteer organisation in a community I manage; its leader is a volunteer there."""
        community = await self.session.scalar(
            select(Community).where(Community.code == data.community_code)
        )
        if community is None or not user.scope_of(MANAGERS).covers(community):
            raise NotFound(N_("No community has code {code}"), code=data.community_code)
        leader = (
            await self._volunteer_in_scope(user, data.leader_user_id)
            if data.leader_user_id is not None
            else None
        )
        org = VolunteerOrg(
            name=data.name.strip(),
            leader_user_id=leader.id if leader else None,
            **VolunteerOrg.placed_in(community),
        )
        self.session.add(org)
        await self.session.flush()
        if leader is not None:
            self.session.add(VolunteerOrgMember(org_id=org.id, user_id=leader.id))
            await self.session.flush()
        self.audit.record(
            user.id,
            "volunteer_org.create",
            "volunteer_org",
            org.id,
            where=org,
            client_ip=client_ip,
            leader_user_id=org.leader_user_id,
        )
        return await self._org_view(org)

    async def list_orgs(self, user: CurrentUser) -> list[VolunteerOrgView]:
        orgs = await self._in_scope(user, VolunteerOrg)
        return await self._org_views(orgs)

    async def _org_in_scope(self, user: CurrentUser, org_id: int) -> VolunteerOrg:
        org = await self.session.get(VolunteerOrg, org_id)
        if org is None or not user.scope_of(MANAGERS).covers(org):
            raise NotFound(N_("Not found"))
        return org

    async def add_org_member(
        self, user: CurrentUser, org_id: int, member_user_id: int, client_ip: str | None = None
    ) -> VolunteerOrgView:
        org = await self._org_in_scope(user, org_id)
        member = await self._volunteer_in_scope(user, member_user_id)
        if await self.session.get(VolunteerOrgMember, (org.id, member.id)) is None:
            self.session.add(VolunteerOrgMember(org_id=org.id, user_id=member.id))
            await self.session.flush()
            self.audit.record(
                user.id,
                "volunteer_org.add_member",
                "volunteer_org",
                org.id,
                where=org,
                client_ip=client_ip,
                user_id=member.id,
            )
        return await self._org_view(org)

    async def remove_org_member(
        self, user: CurrentUser, org_id: int, member_user_id: int, client_ip: str | None
    ) -> VolunteerOrgView:
        """Take someone off an organisation; if it was the leader, the team has none until a new
        one is named. Audited."""
        org = await self._org_in_scope(user, org_id)
        membership = await self.session.get(VolunteerOrgMember, (org.id, member_user_id))
        if membership is None:
            raise NotFound(N_("This person is not a member"))
        await self.session.delete(membership)
        if org.leader_user_id == member_user_id:
            org.leader_user_id = None
        await self.session.flush()
        self.audit.record(
            user.id,
            "volunteer_org.remove_member",
            "volunteer_org",
            org.id,
            where=org,
            client_ip=client_ip,
            user_id=member_user_id,
        )
        return await self._org_view(org)

    # --- hours -------------------------------------------------------------------------

    async def my_hours(self, user: CurrentUser) -> MyHours:
        total = await self.session.scalar(
            select(func.coalesce(func.sum(VolunteerHours.hours), 0)).where(
                VolunteerHours.user_id == user.id
            )
        )
        rows = (
            await self.session.scalars(
                select(VolunteerHours)
                .where(VolunteerHours.user_id == user.id)
                .order_by(VolunteerHours.credited_at.desc())
                .limit(100)
            )
        ).all()
        return MyHours(
            total=float(total or 0),
            entries=[
                HoursEntry(
                    hours=float(r.hours),
                    source_type=r.source_type,
                    source_id=r.source_id,
                    credited_at=r.credited_at,
                )
                for r in rows
            ],
        )

    async def community_hours(self, user: CurrentUser, code: str) -> CommunityHours:
        community = await GridService(self.session, self.locale).community(code, user.scope)
        rows = (
            await self.session.execute(
                select(User.name, func.sum(VolunteerHours.hours))
                .join(VolunteerHours, VolunteerHours.user_id == User.id)
                .where(VolunteerHours.community_id == community.id)
                .group_by(User.id, User.name)
                .order_by(func.sum(VolunteerHours.hours).desc())
            )
        ).all()
        total = sum((Decimal(h) for _, h in rows), Decimal(0))
        return CommunityHours(
            community=localised_name(community.name, community.name_i18n, self.locale),
            total=float(total),
            people=[HoursEntryByPerson(name=mask_name(n), hours=float(h)) for n, h in rows],
        )
