"""The caring-business API: the public list, the office's storefront list, registration."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, put
from litestar.params import JSONBody, PathParameter

from server.accounts.services import CurrentUser
from server.auth.security import PUBLIC_READ
from server.businesses.schemas import BusinessUpdate, BusinessView
from server.businesses.services import BusinessService
from server.lib.deps import NO_AUTH, DbSession, Locale, client_ip
from server.lib.errors import error_responses

__all__ = ["BusinessController"]

Req = Request[CurrentUser, Any, Any]
CommunityCode = Annotated[str, PathParameter(max_length=32, pattern=r"^[0-9]+$")]
StorefrontCode = Annotated[str, PathParameter(min_length=1, max_length=40)]


class BusinessController(Controller):
    path = "/api/v1"
    tags = ["businesses"]

    @get(
        "/communities/{code:str}/businesses",
        opt=PUBLIC_READ,
        security=NO_AUTH,
        summary="The caring businesses 爱心商户 of a community",
        responses=error_responses(404),
    )
    async def public_list(
        self, code: CommunityCode, db_session: DbSession, lang: Locale
    ) -> list[BusinessView]:
        return await BusinessService(db_session, lang).public_list(code)

    @get(
        "/communities/{code:str}/storefronts",
        summary="Every storefront of a community and whether it is a caring business (office)",
        responses=error_responses(401, 404),
    )
    async def storefronts(
        self, request: Req, code: CommunityCode, db_session: DbSession, lang: Locale
    ) -> list[BusinessView]:
        return await BusinessService(db_session, lang).storefronts(request.user, code)

    @put(
        "/storefronts/{code:str}/caring",
        summary="Register a storefront as a caring business, name its contact, or step it back",
        responses=error_responses(401, 404, 413),
    )
    async def update(
        self,
        request: Req,
        code: StorefrontCode,
        data: JSONBody[BusinessUpdate],
        db_session: DbSession,
        lang: Locale,
    ) -> BusinessView:
        return await BusinessService(db_session, lang).update(
            request.user, code, data, client_ip(request)
        )
