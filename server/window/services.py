"""The window terminal 办事窗口: windows, the day's queue, and looking a walk-in up.

Who may do what: the community office (``OFFICE_ROLES`` in scope: the community's staff
and admin, the sub-district and system administrators above it) issues and calls
numbers and looks residents up; administrators (``ADMIN_ROLES``) set the windows up.
Outside the office's scope a community, a window or a ticket is answered 404, as if it
were not there, and a resident lookup finds nobody.

Calling the next number: a ticket is served at the windows that name its kind of
business; when none does, at the general windows (no kinds named); when there are none
either, at any open window. A window calls the oldest ticket it may serve. Two windows
calling at the same moment never get the same ticket: the ticket is taken with an
``UPDATE … WHERE state = 'waiting'`` that only one of them wins.

Looking a resident up is written to the audit log (``resident.lookup``: the kind of
query and who was found, never the query itself, which may be an ID number), and so is
opening their card (``resident.window_card``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import ADMIN_ROLES, OFFICE_ROLES
from server.accounts.services import CurrentUser
from server.audit.services import AuditService
from server.cases.models import Case, CaseState, ServiceCategory, ServiceItem
from server.cases.rules import OPEN_STATES, state_name
from server.db.base import utcnow
from server.grids.models import Community
from server.grids.services import GridService
from server.lib.errors import BadRequest, Forbidden, NotFound
from server.lib.i18n import N_, localised_name, translate
from server.notify.inbound import is_opted_out
from server.notify.outbox import LOCAL_TZ
from server.people.importer import id_number_ok
from server.people.messaging import Recipient
from server.people.models import Resident, id_number_index
from server.people.services import PeopleService
from server.visits.models import Visit
from server.window.models import ServiceWindow, Ticket, TicketCounter, TicketState
from server.window.schemas import (
    CallResult,
    CaseLine,
    CategoryWaiting,
    LookupResult,
    PublicCall,
    PublicQueue,
    QueueView,
    ResidentCard,
    TicketView,
    VisitLine,
    WindowIn,
    WindowQueue,
    WindowView,
    WishLine,
)
from server.wishes.models import Wish

__all__ = ["WindowService", "lookup_kind", "today"]

GENERAL = N_("general business")
LOOKUP_LIMIT = 10
ID_NUMBER = re.compile(r"^[0-9]{17}[0-9Xx]$")


def today() -> date:
    return datetime.now(LOCAL_TZ).date()


def lookup_kind(q: str) -> str:
    """How a window query reads: an ID number, a whole phone, its last 4 digits, a name."""
    if ID_NUMBER.fullmatch(q):
        return "id_number"
    if q.isdigit() and len(q) == 11:
        return "phone"
    if q.isdigit() and len(q) == 4:
        return "phone_tail"
    if any(c.isdigit() for c in q):
        raise BadRequest(
            N_("Give a whole phone number, its last 4 digits, an ID number or the start of a name")
        )
    return "name"


def _minutes(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


class WindowService:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale
        self.audit = AuditService(session)

    # --- where -----------------------------------------------------------------------

    async def _community(self, user: CurrentUser, code: str, *, admin: bool = False) -> Community:
        return await GridService(self.session, self.locale).community(
            code, user.scope_of(ADMIN_ROLES if admin else OFFICE_ROLES)
        )

    async def _window(self, user: CurrentUser, window_id: int) -> ServiceWindow:
        window = await self.session.get(ServiceWindow, window_id)
        if window is None or not user.scope_of(OFFICE_ROLES).covers(window):
            raise NotFound(N_("No window has id {id}"), id=window_id)
        return window

    async def _ticket(self, user: CurrentUser, ticket_id: int) -> Ticket:
        ticket = await self.session.get(Ticket, ticket_id)
        if ticket is None or not user.scope_of(OFFICE_ROLES).covers(ticket):
            raise NotFound(N_("No ticket has id {id}"), id=ticket_id)
        return ticket

    # --- names -----------------------------------------------------------------------

    async def _category_names(self) -> dict[str, str]:
        rows = (
            await self.session.execute(
                select(
                    ServiceCategory.code, ServiceCategory.name, ServiceCategory.name_i18n
                ).order_by(ServiceCategory.position, ServiceCategory.id)
            )
        ).all()
        return {code: localised_name(name, i18n, self.locale) for code, name, i18n in rows}

    def _category_name(self, names: dict[str, str], code: str | None) -> str:
        if code is None:
            return translate(GENERAL, self.locale)
        return names.get(code, code)

    def _window_view(self, w: ServiceWindow, names: dict[str, str]) -> WindowView:
        return WindowView(
            id=w.id,
            number=w.number,
            name=w.name,
            categories=list(w.categories),
            category_names=[names.get(c, c) for c in w.categories],
            active=w.active,
        )

    def _ticket_view(
        self,
        t: Ticket,
        names: dict[str, str],
        numbers: dict[int, int],
        *,
        waiting_ahead: int | None = None,
        windows: Iterable[int] = (),
    ) -> TicketView:
        return TicketView(
            id=t.id,
            label=f"{t.number:03d}",
            number=t.number,
            day=t.day,
            category=t.category,
            category_name=self._category_name(names, t.category),
            state=t.state.value,
            issued_at=t.issued_at,
            called_at=t.called_at,
            finished_at=t.finished_at,
            window_number=numbers.get(t.window_id) if t.window_id else None,
            waiting_ahead=waiting_ahead,
            windows=sorted(windows),
        )

    # --- windows -----------------------------------------------------------------------

    async def _windows_of(self, community_id: int) -> list[ServiceWindow]:
        return list(
            (
                await self.session.scalars(
                    select(ServiceWindow)
                    .where(ServiceWindow.community_id == community_id)
                    .order_by(ServiceWindow.number)
                )
            ).all()
        )

    async def windows(self, user: CurrentUser, code: str) -> list[WindowView]:
        community = await self._community(user, code)
        names = await self._category_names()
        return [self._window_view(w, names) for w in await self._windows_of(community.id)]

    async def save_window(
        self, user: CurrentUser, code: str, number: int, data: WindowIn, client_ip: str | None
    ) -> WindowView:
        """Set window ``number`` up (a new one, or a change of name, business or opening)."""
        if not user.scope_of(ADMIN_ROLES).is_empty:
            community = await self._community(user, code, admin=True)
        else:
            await self._community(user, code)  # 404 outside the office's scope, else 403
            raise Forbidden(N_("Only an administrator sets the windows up"))
        names = await self._category_names()
        unknown = [c for c in data.categories if c not in names]
        if unknown:
            raise BadRequest(N_("No kind of business has code {code}"), code=unknown[0])
        window = await self.session.scalar(
            select(ServiceWindow).where(
                ServiceWindow.community_id == community.id, ServiceWindow.number == number
            )
        )
        if window is None:
            window = ServiceWindow(number=number, **ServiceWindow.placed_in(community))
            self.session.add(window)
        window.name = data.name.strip() or f"{number}"
        window.categories = list(dict.fromkeys(data.categories))
        window.active = data.active
        await self.session.flush()
        self.audit.record(
            user.id, "window.save", "service_window", window.id, where=window, client_ip=client_ip
        )
        return self._window_view(window, names)

    # --- the queue ---------------------------------------------------------------------

    @staticmethod
    def _serving(ticket: Ticket, windows: Sequence[ServiceWindow]) -> list[ServiceWindow]:
        """The open windows that may serve this ticket (see the module's docstring)."""
        open_ = [w for w in windows if w.active]
        named = [w for w in open_ if ticket.category and ticket.category in w.categories]
        if named:
            return named
        general = [w for w in open_ if not w.categories]
        return general or open_

    async def _day_tickets(self, community_id: int, day: date) -> list[Ticket]:
        return list(
            (
                await self.session.scalars(
                    select(Ticket)
                    .where(Ticket.community_id == community_id, Ticket.day == day)
                    .order_by(Ticket.number)
                )
            ).all()
        )

    async def _next_number(self, community_id: int, day: date) -> int:
        """The next ticket number of the day: a counter row taken FOR UPDATE, created first
        if this is the day's first ticket (a race to create it is no error)."""
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        await self.session.execute(
            insert(TicketCounter)
            .values(community_id=community_id, day=day, last=0)
            .on_conflict_do_nothing()
        )
        counter = await self.session.scalar(
            select(TicketCounter)
            .where(TicketCounter.community_id == community_id, TicketCounter.day == day)
            .with_for_update()
        )
        assert counter is not None
        counter.last += 1
        await self.session.flush()
        return counter.last

    async def issue(self, user: CurrentUser, code: str, category: str | None) -> TicketView:
        """A walk-in takes a number for a kind of business."""
        community = await self._community(user, code)
        names = await self._category_names()
        if category is not None and category not in names:
            raise BadRequest(N_("No kind of business has code {code}"), code=category)
        windows = await self._windows_of(community.id)
        if not any(w.active for w in windows):
            raise BadRequest(N_("No window is open: open one before giving out numbers"))
        day = today()
        ticket = Ticket(
            day=day,
            number=await self._next_number(community.id, day),
            category=category,
            state=TicketState.waiting,
            issued_at=utcnow(),
            issued_by=user.id,
            **Ticket.placed_in(community),
        )
        self.session.add(ticket)
        await self.session.flush()
        serving = {w.id for w in self._serving(ticket, windows)}
        ahead = sum(
            1
            for t in await self._day_tickets(community.id, day)
            if t.state is TicketState.waiting
            and t.number < ticket.number
            and serving & {w.id for w in self._serving(t, windows)}
        )
        numbers = {w.id: w.number for w in windows}
        return self._ticket_view(
            ticket, names, numbers, waiting_ahead=ahead, windows=[numbers[i] for i in serving]
        )

    async def call_next(self, user: CurrentUser, window_id: int) -> CallResult:
        """Finish the window's current number (served) and call the next that fits it."""
        window = await self._window(user, window_id)
        if not window.active:
            raise BadRequest(N_("This window is closed: open it to call numbers"))
        windows = await self._windows_of(window.community_id)
        numbers = {w.id: w.number for w in windows}
        names = await self._category_names()
        now = utcnow()
        finished: Ticket | None = None
        day = today()
        for _ in range(5):  # another window may win a ticket we chose: choose again
            tickets = await self._day_tickets(window.community_id, day)
            current = next(
                (t for t in tickets if t.state is TicketState.called and t.window_id == window.id),
                None,
            )
            if current is not None:
                current.state = TicketState.served
                current.finished_at = now
                current.served_by = user.id
                finished = current
                await self.session.flush()
            candidate = next(
                (
                    t
                    for t in tickets
                    if t.state is TicketState.waiting
                    and window.id in {w.id for w in self._serving(t, windows)}
                ),
                None,
            )
            if candidate is None:
                return CallResult(
                    finished=self._ticket_view(finished, names, numbers) if finished else None,
                    called=None,
                )
            taken = await self.session.execute(
                update(Ticket)
                .where(Ticket.id == candidate.id, Ticket.state == TicketState.waiting)
                .values(
                    state=TicketState.called,
                    window_id=window.id,
                    called_at=now,
                    served_by=user.id,
                )
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                await self.session.refresh(candidate)
                return CallResult(
                    finished=self._ticket_view(finished, names, numbers) if finished else None,
                    called=self._ticket_view(candidate, names, numbers),
                )
            await self.session.refresh(candidate)
        raise BadRequest(N_("Too many windows are calling at once: call again"))

    async def finish(self, user: CurrentUser, ticket_id: int, outcome: str) -> TicketView:
        """Mark a called number served, or missed (过号) when the person did not come."""
        ticket = await self._ticket(user, ticket_id)
        if ticket.state is not TicketState.called:
            raise BadRequest(N_("Only a number being called can be finished"))
        ticket.state = TicketState(outcome)
        ticket.finished_at = utcnow()
        ticket.served_by = user.id
        await self.session.flush()
        windows = await self._windows_of(ticket.community_id)
        return self._ticket_view(
            ticket, await self._category_names(), {w.id: w.number for w in windows}
        )

    async def queue(self, user: CurrentUser, code: str, day: date | None) -> QueueView:
        """The day's queue of a community: counts, waits, and every window's state."""
        community = await self._community(user, code)
        day = day or today()
        windows = await self._windows_of(community.id)
        tickets = await self._day_tickets(community.id, day)
        names = await self._category_names()
        numbers = {w.id: w.number for w in windows}
        now = utcnow()
        states = Counter(t.state for t in tickets)
        waits = [_minutes(t.issued_at, t.called_at) for t in tickets if t.called_at]
        waiting = [t for t in tickets if t.state is TicketState.waiting]
        rows = []
        for w in windows:
            mine = [t for t in tickets if t.window_id == w.id]
            rows.append(
                WindowQueue(
                    window=self._window_view(w, names),
                    current=next(
                        (
                            self._ticket_view(t, names, numbers)
                            for t in mine
                            if t.state is TicketState.called
                        ),
                        None,
                    ),
                    served=sum(1 for t in mine if t.state is TicketState.served),
                    missed=sum(1 for t in mine if t.state is TicketState.missed),
                    waiting=sum(1 for t in waiting if w in self._serving(t, windows)),
                    average_wait_minutes=_mean(
                        [_minutes(t.issued_at, t.called_at) for t in mine if t.called_at]
                    ),
                )
            )
        by_category = Counter(t.category for t in waiting)
        offered = list(dict.fromkeys(c for w in windows if w.active for c in w.categories))
        return QueueView(
            community=community.code,
            day=day,
            issued=len(tickets),
            waiting=len(waiting),
            called=states[TicketState.called],
            served=states[TicketState.served],
            missed=states[TicketState.missed],
            average_wait_minutes=_mean(waits),
            longest_waiting_minutes=(
                round(max(_minutes(t.issued_at, now) for t in waiting), 1) if waiting else None
            ),
            windows=rows,
            by_category=[
                CategoryWaiting(c, self._category_name(names, c), n)
                for c, n in sorted(by_category.items(), key=lambda kv: (kv[0] is None, kv[0]))
            ],
            categories=[
                CategoryWaiting(c, self._category_name(names, c), by_category.get(c, 0))
                for c in [*offered, None]
            ],
        )

    async def public_queue(self, code: str) -> PublicQueue:
        """The hall's display: the latest numbers called and how many wait."""
        community = await GridService(self.session, self.locale).community(code)
        day = today()
        windows = {w.id: w for w in await self._windows_of(community.id)}
        tickets = await self._day_tickets(community.id, day)
        called = sorted(
            (t for t in tickets if t.called_at and t.window_id in windows),
            key=lambda t: t.called_at or utcnow(),
            reverse=True,
        )[:10]
        return PublicQueue(
            community=community.code,
            community_name=localised_name(community.name, community.name_i18n, self.locale),
            day=day,
            waiting=sum(1 for t in tickets if t.state is TicketState.waiting),
            calls=[
                PublicCall(
                    label=f"{t.number:03d}",
                    window_number=windows[t.window_id].number,
                    window_name=windows[t.window_id].name,
                    called_at=t.called_at,
                )
                for t in called
                if t.window_id is not None and t.called_at is not None
            ],
        )

    # --- a walk-in -----------------------------------------------------------------------

    async def lookup(self, user: CurrentUser, q: str, client_ip: str | None) -> LookupResult:
        """Residents in the office's scope by phone, last 4 digits, ID number or name."""
        scope = user.scope_of(OFFICE_ROLES)
        if scope.is_empty:
            raise Forbidden(N_("Your role does not allow this"))
        needle = q.strip().replace(" ", "")
        kind = lookup_kind(needle)
        query = select(Resident).where(scope.clause(Resident))
        if kind == "id_number":
            if not id_number_ok(needle.upper()):
                raise BadRequest(N_("ID number is not valid"))
            query = query.where(Resident.id_number_index == id_number_index(needle))
        elif kind == "phone":
            query = query.where(Resident.phone == needle)
        elif kind == "phone_tail":
            query = query.where(Resident.phone.like(f"%{needle}"))
        else:
            query = query.where(Resident.name.startswith(q.strip(), autoescape=True))
        found = list(
            (await self.session.scalars(query.order_by(Resident.id).limit(LOOKUP_LIMIT + 1))).all()
        )
        shown = found[:LOOKUP_LIMIT]
        self.audit.record(
            user.id,
            "resident.lookup",
            "resident",
            shown[0].id if len(shown) == 1 else None,
            where=shown[0] if len(shown) == 1 else None,
            client_ip=client_ip,
            kind=kind,
            found=[r.id for r in shown],
        )
        return LookupResult(
            kind=kind,  # type: ignore[arg-type]
            items=await PeopleService(self.session, self.locale).views(shown),
            more=len(found) > LOOKUP_LIMIT,
        )

    async def card(
        self, user: CurrentUser, resident_id: int, client_ip: str | None
    ) -> ResidentCard:
        """A walk-in's page: who, how they hear back, their cases, wishes and visits."""
        resident = await self.session.get(Resident, resident_id)
        if resident is None or not user.scope_of(OFFICE_ROLES).covers(resident):
            raise NotFound(N_("No such resident"))
        cases = (
            await self.session.execute(
                select(Case, ServiceItem.name, ServiceItem.name_i18n)
                .outerjoin(ServiceItem, ServiceItem.id == Case.item_id)
                .where(Case.resident_id == resident.id, Case.state != CaseState.merged)
                .order_by(Case.id.desc())
                .limit(50)
            )
        ).all()
        now = utcnow()
        lines = [
            (
                c.state in OPEN_STATES,
                CaseLine(
                    id=c.id,
                    number=c.number,
                    item=localised_name(name, i18n, self.locale) if name else None,
                    state=c.state.value,
                    state_name=translate(state_name(c.state), self.locale),
                    created_at=c.created_at,
                    due_at=c.due_at,
                    overdue=bool(c.due_at and c.due_at < now and c.state in OPEN_STATES),
                ),
            )
            for c, name, i18n in cases
        ]
        wishes = (
            await self.session.scalars(
                select(Wish)
                .where(Wish.beneficiary_id == resident.id)
                .order_by(Wish.id.desc())
                .limit(10)
            )
        ).all()
        visits = (
            await self.session.scalars(
                select(Visit)
                .where(Visit.resident_id == resident.id)
                .order_by(Visit.due_by.desc(), Visit.id.desc())
                .limit(5)
            )
        ).all()
        self.audit.record(
            user.id,
            "resident.window_card",
            "resident",
            resident.id,
            where=resident,
            client_ip=client_ip,
        )
        return ResidentCard(
            resident=(await PeopleService(self.session, self.locale).views([resident]))[0],
            hears_back=await self._hears_back(resident),
            open_cases=[line for is_open, line in lines if is_open],
            recent_cases=[line for is_open, line in lines if not is_open][:5],
            wishes=[
                WishLine(id=w.id, title=w.title, state=w.state.value, created_at=w.created_at)
                for w in wishes
            ],
            visits=[
                VisitLine(
                    id=v.id,
                    state=v.state.value,
                    due_by=v.due_by,
                    visited_at=v.visited_at,
                    condition=v.condition.value if v.condition else None,
                    needs=list(v.needs),
                )
                for v in visits
            ],
        )

    async def _hears_back(self, resident: Resident) -> list[Literal["sms", "push"]]:
        """How the case's news reaches them, as the outbox will send it: the channels the
        notification rule gives this resident (``Recipient.channels``), SMS only to a phone
        on record that has not opted out (退订). None: the receipt says to ask at the window."""
        ways: list[Literal["sms", "push"]] = []
        for channel in Recipient(
            user_id=resident.user_id, resident_id=resident.id, via=resident.notify_via
        ).channels():
            if channel == "push":
                ways.append("push")
            elif (
                channel == "sms"
                and resident.phone
                and not await is_opted_out(self.session, "sms", "phone", resident.phone)
            ):
                ways.append("sms")
        return ways
