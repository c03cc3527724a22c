"""The window terminal's API: windows, the day's queue, the hall display, looking a walk-in up."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.params import JSONBody, PathParameter, QueryParameter

from server.accounts.services import CurrentUser
from server.auth.security import PUBLIC_READ
from server.lib.deps import NO_AUTH, DbSession, Locale, client_ip
from server.lib.errors import error_responses
from server.window.schemas import (
    CallResult,
    FinishIn,
    LookupIn,
    LookupResult,
    PublicQueue,
    QueueView,
    ResidentCard,
    TicketIn,
    TicketView,
    WindowIn,
    WindowView,
)
from server.window.services import WindowService

__all__ = ["WindowController"]

Req = Request[CurrentUser, Any, Any]
CommunityCode = Annotated[str, PathParameter(max_length=32, pattern=r"^[0-9]+$")]
Id = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
WindowNumber = Annotated[int, PathParameter(ge=1, le=99)]


class WindowController(Controller):
    path = "/api/v1"
    tags = ["window"]

    @get(
        "/communities/{code:str}/windows",
        summary="The windows of a community's service centre and the business each serves",
        responses=error_responses(400, 401, 404),
    )
    async def windows(
        self, request: Req, code: CommunityCode, db_session: DbSession, lang: Locale
    ) -> list[WindowView]:
        return await WindowService(db_session, lang).windows(request.user, code)

    @put(
        "/communities/{code:str}/windows/{number:int}",
        summary="Set a window up: its name, the kinds of business it serves, open or closed "
        "(administrators)",
        responses=error_responses(400, 401, 403, 404),
    )
    async def save_window(
        self,
        request: Req,
        code: CommunityCode,
        number: WindowNumber,
        data: JSONBody[WindowIn],
        db_session: DbSession,
        lang: Locale,
    ) -> WindowView:
        return await WindowService(db_session, lang).save_window(
            request.user, code, number, data, client_ip(request)
        )

    @get(
        "/communities/{code:str}/queue",
        summary="A day's queue: waiting, called, served and missed numbers, average wait, "
        "and every window's current number",
        responses=error_responses(400, 401, 404),
    )
    async def queue(
        self,
        request: Req,
        code: CommunityCode,
        db_session: DbSession,
        lang: Locale,
        day: Annotated[date | None, QueryParameter(description="local day; today")] = None,
    ) -> QueueView:
        return await WindowService(db_session, lang).queue(request.user, code, day)

    @post(
        "/communities/{code:str}/tickets",
        summary="Give a walk-in a number for a kind of business",
        responses=error_responses(400, 401, 404),
    )
    async def issue(
        self,
        request: Req,
        code: CommunityCode,
        data: JSONBody[TicketIn],
        db_session: DbSession,
        lang: Locale,
    ) -> TicketView:
        return await WindowService(db_session, lang).issue(request.user, code, data.category)

    @post(
        "/windows/{window_id:int}/call-next",
        status_code=200,
        summary="Finish this window's number (served) and call the next one that fits it",
        responses=error_responses(400, 401, 404),
    )
    async def call_next(
        self, request: Req, window_id: Id, db_session: DbSession, lang: Locale
    ) -> CallResult:
        return await WindowService(db_session, lang).call_next(request.user, window_id)

    @post(
        "/tickets/{ticket_id:int}/finish",
        status_code=200,
        summary="Mark a called number served, or missed (过号) when nobody came",
        responses=error_responses(400, 401, 404),
    )
    async def finish(
        self,
        request: Req,
        ticket_id: Id,
        data: JSONBody[FinishIn],
        db_session: DbSession,
        lang: Locale,
    ) -> TicketView:
        return await WindowService(db_session, lang).finish(request.user, ticket_id, data.outcome)

    @get(
        "/public/communities/{code:str}/queue",
        opt=PUBLIC_READ,
        security=NO_AUTH,
        summary="The hall's display: the numbers called today and how many wait (public, "
        "no personal data)",
        responses=error_responses(400, 404),
        cache_control=CacheControlHeader(no_cache=True),
        response_headers=[ResponseHeader(name="Vary", value="Accept-Language")],
    )
    async def public_queue(
        self, code: CommunityCode, db_session: DbSession, lang: Locale
    ) -> PublicQueue:
        return await WindowService(db_session, lang).public_queue(code)

    @post(
        "/window/lookup",
        status_code=200,
        summary="Find a walk-in by phone, its last 4 digits, ID number or the start of the "
        "name (the office's scope; written to the audit log)",
        responses=error_responses(400, 401, 403),
    )
    async def lookup(
        self, request: Req, data: JSONBody[LookupIn], db_session: DbSession, lang: Locale
    ) -> LookupResult:
        return await WindowService(db_session, lang).lookup(
            request.user, data.q, client_ip(request)
        )

    @get(
        "/residents/{resident_id:int}/window-card",
        summary="A walk-in on one page: how they hear back, their cases, wishes and visits "
        "(written to the audit log)",
        responses=error_responses(401, 404),
    )
    async def card(
        self, request: Req, resident_id: Id, db_session: DbSession, lang: Locale
    ) -> ResidentCard:
        return await WindowService(db_session, lang).card(
            request.user, resident_id, client_ip(request)
        )
