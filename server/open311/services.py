"""Open311 GeoReport v2 over the service catalogue and the cases, and the keys it needs.

A POSTed request becomes an ordinary case (channel ``open311``) through the case
service's intake (:meth:`server.cases.services.CaseService.report_by_contact`): the
item's fields checked as intake checks them, the office told, the reporter a bare
contact who hears back as hotline callers do. What is answered to anyone (GET) is the
public face of a case: no reporter, no resident's words, a place no finer than ~100 m
(docs/open311.md says what is shown and what is masked, and why).
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.services import CurrentUser
from server.audit.services import AuditService
from server.cases.catalogue import label
from server.cases.models import (
    Case,
    CaseEvent,
    Channel,
    CloseLevel,
    FieldKind,
    ServiceCategory,
    ServiceItem,
)
from server.cases.rules import OPEN_STATES, state_name
from server.cases.services import CaseService
from server.db.base import utcnow
from server.grids.models import Building, Community, Grid, SubDistrict
from server.grids.services import GridService
from server.lib.errors import AppError, BadRequest, Forbidden, NotFound
from server.lib.i18n import N_, localised_name, translate
from server.lib.masking import mask_free_text
from server.notify.outbox import LOCAL_TZ
from server.notify.recipients import Contact
from server.open311.models import Open311Key, Open311Request
from server.open311.schemas import (
    Attribute,
    AttributeValue,
    Created,
    KeyIn,
    KeyIssued,
    KeyView,
    Service,
    ServiceDefinition,
    ServiceRequest,
    TokenAnswer,
)

__all__ = ["DEFAULT_DAYS", "MAX_REQUESTS", "KeyService", "Open311Service", "hash_key"]

#: GET requests without dates: the last 90 days; never more than 1000 requests an answer.
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000
MAX_IDS = 200
#: Places of cases found in public space are shown rounded to 3 decimals (~100 m).
ROUND_DECIMALS = 3
_PUBLIC_PLACES = {Channel.open311, Channel.patrol}
# The public part of a case's history: its steps and their times, never the notes people
# wrote (a name in them cannot be told from other words), but the case a duplicate joined.
_PUBLIC_STEPS = {"report", "accept", "reject", "resolve", "close", "reopen", "merge"}
MAX_STEPS = 5
_DATATYPES = {
    FieldKind.text: "string",
    FieldKind.number: "number",
    FieldKind.date: "datetime",
    FieldKind.choice: "singlevaluelist",
}
_ATTRIBUTE = re.compile(r"^attribute\[([a-z0-9_]{1,32})\]$")
KEY_PREFIX = "o311_"
INVALID_KEY = N_("api_key is missing, unknown or revoked")
NEED_PLACE = N_(
    "A location is needed: lat and long, or an address_string that is the address of a "
    "building of the city"
)


def hash_key(api_key: str) -> str:
    """The SHA-256 (hex) under which a key is kept: the key itself never is."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def _stamp(at: datetime | None) -> str | None:
    """W3C date-time in the city's zone, to the second (``2026-12-03T15:40:00+08:00``)."""
    return at.astimezone(LOCAL_TZ).replace(microsecond=0).isoformat() if at else None


def _when(at: datetime) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def parse_when(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    """A W3C date or date-time (no zone: the city's); 400 when it is neither."""
    if value is None or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).date()
            at = datetime.combine(day, time.max if end else time.min)
        else:
            at = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(N_("{name} is not a date and time"), name=name) from None
    return at.replace(tzinfo=LOCAL_TZ) if at.tzinfo is None else at


@dataclass(slots=True)
class _Context:
    """The names and places a page of requests needs, loaded once."""

    items: dict[int, ServiceItem]
    grids: dict[int, Grid]
    communities: dict[int, Community]
    sub_districts: dict[int, SubDistrict]
    notes: dict[int, list[CaseEvent]]
    open311: dict[int, Open311Request]


class Open311Service:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale

    def _name(self, name: str, i18n: dict[str, str] | None) -> str:
        return localised_name(name, i18n, self.locale)

    # --- services ---------------------------------------------------------------------------

    async def services(self) -> list[Service]:
        rows = await self.session.execute(
            select(ServiceItem, ServiceCategory)
            .join(ServiceCategory, ServiceCategory.id == ServiceItem.category_id)
            .where(ServiceItem.active.is_(True))
            .order_by(ServiceCategory.position, ServiceCategory.code, ServiceItem.position)
        )
        return [
            Service(
                service_code=item.code,
                service_name=self._name(item.name, item.name_i18n),
                description=None,
                metadata=bool(item.fields),
                type="realtime",
                keywords=None,
                group=self._name(category.name, category.name_i18n),
            )
            for item, category in rows.all()
        ]

    async def _active_item(self, code: str) -> ServiceItem | None:
        item = await self.session.scalar(select(ServiceItem).where(ServiceItem.code == code))
        return item if item is not None and item.active else None

    async def definition(self, code: str) -> ServiceDefinition:
        item = await self._active_item(code)
        if item is None:
            raise NotFound(N_("No service has the code {code}"), code=code)
        attributes = []
        for order, f in enumerate(item.fields, start=1):
            kind = FieldKind(f["kind"])
            attributes.append(
                Attribute(
                    variable=True,
                    code=f["key"],
                    datatype=_DATATYPES[kind],
                    required=bool(f.get("required")),
                    datatype_description=translate(N_("A date: YYYY-MM-DD"), self.locale)
                    if kind is FieldKind.date
                    else None,
                    order=order,
                    description=label(f["label"], self.locale),
                    values=[
                        AttributeValue(key=c["value"], name=label(c["label"], self.locale))
                        for c in f.get("choices") or []
                    ],
                )
            )
        return ServiceDefinition(service_code=item.code, attributes=attributes)

    # --- posting a request -----------------------------------------------------------------

    async def key(self, api_key: str | None) -> Open311Key:
        """The live key given, or 403."""
        if not api_key or len(api_key) > 200:
            raise Forbidden(INVALID_KEY)
        key = await self.session.scalar(
            select(Open311Key).where(
                Open311Key.key_hash == hash_key(api_key), Open311Key.revoked_at.is_(None)
            )
        )
        if key is None:
            raise Forbidden(INVALID_KEY)
        return key

    @staticmethod
    def _coordinate(params: Mapping[str, str], *names: str) -> float | None:
        for name in names:
            value = (params.get(name) or "").strip()
            if value:
                try:
                    number = float(value)
                except ValueError:
                    raise BadRequest(N_("{name} is not a number"), name=name) from None
                if not math.isfinite(number):
                    raise BadRequest(N_("{name} is not a number"), name=name)
                return number
        return None

    async def _place(self, params: Mapping[str, str]) -> tuple[Grid, Any]:
        """The case's grid and point: from lat/long (or lon), else from an address_string
        that is exactly the address (or name) of one building of the city."""
        lat = self._coordinate(params, "lat")
        lon = self._coordinate(params, "long", "lon")
        if lat is not None and lon is not None:
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise BadRequest(N_("lat and long are not a place on Earth"))
            try:
                chain = await GridService(self.session, self.locale).locate(lon, lat)
            except NotFound:
                raise BadRequest(N_("This place is outside the city's grids")) from None
            grid = await self.session.scalar(select(Grid).where(Grid.code == chain.grid.code))
            assert grid is not None
            return grid, from_shape(Point(lon, lat), srid=4326)
        if lat is not None or lon is not None:
            raise BadRequest(N_("Give both lat and long, or neither"))
        address = (params.get("address_string") or "").strip()
        if address:
            buildings = (
                await self.session.scalars(
                    select(Building)
                    .where(or_(Building.address == address, Building.name == address))
                    .limit(2)
                )
            ).all()
            if len(buildings) == 1:
                grid = await self.session.get(Grid, buildings[0].grid_id)
                assert grid is not None
                return grid, buildings[0].location
        raise BadRequest(NEED_PLACE)

    @staticmethod
    def _attributes(params: Mapping[str, str], item: ServiceItem) -> dict[str, Any]:
        """``attribute[code]=value`` as the item's fields take them (numbers as numbers, a
        date-time's day); what does not convert goes on as given, for intake to refuse."""
        kinds = {f["key"]: f["kind"] for f in item.fields}
        values: dict[str, Any] = {}
        for name, raw in params.items():
            found = _ATTRIBUTE.match(name)
            if not found:
                continue
            key, value = found[1], raw.strip()
            kind = kinds.get(key)
            if kind == FieldKind.number and value:
                try:
                    number = float(value)
                    values[key] = int(number) if number.is_integer() else number
                    continue
                except ValueError:
                    pass
            if kind == FieldKind.date and len(value) > 10:
                value = value[:10]
            values[key] = value
        return values

    @staticmethod
    def _contact(params: Mapping[str, str]) -> Contact | None:
        phone = (params.get("phone") or "").strip() or None
        email = (params.get("email") or "").strip() or None
        if phone is None and email is None:
            return None
        try:
            return Contact(phone=phone, email=email)
        except ValueError:
            raise BadRequest(N_("The phone number or e-mail address is not valid")) from None

    @staticmethod
    def _intake_note(key: Open311Key, address: str | None, media_url: str | None) -> str:
        """The first history entry: the key it came with, and for staff (history notes are
        never published) the address and photo link it gave, cut to the note's length."""
        note = f"open311:{key.prefix}"
        if address:
            note += f" | address_string: {address}"
        if media_url:
            note += f" | media_url: {media_url}"
        return note if len(note) <= 500 else note[:499] + "…"

    async def create(self, params: Mapping[str, str]) -> list[Created]:
        """Take a request in as a case (see the module's docstring); its number is its id."""
        key = await self.key(params.get("api_key"))
        code = (params.get("service_code") or "").strip()
        if not code:
            raise BadRequest(N_("service_code is missing"))
        item = await self._active_item(code)
        if item is None:
            raise BadRequest(N_("No service has the code {code}"), code=code)
        description = (params.get("description") or "").strip()
        if len(description) > 4000:
            raise BadRequest(N_("The description is longer than 4000 characters"))
        media_url = (params.get("media_url") or "").strip() or None
        if media_url is not None and (
            len(media_url) > 500 or not media_url.startswith(("http://", "https://"))
        ):
            raise BadRequest(N_("media_url is not an http(s) address of up to 500 characters"))
        address = (params.get("address_string") or "").strip()[:250] or None
        contact = self._contact(params)
        grid, point = await self._place(params)
        cases = CaseService(self.session, self.locale)
        case = await cases.report_by_contact(
            channel=Channel.open311,
            item_code=item.code,
            description=description,
            fields=self._attributes(params, item),
            grid=grid,
            point=point,
            contact=contact,
            note=self._intake_note(key, address, media_url),
        )
        self.session.add(
            Open311Request(
                case_id=case.id, key_id=key.id, media_url=media_url, address_string=address
            )
        )
        await self.session.execute(
            update(Open311Key).where(Open311Key.id == key.id).values(last_used_at=utcnow())
        )
        notice = translate(
            N_("Taken in as case {number}; to be handled by {due}"),
            self.locale,
            number=case.number,
            due=CaseService._when(case.due_at),
        )
        return [Created(service_request_id=case.number, service_notice=notice)]

    async def token(self, token: str) -> list[TokenAnswer]:
        """Requests are taken in at once: a token is the request's own id (compatibility)."""
        number = await self.session.scalar(
            select(Case.number)
            .join(Open311Request, Open311Request.case_id == Case.id)
            .where(Case.number == token)
        )
        if number is None:
            raise NotFound(N_("No request has the token {token}"), token=token)
        return [TokenAnswer(service_request_id=number, token=number)]

    # --- reading requests ------------------------------------------------------------------

    async def requests(
        self,
        *,
        ids: str | None = None,
        service_code: str | None = None,
        start_date: str | None = None,
        end_date: str | None = None,
        status: str | None = None,
    ) -> list[ServiceRequest]:
        """The spec's filters: ``service_request_id`` (a comma list; then the others are
        ignored), ``service_code`` (a comma list), the dates (by default the last 90 days),
        ``status`` (open, closed); newest first, at most 1000."""
        query = select(Case)
        if ids and ids.strip():
            numbers = [n.strip() for n in ids.split(",") if n.strip()]
            if len(numbers) > MAX_IDS:
                raise BadRequest(N_("Ask for at most {count} requests at once"), count=MAX_IDS)
            query = query.where(Case.number.in_(numbers))
        else:
            end = parse_when(end_date, "end_date", end=True) or utcnow()
            start = parse_when(start_date, "start_date") or end - timedelta(days=DEFAULT_DAYS)
            if start > end:
                raise BadRequest(N_("start_date is after end_date"))
            query = query.where(Case.created_at >= start, Case.created_at <= end)
            if service_code and service_code.strip():
                codes = [c.strip() for c in service_code.split(",") if c.strip()]
                query = query.join(ServiceItem, ServiceItem.id == Case.item_id).where(
                    ServiceItem.code.in_(codes)
                )
            if status and status.strip():
                wanted = {s.strip().lower() for s in status.split(",") if s.strip()}
                if not wanted <= {"open", "closed"}:
                    raise BadRequest(N_("status is open or closed"))
                if wanted == {"open"}:
                    query = query.where(Case.state.in_(sorted(OPEN_STATES)))
                elif wanted == {"closed"}:
                    query = query.where(Case.state.not_in(sorted(OPEN_STATES)))
        cases = (
            await self.session.scalars(
                query.order_by(Case.created_at.desc(), Case.id.desc()).limit(MAX_REQUESTS)
            )
        ).all()
        return await self._views(cases)

    async def request(self, number: str) -> list[ServiceRequest]:
        case = await self.session.scalar(select(Case).where(Case.number == number))
        if case is None:
            raise NotFound(N_("No request has the id {id}"), id=number)
        return await self._views([case])

    async def _by_id(self, model: Any, ids: set[int]) -> dict[int, Any]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(model).where(model.id.in_(ids)))
        return {row.id: row for row in rows}

    async def _context(self, cases: Sequence[Case]) -> _Context:
        case_ids = {c.id for c in cases}
        notes: dict[int, list[CaseEvent]] = {c.id: [] for c in cases}
        for event in await self.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id.in_(case_ids), CaseEvent.action.in_(sorted(_PUBLIC_STEPS)))
            .order_by(CaseEvent.case_id, CaseEvent.id)
        ):
            notes[event.case_id].append(event)
        open311 = {
            r.case_id: r
            for r in await self.session.scalars(
                select(Open311Request).where(Open311Request.case_id.in_(case_ids))
            )
        }
        return _Context(
            items=await self._by_id(ServiceItem, {c.item_id for c in cases if c.item_id}),
            grids=await self._by_id(Grid, {c.grid_id for c in cases}),
            communities=await self._by_id(Community, {c.community_id for c in cases}),
            sub_districts=await self._by_id(SubDistrict, {c.sub_district_id for c in cases}),
            notes=notes,
            open311=open311,
        )

    def _agency(self, case: Case, ctx: _Context, item: ServiceItem | None) -> str:
        """Who holds it now: the department, or the grid, community or sub-district."""
        if case.level is CloseLevel.department and item is not None and item.department:
            return self._name(item.department, item.department_i18n)
        sub = ctx.sub_districts[case.sub_district_id]
        community = ctx.communities[case.community_id]
        if case.level is CloseLevel.sub_district:
            return self._name(sub.name, sub.name_i18n)
        if case.level is CloseLevel.community:
            return self._name(community.name, community.name_i18n)
        grid = ctx.grids[case.grid_id]
        return f"{self._name(community.name, community.name_i18n)} {self._name(grid.name, grid.name_i18n)}"

    def _point(self, case: Case, grid: Grid) -> tuple[float | None, float | None]:
        """A point reported in public space, rounded to ~100 m; any other case (a home, a
        resident's building) the centre of its grid."""
        if case.location is not None and case.channel in _PUBLIC_PLACES:
            point = to_shape(case.location)
            return round(point.y, ROUND_DECIMALS), round(point.x, ROUND_DECIMALS)
        if grid.boundary is None:
            return None, None
        centre = to_shape(grid.boundary).centroid
        return round(centre.y, 5), round(centre.x, 5)

    def _status_notes(self, case: Case, events: Sequence[CaseEvent]) -> str:
        """The last steps of the case and when (``已受理 2026-12-03 15:40; …``)."""
        steps = []
        for event in events[-MAX_STEPS:]:
            step = f"{translate(state_name(event.to_state), self.locale)} {_when(event.at)}"
            if event.action == "merge" and event.note:
                step += f" → {event.note}"  # the number of the case it joined
            steps.append(step)
        return "; ".join(steps) or translate(state_name(case.state), self.locale)

    async def _views(self, cases: Sequence[Case]) -> list[ServiceRequest]:
        if not cases:
            return []
        ctx = await self._context(cases)
        centres: dict[int, tuple[float | None, float | None]] = {}
        views = []
        for case in cases:
            item = ctx.items.get(case.item_id) if case.item_id else None
            grid = ctx.grids[case.grid_id]
            community = ctx.communities[case.community_id]
            if case.channel in _PUBLIC_PLACES and case.location is not None:
                lat, lon = self._point(case, grid)
            else:
                if grid.id not in centres:
                    centres[grid.id] = self._point(case, grid)
                lat, lon = centres[grid.id]
            extra = ctx.open311.get(case.id)
            views.append(
                ServiceRequest(
                    service_request_id=case.number,
                    status="open" if case.state in OPEN_STATES else "closed",
                    status_notes=self._status_notes(case, ctx.notes[case.id]),
                    service_name=self._name(item.name, item.name_i18n) if item else None,
                    service_code=item.code if item else None,
                    # Only what was posted to this public API is published, masked.
                    description=mask_free_text(case.description)[:4000]
                    if case.channel is Channel.open311 and case.description
                    else None,
                    agency_responsible=self._agency(case, ctx, item),
                    service_notice=None,
                    requested_datetime=_stamp(case.created_at) or "",
                    updated_datetime=_stamp(case.updated_at),
                    expected_datetime=_stamp(case.due_at),
                    address=f"{self._name(community.name, community.name_i18n)} "
                    f"{self._name(grid.name, grid.name_i18n)}",
                    address_id=None,
                    zipcode=None,
                    lat=lat,
                    long=lon,
                    media_url=extra.media_url if extra is not None else None,
                )
            )
        return views


class KeyService:
    """Keys issued and revoked by a system administrator, each change audited."""

    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale

    @staticmethod
    def _view(key: Open311Key) -> KeyView:
        return KeyView(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )

    async def keys(self) -> list[KeyView]:
        keys = await self.session.scalars(select(Open311Key).order_by(Open311Key.id.desc()))
        return [self._view(k) for k in keys]

    async def issue(self, user: CurrentUser, data: KeyIn, client_ip: str | None) -> KeyIssued:
        api_key = KEY_PREFIX + secrets.token_urlsafe(32)
        now = utcnow()
        key = Open311Key(
            name=data.name.strip(),
            key_hash=hash_key(api_key),
            prefix=api_key[: len(KEY_PREFIX) + 4],
            created_by=user.id,
            created_at=now,
            updated_at=now,
        )
        self.session.add(key)
        await self.session.flush()
        AuditService(self.session).record(
            user.id, "open311_key.issue", "open311_key", key.id, client_ip=client_ip, name=key.name
        )
        view = self._view(key)
        return KeyIssued(**{f: getattr(view, f) for f in view.__struct_fields__}, api_key=api_key)

    async def revoke(self, user: CurrentUser, key_id: int, client_ip: str | None) -> KeyView:
        key = await self.session.get(Open311Key, key_id)
        if key is None:
            raise NotFound(N_("No such key"))
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            key.revoked_by = user.id
            await self.session.flush()
            AuditService(self.session).record(
                user.id, "open311_key.revoke", "open311_key", key.id, client_ip=client_ip
            )
        return self._view(key)


def error_of(exc: Exception, locale: str) -> tuple[int, str]:
    """The status and the sentence of an error, for the specification's error answer."""
    if isinstance(exc, AppError):
        return exc.status_code, translate(exc.message, locale, **exc.params)
    status = int(getattr(exc, "status_code", 500))
    generic = {
        400: N_("The request is not valid"),
        403: N_("Your role does not allow this"),
        404: N_("Not found"),
        405: N_("This method is not allowed here"),
        413: N_("The request is too large"),
        415: N_("Unsupported content type"),
        429: N_("Too many requests; please slow down"),
    }
    if status >= 500:
        return 500, translate(
            N_("Something went wrong on our side; please try again later"), locale
        )
    detail = translate(generic.get(status, generic[400]), locale)
    reason = getattr(exc, "detail", None)
    if status == 400 and reason and isinstance(reason, str):
        detail = f"{detail}: {reason}"
    return status, detail
