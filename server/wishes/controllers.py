"""The micro-wish API: post, moderate, claim, fulfil, confirm; the public board; statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from server.accounts.services import CurrentUser
from server.auth.security import PUBLIC_READ
from server.lib.deps import NO_AUTH, DbSession, Locale, client_ip
from server.lib.errors import error_responses
from server.wishes.schemas import (
    BoardItem,
    ClaimOptions,
    ClaimRequest,
    ConfirmRequest,
    FulfilRequest,
    ModerationEdit,
    RejectRequest,
    ThanksItem,
    TransitionRequest,
    WishAddress,
    WishCreate,
    WishStats,
    WishView,
)
from server.wishes.services import WishService
from server.wishes.states import State

__all__ = ["WishController"]

Req = Request[CurrentUser, Any, Any]
WishId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
CommunityCode = Annotated[str, PathParameter(max_length=32, pattern=r"^[0-9]+$")]
TRANSITION_ERRORS = error_responses(401, 403, 404, 409)


class WishController(Controller):
    path = "/api/v1"
    tags = ["wishes"]

    @post(
        "/wishes",
        summary="Post a wish (a resident, or staff for a resident with consent)",
        responses=error_responses(401, 403, 404, 409, 413),
    )
    async def post_wish(
        self, request: Req, data: JSONBody[WishCreate], db_session: DbSession, lang: Locale
    ) -> WishView:
        return await WishService(db_session, lang).post(request.user, data)

    @get(
        "/wishes/mine",
        summary="Wishes I benefit from, posted or claimed",
        responses=error_responses(401),
    )
    async def mine(self, request: Req, db_session: DbSession, lang: Locale) -> list[WishView]:
        return await WishService(db_session, lang).mine(request.user)

    @get(
        "/wishes/queue",
        summary="Wishes waiting for moderators of my scope",
        responses=error_responses(401, 403),
    )
    async def queue(
        self,
        request: Req,
        db_session: DbSession,
        lang: Locale,
        status: Annotated[State, QueryParameter()] = State.submitted,
    ) -> list[WishView]:
        return await WishService(db_session, lang).queue(request.user, state=status)

    @get(
        "/wishes/{wish_id:int}",
        summary="One wish with its history",
        responses=error_responses(401, 404),
    )
    async def get_wish(
        self, request: Req, wish_id: WishId, db_session: DbSession, lang: Locale
    ) -> WishView:
        return await WishService(db_session, lang).view(request.user, wish_id)

    @post(
        "/wishes/{wish_id:int}/address",
        status_code=200,
        summary="Where to go: the claimer of a claimed wish asks (written in the audit log)",
        responses=error_responses(401, 403, 404, 409),
    )
    async def address(
        self, request: Req, wish_id: WishId, db_session: DbSession, lang: Locale
    ) -> WishAddress:
        return await WishService(db_session, lang).address(
            request.user, wish_id, client_ip(request)
        )

    @patch(
        "/wishes/{wish_id:int}",
        summary="Moderator edit (the original text is kept)",
        responses=error_responses(400, 401, 403, 404, 409),
    )
    async def edit(
        self,
        request: Req,
        wish_id: WishId,
        data: JSONBody[ModerationEdit],
        db_session: DbSession,
        lang: Locale,
    ) -> WishView:
        return await WishService(db_session, lang).edit(request.user, wish_id, data)

    @post(
        "/wishes/{wish_id:int}/approve",
        status_code=200,
        summary="Approve and publish",
        responses=TRANSITION_ERRORS,
    )
    async def approve(
        self,
        request: Req,
        wish_id: WishId,
        db_session: DbSession,
        lang: Locale,
        data: JSONBody[TransitionRequest | None] = None,
    ) -> WishView:
        return await WishService(db_session, lang).approve(
            request.user, wish_id, data.expected_version if data else None
        )

    @post(
        "/wishes/{wish_id:int}/reject",
        status_code=200,
        summary="Reject with a reason the resident sees",
        responses=TRANSITION_ERRORS,
    )
    async def reject(
        self,
        request: Req,
        wish_id: WishId,
        data: JSONBody[RejectRequest],
        db_session: DbSession,
        lang: Locale,
    ) -> WishView:
        return await WishService(db_session, lang).reject(
            request.user, wish_id, data.reason, data.expected_version
        )

    @post(
        "/wishes/{wish_id:int}/claim",
        status_code=200,
        summary="Claim (one live claim per wish)",
        responses=TRANSITION_ERRORS,
    )
    async def claim(
        self,
        request: Req,
        wish_id: WishId,
        db_session: DbSession,
        lang: Locale,
        data: JSONBody[ClaimRequest | None] = None,
    ) -> WishView:
        return await WishService(db_session, lang).claim(
            request.user, wish_id, data or ClaimRequest()
        )

    @post(
        "/wishes/{wish_id:int}/release",
        status_code=200,
        summary="Give a claimed wish back",
        responses=TRANSITION_ERRORS,
    )
    async def release(
        self,
        request: Req,
        wish_id: WishId,
        db_session: DbSession,
        lang: Locale,
        data: JSONBody[TransitionRequest | None] = None,
    ) -> WishView:
        return await WishService(db_session, lang).release(
            request.user, wish_id, data.expected_version if data else None
        )

    @post(
        "/wishes/{wish_id:int}/withdraw",
        status_code=200,
        summary="Withdraw an unclaimed wish",
        responses=TRANSITION_ERRORS,
    )
    async def withdraw(
        self,
        request: Req,
        wish_id: WishId,
        db_session: DbSession,
        lang: Locale,
        data: JSONBody[TransitionRequest | None] = None,
    ) -> WishView:
        return await WishService(db_session, lang).withdraw(
            request.user, wish_id, data.expected_version if data else None
        )

    @post(
        "/wishes/{wish_id:int}/fulfil",
        status_code=200,
        summary="Mark fulfilled, with proof",
        responses=TRANSITION_ERRORS,
    )
    async def fulfil(
        self,
        request: Req,
        wish_id: WishId,
        data: JSONBody[FulfilRequest],
        db_session: DbSession,
        lang: Locale,
    ) -> WishView:
        return await WishService(db_session, lang).fulfil(request.user, wish_id, data)

    @post(
        "/wishes/{wish_id:int}/confirm",
        status_code=200,
        summary="The resident (or staff for them) confirms; hours are credited",
        responses=TRANSITION_ERRORS,
    )
    async def confirm(
        self,
        request: Req,
        wish_id: WishId,
        db_session: DbSession,
        lang: Locale,
        data: JSONBody[ConfirmRequest | None] = None,
    ) -> WishView:
        return await WishService(db_session, lang).confirm(
            request.user, wish_id, data or ConfirmRequest()
        )

    @get(
        "/communities/{code:str}/wishes",
        opt=PUBLIC_READ,
        security=NO_AUTH,
        summary="The public wish board of a community (beneficiaries masked)",
        responses=error_responses(404),
    )
    async def board(
        self,
        code: CommunityCode,
        db_session: DbSession,
        lang: Locale,
        before_id: Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
    ) -> list[BoardItem]:
        return await WishService(db_session, lang).board(code, limit=limit, before_id=before_id)

    @get(
        "/communities/{code:str}/claim-options",
        summary="In whose name I may claim this community's wishes (volunteer, party member, "
        "service group, caring business)",
        responses=error_responses(401, 404),
    )
    async def claim_options(
        self, request: Req, code: CommunityCode, db_session: DbSession, lang: Locale
    ) -> ClaimOptions:
        return await WishService(db_session, lang).claim_options(request.user, code)

    @get(
        "/communities/{code:str}/thanks",
        opt=PUBLIC_READ,
        security=NO_AUTH,
        summary="The thanks wall: confirmed wishes with a thank-you",
        responses=error_responses(404),
    )
    async def thanks(
        self, code: CommunityCode, db_session: DbSession, lang: Locale
    ) -> list[ThanksItem]:
        return await WishService(db_session, lang).thanks_wall(code)

    @get(
        "/communities/{code:str}/wish-stats",
        summary="Wish statistics of a community for a period",
        responses=error_responses(401, 404),
    )
    async def stats(
        self,
        request: Req,
        code: CommunityCode,
        db_session: DbSession,
        lang: Locale,
        days: Annotated[int, QueryParameter(ge=1, le=3660)] = 30,
    ) -> WishStats:
        until = datetime.now(UTC)
        return await WishService(db_session, lang).stats(
            request.user, code, until - timedelta(days=days), until
        )
