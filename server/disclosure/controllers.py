"""The disclosure API: the public 三公开 page, the office's commitments, the two evaluations."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.params import JSONBody, PathParameter, QueryParameter

from server.accounts.services import CurrentUser
from server.auth.security import PUBLIC_READ
from server.disclosure.schemas import (
    CommitmentEdit,
    CommitmentIn,
    CommitmentView,
    DisclosureEditView,
    EvaluationIn,
    EvaluationView,
    PublicCommunity,
    PublicDisclosure,
)
from server.disclosure.services import DisclosureService, this_year
from server.lib.deps import NO_AUTH, DbSession, Locale, client_ip
from server.lib.errors import error_responses

__all__ = ["DisclosureController"]

Req = Request[CurrentUser, Any, Any]
CommunityCode = Annotated[str, PathParameter(max_length=32, pattern=r"^[0-9]+$")]
CommitmentId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
Year = Annotated[int | None, QueryParameter(ge=2000, le=2100)]


class DisclosureController(Controller):
    path = "/api/v1"
    tags = ["disclosure"]

    @get(
        "/public/communities",
        opt=PUBLIC_READ,
        security=NO_AUTH,
        summary="The city's communities (code and names), for the public 三公开 page's picker",
        cache_control=CacheControlHeader(public=True, max_age=3600),
        response_headers=[ResponseHeader(name="Vary", value="Accept-Language")],
    )
    async def communities(self, db_session: DbSession, lang: Locale) -> list[PublicCommunity]:
        return await DisclosureService(db_session, lang).communities()

    @get(
        "/public/communities/{code:str}/disclosure",
        opt=PUBLIC_READ,
        security=NO_AUTH,
        summary="三公开: a community's commitments, work in progress, results and the two "
        "evaluations of a year (public, no personal data)",
        responses=error_responses(400, 404),
        cache_control=CacheControlHeader(public=True, max_age=300),
        response_headers=[ResponseHeader(name="Vary", value="Accept-Language")],
    )
    async def public(
        self, code: CommunityCode, db_session: DbSession, lang: Locale, year: Year = None
    ) -> PublicDisclosure:
        return await DisclosureService(db_session, lang).public(code, year)

    @get(
        "/communities/{code:str}/disclosure",
        summary="A community's commitments and evaluations of a year, for the office's editor",
        responses=error_responses(400, 401, 404),
    )
    async def editor(
        self,
        request: Req,
        code: CommunityCode,
        db_session: DbSession,
        lang: Locale,
        year: Year = None,
    ) -> DisclosureEditView:
        return await DisclosureService(db_session, lang).editor(
            request.user, code, year or this_year()
        )

    @post(
        "/communities/{code:str}/commitments",
        status_code=201,
        summary="Add a commitment 承诺 of the year (the community office; audited)",
        responses=error_responses(400, 401, 404),
    )
    async def create(
        self,
        request: Req,
        code: CommunityCode,
        data: JSONBody[CommitmentIn],
        db_session: DbSession,
        lang: Locale,
    ) -> CommitmentView:
        return await DisclosureService(db_session, lang).create(
            request.user, code, data, client_ip(request)
        )

    @patch(
        "/commitments/{commitment_id:int}",
        summary="Change a commitment or mark its progress (status and a public note; audited)",
        responses=error_responses(400, 401, 404),
    )
    async def update(
        self,
        request: Req,
        commitment_id: CommitmentId,
        data: JSONBody[CommitmentEdit],
        db_session: DbSession,
        lang: Locale,
    ) -> CommitmentView:
        return await DisclosureService(db_session, lang).update(
            request.user, commitment_id, data, client_ip(request)
        )

    @delete(
        "/commitments/{commitment_id:int}",
        summary="Remove a commitment (the community office; audited)",
        responses=error_responses(401, 404),
    )
    async def remove(
        self, request: Req, commitment_id: CommitmentId, db_session: DbSession, lang: Locale
    ) -> None:
        await DisclosureService(db_session, lang).delete(
            request.user, commitment_id, client_ip(request)
        )

    @put(
        "/communities/{code:str}/evaluations",
        summary="Record an evaluation 评议 of a period: residents' (the office, from a survey) "
        "or the level above's (the sub-district); recording again replaces it (audited)",
        responses=error_responses(400, 401, 403, 404),
    )
    async def evaluation(
        self,
        request: Req,
        code: CommunityCode,
        data: JSONBody[EvaluationIn],
        db_session: DbSession,
        lang: Locale,
    ) -> EvaluationView:
        return await DisclosureService(db_session, lang).record_evaluation(
            request.user, code, data, client_ip(request)
        )
