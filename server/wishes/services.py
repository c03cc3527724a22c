"""The micro-wish rules: who may do what to a wish, and who hears about it.

Every transition is one conditional UPDATE (state and version must still be
what the caller saw), its history row and its outbox rows, in the request's
one transaction. Two volunteers claiming the same wish at once: exactly one
UPDATE matches, the other gets 409.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import OFFICE_ROLES, Role, RoleAssignment, User
from server.accounts.services import CurrentUser
from server.businesses.services import BusinessService
from server.db.base import utcnow
from server.grids.models import Building, Community, Grid, Storefront
from server.grids.services import GridService
from server.lib.errors import BadRequest, Conflict, Forbidden, NotFound
from server.lib.i18n import N_, localised_name
from server.lib.masking import mask_name, mask_phone
from server.media.models import Media
from server.notify.outbox import enqueue
from server.people.messaging import Recipient
from server.people.models import (
    NotifyVia,
    PartyMember,
    Resident,
    ServiceGroup,
    ServiceGroupMember,
    VolunteerHours,
)
from server.wishes.models import ClaimantKind, Wish, WishEvent
from server.wishes.schemas import (
    BoardItem,
    ClaimBusiness,
    ClaimGroup,
    ClaimOptions,
    ClaimRequest,
    ConfirmRequest,
    Contributor,
    FulfilRequest,
    ModerationEdit,
    ThanksItem,
    WishCreate,
    WishEventView,
    WishStats,
    WishView,
)
from server.wishes.states import Action, State, next_state, state_name

__all__ = ["MODERATORS", "WishService"]

MODERATORS = OFFICE_ROLES
ON_BEHALF_POSTERS = (Role.grid_worker, *MODERATORS)
# Who works with a wish in their scope: moderators and the grid worker of its grid.
STAFF = ON_BEHALF_POSTERS
DEFAULT_LIFETIME = timedelta(days=30)
# Runs of digits long enough to be a phone or ID number, masked on the public thanks wall.
LONG_DIGITS = re.compile(r"\d{7,}")
# States in which a wish is shown to anyone: the board (approved) and the thanks wall.
PUBLIC_STATES = (State.approved, State.confirmed)
DEFAULT_HOURS = Decimal("1.0")


@dataclass(frozen=True, slots=True)
class _Claimable:
    kinds: list[ClaimantKind]
    groups: list[ServiceGroup]
    stores: list[Storefront]


class WishService:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale
        self._claim_cache: dict[int, _Claimable] = {}
        self._residents: dict[int, Resident | None] = {}

    # --- loading and seeing ------------------------------------------------------------

    async def _resident_of(self, user: CurrentUser) -> Resident | None:
        """The caller's own resident record (asked once per request: lists ask per wish)."""
        if user.id not in self._residents:
            self._residents[user.id] = await self.session.scalar(
                select(Resident).where(Resident.user_id == user.id)
            )
        return self._residents[user.id]

    async def _wish(self, wish_id: int) -> Wish:
        wish = await self.session.get(Wish, wish_id, populate_existing=True)
        if wish is None:
            raise NotFound(N_("No such wish"))
        return wish

    async def _is_beneficiary(self, user: CurrentUser, wish: Wish) -> bool:
        resident = await self._resident_of(user)
        return resident is not None and resident.id == wish.beneficiary_id

    async def may_see(self, user: CurrentUser, wish: Wish) -> bool:
        return (
            user.scope_of(STAFF).covers(wish)
            or wish.claimant_user_id == user.id
            or wish.posted_by_user_id == user.id
            or await self._is_beneficiary(user, wish)
        )

    async def _visible(self, user: CurrentUser, wish_id: int) -> Wish:
        wish = await self._wish(wish_id)
        if not await self.may_see(user, wish):
            raise NotFound(N_("No such wish"))
        return wish

    async def photo_shown_publicly(self, key: str) -> bool:
        """Is this the photo of a wish on a public board or thanks wall (never a minor's)?"""
        found = await self.session.scalar(
            select(Wish.id)
            .join(Resident, Resident.id == Wish.beneficiary_id)
            .where(
                Wish.photo == key,
                Wish.state.in_(PUBLIC_STATES),
                Resident.is_minor.is_(False),
            )
            .limit(1)
        )
        return found is not None

    async def photo_visible_to(self, user: CurrentUser, key: str) -> bool:
        """Is this the photo or proof photo of a wish the caller may see, or a public one?"""
        if await self.photo_shown_publicly(key):
            return True
        wishes = (
            await self.session.scalars(
                select(Wish).where(or_(Wish.photo == key, Wish.proof_photo == key)).limit(20)
            )
        ).all()
        for wish in wishes:
            if await self.may_see(user, wish):
                return True
        return False

    async def view(self, user: CurrentUser, wish_id: int) -> WishView:
        return await self._view(await self._visible(user, wish_id), user)

    async def _view(self, wish: Wish, user: CurrentUser) -> WishView:
        resident = await self.session.get(Resident, wish.beneficiary_id)
        assert resident is not None
        building = await self.session.get(Building, wish.building_id) if wish.building_id else None
        community = await self.session.get(Community, wish.community_id)
        grid = await self.session.get(Grid, wish.grid_id)
        assert community is not None and grid is not None
        staff = user.scope_of(STAFF).covers(wish)
        beneficiary = await self._is_beneficiary(user, wish)
        full = staff or wish.claimant_user_id == user.id or beneficiary
        claimant = (
            await self.session.get(User, wish.claimant_user_id) if wish.claimant_user_id else None
        )
        events = (
            await self.session.scalars(
                select(WishEvent).where(WishEvent.wish_id == wish.id).order_by(WishEvent.id)
            )
        ).all()
        point = to_shape(wish.location)
        return WishView(
            id=wish.id,
            title=wish.title,
            description=wish.description,
            category=wish.category,
            state=wish.state,
            version=wish.version,
            beneficiary=resident.name
            if full and not (resident.is_minor and not staff)
            else mask_name(resident.name),
            building=building.name if building and full else None,
            community=localised_name(community.name, community.name_i18n, self.locale),
            grid=localised_name(grid.name, grid.name_i18n, self.locale),
            lon=point.x,
            lat=point.y,
            created_at=wish.created_at,
            expires_at=wish.expires_at,
            on_behalf=wish.on_behalf,
            photo=wish.photo,
            reject_reason=wish.reject_reason,
            claimant=(
                claimant.name
                if claimant and (full or claimant.id == user.id)
                else mask_name(claimant.name)
                if claimant
                else None
            ),
            claimant_kind=wish.claimant_kind.value if wish.claimant_kind else None,
            proof_note=wish.proof_note,
            proof_photo=wish.proof_photo,
            thanks=wish.thanks,
            history=[
                WishEventView(
                    at=e.at,
                    action=e.action,
                    from_state=e.from_state,
                    to_state=e.to_state,
                    actor_id=e.actor_user_id if staff else None,
                    note=e.note,
                )
                for e in events
            ],
            original_title=wish.original_title if staff else None,
            original_description=wish.original_description if staff else None,
            beneficiary_phone=mask_phone(resident.phone) if staff and resident.phone else None,
            allowed_actions=await self._allowed(wish, user, staff=staff, beneficiary=beneficiary),
            community_code=community.code,
        )

    async def _allowed(
        self, wish: Wish, user: CurrentUser, *, staff: bool, beneficiary: bool
    ) -> list[str]:
        """What this caller may do to the wish now: the same rules the actions enforce."""
        moderator = user.scope_of(MODERATORS).covers(wish)
        claimant = wish.claimant_user_id == user.id
        allowed: list[str] = []
        if moderator and wish.state in (State.submitted, State.approved):
            allowed.append("edit")
        if moderator and wish.state is State.confirmed and wish.thanks:
            allowed.append("edit_thanks")
        for action, may in (
            (Action.approve, moderator),
            (Action.reject, moderator),
            (Action.release, claimant or moderator),
            (Action.fulfil, claimant),
            (Action.confirm, staff or beneficiary),
            (Action.withdraw, beneficiary or wish.posted_by_user_id == user.id or moderator),
        ):
            if may and next_state(wish.state, action) is not None:
                allowed.append(action.value)
        if (
            next_state(wish.state, Action.claim) is not None
            and not beneficiary
            and (await self._claimable(user, wish.community_id)).kinds
        ):
            allowed.append(Action.claim.value)
        return allowed

    # --- posting -----------------------------------------------------------------------

    async def post(self, user: CurrentUser, data: WishCreate) -> WishView:
        if data.client_id:
            existing = await self.session.scalar(
                select(Wish).where(Wish.client_id == data.client_id)
            )
            if existing is not None:
                if existing.posted_by_user_id != user.id:
                    raise Conflict(N_("This wish was already posted"))
                return await self._view(existing, user)  # a retried post from the offline queue
        await self._check_own_photo(user, data.photo)
        on_behalf = data.beneficiary_id is not None
        if on_behalf:
            resident = await self.session.get(Resident, data.beneficiary_id)
            if resident is None or not user.scope_of(ON_BEHALF_POSTERS).covers(resident):
                raise NotFound(N_("No such resident"))
            if not data.consent_note:
                raise BadRequest(N_("Record the resident's consent to post for them"))
        else:
            resident = await self._resident_of(user)
            if resident is None:
                raise Forbidden(
                    N_("Only residents registered with their community can post wishes")
                )
        building = await self.session.get(Building, resident.building_id)
        assert building is not None
        if data.lon is not None and data.lat is not None:
            chain = await GridService(self.session, self.locale).locate(data.lon, data.lat)
            grid = await self.session.scalar(select(Grid).where(Grid.code == chain.grid.code))
            assert grid is not None
            point: Any = from_shape(Point(data.lon, data.lat), srid=4326)
        elif data.lon is not None or data.lat is not None:
            raise BadRequest(N_("Give both longitude and latitude, or neither"))
        else:
            grid = await self.session.get(Grid, building.grid_id)
            assert grid is not None
            point = building.location
        now = utcnow()
        wish = Wish(
            client_id=data.client_id,
            title=data.title.strip(),
            description=data.description.strip(),
            category=data.category,
            photo=data.photo,
            state=State.submitted,
            beneficiary_id=resident.id,
            posted_by_user_id=user.id,
            on_behalf=on_behalf,
            consent_note=data.consent_note,
            building_id=building.id,
            location=point,
            sub_district_id=grid.sub_district_id,
            community_id=grid.community_id,
            grid_id=grid.id,
            expires_at=now + DEFAULT_LIFETIME,
        )
        self.session.add(wish)
        await self.session.flush()
        self.session.add(
            WishEvent(
                wish_id=wish.id,
                actor_user_id=user.id,
                action="post",
                from_state=None,
                to_state=State.submitted,
                note=data.consent_note if on_behalf else None,
            )
        )
        community = await self.session.get(Community, grid.community_id)
        assert community is not None
        await enqueue(
            self.session,
            event=f"wish:{wish.id}:new",
            template="wish.new",
            params={"community": community.name, "title": wish.title},
            recipients=await self._moderators(wish),
            community_id=wish.community_id,
            url=f"/#/wishes/{wish.id}",
            topic=f"wish-{wish.id}",
        )
        return await self._view(wish, user)

    async def _check_own_photo(self, user: CurrentUser, key: str | None) -> None:
        """Only a photo the caller uploaded is attached: a key seen elsewhere (another
        wish, a board it has left) must not re-open that photo through a wish of one's own."""
        if key is None:
            return
        mine = await self.session.scalar(
            select(Media.key).where(Media.key == key, Media.uploaded_by == user.id)
        )
        if mine is None:
            raise BadRequest(N_("Attach a photo you uploaded yourself"))

    async def _moderators(self, wish: Wish) -> list[Recipient]:
        rows = await self.session.execute(
            select(User.id, User.locale)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.role.in_([Role.community_staff, Role.community_admin]),
                RoleAssignment.community_id == wish.community_id,
                User.is_active.is_(True),
            )
            .distinct()
        )
        return [Recipient(user_id=uid, via=NotifyVia.push, locale=loc) for uid, loc in rows.all()]

    async def _beneficiary(self, wish: Wish) -> Recipient:
        resident = await self.session.get(Resident, wish.beneficiary_id)
        assert resident is not None
        return Recipient(
            user_id=resident.user_id,
            resident_id=resident.id,
            via=resident.notify_via,
            locale=resident.locale,
        )

    # --- transitions -------------------------------------------------------------------

    async def _transition(
        self,
        wish: Wish,
        action: Action,
        user: CurrentUser,
        *,
        note: str | None = None,
        expected_version: int | None = None,
        **values: Any,
    ) -> None:
        target = next_state(wish.state, action)
        if target is None:
            raise Conflict(
                N_("This wish is {state} and cannot be changed that way"),
                error_code="bad_transition",
                state=state_name(wish.state),
            )
        if expected_version is not None and expected_version != wish.version:
            raise Conflict(N_("Someone changed this wish first; reload it"), error_code="stale")
        try:
            result = await self.session.execute(
                update(Wish)
                .where(Wish.id == wish.id, Wish.state == wish.state, Wish.version == wish.version)
                .values(state=target, version=wish.version + 1, updated_at=utcnow(), **values)
                .execution_options(synchronize_session=False)
            )
        except OperationalError as exc:
            # SQLite: another writer committed since this transaction read the wish.
            if "locked" in str(exc) or "busy" in str(exc):
                raise Conflict(
                    N_("Someone changed this wish first; reload it"), error_code="stale"
                ) from exc
            raise
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(N_("Someone changed this wish first; reload it"), error_code="stale")
        self.session.add(
            WishEvent(
                wish_id=wish.id,
                actor_user_id=user.id,
                action=action.value,
                from_state=wish.state,
                to_state=target,
                note=note,
            )
        )
        await self.session.flush()
        await self.session.refresh(wish)

    async def _moderatable(self, user: CurrentUser, wish_id: int) -> Wish:
        wish = await self._wish(wish_id)
        if not user.scope_of(MODERATORS).covers(wish):
            if await self.may_see(user, wish):
                raise Forbidden(N_("Your role does not allow this"))
            raise NotFound(N_("No such wish"))
        return wish

    async def edit(self, user: CurrentUser, wish_id: int, data: ModerationEdit) -> WishView:
        """Moderators edit personal details out; the original words are kept (staff only).

        The thank-you of a confirmed wish is edited the same way ("" takes it off the
        public wall); its original words stay in the wish's history.
        """
        wish = await self._moderatable(user, wish_id)
        texts = data.title is not None or data.description is not None
        if not texts and data.thanks is None:
            raise BadRequest(N_("Nothing to change"))
        if (texts and wish.state not in (State.submitted, State.approved)) or (
            data.thanks is not None and (wish.state is not State.confirmed or texts)
        ):
            raise Conflict(
                N_("This wish is {state} and cannot be changed that way"),
                error_code="bad_transition",
                state=state_name(wish.state),
            )
        note = None
        if data.thanks is not None:
            note, wish.thanks = wish.thanks, data.thanks.strip() or None
        else:
            if wish.original_title is None:
                wish.original_title, wish.original_description = wish.title, wish.description
            if data.title is not None:
                wish.title = data.title.strip()
            if data.description is not None:
                wish.description = data.description.strip()
        wish.version += 1
        self.session.add(
            WishEvent(
                wish_id=wish.id,
                actor_user_id=user.id,
                action="edit_thanks" if data.thanks is not None else "edit",
                from_state=wish.state,
                to_state=wish.state,
                note=note,
            )
        )
        await self.session.flush()
        return await self._view(wish, user)

    async def approve(
        self, user: CurrentUser, wish_id: int, expected_version: int | None = None
    ) -> WishView:
        wish = await self._moderatable(user, wish_id)
        await self._transition(wish, Action.approve, user, expected_version=expected_version)
        await self._tell_beneficiary(wish, "approved", "wish.approved", {"title": wish.title})
        return await self._view(wish, user)

    async def reject(
        self, user: CurrentUser, wish_id: int, reason: str, expected_version: int | None = None
    ) -> WishView:
        wish = await self._moderatable(user, wish_id)
        await self._transition(
            wish,
            Action.reject,
            user,
            note=reason,
            reject_reason=reason,
            expected_version=expected_version,
        )
        await self._tell_beneficiary(
            wish, "rejected", "wish.rejected", {"title": wish.title, "reason": reason}
        )
        return await self._view(wish, user)

    async def _tell_beneficiary(
        self, wish: Wish, what: str, template: str, params: dict[str, Any]
    ) -> None:
        await enqueue(
            self.session,
            event=f"wish:{wish.id}:{what}:{wish.version}",
            template=template,
            params=params,
            recipients=[await self._beneficiary(wish)],
            community_id=wish.community_id,
            url=f"/#/wishes/{wish.id}",
            topic=f"wish-{wish.id}",
        )

    async def claim(self, user: CurrentUser, wish_id: int, data: ClaimRequest) -> WishView:
        wish = await self._wish(wish_id)
        # Wishes that were on the public board are known to everyone: claiming one that
        # was taken meanwhile is a conflict, not "not found".
        if wish.state in (State.submitted, State.rejected) and not await self.may_see(user, wish):
            raise NotFound(N_("No such wish"))
        values: dict[str, Any] = {
            "claimant_user_id": user.id,
            "claimant_kind": data.kind,
            "claimed_at": utcnow(),
        }
        # The same rule that lists the claim options and the "claim" action.
        can = await self._claimable(user, wish.community_id)
        if data.kind is ClaimantKind.volunteer:
            if data.kind not in can.kinds:
                raise Forbidden(N_("Only volunteers of this community can claim its wishes"))
        elif data.kind is ClaimantKind.party_member:
            if data.kind not in can.kinds:
                raise Forbidden(
                    N_("Only party members who serve this community can claim as a party member")
                )
        elif data.kind is ClaimantKind.service_group:
            if data.service_group_id is None:
                raise BadRequest(N_("Choose the service group you claim for"))
            if data.service_group_id not in {g.id for g in can.groups}:
                raise Forbidden(
                    N_("Only members of a service group of this community can claim for it")
                )
            values["claimant_group_id"] = data.service_group_id
        else:
            if not data.storefront_code:
                raise BadRequest(N_("Choose the caring business you claim for"))
            store = next((s for s in can.stores if s.code == data.storefront_code), None)
            if store is None:
                raise Forbidden(
                    N_(
                        "Only the contact of a caring business of this community, or its staff, can claim for it"
                    )
                )
            values["claimant_storefront_id"] = store.id
        if wish.beneficiary_id is not None and await self._is_beneficiary(user, wish):
            raise Forbidden(N_("You cannot claim your own wish"))
        await self._transition(
            wish, Action.claim, user, expected_version=data.expected_version, **values
        )
        claimant = await self.session.get(User, user.id)
        assert claimant is not None
        await self._tell_beneficiary(
            wish,
            "claimed",
            "wish.claimed",
            {"title": wish.title, "claimant": mask_name(claimant.name)},
        )
        return await self._view(wish, user)

    async def _service_groups_of(self, user: CurrentUser, community_id: int) -> list[ServiceGroup]:
        """Service groups of a community this user leads or belongs to."""
        member_of = select(ServiceGroupMember.group_id).where(ServiceGroupMember.user_id == user.id)
        return list(
            (
                await self.session.scalars(
                    select(ServiceGroup)
                    .where(
                        ServiceGroup.community_id == community_id,
                        or_(ServiceGroup.leader_user_id == user.id, ServiceGroup.id.in_(member_of)),
                    )
                    .order_by(ServiceGroup.id)
                )
            ).all()
        )

    async def _claimable(self, user: CurrentUser, community_id: int) -> _Claimable:
        """In whose name this user may claim wishes of a community (once per request)."""
        cached = self._claim_cache.get(community_id)
        if cached is not None:
            return cached
        # Volunteers and party members claim in the communities they serve: a volunteer
        # where their volunteer role is bound, a party member where they reported
        # (在职党员进社区报到), volunteer or live.
        kinds: list[ClaimantKind] = []
        volunteers_here = any(
            g.role is Role.volunteer and g.community_id == community_id for g in user.grants
        )
        if volunteers_here:
            kinds.append(ClaimantKind.volunteer)
        member = await self.session.get(PartyMember, user.id)
        if member is not None and (
            volunteers_here
            or member.reported_community_id == community_id
            or (user.home is not None and user.home.community_id == community_id)
        ):
            kinds.append(ClaimantKind.party_member)
        groups = await self._service_groups_of(user, community_id)
        if groups:
            kinds.append(ClaimantKind.service_group)
        stores = await BusinessService(self.session, self.locale).claimable(user, community_id)
        if stores:
            kinds.append(ClaimantKind.business)
        can = _Claimable(kinds, groups, stores)
        self._claim_cache[community_id] = can
        return can

    async def claim_options(self, user: CurrentUser, community_code: str) -> ClaimOptions:
        """In whose name this user may claim the wishes of a community's board."""
        community = await GridService(self.session, self.locale).community(community_code)
        can = await self._claimable(user, community.id)
        return ClaimOptions(
            kinds=can.kinds,
            service_groups=[ClaimGroup(id=g.id, name=g.name) for g in can.groups],
            businesses=[ClaimBusiness(code=s.code, name=s.name) for s in can.stores],
        )

    async def release(
        self, user: CurrentUser, wish_id: int, expected_version: int | None = None
    ) -> WishView:
        wish = await self._visible(user, wish_id)
        if wish.claimant_user_id != user.id and not user.scope_of(MODERATORS).covers(wish):
            raise Forbidden(N_("Only the claimant or community staff can release a claim"))
        await self._transition(
            wish,
            Action.release,
            user,
            expected_version=expected_version,
            claimant_user_id=None,
            claimant_kind=None,
            claimant_group_id=None,
            claimant_storefront_id=None,
            claimed_at=None,
        )
        await self._tell_beneficiary(wish, "released", "wish.released", {"title": wish.title})
        return await self._view(wish, user)

    async def withdraw(
        self, user: CurrentUser, wish_id: int, expected_version: int | None = None
    ) -> WishView:
        wish = await self._visible(user, wish_id)
        if not (
            await self._is_beneficiary(user, wish)
            or wish.posted_by_user_id == user.id
            or user.scope_of(MODERATORS).covers(wish)
        ):
            raise Forbidden(
                N_("Only the resident, who posted it, or community staff can withdraw a wish")
            )
        await self._transition(wish, Action.withdraw, user, expected_version=expected_version)
        return await self._view(wish, user)

    async def fulfil(self, user: CurrentUser, wish_id: int, data: FulfilRequest) -> WishView:
        wish = await self._visible(user, wish_id)
        if wish.claimant_user_id != user.id:
            raise Forbidden(N_("Only the claimant can mark a wish fulfilled"))
        await self._check_own_photo(user, data.photo)
        await self._transition(
            wish,
            Action.fulfil,
            user,
            expected_version=data.expected_version,
            note=data.note,
            proof_note=data.note,
            proof_photo=data.photo,
            fulfilled_at=utcnow(),
        )
        await self._tell_beneficiary(wish, "fulfilled", "wish.fulfilled", {"title": wish.title})
        return await self._view(wish, user)

    async def confirm(self, user: CurrentUser, wish_id: int, data: ConfirmRequest) -> WishView:
        wish = await self._visible(user, wish_id)
        staff = user.scope_of(STAFF).covers(wish)
        if not (staff or await self._is_beneficiary(user, wish)):
            raise Forbidden(N_("Only the resident, or staff on their behalf, can confirm a wish"))
        if data.hours is not None and not staff:
            raise Forbidden(N_("Only staff can set volunteer hours"))
        hours = Decimal(str(round(data.hours, 2))) if data.hours is not None else DEFAULT_HOURS
        await self._transition(
            wish,
            Action.confirm,
            user,
            expected_version=data.expected_version,
            note="on behalf" if staff else None,
            confirmed_at=utcnow(),
            thanks=data.thanks,
        )
        claimant_id = wish.claimant_user_id
        assert claimant_id is not None
        exists = await self.session.scalar(
            select(VolunteerHours.id).where(
                VolunteerHours.source_type == "wish",
                VolunteerHours.source_id == wish.id,
                VolunteerHours.user_id == claimant_id,
            )
        )
        if exists is None:
            self.session.add(
                VolunteerHours(
                    user_id=claimant_id,
                    hours=hours,
                    source_type="wish",
                    source_id=wish.id,
                    sub_district_id=wish.sub_district_id,
                    community_id=wish.community_id,
                    grid_id=wish.grid_id,
                )
            )
        claimant = await self.session.get(User, claimant_id)
        assert claimant is not None
        await enqueue(
            self.session,
            event=f"wish:{wish.id}:confirmed",
            template="wish.confirmed",
            params={"title": wish.title, "hours": str(hours)},
            recipients=[Recipient(user_id=claimant_id, via=NotifyVia.push, locale=claimant.locale)],
            community_id=wish.community_id,
            url=f"/#/wishes/{wish.id}",
            topic=f"wish-{wish.id}",
        )
        return await self._view(wish, user)

    async def expire_due(self, now: datetime | None = None) -> int:
        """Approved wishes nobody claimed before they expired; returns how many."""
        now = now or utcnow()
        ids = (
            await self.session.scalars(
                select(Wish.id).where(Wish.state == State.approved, Wish.expires_at <= now)
            )
        ).all()
        for wish_id in ids:
            result = await self.session.execute(
                update(Wish)
                .where(Wish.id == wish_id, Wish.state == State.approved)
                .values(state=State.expired, version=Wish.version + 1, updated_at=now)
            )
            if result.rowcount:  # type: ignore[attr-defined]
                self.session.add(
                    WishEvent(
                        wish_id=wish_id,
                        action=Action.expire.value,
                        from_state=State.approved,
                        to_state=State.expired,
                    )
                )
        return len(ids)

    # --- lists -------------------------------------------------------------------------

    async def board(
        self,
        community_code: str,
        *,
        states: tuple[State, ...] = (State.approved,),
        limit: int = 50,
        before_id: int | None = None,
    ) -> list[BoardItem]:
        """The public board of a community: beneficiaries masked, minors and exact places hidden."""
        community = await GridService(self.session, self.locale).community(community_code)
        # Columns, not ORM objects: the board is the most read page of the wish board.
        query = (
            select(
                Wish.id,
                Wish.title,
                Wish.description,
                Wish.category,
                Wish.state,
                Wish.created_at,
                Wish.expires_at,
                Wish.photo,
                Wish.grid_id,
                Resident.name,
                Resident.is_minor,
                Building.name.label("building"),
            )
            .join(Resident, Resident.id == Wish.beneficiary_id)
            .outerjoin(Building, Building.id == Wish.building_id)
            .where(Wish.community_id == community.id, Wish.state.in_(states))
        )
        if before_id:
            query = query.where(Wish.id < before_id)
        rows = (await self.session.execute(query.order_by(Wish.id.desc()).limit(limit))).all()
        cname = localised_name(community.name, community.name_i18n, self.locale)
        grids = {
            g.id: (
                localised_name(g.name, g.name_i18n, self.locale),
                to_shape(g.boundary).representative_point(),
            )  # the grid, not the door
            for g in (
                await self.session.execute(
                    select(Grid.id, Grid.name, Grid.name_i18n, Grid.boundary).where(
                        Grid.id.in_({r.grid_id for r in rows})
                    )
                )
            ).all()
        }
        items = []
        for r in rows:
            grid_name, where = grids[r.grid_id]
            who = "—" if r.is_minor else mask_name(r.name)
            if r.building is not None and not r.is_minor:
                who = f"{who} · {r.building}"
            items.append(
                BoardItem(
                    id=r.id,
                    title=r.title,
                    description=r.description,
                    category=r.category,
                    state=r.state,
                    beneficiary=who,
                    community=cname,
                    grid=grid_name,
                    lon=where.x,
                    lat=where.y,
                    created_at=r.created_at,
                    expires_at=r.expires_at,
                    photo=None if r.is_minor else r.photo,
                )
            )
        return items

    async def mine(self, user: CurrentUser) -> list[WishView]:
        """Wishes I am the beneficiary of, posted, or claimed."""
        resident = await self._resident_of(user)
        conditions = [Wish.posted_by_user_id == user.id, Wish.claimant_user_id == user.id]
        if resident is not None:
            conditions.append(Wish.beneficiary_id == resident.id)
        wishes = (
            await self.session.scalars(
                select(Wish).where(or_(*conditions)).order_by(Wish.id.desc()).limit(100)
            )
        ).all()
        return [await self._view(w, user) for w in wishes]

    async def queue(self, user: CurrentUser, *, state: State = State.submitted) -> list[WishView]:
        """What moderators of my scope have to look at."""
        scope = user.scope_of(MODERATORS)
        if scope.is_empty:
            raise Forbidden(N_("Your role does not allow this"))
        wishes = (
            await self.session.scalars(
                select(Wish)
                .where(scope.clause(Wish), Wish.state == state)
                .order_by(Wish.id)
                .limit(200)
            )
        ).all()
        return [await self._view(w, user) for w in wishes]

    async def thanks_wall(self, community_code: str, limit: int = 50) -> list[ThanksItem]:
        """Confirmed wishes with a thank-you, newest first. The resident is not named; the
        helper is, masked unless a business or group; phone numbers in the words are masked."""
        community = await GridService(self.session, self.locale).community(community_code)
        rows = (
            await self.session.execute(
                select(
                    Wish.id,
                    Wish.title,
                    Wish.category,
                    Wish.thanks,
                    Wish.photo,
                    Wish.confirmed_at,
                    Wish.claimant_kind,
                    Resident.is_minor,
                    User.name.label("person"),
                    ServiceGroup.name.label("group"),
                    Storefront.name.label("store"),
                    Grid.name.label("grid"),
                    Grid.name_i18n.label("grid_i18n"),
                )
                .join(Resident, Resident.id == Wish.beneficiary_id)
                .join(Grid, Grid.id == Wish.grid_id)
                .outerjoin(User, User.id == Wish.claimant_user_id)
                .outerjoin(ServiceGroup, ServiceGroup.id == Wish.claimant_group_id)
                .outerjoin(Storefront, Storefront.id == Wish.claimant_storefront_id)
                .where(
                    Wish.community_id == community.id,
                    Wish.state == State.confirmed,
                    Wish.thanks.is_not(None),
                    Wish.thanks != "",
                )
                .order_by(Wish.confirmed_at.desc(), Wish.id.desc())
                .limit(limit)
            )
        ).all()
        cname = localised_name(community.name, community.name_i18n, self.locale)
        return [
            ThanksItem(
                id=r.id,
                title=r.title,
                category=r.category,
                thanks=LONG_DIGITS.sub(lambda m: mask_phone(m.group(0)), r.thanks),
                helper=r.store
                if r.claimant_kind is ClaimantKind.business and r.store
                else r.group
                if r.claimant_kind is ClaimantKind.service_group and r.group
                else mask_name(r.person or ""),
                helper_kind=r.claimant_kind or ClaimantKind.volunteer,
                community=cname,
                grid=localised_name(r.grid, r.grid_i18n, self.locale),
                confirmed_at=r.confirmed_at,
                photo=None if r.is_minor else r.photo,
            )
            for r in rows
        ]

    async def stats(
        self, user: CurrentUser, community_code: str, since: datetime, until: datetime
    ) -> WishStats:
        community = await GridService(self.session, self.locale).community(
            community_code, user.scope
        )
        in_period = (WishEvent.at >= since) & (WishEvent.at < until)
        counts = dict(
            (
                await self.session.execute(
                    select(WishEvent.action, func.count())
                    .join(Wish, Wish.id == WishEvent.wish_id)
                    .where(Wish.community_id == community.id, in_period)
                    .group_by(WishEvent.action)
                )
            ).all()
        )
        durations = [
            (fulfilled - created).total_seconds() / 3600
            for created, fulfilled in (
                await self.session.execute(
                    select(Wish.created_at, Wish.fulfilled_at).where(
                        Wish.community_id == community.id,
                        Wish.fulfilled_at >= since,
                        Wish.fulfilled_at < until,
                    )
                )
            ).all()
            if fulfilled is not None
        ]
        top = (
            await self.session.execute(
                select(User.name, func.count(Wish.id))
                .join(Wish, Wish.claimant_user_id == User.id)
                .where(
                    Wish.community_id == community.id,
                    Wish.fulfilled_at >= since,
                    Wish.fulfilled_at < until,
                )
                .group_by(User.id, User.name)
                .order_by(func.count(Wish.id).desc(), User.name)
                .limit(10)
            )
        ).all()
        return WishStats(
            community=localised_name(community.name, community.name_i18n, self.locale),
            since=since,
            until=until,
            posted=counts.get("post", 0),
            approved=counts.get("approve", 0),
            claimed=counts.get("claim", 0),
            fulfilled=counts.get("fulfil", 0),
            confirmed=counts.get("confirm", 0),
            median_hours_to_fulfil=round(statistics.median(durations), 2) if durations else None,
            top_contributors=[Contributor(name=mask_name(n), fulfilled=c) for n, c in top],
        )
