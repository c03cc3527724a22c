"""The boards API: case figures with their formulas, and their exports."""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import PathParameter, QueryParameter

from server.accounts.services import CurrentUser
from server.boards.exports import FORMATS
from server.boards.schemas import BoardView
from server.boards.services import BoardService
from server.cases.models import CaseState
from server.lib.deps import DbSession, Locale, client_ip
from server.lib.errors import error_responses

__all__ = ["BoardController"]

Req = Request[CurrentUser, Any, Any]
AreaCode = Annotated[str, PathParameter(max_length=32)]


class BoardLevel(enum.StrEnum):
    grid = "grid"
    community = "community"
    sub_district = "sub_district"


Level = Annotated[BoardLevel, QueryParameter(description="The unit's level")]
UnitCode = Annotated[str, QueryParameter(min_length=1, max_length=32, description="Its code")]
From = Annotated[
    date | None,
    QueryParameter(name="from", description="First day (Asia/Shanghai); default the 1st"),
]
To = Annotated[
    date | None, QueryParameter(name="to", description="Last day, included; default today")
]
FIGURES = (
    "Per unit, over the cases received (created) in the period, merged and not-accepted"
    " ones apart: received; closed (of those, closed by the period's end); closure rate"
    " = closed ÷ received; on-time rate = closed on time ÷ closed; handling time in"
    " working hours (average, 90th percentile); satisfaction (satisfied ÷ rated, average"
    " score of 3); reworks; escalations. Each figure carries its formula in the reader's"
    " language. A community's grids, a sub-district's communities side by side."
)


def _file(body: bytes, name: str, fmt: str) -> Response[bytes]:
    return Response(
        content=body,
        media_type=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class BoardController(Controller):
    path = "/api/v1"
    tags = ["boards"]

    @get(
        "/boards/cases",
        summary="Case figures 案件统计 of a grid, community or sub-district, with formulas",
        description=FIGURES,
        responses=error_responses(400, 401, 404),
    )
    async def cases(
        self,
        request: Req,
        db_session: DbSession,
        lang: Locale,
        level: Level,
        code: UnitCode,
        start: From = None,
        end: To = None,
    ) -> BoardView:
        return await BoardService(db_session, lang).board(
            request.user, level.value, code, start, end
        )

    async def _board_file(
        self,
        request: Req,
        db_session: DbSession,
        lang: Locale,
        level: BoardLevel,
        code: str,
        start: date | None,
        end: date | None,
        fmt: str,
    ) -> Response[bytes]:
        body, name = await BoardService(db_session, lang).board_export(
            request.user, level.value, code, start, end, fmt, client_ip(request)
        )
        return _file(body, name, fmt)

    @get(
        "/boards/cases.csv",
        summary="The case figures as CSV, one row per unit and figure with its formula (audited)",
        responses=error_responses(400, 401, 404),
        media_type=FORMATS["csv"],
    )
    async def cases_csv(
        self,
        request: Req,
        db_session: DbSession,
        lang: Locale,
        level: Level,
        code: UnitCode,
        start: From = None,
        end: To = None,
    ) -> Response[bytes]:
        return await self._board_file(request, db_session, lang, level, code, start, end, "csv")

    @get(
        "/boards/cases.xlsx",
        summary="The case figures as XLSX, one row per unit and figure with its formula (audited)",
        responses=error_responses(400, 401, 404),
        media_type=FORMATS["xlsx"],
    )
    async def cases_xlsx(
        self,
        request: Req,
        db_session: DbSession,
        lang: Locale,
        level: Level,
        code: UnitCode,
        start: From = None,
        end: To = None,
    ) -> Response[bytes]:
        return await self._board_file(request, db_session, lang, level, code, start, end, "xlsx")

    async def _list_file(
        self,
        request: Req,
        db_session: DbSession,
        lang: Locale,
        code: str,
        start: date | None,
        end: date | None,
        case_state: CaseState | None,
        fmt: str,
    ) -> Response[bytes]:
        body, name = await BoardService(db_session, lang).case_list_export(
            request.user, code, start, end, case_state, fmt, client_ip(request)
        )
        return _file(body, name, fmt)

    @get(
        "/communities/{code:str}/cases.csv",
        summary="A community's cases received in the period as CSV, reporter masked, no "
        "contact (office; audited)",
        responses=error_responses(400, 401, 404),
        media_type=FORMATS["csv"],
    )
    async def community_cases_csv(
        self,
        request: Req,
        code: AreaCode,
        db_session: DbSession,
        lang: Locale,
        start: From = None,
        end: To = None,
        case_state: Annotated[CaseState | None, QueryParameter(name="state")] = None,
    ) -> Response[bytes]:
        return await self._list_file(request, db_session, lang, code, start, end, case_state, "csv")

    @get(
        "/communities/{code:str}/cases.xlsx",
        summary="A community's cases received in the period as XLSX, reporter masked, no "
        "contact (office; audited)",
        responses=error_responses(400, 401, 404),
        media_type=FORMATS["xlsx"],
    )
    async def community_cases_xlsx(
        self,
        request: Req,
        code: AreaCode,
        db_session: DbSession,
        lang: Locale,
        start: From = None,
        end: To = None,
        case_state: Annotated[CaseState | None, QueryParameter(name="state")] = None,
    ) -> Response[bytes]:
        return await self._list_file(
            request, db_session, lang, code, start, end, case_state, "xlsx"
        )
