"""The micro-wish rules: who may do what to a wish, and who hears about it.

Who may do what is the table in :mod:`server.wishes.rules`; every change goes
through the one transition writer (:mod:`server.workflow.writer`): one
conditional UPDATE (state and version must still be what the caller saw), its
history row and its outbox rows, in the request's one transaction. Two
volunteers claiming the same wish at once: exactly one UPDATE matches, the
other gets 409.
"""

from __future__ import annotations

import functools
import re
import statistics
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from geoalchemy2 import Geometry
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import Table, Text, bindparam, cast, func, insert, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import OFFICE_ROLES, STAFF_ROLES, Role, User
from server.accounts.services import CurrentUser
from server.audit.services import AuditService
from server.businesses.services import BusinessService
from server.db.base import utcnow
from server.db.core import end_writes, execute
from server.grids.models import Building, Community, Grid, Storefront, placed_in
from server.grids.points import lon_lat
from server.grids.services import GridService
from server.lib.errors import BadRequest, Conflict, Forbidden, NotFound
from server.lib.i18n import N_, localised_name
from server.lib.masking import mask_name, mask_phone
from server.media.models import Media
from server.notify.outbox import enqueue
from server.people.messaging import Recipient, office
from server.people.models import (
    NotifyVia,
    PartyMember,
    Resident,
    ServiceGroup,
    ServiceGroupMember,
    VolunteerHours,
)
from server.wishes.models import ClaimantKind, Wish, WishEvent
from server.wishes.rules import BENEFICIARY, CLAIMER, STAFF, WISH, Claimable, claimable
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
    WishAddress,
    WishCreate,
    WishEventView,
    WishStats,
    WishView,
)
from server.wishes.states import Action, State
from server.workflow.rules import Actor
from server.workflow.writer import Change, Notice, history_rows, write_change

__all__ = ["WishService"]

DEFAULT_LIFETIME = timedelta(days=30)
# Runs of digits long enough to be a phone or ID number, masked on the public thanks wall.
LONG_DIGITS = re.compile(r"\d{7,}")
# States in which a wish is shown to anyone: the board (approved) and the thanks wall.
PUBLIC_STATES = (State.approved, State.confirmed)
DEFAULT_HOURS = Decimal("1.0")
STALE = N_("Someone changed this wish first; reload it")
NOT_A_RESIDENT = N_("Only residents registered with their community can post wishes")


@dataclass(slots=True)
class _Known:
    """Rows a caller of ``WishService._views`` already holds, by id (not queried again)."""

    residents: dict[int, Any] | None = None
    buildings: dict[int, Any] | None = None
    communities: dict[int, Any] | None = None
    grids: dict[int, Any] | None = None
    history: dict[int, list[WishEvent]] | None = None


def _history(wish_id: int) -> Callable[..., WishEvent]:
    """The history row of one change of this wish (for the transition writer)."""
    return history_rows(WishEvent, wish_id=wish_id)


async def _by_id(session: AsyncSession, model: Any, ids: set[int]) -> dict[int, Any]:
    """Rows of a table by id, in one query (none for no ids)."""
    if not ids:
        return {}
    return {row.id: row for row in (await session.scalars(select(model).where(model.id.in_(ids))))}


async def _rows_by_id(
    session: AsyncSession, model: Any, ids: set[int], *columns: str
) -> dict[int, Any]:
    """Some columns of a table's rows by id, in one query (none for no ids): not the
    whole row, which for an area would load its boundary."""
    if not ids:
        return {}
    query = select(model.id, *(getattr(model, c) for c in columns)).where(model.id.in_(ids))
    return {row.id: row for row in (await session.execute(query)).all()}


# Core INSERTs of a new wish and its history row: plain statements (the rows are new, the
# ORM's unit of work has nothing to track), the ORM objects made from the same values.
_WISHES: Table = Wish.__table__  # type: ignore[assignment]
_INSERT_WISH = insert(_WISHES).returning(_WISHES.c.id)
_WISH_EVENTS: Table = WishEvent.__table__  # type: ignore[assignment]
_INSERT_EVENT = insert(_WISH_EVENTS)
_EVENT_COLUMNS = ("at", "actor_user_id", "action", "from_state", "to_state", "note")


def _event_params(event_values: dict[str, Any]) -> dict[str, Any]:
    """The history row's values as :func:`_insert_wish_and_event` takes them (``ev_``)."""
    return {f"ev_{k}": v for k, v in event_values.items()}


# The columns of a new wish that come from where its resident lives (the home query's labels).
_FROM_HOME = {
    "beneficiary_id": "resident_id",
    "building_id": "building_id",
    "location": "location",
    "sub_district_id": "sub_district_id",
    "community_id": "community_id",
    "grid_id": "grid_id",
}


@functools.cache
def _insert_wish_and_event(columns: tuple[str, ...], at_home: bool = False) -> Any:
    """PostgreSQL: a new wish and its first history row in one statement (a data-modifying
    CTE), one round trip instead of two; the wish's ``columns`` and the event's (``ev_`` +
    name) are parameters. Answers the wish's id (``wish_id``). SQLite has no such CTE:
    two INSERTs.

    ``at_home``: the wish is placed where its resident (``:rid``) lives, found in the same
    statement (:func:`_home_query`; the columns of ``_FROM_HOME`` are not parameters);
    the answer has the home query's columns too, or is no row, nothing written, when
    there is no such resident."""
    home = _home_query().cte("home") if at_home else None
    placed = [*_FROM_HOME] if home is not None else []
    wish = (
        insert(_WISHES)
        .from_select(
            [*columns, *placed],
            select(
                *(bindparam(c, type_=_WISHES.c[c].type) for c in columns),
                *(home.c[_FROM_HOME[c]] for c in placed if home is not None),
            ),
        )
        .returning(_WISHES.c.id)
        .cte("w")
    )
    event = (
        insert(_WISH_EVENTS)
        .from_select(
            ["wish_id", *_EVENT_COLUMNS],
            select(
                wish.c.id,
                *(bindparam(f"ev_{c}", type_=_WISH_EVENTS.c[c].type) for c in _EVENT_COLUMNS),
            ),
        )
        .cte("e")
    )
    answer = select(wish.c.id.label("wish_id"))
    if home is not None:  # one row each: the new wish, its home
        answer = answer.add_columns(*home.c).select_from(wish.join(home, true()))
    return answer.add_cte(event)


@functools.cache
def _home_query() -> Any:
    """A resident (``:rid``) with where they live, for posting, built once: the resident
    (id, name, phone, minor, scope), their building (id, name, point) and its grid and
    community (names); no row if there is no such resident."""
    return (
        select(
            Resident.id.label("resident_id"),
            Resident.name,
            Resident.phone,
            Resident.is_minor,
            Building.id.label("building_id"),
            Building.name.label("building_name"),
            Building.location,
            Building.sub_district_id,
            Building.community_id,
            Building.grid_id,
            Grid.name.label("grid_name"),
            Grid.name_i18n.label("grid_i18n"),
            Community.code.label("community_code"),
            Community.name.label("community_name"),
            Community.name_i18n.label("community_i18n"),
        )
        .join(Building, Building.id == Resident.building_id)
        .join(Grid, Grid.id == Building.grid_id)
        .join(Community, Community.id == Grid.community_id)
        .where(Resident.id == bindparam("rid"))
    )


@functools.cache
def _board_query(paging: bool) -> Any:
    """The public board's one statement, built once (the most read page of the app): the
    community by its code, a page of its wishes in ``states`` with who they are for, and
    each grid's point once (a point inside the grid computed by the database: the
    boundary never leaves it, nor does the door). No row: no such community; one row
    with no wish: a community with nothing on this page. The names in other languages
    come as JSON text (not decoded by the driver for every row), read once per grid."""
    community = (
        select(Community.id, Community.name, Community.name_i18n)
        .where(Community.code == bindparam("code"))
        .cte("c")
    )
    page = (
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
            Resident.name.label("resident"),
            Resident.is_minor,
            Building.name.label("building"),
        )
        .join(Resident, Resident.id == Wish.beneficiary_id)
        .outerjoin(Building, Building.id == Wish.building_id)
        .where(
            Wish.community_id == select(community.c.id).scalar_subquery(),
            Wish.state.in_(bindparam("states", expanding=True)),
            *([Wish.id < bindparam("before_id")] if paging else []),
        )
        .order_by(Wish.id.desc())
        .limit(bindparam("limit"))
        .cte("page")
    )
    points = (
        select(
            Grid.id,
            Grid.name,
            Grid.name_i18n,
            func.ST_PointOnSurface(Grid.boundary, type_=Geometry).label("p"),
        )
        .where(Grid.id.in_(select(page.c.grid_id)))
        .cte("gp")
        .prefix_with("MATERIALIZED")  # each grid's point once, not once per wish
    )
    return (
        select(
            community.c.name.label("community"),
            cast(community.c.name_i18n, Text).label("community_i18n"),
            *page.c,
            points.c.name.label("grid"),
            cast(points.c.name_i18n, Text).label("grid_i18n"),
            func.ST_X(points.c.p).label("lon"),
            func.ST_Y(points.c.p).label("lat"),
        )
        .select_from(community)
        .outerjoin(page, true())
        .outerjoin(points, points.c.id == page.c.grid_id)
        .order_by(page.c.id.desc())
    )


class WishService:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale
        self._actors: dict[int, Actor] = {}

    # --- who is asking -----------------------------------------------------------------

    async def actor(self, user: CurrentUser, claim_in: Iterable[int] = ()) -> Actor:
        """The person as the rule table sees them, with the facts it needs: their resident
        record (known since sign-in) and, for the communities in ``claim_in``, in whose
        name they may claim there (loaded once per request, for all of them at a time)."""
        actor = self._actors.get(user.id)
        if actor is None:
            actor = self._actors[user.id] = Actor(
                user, {"resident_id": user.resident_id, "claim": {}}
            )
        missing = set(claim_in) - actor.facts["claim"].keys()
        if missing:
            actor.facts["claim"].update(await self._claimables(user, missing))
        return actor

    async def _claimables(self, user: CurrentUser, community_ids: set[int]) -> dict[int, Claimable]:
        """In whose name this user may claim in each of these communities (four queries)."""
        member = await self.session.get(PartyMember, user.id)
        member_of = select(ServiceGroupMember.group_id).where(ServiceGroupMember.user_id == user.id)
        groups = (
            await self.session.scalars(
                select(ServiceGroup)
                .where(
                    ServiceGroup.community_id.in_(community_ids),
                    or_(ServiceGroup.leader_user_id == user.id, ServiceGroup.id.in_(member_of)),
                )
                .order_by(ServiceGroup.id)
            )
        ).all()
        stores = await BusinessService(self.session, self.locale).claimable(user, community_ids)
        found: dict[int, Claimable] = {}
        for cid in community_ids:
            # Volunteers and party members claim in the communities they serve: a volunteer
            # where their volunteer role is bound, a party member where they reported
            # (在职党员进社区报到), volunteer or live.
            volunteers_here = any(
                g.role is Role.volunteer and g.community_id == cid for g in user.grants
            )
            kinds: list[ClaimantKind] = []
            if volunteers_here:
                kinds.append(ClaimantKind.volunteer)
            if member is not None and (
                volunteers_here
                or member.reported_community_id == cid
                or (user.home is not None and user.home.community_id == cid)
            ):
                kinds.append(ClaimantKind.party_member)
            here = [g for g in groups if g.community_id == cid]
            if here:
                kinds.append(ClaimantKind.service_group)
            if stores[cid]:
                kinds.append(ClaimantKind.business)
            found[cid] = Claimable(kinds, here, stores[cid])
        return found

    async def _wish(self, wish_id: int) -> Wish:
        wish = await self.session.get(Wish, wish_id, populate_existing=True)
        if wish is None:
            raise NotFound(N_("No such wish"))
        return wish

    async def _acting(self, user: CurrentUser, wish_id: int, action: str) -> tuple[Wish, Actor]:
        """The wish, if the rule table lets this person take this action on it now."""
        wish = await self._wish(wish_id)
        actor = await self.actor(user, [wish.community_id] if action == Action.claim else ())
        WISH.check(actor, wish, action)
        return wish, actor

    # --- seeing ------------------------------------------------------------------------

    async def may_see(self, user: CurrentUser, wish: Wish) -> bool:
        return WISH.sees(await self.actor(user), wish)

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
        return (await self._views([wish], user))[0]

    async def _answer(self, wish: Wish, user: CurrentUser) -> WishView:
        """The answer to an action: the wish as ``user`` now sees it, made once the change
        is written (on SQLite committed first, so that no other writer waits for it)."""
        await end_writes(self.session)
        return await self._view(wish, user)

    async def _views(
        self, wishes: Sequence[Wish], user: CurrentUser, known: _Known | None = None
    ) -> list[WishView]:
        """Wishes as this person may see them, with what they may do to each: the same
        eight queries at most for one wish or two hundred (fewer for what the caller
        already holds, ``known``: e.g. a wish just posted and what it was placed by)."""
        if not wishes:
            return []
        known = known or _Known()
        # In whose name one may claim matters only where a wish can be claimed now.
        actor = await self.actor(
            user, {w.community_id for w in wishes if WISH.applies(w, Action.claim)}
        )
        residents = known.residents or await _by_id(
            self.session, Resident, {w.beneficiary_id for w in wishes}
        )
        buildings = known.buildings or await _rows_by_id(
            self.session, Building, {w.building_id for w in wishes if w.building_id}, "name"
        )
        communities = known.communities or await _rows_by_id(
            self.session, Community, {w.community_id for w in wishes}, "code", "name", "name_i18n"
        )
        grids = known.grids or await _rows_by_id(
            self.session, Grid, {w.grid_id for w in wishes}, "name", "name_i18n"
        )
        claimants = await _rows_by_id(
            self.session, User, {w.claimant_user_id for w in wishes if w.claimant_user_id}, "name"
        )
        history: dict[int, list[WishEvent]] = defaultdict(list)
        if known.history is not None:
            history.update(known.history)
        else:
            for event in await self.session.scalars(
                select(WishEvent)
                .where(WishEvent.wish_id.in_([w.id for w in wishes]))
                .order_by(WishEvent.id)
            ):
                history[event.wish_id].append(event)
        views = []
        for wish in wishes:
            resident = residents[wish.beneficiary_id]
            community = communities[wish.community_id]
            staff = STAFF(actor, wish)
            full = staff or CLAIMER(actor, wish) or BENEFICIARY(actor, wish)
            claimant = (
                claimants[wish.claimant_user_id].name
                if wish.claimant_user_id in claimants
                else None
            )
            building = buildings[wish.building_id].name if wish.building_id in buildings else None
            lon, lat = lon_lat(wish.location)
            views.append(
                WishView(
                    id=wish.id,
                    title=wish.title,
                    description=wish.description,
                    category=wish.category,
                    state=wish.state,
                    version=wish.version,
                    beneficiary=resident.name
                    if full and not (resident.is_minor and not staff)
                    else mask_name(resident.name),
                    building=building if full else None,
                    community=localised_name(community.name, community.name_i18n, self.locale),
                    grid=localised_name(
                        grids[wish.grid_id].name, grids[wish.grid_id].name_i18n, self.locale
                    ),
                    lon=lon,
                    lat=lat,
                    created_at=wish.created_at,
                    expires_at=wish.expires_at,
                    on_behalf=wish.on_behalf,
                    photo=wish.photo,
                    reject_reason=wish.reject_reason,
                    claimant=(
                        claimant
                        if claimant and (full or wish.claimant_user_id == user.id)
                        else mask_name(claimant)
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
                        for e in history[wish.id]
                    ],
                    original_title=wish.original_title if staff else None,
                    original_description=wish.original_description if staff else None,
                    beneficiary_phone=mask_phone(resident.phone)
                    if staff and resident.phone
                    else None,
                    allowed_actions=WISH.allowed(actor, wish),
                    community_code=community.code,
                )
            )
        return views

    async def address(self, user: CurrentUser, wish_id: int, client_ip: str | None) -> WishAddress:
        """Where the claimer goes to help: the building and the door, shown on request to
        the claimer of a claimed wish only, and written in the audit log."""
        wish, _ = await self._acting(user, wish_id, "address")
        resident = await self.session.get(Resident, wish.beneficiary_id)
        building = await self.session.get(Building, wish.building_id) if wish.building_id else None
        assert resident is not None
        AuditService(self.session).record(
            user.id, "wish.address", "wish", wish.id, where=wish, client_ip=client_ip
        )
        lon, lat = lon_lat(wish.location)
        return WishAddress(
            building=building.name if building else None,
            unit=resident.unit or None,
            lon=lon,
            lat=lat,
        )

    # --- posting -----------------------------------------------------------------------
    async def post(self, user: CurrentUser, data: WishCreate) -> WishView:
        """A wish for oneself, or (staff, with consent recorded) for a resident in their
        scope. After the caller's own statement: the photo's uploader (with a photo), where
        the resident lives, the wish with its history row, and the office's outbox rows
        (one INSERT … SELECT that finds the office itself); the answer is made from the
        rows in hand. On PostgreSQL the wish and its history row are one statement, and a
        resident's own post with no point of its own finds their home in it too
        (:func:`_insert_wish_and_event`); SQLite, in process, runs them as three, and
        commits before the answer is made (:func:`end_writes`)."""
        await self._check_own_photo(user, data.photo)
        on_behalf = data.beneficiary_id is not None
        if (data.lon is None) != (data.lat is None):
            raise BadRequest(N_("Give both longitude and latitude, or neither"))
        now = utcnow()
        values: dict[str, Any] = {
            "title": data.title.strip(),
            "description": data.description.strip(),
            "category": data.category,
            "photo": data.photo,
            "state": State.submitted,
            "version": 1,
            "posted_by_user_id": user.id,
            "on_behalf": on_behalf,
            "consent_note": data.consent_note,
            "expires_at": now + DEFAULT_LIFETIME,
            "created_at": now,
            "updated_at": now,
        }
        event_values: dict[str, Any] = {
            "at": now,
            "actor_user_id": user.id,
            "action": "post",
            "from_state": None,
            "to_state": State.submitted,
            "note": data.consent_note if on_behalf else None,
        }
        postgres = self.session.get_bind().dialect.name == "postgresql"
        wish_id: int | None = None
        if on_behalf:
            assert data.beneficiary_id is not None
            home = await self._home(data.beneficiary_id)
            if home is None or not (await self.actor(user)).scope(STAFF_ROLES).covers(home):
                raise NotFound(N_("No such resident"))
            if not data.consent_note:
                raise BadRequest(N_("Record the resident's consent to post for them"))
        elif user.resident_id is None:
            raise Forbidden(NOT_A_RESIDENT)
        elif postgres and data.lon is None:
            # The common case in one statement: where the resident lives, the wish, its history.
            statement = _insert_wish_and_event(tuple(values), at_home=True)
            params = {**values, **_event_params(event_values), "rid": user.resident_id}
            home = (await execute(self.session, statement, params)).first()
            if home is None:
                raise Forbidden(NOT_A_RESIDENT)
            wish_id = home.wish_id
        else:
            home = await self._home(user.resident_id)
            if home is None:
                raise Forbidden(NOT_A_RESIDENT)
        if data.lon is not None and data.lat is not None:
            chain = await GridService(self.session, self.locale).locate(data.lon, data.lat)
            place = await self._grid_place(chain.grid.code)
            point: Any = from_shape(Point(data.lon, data.lat), srid=4326)
        else:
            place, point = home, home.location
        values.update(
            beneficiary_id=home.resident_id,
            building_id=home.building_id,
            location=point,
            **Wish.placed_in(place),
        )
        if wish_id is None and postgres:
            statement = _insert_wish_and_event(tuple(values))
            params = {**values, **_event_params(event_values)}
            wish_id = (await execute(self.session, statement, params)).scalar_one()
        elif wish_id is None:
            wish_id = (await execute(self.session, _INSERT_WISH, values)).scalar_one()
            await execute(self.session, _INSERT_EVENT, {"wish_id": wish_id, **event_values})
        await enqueue(
            self.session,
            event=f"wish:{wish_id}:new",
            template="wish.new",
            params={"community": place.community_name, "title": values["title"]},
            recipients=office(values["community_id"]),
            community_id=values["community_id"],
            url=f"/#/wishes/{wish_id}",
            topic=f"wish-{wish_id}",
            new_subject=True,
        )
        await end_writes(self.session)  # SQLite: the answer is made after the write lock is free
        wish = Wish(id=wish_id, **values)
        event = WishEvent(wish_id=wish_id, **event_values)
        return (
            await self._views(
                [wish],
                user,
                _Known(
                    residents={home.resident_id: home},
                    buildings={home.building_id: SimpleNamespace(name=home.building_name)},
                    communities={
                        place.community_id: SimpleNamespace(
                            code=place.community_code,
                            name=place.community_name,
                            name_i18n=place.community_i18n,
                        )
                    },
                    grids={
                        place.grid_id: SimpleNamespace(
                            name=place.grid_name, name_i18n=place.grid_i18n
                        )
                    },
                    history={wish.id: [event]},
                ),
            )
        )[0]

    async def _home(self, resident_id: int) -> Any:
        """A resident with where they live, for posting (:func:`_home_query`)."""
        return (await execute(self.session, _home_query(), {"rid": resident_id})).first()

    async def _grid_place(self, grid_code: str) -> Any:
        """A grid's scope ids and names (not its boundary), by its code."""
        place = (
            await self.session.execute(
                select(
                    Grid.id.label("grid_id"),
                    Grid.sub_district_id,
                    Grid.community_id,
                    Grid.name.label("grid_name"),
                    Grid.name_i18n.label("grid_i18n"),
                    Community.code.label("community_code"),
                    Community.name.label("community_name"),
                    Community.name_i18n.label("community_i18n"),
                )
                .join(Community, Community.id == Grid.community_id)
                .where(Grid.code == grid_code)
            )
        ).first()
        assert place is not None
        return place

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

    def _tell_beneficiary(
        self, what: str, template: str, params: Callable[[Wish], dict[str, Any]]
    ) -> Callable[[Wish], Awaitable[list[Notice]]]:
        """The message to the beneficiary about a change, made once it is written."""

        async def notices(wish: Wish) -> list[Notice]:
            return [
                Notice(
                    event=f"wish:{wish.id}:{what}:{wish.version}",
                    template=template,
                    params=params(wish),
                    recipients=[await self._beneficiary(wish)],
                    community_id=wish.community_id,
                    url=f"/#/wishes/{wish.id}",
                    topic=f"wish-{wish.id}",
                )
            ]

        return notices

    async def _change(
        self,
        user: CurrentUser | None,
        wish: Wish,
        action: str,
        *,
        target: State | None = None,
        expected_version: int | None = None,
        note: str | None = None,
        values: dict[str, Any] | None = None,
        notices: Callable[[Wish], Awaitable[list[Notice]]] | None = None,
    ) -> None:
        """One change through the transition writer: the table's target state (the same
        state for an edit), its history row and its messages, in this transaction."""
        if target is None:
            target = WISH.target(wish.state, action) if WISH.is_transition(action) else wish.state
        await write_change(
            self.session,
            wish,
            Change(action, target, values or {}, note),
            actor_id=user.id if user is not None else None,
            history=_history(wish.id),
            expected_version=expected_version,
            notices=notices,
            stale=STALE,
        )

    # --- actions -----------------------------------------------------------------------

    async def edit(self, user: CurrentUser, wish_id: int, data: ModerationEdit) -> WishView:
        """Moderators edit personal details out; the original words are kept (staff only).

        The thank-you of a confirmed wish is edited the same way ("" takes it off the
        public wall); its original words stay in the wish's history.
        """
        texts = data.title is not None or data.description is not None
        if not texts and data.thanks is None:
            raise BadRequest(N_("Nothing to change"))
        if texts and data.thanks is not None:
            raise BadRequest(N_("Change the words of a wish or its thank-you, not both at once"))
        action = "edit_thanks" if data.thanks is not None else "edit"
        wish, _ = await self._acting(user, wish_id, action)
        note = None
        values: dict[str, Any] = {}
        if data.thanks is not None:
            note, values["thanks"] = wish.thanks, data.thanks.strip() or None
        else:
            if wish.original_title is None:
                values["original_title"] = wish.title
                values["original_description"] = wish.description
            if data.title is not None:
                values["title"] = data.title.strip()
            if data.description is not None:
                values["description"] = data.description.strip()
        await self._change(user, wish, action, note=note, values=values)
        return await self._answer(wish, user)

    async def approve(
        self, user: CurrentUser, wish_id: int, expected_version: int | None = None
    ) -> WishView:
        wish, _ = await self._acting(user, wish_id, Action.approve)
        await self._change(
            user,
            wish,
            Action.approve,
            expected_version=expected_version,
            notices=self._tell_beneficiary(
                "approved", "wish.approved", lambda w: {"title": w.title}
            ),
        )
        return await self._answer(wish, user)

    async def reject(
        self, user: CurrentUser, wish_id: int, reason: str, expected_version: int | None = None
    ) -> WishView:
        wish, _ = await self._acting(user, wish_id, Action.reject)
        await self._change(
            user,
            wish,
            Action.reject,
            expected_version=expected_version,
            note=reason,
            values={"reject_reason": reason},
            notices=self._tell_beneficiary(
                "rejected", "wish.rejected", lambda w: {"title": w.title, "reason": reason}
            ),
        )
        return await self._answer(wish, user)

    async def claim(self, user: CurrentUser, wish_id: int, data: ClaimRequest) -> WishView:
        wish, actor = await self._acting(user, wish_id, Action.claim)
        values: dict[str, Any] = {
            "claimant_user_id": user.id,
            "claimant_kind": data.kind,
            "claimed_at": utcnow(),
        }
        # In whose name: the same facts the table's "serves its community" reads.
        can = claimable(actor, wish.community_id)
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
        await self._change(
            user,
            wish,
            Action.claim,
            expected_version=data.expected_version,
            values=values,
            notices=self._tell_beneficiary(
                "claimed",
                "wish.claimed",
                lambda w: {"title": w.title, "claimant": mask_name(user.name)},
            ),
        )
        return await self._answer(wish, user)

    async def claim_options(self, user: CurrentUser, community_code: str) -> ClaimOptions:
        """In whose name this user may claim the wishes of a community's board."""
        community = await GridService(self.session, self.locale).community(community_code)
        can = claimable(await self.actor(user, [community.id]), community.id)
        return ClaimOptions(
            kinds=can.kinds,
            service_groups=[ClaimGroup(id=g.id, name=g.name) for g in can.groups],
            businesses=[ClaimBusiness(code=s.code, name=s.name) for s in can.stores],
        )

    async def release(
        self, user: CurrentUser, wish_id: int, expected_version: int | None = None
    ) -> WishView:
        wish, _ = await self._acting(user, wish_id, Action.release)
        await self._change(
            user,
            wish,
            Action.release,
            expected_version=expected_version,
            values={
                "claimant_user_id": None,
                "claimant_kind": None,
                "claimant_group_id": None,
                "claimant_storefront_id": None,
                "claimed_at": None,
            },
            notices=self._tell_beneficiary(
                "released", "wish.released", lambda w: {"title": w.title}
            ),
        )
        return await self._answer(wish, user)

    async def withdraw(
        self, user: CurrentUser, wish_id: int, expected_version: int | None = None
    ) -> WishView:
        wish, _ = await self._acting(user, wish_id, Action.withdraw)
        await self._change(user, wish, Action.withdraw, expected_version=expected_version)
        return await self._answer(wish, user)

    async def fulfil(self, user: CurrentUser, wish_id: int, data: FulfilRequest) -> WishView:
        wish, _ = await self._acting(user, wish_id, Action.fulfil)
        await self._check_own_photo(user, data.photo)
        await self._change(
            user,
            wish,
            Action.fulfil,
            expected_version=data.expected_version,
            note=data.note,
            values={"proof_note": data.note, "proof_photo": data.photo, "fulfilled_at": utcnow()},
            notices=self._tell_beneficiary(
                "fulfilled", "wish.fulfilled", lambda w: {"title": w.title}
            ),
        )
        return await self._answer(wish, user)

    async def confirm(self, user: CurrentUser, wish_id: int, data: ConfirmRequest) -> WishView:
        wish, actor = await self._acting(user, wish_id, Action.confirm)
        staff = STAFF(actor, wish)
        if data.hours is not None and not staff:
            raise Forbidden(N_("Only staff can set volunteer hours"))
        hours = Decimal(str(round(data.hours, 2))) if data.hours is not None else DEFAULT_HOURS
        claimant_id = wish.claimant_user_id
        assert claimant_id is not None

        async def tell_claimant(w: Wish) -> list[Notice]:
            claimant = await self.session.get(User, claimant_id)
            assert claimant is not None
            return [
                Notice(
                    event=f"wish:{w.id}:confirmed",
                    template="wish.confirmed",
                    params={"title": w.title, "hours": str(hours)},
                    recipients=[
                        Recipient(user_id=claimant_id, via=NotifyVia.push, locale=claimant.locale)
                    ],
                    community_id=w.community_id,
                    url=f"/#/wishes/{w.id}",
                    topic=f"wish-{w.id}",
                )
            ]

        await self._change(
            user,
            wish,
            Action.confirm,
            expected_version=data.expected_version,
            note="on behalf" if staff else None,
            values={"confirmed_at": utcnow(), "thanks": data.thanks},
            notices=tell_claimant,
        )
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
                    **placed_in(wish),
                )
            )
        return await self._answer(wish, user)

    async def expire_due(self, now: datetime | None = None) -> int:
        """Approved wishes nobody claimed before they expired; returns how many expired."""
        now = now or utcnow()
        due = (
            await self.session.scalars(
                select(Wish).where(Wish.state == State.approved, Wish.expires_at <= now)
            )
        ).all()
        expired = 0
        for wish in due:
            try:
                await self._change(None, wish, Action.expire)
            except Conflict:
                continue  # claimed or withdrawn meanwhile
            expired += 1
        return expired

    # --- lists -------------------------------------------------------------------------

    async def board(
        self,
        community_code: str,
        *,
        states: tuple[State, ...] = (State.approved,),
        limit: int = 50,
        before_id: int | None = None,
    ) -> list[BoardItem]:
        """The public board of a community: beneficiaries masked, minors and exact places
        hidden, in one statement (:func:`_board_query`)."""
        params: dict[str, Any] = {"code": community_code, "states": list(states), "limit": limit}
        if before_id:
            params["before_id"] = before_id
        # The most read page of the app: no ORM machinery (server.db.core), rows by position.
        rows = (await execute(self.session, _board_query(bool(before_id)), params)).all()
        if not rows:
            raise NotFound(N_("No community has code {code}"), code=community_code)
        locale = self.locale
        cname = localised_name(rows[0][0], rows[0][1], locale)
        grid_names: dict[int, str] = {}
        items = []
        for (
            _c,
            _ci,
            wish_id,
            title,
            description,
            category,
            state,
            created_at,
            expires_at,
            photo,
            grid_id,
            resident,
            is_minor,
            building,
            grid,
            grid_i18n,
            lon,
            lat,
        ) in rows:
            if wish_id is None:  # the community, with no wish on this page
                continue
            name = grid_names.get(grid_id)
            if name is None:  # each grid's names read once a page
                name = grid_names[grid_id] = localised_name(grid, grid_i18n, locale)
            if is_minor:
                who, photo = "—", None
            else:
                who = mask_name(resident)
                if building is not None:
                    who = f"{who} · {building}"
            items.append(
                BoardItem(
                    wish_id,
                    title,
                    description,
                    category,
                    state,
                    who,
                    cname,
                    name,
                    lon,
                    lat,
                    created_at,
                    expires_at,
                    photo,
                )
            )
        return items

    async def mine(self, user: CurrentUser) -> list[WishView]:
        """Wishes I am the beneficiary of, posted, or claimed."""
        resident_id = (await self.actor(user)).facts["resident_id"]
        conditions = [Wish.posted_by_user_id == user.id, Wish.claimant_user_id == user.id]
        if resident_id is not None:
            conditions.append(Wish.beneficiary_id == resident_id)
        wishes = (
            await self.session.scalars(
                select(Wish).where(or_(*conditions)).order_by(Wish.id.desc()).limit(100)
            )
        ).all()
        return await self._views(wishes, user)

    async def queue(self, user: CurrentUser, *, state: State = State.submitted) -> list[WishView]:
        """What moderators of my scope have to look at."""
        scope = user.scope_of(OFFICE_ROLES)
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
        return await self._views(wishes, user)

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
