"""Service cases: taking them in, every change of their life, and reading them.

Who may do what is the table in :mod:`server.cases.rules`; every change goes through
the one transition writer (:func:`server.workflow.writer.write_change`): a conditional
UPDATE (state and version still what the caller saw), the history row and the outbox
rows, in the request's one transaction. Deadlines run in working time
(:mod:`server.cases.worktime`) in the community's working hours.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy import String, Table, cast, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import OFFICE_ROLES, STAFF_ROLES, Role, RoleAssignment, User
from server.accounts.scope import Scope
from server.accounts.services import CurrentUser
from server.audit.services import AuditService
from server.cases.catalogue import check_field_values
from server.cases.hours import periods_of
from server.cases.models import (
    Case,
    CaseCounter,
    CaseEvent,
    CaseState,
    Channel,
    CloseLevel,
    ServiceItem,
)
from server.cases.rules import (
    CASE,
    OPEN_STATES,
    Action,
    hold_rank,
    next_level,
    rank_roles,
    state_name,
)
from server.cases.schemas import (
    CaseActionIn,
    CaseCreate,
    CaseEventView,
    CasePage,
    CaseView,
    ItemRef,
)
from server.cases.worktime import Periods, add_working_hours, working_hours_between
from server.db.base import utcnow
from server.db.core import end_writes
from server.grids.models import Building, Community, Grid
from server.grids.points import lon_lat
from server.grids.services import GridService
from server.lib.crypto import blind_index, open_sealed, seal
from server.lib.errors import BadRequest, Forbidden, NotFound
from server.lib.i18n import N_, localised_name, translate
from server.lib.masking import mask_name, mask_phone
from server.media.models import Media
from server.notify.outbox import LOCAL_TZ
from server.notify.recipients import Contact, normal_address
from server.notify.recipients import Recipient as NotifyRecipient
from server.people.messaging import Recipient, office_of
from server.people.models import Resident
from server.visits.models import Visit
from server.workflow.rules import Actor
from server.workflow.writer import Change, Notice, history_rows, send, write_change

__all__ = ["CONTACT_CONTEXT", "CaseService", "closing_figures", "contact_hash"]

CONTACT_CONTEXT = b"case-contact"
STALE = N_("Someone changed this case first; reload it")
# The deadline chore: remind this many working hours before a deadline.
REMIND_WORKING_HOURS = 2
REMIND_LOOKAHEAD_DAYS = 7
OVERDUE_NOTE = "overdue: escalated by the deadline watch"
LEVEL_NAMES = {
    CloseLevel.grid: "网格",
    CloseLevel.community: "社区",
    CloseLevel.sub_district: "街道",
    CloseLevel.department: "职能部门",
}
DUPLICATE_METRES = 150
_SEEN_BY_REPORTER = {
    "accept",
    "reject",
    "resolve",
    "close",
    "reopen",
    "report",
    "merge",
    "reclassify",
}


def closing_figures(case: Case, closed_at: datetime, periods: Periods) -> dict[str, Any]:
    """What the boards read of a case as it closes: its handling time in working hours
    (intake to closing, in its community's calendar) and whether it was on time (resolved
    by the deadline in force, approved extensions included, and never past a deadline)."""
    done = case.resolved_at or closed_at
    return {
        "handling_hours": round(working_hours_between(case.created_at, closed_at, periods), 4),
        "on_time": (not case.deadline_missed and (case.due_at is None or done <= case.due_at)),
    }


def contact_hash(kind: str, address: str) -> str:
    """The keyed hash a case keeps of its bare contact's address (to find their cases)."""
    return blind_index(normal_address(kind, address), purpose=b"case-contact")


def _metres(point: Any, lon: float, lat: float) -> float:
    """Distance on the ground between a point and (lon, lat), close enough for 150 m."""
    dx = math.radians(point.x - lon) * math.cos(math.radians((point.y + lat) / 2))
    dy = math.radians(point.y - lat)
    return 6_371_000 * math.hypot(dx, dy)


def _history(case_id: int) -> Callable[..., CaseEvent]:
    return history_rows(CaseEvent, case_id=case_id)


_CASES: Table = Case.__table__  # type: ignore[assignment]
_CASE = _CASES.c
_RESIDENTS: Table = Resident.__table__  # type: ignore[assignment]
_USERS: Table = User.__table__  # type: ignore[assignment]
_GRIDS: Table = Grid.__table__  # type: ignore[assignment]
_COMMUNITIES: Table = Community.__table__  # type: ignore[assignment]


def _named() -> tuple[Any, Any]:
    """What a list's views name of its cases, for the cases of ``id IN (…)``: built once
    (aliases and joins made per request would cost more than the statement)."""
    case, resident, reporter = _CASES.alias("c"), _RESIDENTS.alias("r"), _USERS.alias("ru")
    assignee, merged = _USERS.alias("au"), _CASES.alias("m")
    named = select(
        case.c.id,
        resident.c.name.label("resident_name"),
        resident.c.phone.label("resident_phone"),
        reporter.c.name.label("reporter_name"),
        reporter.c.phone.label("reporter_phone"),
        assignee.c.name.label("assignee_name"),
        _GRIDS.c.name.label("grid_name"),
        _GRIDS.c.name_i18n.label("grid_name_i18n"),
        _COMMUNITIES.c.code.label("community_code"),
        merged.c.number.label("merged_number"),
    ).select_from(
        case.join(_GRIDS, _GRIDS.c.id == case.c.grid_id)
        .join(_COMMUNITIES, _COMMUNITIES.c.id == _GRIDS.c.community_id)
        .outerjoin(resident, resident.c.id == case.c.resident_id)
        .outerjoin(reporter, reporter.c.id == case.c.reporter_user_id)
        .outerjoin(assignee, assignee.c.id == case.c.assignee_user_id)
        .outerjoin(merged, merged.c.id == case.c.merged_into_id)
    )
    return named, case.c


_NAMED, _NAMED_CASE = _named()


def _newest_first(c: Any) -> list[Any]:
    return [c.id.desc()]


def _nearest_deadline_first(c: Any) -> list[Any]:
    return [c.due_at.is_(None), c.due_at, c.id]


class _Person(NamedTuple):
    name: str | None
    phone: str | None


class _Place(NamedTuple):
    name: str
    name_i18n: Any
    code: str


@dataclass(slots=True)
class _Names:
    """What views need beyond the cases, loaded once per list."""

    items: dict[int, Any]
    residents: dict[int, Any]
    users: dict[int, Any]
    places: dict[int, Any]
    merged: dict[int, str]
    history: dict[int, list[CaseEvent]] | None


class CaseService:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale
        self._items: dict[int, Any] | None = None

    # --- facts ------------------------------------------------------------------------

    async def _catalogue(self) -> dict[int, Any]:
        """Every item's columns the rule table and the views read, by id: one statement
        per request (the catalogue is a few dozen rows)."""
        if self._items is None:
            rows = await self.session.execute(
                select(
                    ServiceItem.id,
                    ServiceItem.code,
                    ServiceItem.name,
                    ServiceItem.name_i18n,
                    ServiceItem.close_level,
                    ServiceItem.deadline_hours,
                )
            )
            self._items = {r.id: r for r in rows.all()}
        return self._items

    async def actor(self, user: CurrentUser) -> Actor:
        """The person as the rule table sees them, with every item's closing level."""
        levels = {i: r.close_level for i, r in (await self._catalogue()).items()}
        return Actor(user, facts={"close_levels": levels})

    async def _case(self, case_id: int) -> Case:
        case = await self.session.get(Case, case_id)
        if case is None:
            raise NotFound(CASE.not_found)
        return case

    async def _acting(self, user: CurrentUser, case_id: int, action: str) -> tuple[Case, Actor]:
        case = await self._case(case_id)
        actor = await self.actor(user)
        CASE.check(actor, case, action)
        return case, actor

    async def _item(self, code: str) -> ServiceItem:
        item = await self.session.scalar(select(ServiceItem).where(ServiceItem.code == code))
        if item is None or not item.active:
            raise BadRequest(N_("No such service item"), error_code="unknown_item")
        return item

    async def _due(self, item: ServiceItem, community_id: int, start: datetime) -> datetime:
        periods = (await periods_of(self.session, [community_id]))[community_id]
        return add_working_hours(start, item.deadline_hours, periods)

    async def _check_own_media(self, user: CurrentUser, keys: Iterable[str]) -> None:
        wanted = set(keys)
        if not wanted:
            return
        mine = set(
            (
                await self.session.scalars(
                    select(Media.key).where(Media.key.in_(wanted), Media.uploaded_by == user.id)
                )
            ).all()
        )
        if wanted - mine:
            raise BadRequest(N_("Attach a photo you uploaded yourself"))

    async def _next_number(self, year: int) -> str:
        """The next case number of the year, city-wide: ``2026-000123``."""
        counter = await self.session.get(CaseCounter, year, with_for_update=True)
        if counter is None:
            counter = CaseCounter(year=year, last=0)
            self.session.add(counter)
        counter.last += 1
        await self.session.flush()
        return f"{year}-{counter.last:06d}"

    # --- intake -------------------------------------------------------------------------

    async def report(self, user: CurrentUser, data: CaseCreate) -> CaseView:
        """Take in a case (see :class:`~server.cases.schemas.CaseCreate` for who reports)."""
        staff = user.scope_of(STAFF_ROLES)
        channel = Channel(data.channel or ("resident_app" if staff.is_empty else "patrol"))
        resident: Resident | None = None
        values: dict[str, Any] = {"channel": channel}
        if channel is Channel.resident_app:
            if user.resident_id is None:
                raise Forbidden(
                    N_("Only residents registered with their community report for themselves")
                )
            resident = await self.session.get(Resident, user.resident_id)
            values["reporter_user_id"] = user.id
        elif staff.is_empty:
            raise Forbidden(N_("Only staff take in cases for others"))
        elif channel is Channel.patrol:
            values["reporter_user_id"] = user.id
        elif channel is Channel.visit:
            if data.visit_id is None:
                raise BadRequest(N_("Name the visit the need was found on"))
            visit = await self.session.get(Visit, data.visit_id)
            if visit is None or not (staff.covers(visit) or visit.person_user_id == user.id):
                raise NotFound(N_("No such visit"))
            resident = await self.session.get(Resident, visit.resident_id)
            values |= {"visit_id": visit.id, "taken_by_user_id": user.id}
        elif channel is Channel.window:
            if data.resident_id is None or not data.consent_note:
                raise BadRequest(N_("Name the resident and record their consent"))
            resident = await self.session.get(Resident, data.resident_id)
            if resident is None or not user.scope_of(OFFICE_ROLES).covers(resident):
                raise NotFound(N_("No such resident"))
            values |= {"taken_by_user_id": user.id, "consent_note": data.consent_note}
        else:  # hotline: a caller known by a number or an address only
            try:
                contact = Contact(phone=data.contact_phone, email=data.contact_email)
            except ValueError:
                raise BadRequest(N_("Give the caller's phone number or e-mail address")) from None
            values |= {"taken_by_user_id": user.id, **self._sealed_contact(contact)}
        if resident is not None:
            values["resident_id"] = resident.id
        item = await self._item(data.item)
        values["fields"] = check_field_values(item.fields, data.fields, self.locale)
        await self._check_own_media(user, data.photos)
        place, point = await self._place(user, staff, data, resident)
        case = await self._open(
            item,
            place,
            point,
            data.description,
            list(data.photos),
            values,
            actor_id=user.id,
            note=data.consent_note,
        )
        await end_writes(self.session)  # SQLite: the answer is made after the write lock is free
        return await self.view(user, case)

    async def report_by_contact(
        self,
        *,
        channel: Channel,
        item_code: str,
        description: str,
        fields: dict[str, Any],
        grid: Grid,
        point: Any,
        contact: Contact | None,
        note: str | None = None,
    ) -> Case:
        """Take in a case that came from outside with no account behind it (Open311): its
        reporter a bare contact (sealed) or nobody, its place already decided by the caller.
        The item's fields are checked as :meth:`report` checks them; the office hears of it."""
        item = await self._item(item_code)
        values: dict[str, Any] = {
            "channel": channel,
            "fields": check_field_values(item.fields, fields, self.locale),
        }
        if contact is not None:
            values |= self._sealed_contact(contact)
        return await self._open(item, grid, point, description, [], values, note=note)

    async def _open(
        self,
        item: ServiceItem,
        place: Any,
        point: Any,
        description: str,
        photos: list[str],
        values: dict[str, Any],
        *,
        actor_id: int | None = None,
        note: str | None = None,
    ) -> Case:
        """The one way a case is opened: numbered, due in the item's working time from
        now, placed where ``place`` sits in the grid, its first history row, and the
        notices of intake, in the caller's transaction."""
        now = utcnow()
        case = Case(
            number=await self._next_number(now.astimezone(LOCAL_TZ).year),
            item_id=item.id,
            description=description.strip(),
            location=point,
            photos=photos,
            state=CaseState.received,
            version=1,
            level=CloseLevel.grid,
            due_at=await self._due(item, place.community_id, now),
            created_at=now,
            updated_at=now,
            **Case.placed_in(place),
            **values,
        )
        self.session.add(case)
        await self.session.flush()
        self.session.add(
            CaseEvent(
                case_id=case.id,
                at=now,
                actor_user_id=actor_id,
                action="report",
                from_state=None,
                to_state=CaseState.received,
                note=note,
            )
        )
        for notice in await self.intake_notices(case):
            await send(self.session, notice)
        await self.session.flush()
        return case

    @staticmethod
    def _sealed_contact(contact: Contact) -> dict[str, Any]:
        kind, address = ("phone", contact.phone) if contact.phone else ("email", contact.email)
        assert address is not None
        return {
            "contact_phone_sealed": seal(
                normal_address("phone", contact.phone), context=CONTACT_CONTEXT
            )
            if contact.phone
            else None,
            "contact_email_sealed": seal(
                normal_address("email", contact.email), context=CONTACT_CONTEXT
            )
            if contact.email
            else None,
            "contact_hash": contact_hash(kind, address),
        }

    async def _place(
        self, user: CurrentUser, staff: Scope, data: CaseCreate, resident: Resident | None
    ) -> tuple[Grid, Any]:
        """The grid of a new case and its point: the point's grid, else the resident's
        building's, else the grid named; staff nothing outside their scope."""
        grids = GridService(self.session, self.locale)
        point: Any = None
        if data.lon is not None and data.lat is not None:
            chain = await grids.locate(data.lon, data.lat)
            code = chain.grid.code
            point = from_shape(Point(data.lon, data.lat), srid=4326)
        elif data.lon is not None or data.lat is not None:
            raise BadRequest(N_("Give both longitude and latitude, or neither"))
        elif resident is not None:
            building = await self.session.get(Building, resident.building_id)
            assert building is not None
            grid = await self.session.get(Grid, building.grid_id)
            assert grid is not None
            if data.channel not in (None, "resident_app") and not staff.covers(grid):
                raise NotFound(N_("No such resident"))
            return grid, building.location
        elif data.grid_code:
            code = data.grid_code
        else:
            raise BadRequest(N_("Say where: a point on the map or the grid"))
        grid = await self.session.scalar(select(Grid).where(Grid.code == code))
        if grid is None:
            raise NotFound(N_("No grid has code {code}"), code=code)
        own_report = data.channel in (None, "resident_app") and staff.is_empty
        if not own_report and not staff.covers(grid):
            raise NotFound(N_("No grid has code {code}"), code=code)
        return grid, point

    # --- who hears what (templates in server.cases.messages) ----------------------------

    @staticmethod
    def _when(at: datetime | None) -> str:
        return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if at is not None else ""

    async def _item_name(self, case: Case) -> str:
        item = await self.session.get(ServiceItem, case.item_id) if case.item_id else None
        return item.name if item is not None else ""

    async def _reporters(self, cases: Sequence[Case]) -> list[NotifyRecipient]:
        """The people who reported these cases: a resident (by how they want to hear), an
        account, or a bare contact (by SMS, or e-mail)."""
        found: list[NotifyRecipient] = []
        for case in cases:
            if case.resident_id is not None:
                resident = await self.session.get(Resident, case.resident_id)
                if resident is not None:
                    found.append(
                        Recipient(
                            user_id=resident.user_id,
                            resident_id=resident.id,
                            via=resident.notify_via,
                            locale=resident.locale,
                        )
                    )
            elif case.reporter_user_id is not None:
                user = await self.session.get(User, case.reporter_user_id)
                if user is not None:
                    found.append(Recipient(user_id=user.id, locale=user.locale))
            elif case.contact_phone_sealed or case.contact_email_sealed:
                email = (
                    open_sealed(case.contact_email_sealed, context=CONTACT_CONTEXT)
                    if case.contact_email_sealed
                    else None
                )
                found.append(
                    NotifyRecipient(contact=Contact(phone=self._contact_phone(case), email=email))
                )
        return found

    def _notice(
        self, case: Case, what: str, params: dict[str, Any], recipients: Sequence[Any], **kw: Any
    ) -> list[Notice]:
        if not recipients:
            return []
        return [
            Notice(
                event=f"case:{case.id}:{what}:{case.version}",
                template=f"case.{what}",
                params=params,
                recipients=list(recipients),
                community_id=case.community_id,
                url=f"/#/cases/{case.id}",
                topic=f"case-{case.id}",
                **kw,
            )
        ]

    async def _merged_into(self, case: Case) -> Sequence[Case]:
        """The duplicates merged into this case (their reporters hear its outcome)."""
        return (
            await self.session.scalars(select(Case).where(Case.merged_into_id == case.id))
        ).all()

    async def _sub_district_of(self, case: Case) -> list[Recipient]:
        """The administrators of the case's sub-district, as recipients."""
        rows = await self.session.execute(
            select(User.id, User.locale)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.role == Role.subdistrict_admin,
                RoleAssignment.sub_district_id == case.sub_district_id,
                User.is_active.is_(True),
            )
            .distinct()
        )
        return [Recipient(user_id=uid, locale=loc) for uid, loc in rows.all()]

    async def intake_notices(self, case: Case) -> list[Notice]:
        """The community office hears of a new case."""
        grid = await self.session.get(Grid, case.grid_id)
        params = {
            "number": case.number,
            "grid": grid.name if grid else "",
            "item": await self._item_name(case),
        }
        office = await office_of(self.session, case.community_id)
        return self._notice(case, "new", params, office, new_subject=True)

    async def change_notices(self, case: Case, action: str, note: str | None) -> list[Notice]:
        """Who hears of a change: the reporter of what concerns them, staff of the rest."""
        number = case.number
        if action == Action.accept:
            params = {
                "number": number,
                "item": await self._item_name(case),
                "due": self._when(case.due_at),
            }
            return self._notice(case, "accepted", params, await self._reporters([case]))
        if action == Action.reject:
            # Duplicates merged into it hear the outcome too (as they would of its close).
            return self._notice(
                case,
                "rejected",
                {"number": number, "reason": note or ""},
                await self._reporters([case, *await self._merged_into(case)]),
            )
        if action == Action.close:
            # Always, and to the reporters of the duplicates merged into it.
            merged = await self._merged_into(case)
            params = {"number": number, "resolution": (case.resolution or "")[:200]}
            return self._notice(case, "finished", params, await self._reporters([case, *merged]))
        if action == "callback":
            return self._notice(case, "rated", {"number": number}, await self._reporters([case]))
        if action == Action.merge:
            return self._notice(
                case,
                "merged",
                {"number": number, "into": note or ""},
                await self._reporters([case]),
            )
        if action == Action.dispatch and case.assignee_user_id is not None:
            params = {
                "number": number,
                "item": await self._item_name(case),
                "due": self._when(case.due_at),
            }
            return self._notice(
                case, "dispatched", params, [Recipient(user_id=case.assignee_user_id)]
            )
        office = await office_of(self.session, case.community_id)
        if action in (Action.return_, Action.transfer):
            if action == Action.transfer:
                return await self.intake_notices(case)
            return self._notice(case, "returned", {"number": number, "reason": note or ""}, office)
        if action == Action.escalate:
            params = {"number": number, "level": LEVEL_NAMES[case.level], "reason": note or ""}
            people = list(office)
            if hold_rank(case.level) >= hold_rank(CloseLevel.sub_district):
                # The sub-district holds it now (and follows a department's cases).
                known = {p.user_id for p in people}
                people += [p for p in await self._sub_district_of(case) if p.user_id not in known]
            return self._notice(case, "escalated", params, people)
        if action == "supervise":
            people = list(office)
            if case.assignee_user_id is not None:
                people.append(Recipient(user_id=case.assignee_user_id))
            return self._notice(case, "supervised", {"number": number, "note": note or ""}, people)
        return []

    # --- the deadline chore -------------------------------------------------------------

    async def watch_deadlines(self, now: datetime) -> int:
        """Remind the person holding a case a few working hours before its deadline (once);
        past it, tell the office and escalate it one level up, where it gets the item's
        working hours again. Idempotent: a case reminded or escalated is not again until
        its new deadline comes."""
        watched = (
            CaseState.received,
            CaseState.accepted,
            CaseState.dispatched,
            CaseState.in_progress,
        )
        cases = (
            await self.session.scalars(
                select(Case)
                .where(
                    Case.state.in_(watched),
                    Case.due_at.is_not(None),
                    Case.due_at <= now + timedelta(days=REMIND_LOOKAHEAD_DAYS),
                )
                .order_by(Case.due_at, Case.id)
                .limit(500)
            )
        ).all()
        periods = await periods_of(self.session, {c.community_id for c in cases})
        touched = 0
        for case in cases:
            assert case.due_at is not None
            item = await self.session.get(ServiceItem, case.item_id) if case.item_id else None
            params = {
                "number": case.number,
                "item": item.name if item else "",
                "due": self._when(case.due_at),
            }
            if case.due_at > now:
                left = working_hours_between(now, case.due_at, periods[case.community_id])
                if case.reminded_at is None and left <= REMIND_WORKING_HOURS:
                    people: list[Any] = (
                        [Recipient(user_id=case.assignee_user_id)]
                        if case.assignee_user_id
                        else await office_of(self.session, case.community_id)
                    )
                    await self._write_notices(self._notice(case, "due_soon", params, people))
                    await self.session.execute(
                        update(Case).where(Case.id == case.id).values(reminded_at=now)
                    )
                    touched += 1
                continue
            # Overdue: the office hears; the case goes one level up with fresh time.
            office = await office_of(self.session, case.community_id)
            await self._write_notices(self._notice(case, "overdue", params, office))
            up = next_level(case.level)
            can_escalate = (
                case.state in (CaseState.accepted, CaseState.dispatched, CaseState.in_progress)
                and up is not None
                and (up is not CloseLevel.department or (item is not None and item.department))
            )
            hours = item.deadline_hours if item is not None else 8
            due = add_working_hours(now, hours, periods[case.community_id])
            if can_escalate:
                assert up is not None
                await self._change(
                    None,
                    case,
                    Action.escalate,
                    expected_version=case.version,
                    note=OVERDUE_NOTE,
                    values={
                        "level": up,
                        "escalations": case.escalations + 1,
                        "assignee_user_id": None,
                        "due_at": due,
                        "reminded_at": None,
                        "deadline_missed": True,
                    },
                )
            else:  # nowhere higher to go: the office was told; look again after fresh time
                await self.session.execute(
                    update(Case)
                    .where(Case.id == case.id)
                    .values(due_at=due, reminded_at=None, deadline_missed=True)
                )
            touched += 1
        return touched

    async def _write_notices(self, notices: Iterable[Notice]) -> None:
        for notice in notices:
            await send(self.session, notice)

    # --- changes ----------------------------------------------------------------------

    async def _change(
        self,
        user: CurrentUser | None,
        case: Case,
        action: str,
        *,
        expected_version: int | None,
        note: str | None = None,
        values: dict[str, Any] | None = None,
        extra: Sequence[Notice] = (),
    ) -> None:
        target = CASE.target(case.state, action) if CASE.is_transition(action) else case.state

        async def notices(c: Case) -> list[Notice]:
            return [*await self.change_notices(c, action, note), *extra]

        await write_change(
            self.session,
            case,
            Change(action, target, values or {}, note),
            actor_id=user.id if user is not None else None,
            history=_history(case.id),
            expected_version=expected_version,
            notices=notices,
            stale=STALE,
        )

    async def act(
        self, user: CurrentUser, case_id: int, action: str, data: CaseActionIn
    ) -> CaseView:
        """One action of the table on one case, with what it needs from ``data``."""
        case, actor = await self.perform(user, case_id, action, data)
        await end_writes(self.session)  # SQLite: the answer is made after the write lock is free
        return await self.view(user, case, actor=actor)

    async def perform(
        self, user: CurrentUser, case_id: int, action: str, data: CaseActionIn
    ) -> tuple[Case, Actor]:
        """:meth:`act` without building the view (the demo city's loading)."""
        case, actor = await self._acting(user, case_id, action)
        handler = getattr(self, f"_do_{action.rstrip('_')}")
        await handler(user, case, data)
        return case, actor

    @staticmethod
    def _need(value: Any, message: str) -> Any:
        if value is None or value == "":
            raise BadRequest(message)
        return value

    async def _do_accept(self, user: CurrentUser, case: Case, data: CaseActionIn) -> None:
        values: dict[str, Any] = {"accepted_at": utcnow()}
        if data.item is not None:
            item = await self._item(data.item)
            values["item_id"] = item.id
            values["fields"] = check_field_values(
                item.fields, data.fields if data.fields is not None else case.fields, self.locale
            )
            if item.id != case.item_id or case.due_at is None:
                values["due_at"] = await self._due(item, case.community_id, case.created_at)
        elif case.item_id is None:
            raise BadRequest(N_("Choose the service item of this case"))
        await self._change(
            user, case, Action.accept, expected_version=data.expected_version, values=values
        )

    async def _do_reject(self, user: CurrentUser, case: Case, data: CaseActionIn) -> None:
        reason = self._need(data.reason, N_("Say why"))
        await self._change(
            user,
            case,
            Action.reject,
            expected_version=data.expected_version,
            note=reason,
            values={"reject_reason": reason},
        )

    async def _do_dispatch(self, user: CurrentUser, case: Case, data: CaseActionIn) -> None:
        assignee_id = self._need(data.assignee_id, N_("Choose the person to dispatch it to"))
        assignee = await self.session.get(User, assignee_id)
        grants = (
            await self.session.scalars(
                select(RoleAssignment).where(
                    RoleAssignment.user_id == assignee_id,
                    RoleAssignment.role.in_(sorted(rank_roles(hold_rank(case.level)))),
                )
            )
        ).all()
        if (
            assignee is None
            or not assignee.is_active
            or not Scope.from_assignments(assignee_id, grants).covers(case)
        ):
            raise BadRequest(N_("Dispatch it to staff who work where the case is, at its level"))
        await self._change(
            user,
            case,
            Action.dispatch,
            expected_version=data.expected_version,
            note=assignee.name,
            values={"assignee_user_id": assignee_id},
        )

    async def _do_start(self, user: CurrentUser, case: Case, data: CaseActionIn) -> None:
        await self._change(user, case, Action.start, expected_version=data.expected_version)

    async def _do_resolve(self, user: CurrentUser, case: Case, data: CaseActionIn) -> None:
        note = self._need(data.note, N_("Say what was done"))
        if data.photo:
            await self._check_own_media(user, [data.photo])
        await self._change(
            user,
            case,
            Action.resolve,
            expected_version=data.expected_version,
            note=note[:500],
            values={"resolution": note, "resolution_photo": data.photo, "resolved_at": utcnow()},
        )

    async def _do_close(self, user: CurrentUser, case: Case, data: CaseActionIn) -> None:
        now = utcnow()
        periods = (await periods_of(self.session, [case.community_id]))[case.community_id]
        await self._change(
            user,
            case,
            Action.close,
            expected_version=data.expected_version,
            note=data.note,
            values={"closed_at": now, **closing_figures(case, now, periods)},
        )

    async def _do_rework(self, user: CurrentUser, case: Case, data: CaseActionIn) -> None:
        reason = self._need(data.reason, N_("Say why"))
        await self._change(
            user,
            case,
            Action.rework,
            expected_version=data.expected_version,
            note=reason,
            values={"reworks": case.reworks + 1, "resolved_at": None},
        )

    async def _do_reopen(self, user: CurrentUser, case: Case, data: CaseActionIn) -> None:
        reason = self._need(data.reason, N_("Say why"))
        await self._change(
            user,
            case,
            Action.reopen,
            expected_version=data.expected_version,
            note=reason,
            values={
                "reworks": case.reworks + 1,
                "satisfaction": None,
                "closed_at": None,
                "handling_hours": None,
                "on_time": None,
            },
        )

    def _returned(self, case: Case) -> dict[str, Any]:
        returns = case.returns + 1
        return {
            "returns": returns,
            "flagged": case.flagged or returns > 2,
            "assignee_user_id": None,
        }

    async def _do_return(self, user: CurrentUser, case: Case, data: CaseActionIn) -> None:
        reason = self._need(data.reason, N_("Say why"))
        await self._change(
            user,
            case,
            Action.return_,
            expected_version=data.expected_version,
            note=reason,
            values=self._returned(case),
        )

    async def _do_transfer(self, user: CurrentUser, case: Case, data: CaseActionIn) -> None:
        reason = self._need(data.reason, N_("Say why"))
        code = self._need(data.grid_code, N_("Choose the grid to transfer it to"))
        grid = await self.session.scalar(select(Grid).where(Grid.code == code))
        if grid is None:
            raise NotFound(N_("No grid has code {code}"), code=code)
        if grid.id == case.grid_id:
            raise BadRequest(N_("The case is in that grid already"))
        await self._change(
            user,
            case,
            Action.transfer,
            expected_version=data.expected_version,
            note=reason,
            values={**self._returned(case), **Case.placed_in(grid), "level": CloseLevel.grid},
        )

    async def _do_escalate(self, user: CurrentUser | None, case: Case, data: CaseActionIn) -> None:
        reason = self._need(data.reason, N_("Say why"))
        await self.escalate(user, case, reason, data.expected_version)

    async def escalate(
        self, user: CurrentUser | None, case: Case, reason: str, expected_version: int | None
    ) -> None:
        """One level up (by hand, or by the deadline chore with no user)."""
        up = next_level(case.level)
        if up is CloseLevel.department:
            item = await self.session.get(ServiceItem, case.item_id) if case.item_id else None
            if item is None or item.department is None:
                raise BadRequest(
                    N_("No department handles this item: it stays with the sub-district")
                )
        assert up is not None
        await self._change(
            user,
            case,
            Action.escalate,
            expected_version=expected_version,
            note=reason,
            values={"level": up, "escalations": case.escalations + 1, "assignee_user_id": None},
        )

    async def _do_callback(self, user: CurrentUser, case: Case, data: CaseActionIn) -> None:
        satisfaction = self._need(
            data.satisfaction, N_("Say how satisfied the reporter is (1, 2 or 3)")
        )
        await self.rate(user, case, satisfaction, data.note, data.expected_version)

    async def rate(
        self,
        user: CurrentUser | None,
        case: Case,
        satisfaction: int,
        note: str | None,
        expected_version: int | None = None,
    ) -> None:
        await self._change(
            user,
            case,
            "callback",
            expected_version=expected_version,
            note=f"{satisfaction}" + (f" {note}" if note else ""),
            values={"satisfaction": satisfaction},
        )

    async def _do_supervise(self, user: CurrentUser, case: Case, data: CaseActionIn) -> None:
        note = self._need(data.note, N_("Write the supervision note"))
        await self._change(
            user, case, "supervise", expected_version=data.expected_version, note=note
        )

    async def _do_request_extension(
        self, user: CurrentUser, case: Case, data: CaseActionIn
    ) -> None:
        hours = self._need(data.hours, N_("Say how many more working hours"))
        reason = self._need(data.reason, N_("Say why"))
        await self._change(
            user,
            case,
            "request_extension",
            expected_version=data.expected_version,
            note=f"+{hours}h {reason}",
            values={"extension_hours": hours, "extension_reason": reason},
        )

    async def _do_approve_extension(
        self, user: CurrentUser, case: Case, data: CaseActionIn
    ) -> None:
        assert case.extension_hours is not None
        periods = (await periods_of(self.session, [case.community_id]))[case.community_id]
        due = add_working_hours(case.due_at or utcnow(), case.extension_hours, periods)
        await self._change(
            user,
            case,
            "approve_extension",
            expected_version=data.expected_version,
            note=f"+{case.extension_hours}h",
            values={
                "due_at": due,
                "extension_hours": None,
                "extension_reason": None,
                "reminded_at": None,
            },
        )

    async def _do_reclassify(self, user: CurrentUser, case: Case, data: CaseActionIn) -> None:
        """改派事项: another service item (the reporter picked the wrong one), with a reason.

        The deadline is the new item's working hours counted from when the case was raised,
        as accepting it with another item does (the reporter loses no time to the office's
        correction); the closing level follows from the item. Values of fields both items
        share are kept; ``fields`` gives the rest (the new item's required ones) and may
        change or (with "") clear kept ones. The reporter hears of it when the promised
        date moves."""
        reason = self._need(data.reason, N_("Say why"))
        code = self._need(data.item, N_("Choose the service item of this case"))
        item = await self._item(code)
        if item.id == case.item_id:
            raise BadRequest(N_("The case has that service item already"))
        keys = {f["key"] for f in item.fields}
        kept = {k: v for k, v in (case.fields or {}).items() if k in keys}
        fields = check_field_values(item.fields, kept | (data.fields or {}), self.locale)
        due = await self._due(item, case.community_id, case.created_at)
        values: dict[str, Any] = {
            "item_id": item.id,
            "fields": fields,
            "due_at": due,
            "reminded_at": None,
        }
        if case.level is CloseLevel.department and item.department is None:
            values["level"] = CloseLevel.sub_district  # no department handles the new item
        before = await self._item_name(case)
        notices: list[Notice] = []
        if due != case.due_at:
            params = {"number": case.number, "item": item.name, "due": self._when(due)}
            reporters = await self._reporters([case])
            notices = self._notice(case, "reclassified", params, reporters)
        await self._change(
            user,
            case,
            "reclassify",
            expected_version=data.expected_version,
            note=f"{before or '—'} → {item.name}: {reason}",
            values=values,
            extra=notices,
        )

    async def _do_merge(self, user: CurrentUser, case: Case, data: CaseActionIn) -> None:
        """A duplicate into the case it repeats (open, where the office works): the
        duplicate's reporter hears it now and hears the outcome of the other."""
        into_id = self._need(data.into_case_id, N_("Choose the case it repeats"))
        into = await self.session.get(Case, into_id)
        if into is None or not user.scope_of(OFFICE_ROLES).covers(into):
            raise NotFound(CASE.not_found)
        if into.id == case.id or into.state not in OPEN_STATES or into.merged_into_id:
            raise BadRequest(N_("Merge it into another open case"))
        await self._change(
            user,
            case,
            Action.merge,
            expected_version=data.expected_version,
            note=into.number,
            values={"merged_into_id": into.id},
        )
        self.session.add(
            CaseEvent(
                case_id=into.id,
                actor_user_id=user.id,
                action="merged_in",
                from_state=into.state,
                to_state=into.state,
                note=case.number,
            )
        )
        await self.session.flush()

    # --- lists --------------------------------------------------------------------------

    async def _page(
        self,
        user: CurrentUser,
        where: list[Any],
        order: Callable[[Any], list[Any]],
        limit: int,
        offset: int,
    ) -> CasePage:
        """A page of cases, the count (unless the page is the last), then their views
        (``_views``): plain rows rather than ORM objects, which a list only reads.
        ``where`` is on the cases' table columns (``_CASE``); ``order`` gives the order
        for a table's columns."""
        cases = (
            await self.session.execute(
                select(_CASES).where(*where).order_by(*order(_CASE)).limit(limit).offset(offset)
            )
        ).all()
        if 0 < len(cases) < limit or (offset == 0 and not cases):
            total = offset + len(cases)  # the last page: nothing to count (most inboxes)
        else:
            counted = await self.session.scalar(
                select(func.count()).select_from(_CASES).where(*where)
            )
            total = int(counted or 0)
        if not cases:
            return CasePage(items=[], total=total, limit=limit, offset=offset)
        views = await self._views(user, cases, actor=await self.actor(user), detail=False)
        return CasePage(items=views, total=total, limit=limit, offset=offset)

    async def mine(self, user: CurrentUser, limit: int, offset: int) -> CasePage:
        """The cases I reported (or were reported for me), newest first."""
        mine = [_CASE.reporter_user_id == user.id]
        if user.resident_id is not None:
            mine.append(_CASE.resident_id == user.resident_id)
        return await self._page(user, [or_(*mine)], _newest_first, limit, offset)

    async def inbox(self, user: CurrentUser, limit: int, offset: int) -> CasePage:
        """A grid worker's inbox: open cases of their grids or dispatched to them, the
        nearest deadline first."""
        grids = user.scope_of({Role.grid_worker}).grid_ids
        mine: list[Any] = [_CASE.assignee_user_id == user.id]
        if grids:
            mine.append(_CASE.grid_id.in_(sorted(grids)))
        where = [or_(*mine), _CASE.state.in_(sorted(OPEN_STATES))]
        return await self._page(user, where, _nearest_deadline_first, limit, offset)

    async def community_cases(
        self,
        user: CurrentUser,
        code: str,
        *,
        state: CaseState | None,
        item: str | None,
        overdue: bool,
        limit: int,
        offset: int,
        level: CloseLevel | None = None,
    ) -> CasePage:
        """A community's cases for its office, newest first; by state, item, the level
        holding them (what the sub-district holds), overdue."""
        community = await GridService(self.session, self.locale).community(
            code, user.scope_of(OFFICE_ROLES)
        )
        where: list[Any] = [_CASE.community_id == community.id]
        if state is not None:
            where.append(_CASE.state == state)
        if item is not None:
            items = ServiceItem.__table__.c
            where.append(_CASE.item_id.in_(select(items.id).where(items.code == item)))
        if level is not None:
            where.append(_CASE.level == level)
        if overdue:
            where += [_CASE.state.in_(sorted(OPEN_STATES)), _CASE.due_at < utcnow()]
        return await self._page(user, where, _newest_first, limit, offset)

    async def duplicates(
        self, user: CurrentUser, item: str, lon: float, lat: float
    ) -> list[CaseView]:
        """Open cases of the same item within ~150 m of a point, in the caller's scope:
        what intake shows before a new case is made (staff)."""
        scope = user.scope_of(STAFF_ROLES)
        if scope.is_empty:
            raise Forbidden(N_("Only staff look for duplicate cases"))
        dlat = DUPLICATE_METRES / 111_320
        dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
        x, y = func.ST_X(Case.location), func.ST_Y(Case.location)
        rows = (
            await self.session.scalars(
                select(Case)
                .join(ServiceItem, ServiceItem.id == Case.item_id)
                .where(
                    ServiceItem.code == item,
                    Case.state.in_(sorted(OPEN_STATES)),
                    Case.location.is_not(None),
                    x.between(lon - dlon, lon + dlon),
                    y.between(lat - dlat, lat + dlat),
                    scope.clause(Case),
                )
                .order_by(Case.id.desc())
                .limit(50)
            )
        ).all()
        near = [
            c
            for c in rows
            if c.location is not None
            and _metres(to_shape(c.location), lon, lat) <= DUPLICATE_METRES
        ]
        if not near:
            return []
        return await self._views(user, near[:20], actor=await self.actor(user), detail=False)

    # --- reading ------------------------------------------------------------------------

    async def photo_visible_to(self, user: CurrentUser, key: str) -> bool:
        """Is this a photo (or after photo) of a case the caller may see?"""
        if not key.isalnum():  # media keys are hex digests: safe inside a LIKE pattern
            return False
        cases = (
            await self.session.scalars(
                select(Case)
                .where(
                    or_(
                        Case.resolution_photo == key,
                        cast(Case.photos, String).like(f'%"{key}"%'),
                    )
                )
                .limit(20)
            )
        ).all()
        if not cases:
            return False
        actor = await self.actor(user)
        return any(CASE.sees(actor, c) for c in cases)

    async def get(self, user: CurrentUser, case_id: int, client_ip: str | None = None) -> CaseView:
        case = await self._case(case_id)
        actor = await self.actor(user)
        if not CASE.sees(actor, case):
            raise NotFound(CASE.not_found)
        view = (await self._views(user, [case], actor=actor, detail=True))[0]
        mine = case.reporter_user_id == user.id or (
            user.resident_id is not None and case.resident_id == user.resident_id
        )
        if not mine and view.reporter is not None and actor.scope(STAFF_ROLES).covers(case):
            # The page shows staff the reporter's name in full: who read it is on record,
            # as for a resident's timeline.
            AuditService(self.session).record(
                user.id, "case.view", "case", case.id, where=case, client_ip=client_ip
            )
        return view

    async def view(self, user: CurrentUser, case: Case, *, actor: Actor | None = None) -> CaseView:
        return (
            await self._views(user, [case], actor=actor or await self.actor(user), detail=True)
        )[0]

    async def _names(self, cases: Sequence[Any], *, detail: bool) -> _Names:
        """What the views of these cases name: the reporter, the assignee, the grid and
        community, the case merged into (one statement, ``_NAMED``), the catalogue, and
        for a case's page its history with the names of those who acted: a fixed number
        of statements whatever their number. A case the names read does not find (none
        is deleted, but between two statements) is left out of the views."""
        rows = (
            await self.session.execute(_NAMED.where(_NAMED_CASE.id.in_([c.id for c in cases])))
        ).all()
        named = {r.id: r for r in rows}
        residents: dict[int, Any] = {}
        users: dict[int, Any] = {}
        places: dict[int, Any] = {}
        merged: dict[int, str] = {}
        for c in cases:
            n = named.get(c.id)
            if n is None:
                continue
            if c.resident_id is not None:
                residents[c.resident_id] = _Person(n.resident_name, n.resident_phone)
            if c.reporter_user_id is not None:
                users[c.reporter_user_id] = _Person(n.reporter_name, n.reporter_phone)
            if c.assignee_user_id is not None:
                users.setdefault(c.assignee_user_id, _Person(n.assignee_name, None))
            places[c.grid_id] = _Place(n.grid_name, n.grid_name_i18n, n.community_code)
            if c.merged_into_id is not None:
                merged[c.merged_into_id] = n.merged_number
        history: dict[int, list[CaseEvent]] | None = None
        if detail:
            history = {c.id: [] for c in cases}
            for e in (
                await self.session.scalars(
                    select(CaseEvent)
                    .where(CaseEvent.case_id.in_([c.id for c in cases]))
                    .order_by(CaseEvent.id)
                )
            ).all():
                history[e.case_id].append(e)
            actors = {
                e.actor_user_id for h in history.values() for e in h if e.actor_user_id
            } - set(users)
            if actors:
                for r in (
                    await self.session.execute(
                        select(User.id, User.name, User.phone).where(User.id.in_(actors))
                    )
                ).all():
                    users[r.id] = _Person(r.name, r.phone)
        return _Names(await self._catalogue(), residents, users, places, merged, history)

    def _contact_phone(self, case: Case) -> str | None:
        if case.contact_phone_sealed is None:
            return None
        phone = open_sealed(case.contact_phone_sealed, context=CONTACT_CONTEXT)
        # Kept as E.164 digits; a mainland mobile reads as people write it.
        return phone[2:] if len(phone) == 13 and phone.startswith("861") else phone

    async def _views(
        self, user: CurrentUser, cases: Sequence[Any], *, actor: Actor, detail: bool
    ) -> list[CaseView]:
        """Views of cases: ORM objects, or a list's plain rows."""
        names = await self._names(cases, detail=detail)
        return self._make_views(user, cases, names, actor=actor, detail=detail)

    def _make_views(
        self,
        user: CurrentUser,
        cases: Sequence[Any],
        names: _Names,
        *,
        actor: Actor,
        detail: bool,
    ) -> list[CaseView]:
        """Views of cases from what ``names`` holds."""
        staff_scope = actor.scope(STAFF_ROLES)
        now = utcnow()
        views: list[CaseView] = []
        for case in cases:
            staff = staff_scope.covers(case)
            mine = case.reporter_user_id == user.id or (
                user.resident_id is not None and case.resident_id == user.resident_id
            )
            place = names.places.get(case.grid_id)
            if place is None:  # not found by the names read (see ``_names``)
                continue
            item = names.items.get(case.item_id) if case.item_id else None
            # The reporter: a resident, an account, or a bare contact.
            name: str | None = None
            phone: str | None = None
            if case.resident_id is not None:
                resident = names.residents.get(case.resident_id)
                name, phone = (resident.name, resident.phone) if resident else (None, None)
            elif case.reporter_user_id is not None:
                reporter = names.users.get(case.reporter_user_id)
                name, phone = (reporter.name, reporter.phone) if reporter else (None, None)
            else:
                phone = self._contact_phone(case)
            full = mine or (staff and detail)
            assignee = names.users.get(case.assignee_user_id) if case.assignee_user_id else None
            lon, lat = lon_lat(case.location) if case.location is not None else (None, None)
            open_ = case.state in (
                CaseState.received,
                CaseState.accepted,
                CaseState.dispatched,
                CaseState.in_progress,
            )
            views.append(
                CaseView(
                    id=case.id,
                    number=case.number,
                    state=str(case.state),
                    state_name=translate(state_name(case.state), self.locale),
                    version=case.version,
                    channel=str(case.channel),
                    item=ItemRef(
                        code=item.code,
                        name=localised_name(item.name, item.name_i18n, self.locale),
                        close_level=item.close_level,
                        deadline_hours=item.deadline_hours,
                    )
                    if item
                    else None,
                    description=case.description,
                    community=place.code,
                    grid=localised_name(place.name, place.name_i18n, self.locale),
                    level=case.level,
                    due_at=case.due_at,
                    overdue=bool(open_ and case.due_at is not None and case.due_at < now),
                    created_at=case.created_at,
                    updated_at=case.updated_at,
                    allowed_actions=CASE.allowed(actor, case),
                    reporter=(name if full else mask_name(name)) if name else None,
                    reporter_phone=mask_phone(phone) if staff and phone else None,
                    on_behalf=case.taken_by_user_id is not None,
                    assignee_id=case.assignee_user_id,
                    assignee=assignee.name
                    if assignee and (staff or case.assignee_user_id == user.id)
                    else (mask_name(assignee.name) if assignee else None),
                    lon=lon,
                    lat=lat,
                    photos=list(case.photos or []) if detail else [],
                    fields=dict(case.fields or {}),
                    consent_note=case.consent_note if staff else None,
                    visit_id=case.visit_id if staff else None,
                    reject_reason=case.reject_reason,
                    resolution=case.resolution,
                    resolution_photo=case.resolution_photo,
                    satisfaction=case.satisfaction,
                    extension_hours=case.extension_hours,
                    extension_reason=case.extension_reason
                    if staff or case.assignee_user_id == user.id
                    else None,
                    reworks=case.reworks,
                    returns=case.returns,
                    escalations=case.escalations,
                    flagged=case.flagged,
                    merged_into=names.merged.get(case.merged_into_id)
                    if case.merged_into_id
                    else None,
                    history=[
                        CaseEventView(
                            at=e.at,
                            action=e.action,
                            from_state=str(e.from_state) if e.from_state else None,
                            to_state=str(e.to_state),
                            note=e.note if staff or e.action in _SEEN_BY_REPORTER else None,
                            actor=(
                                names.users[e.actor_user_id].name
                                if staff and e.actor_user_id in names.users
                                else None
                            ),
                        )
                        for e in names.history[case.id]
                    ]
                    if names.history is not None
                    else None,
                )
            )
        return views
