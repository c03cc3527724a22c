"""The cases API: the service catalogue (public to read, administrators write it),
communities' working hours, taking cases in, their actions and lists."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody, PathParameter, QueryParameter

from server.accounts.services import CurrentUser
from server.auth.security import PUBLIC_READ
from server.cases.catalogue import CatalogueService
from server.cases.hours import WorkHoursService
from server.cases.models import CaseState, CloseLevel
from server.cases.schemas import (
    CaseActionIn,
    CaseCreate,
    CasePage,
    CaseView,
    CatalogueView,
    CategoryIn,
    CategoryView,
    ItemIn,
    ItemView,
    NewItem,
    WorkHoursIn,
    WorkHoursView,
)
from server.cases.services import CaseService
from server.lib.deps import NO_AUTH, DbSession, Locale, client_ip
from server.lib.errors import error_responses

__all__ = ["CaseController"]

Req = Request[CurrentUser, Any, Any]
Code = Annotated[str, PathParameter(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")]
AreaCode = Annotated[str, PathParameter(max_length=32)]
CaseId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
Limit = Annotated[int, QueryParameter(ge=1, le=200)]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000)]

# Every action of the rule table (server.cases.rules) is one endpoint with one body.
ACTIONS: dict[str, str] = {
    "accept": "Accept a received case (office; `item` and `fields` choose or change its item)",
    "reject": "Refuse a received case with a `reason` the reporter sees (office)",
    "dispatch": "Dispatch to a person (`assignee_id`: staff where the case is, at its level)",
    "start": "Start work on a case dispatched to me",
    "resolve": "Say it is done: `note` (what was done), optional after `photo` (my upload)",
    "close": "Verify it done and close it (staff at the item's closing level or above)",
    "rework": "Send a resolved case back for more work, with a `reason`",
    "reopen": "Reopen a closed case the reporter was not satisfied with (3), with a `reason`",
    "return": "Return it, not ours, with a `reason` (back to its level's queue)",
    "transfer": "Transfer sideways to another grid or community (`grid_code`, `reason`; office)",
    "escalate": "Escalate one level up (grid → community → sub-district → department), `reason`",
    "callback": "Record the callback 回访: `satisfaction` 1 满意 / 2 基本满意 / 3 不满意, `note`",
    "supervise": "A supervision note 督办 from above (`note`); no change of state",
    "request_extension": "Ask for more time: `hours` (working hours) and `reason` (assignee)",
    "approve_extension": "Approve the extension asked for (staff above the case's level)",
    "merge": "Merge a duplicate into the open case it repeats (`into_case_id`; office)",
    "reclassify": "Change the service item 改派事项 (`item`, `reason`, the new item's `fields`): "
    "the deadline and closing level follow from it (office; received or accepted)",
}


def _action_handler(action: str, summary: str) -> HTTPRouteHandler:
    @post(
        f"/cases/{{case_id:int}}/{action.replace('_', '-')}",
        status_code=200,
        summary=summary,
        operation_id=f"case_{action}",
        responses=error_responses(400, 401, 403, 404, 409),
    )
    async def handler(
        self: Any,
        request: Req,
        case_id: CaseId,
        data: JSONBody[CaseActionIn],
        db_session: DbSession,
        lang: Locale,
    ) -> CaseView:
        return await CaseService(db_session, lang).act(request.user, case_id, action, data)

    return handler


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

    @post(
        "/cases",
        status_code=201,
        summary="Take in a case 民意快线 (who reports follows from `channel`; see the body)",
        responses=error_responses(400, 401, 403, 404),
    )
    async def report(
        self, request: Req, data: JSONBody[CaseCreate], db_session: DbSession, lang: Locale
    ) -> CaseView:
        return await CaseService(db_session, lang).report(request.user, data)

    @get(
        "/cases/{case_id:int}",
        summary="A case with its history and what I may do with it (`allowed_actions`)",
        responses=error_responses(400, 401, 404),
    )
    async def case(
        self, request: Req, case_id: CaseId, db_session: DbSession, lang: Locale
    ) -> CaseView:
        return await CaseService(db_session, lang).get(request.user, case_id, client_ip(request))

    @get(
        "/me/cases",
        summary="The cases I reported (or were taken in for me), newest first",
        responses=error_responses(400, 401),
    )
    async def my_cases(
        self,
        request: Req,
        db_session: DbSession,
        lang: Locale,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> CasePage:
        return await CaseService(db_session, lang).mine(request.user, limit, offset)

    @get(
        "/me/case-inbox",
        summary="My inbox: open cases of my grids or dispatched to me, nearest deadline first",
        responses=error_responses(400, 401),
    )
    async def inbox(
        self,
        request: Req,
        db_session: DbSession,
        lang: Locale,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> CasePage:
        return await CaseService(db_session, lang).inbox(request.user, limit, offset)

    @get(
        "/communities/{code:str}/cases",
        summary="A community's cases for its office, newest first (by state, item, level, overdue)",
        responses=error_responses(400, 401, 404),
    )
    async def community_cases(
        self,
        request: Req,
        code: AreaCode,
        db_session: DbSession,
        lang: Locale,
        case_state: Annotated[
            CaseState | None, QueryParameter(name="state", description="Only cases in this state")
        ] = None,
        item: Annotated[str | None, QueryParameter(max_length=32)] = None,
        level: Annotated[
            CloseLevel | None,
            QueryParameter(description="Only cases held at this level (escalated ones above)"),
        ] = None,
        overdue: Annotated[
            bool, QueryParameter(description="Only open cases past their deadline")
        ] = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> CasePage:
        return await CaseService(db_session, lang).community_cases(
            request.user,
            code,
            state=case_state,
            item=item,
            level=level,
            overdue=overdue,
            limit=limit,
            offset=offset,
        )

    @get(
        "/case-duplicates",
        summary="Possible duplicates before taking a case in: open cases of the item within "
        "150 m (staff)",
        responses=error_responses(400, 401, 403),
    )
    async def duplicates(
        self,
        request: Req,
        db_session: DbSession,
        lang: Locale,
        item: Annotated[str, QueryParameter(min_length=1, max_length=32)],
        lon: Annotated[float, QueryParameter(ge=-180, le=180)],
        lat: Annotated[float, QueryParameter(ge=-90, le=90)],
    ) -> list[CaseView]:
        return await CaseService(db_session, lang).duplicates(request.user, item, lon, lat)


for _name, _summary in ACTIONS.items():
    setattr(CaseController, f"act_{_name}", _action_handler(_name, _summary))
