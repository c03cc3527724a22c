"""The cases API: the service catalogue (public to read, administrators write it) and
communities' working hours."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.params import JSONBody, PathParameter

from server.accounts.services import CurrentUser
from server.auth.security import PUBLIC_READ
from server.cases.catalogue import CatalogueService
from server.cases.hours import WorkHoursService
from server.cases.schemas import (
    CatalogueView,
    CategoryIn,
    CategoryView,
    ItemIn,
    ItemView,
    NewItem,
    WorkHoursIn,
    WorkHoursView,
)
from server.lib.deps import NO_AUTH, DbSession, Locale, client_ip
from server.lib.errors import error_responses

__all__ = ["CaseController"]

Req = Request[CurrentUser, Any, Any]
Code = Annotated[str, PathParameter(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")]
AreaCode = Annotated[str, PathParameter(max_length=32)]


class CaseController(Controller):
    path = "/api/v1"
    tags = ["cases"]

    @get(
        "/service-catalogue",
        opt=PUBLIC_READ,
        security=NO_AUTH,
        summary="The service catalogue 服务事项: categories and their active items",
    )
    async def catalogue(self, db_session: DbSession, lang: Locale) -> CatalogueView:
        return await CatalogueService(db_session, lang).catalogue(None)

    @get(
        "/service-items/{code:str}",
        summary="One service item (staff also see the department's liaison)",
        responses=error_responses(400, 401, 404),
    )
    async def item(self, request: Req, code: Code, db_session: DbSession, lang: Locale) -> ItemView:
        return await CatalogueService(db_session, lang).item(request.user, code)

    @post(
        "/service-items",
        status_code=201,
        summary="Add a service item (administrators; audited)",
        responses=error_responses(400, 401, 403, 409),
    )
    async def create_item(
        self, request: Req, data: JSONBody[NewItem], db_session: DbSession, lang: Locale
    ) -> ItemView:
        return await CatalogueService(db_session, lang).create_item(
            request.user, data, client_ip(request)
        )

    @put(
        "/service-items/{code:str}",
        summary="Change a service item (administrators; audited)",
        responses=error_responses(400, 401, 403, 404),
    )
    async def update_item(
        self, request: Req, code: Code, data: JSONBody[ItemIn], db_session: DbSession, lang: Locale
    ) -> ItemView:
        return await CatalogueService(db_session, lang).update_item(
            request.user, code, data, client_ip(request)
        )

    @put(
        "/service-categories/{code:str}",
        summary="Add or rename a service category (administrators; audited)",
        responses=error_responses(400, 401, 403),
    )
    async def put_category(
        self,
        request: Req,
        code: Code,
        data: JSONBody[CategoryIn],
        db_session: DbSession,
        lang: Locale,
    ) -> CategoryView:
        return await CatalogueService(db_session, lang).put_category(
            request.user, code, data, client_ip(request)
        )

    @get(
        "/communities/{code:str}/working-hours",
        summary="A community's working hours (deadlines run in them; holidays and 调休 apply)",
        responses=error_responses(401, 404),
    )
    async def working_hours(
        self, request: Req, code: AreaCode, db_session: DbSession, lang: Locale
    ) -> WorkHoursView:
        return await WorkHoursService(db_session, lang).get(request.user, code)

    @put(
        "/communities/{code:str}/working-hours",
        summary="Change a community's working hours (administrators; audited)",
        responses=error_responses(400, 401, 403, 404),
    )
    async def set_working_hours(
        self,
        request: Req,
        code: AreaCode,
        data: JSONBody[WorkHoursIn],
        db_session: DbSession,
        lang: Locale,
    ) -> WorkHoursView:
        return await WorkHoursService(db_session, lang).put(
            request.user, code, data, client_ip(request)
        )
