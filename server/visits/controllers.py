"""The visits API: the office plans a community's week; visitors see their day and record."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post, put
from litestar.params import JSONBody, PathParameter, QueryParameter

from server.accounts.services import CurrentUser
from server.lib.deps import DbSession, Locale, client_ip
from server.lib.errors import error_responses
from server.visits.coverage import CoverageService
from server.visits.reports import VisitReportService
from server.visits.schemas import (
    CarePairIn,
    CarePairView,
    CareSettingsUpdate,
    CareSettingsView,
    CoverageView,
    DayView,
    PlanReport,
    PlanRequest,
    VisitHoursIn,
    VisitHoursView,
    VisitMove,
    VisitRecord,
    VisitRecordBatch,
    VisitReportPage,
    VisitReportReview,
    VisitReportView,
    VisitSyncResult,
    VisitView,
    WeekPlan,
)
from server.visits.services import VisitService

__all__ = ["VisitController"]

Req = Request[CurrentUser, Any, Any]
VisitId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
Code = Annotated[str, PathParameter(max_length=32)]
PairId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
ReportId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]


class VisitController(Controller):
    path = "/api/v1"
    tags = ["visits"]

    @post(
        "/communities/{code:str}/visit-plan",
        status_code=200,
        summary="Plan (or re-plan) a community's week of staggered-hour visits 错时服务",
        responses=error_responses(400, 401, 404),
    )
    async def plan(
        self,
        request: Req,
        code: Code,
        data: JSONBody[PlanRequest],
        db_session: DbSession,
        lang: Locale,
    ) -> PlanReport:
        return await VisitService(db_session, lang).plan(request.user, code, data.week_start)

    @get(
        "/me/visits",
        summary="My visits of a day, noon then evening, in walking order",
        responses=error_responses(400, 401),
    )
    async def day(
        self,
        request: Req,
        db_session: DbSession,
        lang: Locale,
        on: Annotated[date, QueryParameter(description="The day (YYYY-MM-DD)")],
    ) -> DayView:
        return await VisitService(db_session, lang).day(request.user, on)

    @post(
        "/visits/records",
        status_code=200,
        summary="Sync visits recorded offline: up to 50 records, each stored once by its ref "
        "(recorded, duplicate, kept for the office, or refused with the reason)",
        responses=error_responses(400, 401),
    )
    async def sync(
        self, request: Req, data: JSONBody[VisitRecordBatch], db_session: DbSession, lang: Locale
    ) -> VisitSyncResult:
        return await VisitService(db_session, lang).sync(request.user, data)

    @post(
        "/visits/{visit_id:int}/record",
        status_code=200,
        summary="Record a visit: how the person is, needs found, notes (urgent: to the office now)",
        responses=error_responses(400, 401, 403, 404, 409),
    )
    async def record(
        self,
        request: Req,
        visit_id: VisitId,
        data: JSONBody[VisitRecord],
        db_session: DbSession,
        lang: Locale,
    ) -> VisitView:
        return await VisitService(db_session, lang).record(request.user, visit_id, data)

    @post(
        "/visits/{visit_id:int}/move",
        status_code=200,
        summary="Place a visit by hand (a person, a day, a window); re-plans keep it there",
        responses=error_responses(400, 401, 403, 404, 409),
    )
    async def move(
        self,
        request: Req,
        visit_id: VisitId,
        data: JSONBody[VisitMove],
        db_session: DbSession,
        lang: Locale,
    ) -> VisitView:
        return await VisitService(db_session, lang).move(request.user, visit_id, data)

    @post(
        "/visits/{visit_id:int}/cancel",
        status_code=200,
        summary="Cancel a visit (the household moved away, is in hospital …)",
        responses=error_responses(401, 403, 404, 409),
    )
    async def cancel(
        self, request: Req, visit_id: VisitId, db_session: DbSession, lang: Locale
    ) -> VisitView:
        return await VisitService(db_session, lang).cancel(request.user, visit_id)

    @get(
        "/me/visit-hours",
        summary="When I can go out on visits (grid workers and community staff)",
        responses=error_responses(401, 403),
    )
    async def my_hours(self, request: Req, db_session: DbSession, lang: Locale) -> VisitHoursView:
        return await VisitService(db_session, lang).my_hours(request.user)

    @put(
        "/me/visit-hours",
        summary="Change when I can go out on visits; the next plan of a week follows it",
        responses=error_responses(400, 401, 403),
    )
    async def set_my_hours(
        self, request: Req, data: JSONBody[VisitHoursIn], db_session: DbSession, lang: Locale
    ) -> VisitHoursView:
        return await VisitService(db_session, lang).set_my_hours(request.user, data)

    @get(
        "/communities/{code:str}/care-settings",
        summary="A community's care roster: how often each care tag is visited, windows, duty days",
        responses=error_responses(401, 404),
    )
    async def care_settings(
        self, request: Req, code: Code, db_session: DbSession, lang: Locale
    ) -> CareSettingsView:
        return await VisitService(db_session, lang).care_settings(request.user, code)

    @put(
        "/communities/{code:str}/care-settings",
        summary="Change a community's care roster (administrators; audited)",
        responses=error_responses(400, 401, 403, 404),
    )
    async def set_care_settings(
        self,
        request: Req,
        code: Code,
        data: JSONBody[CareSettingsUpdate],
        db_session: DbSession,
        lang: Locale,
    ) -> CareSettingsView:
        return await VisitService(db_session, lang).set_care_settings(
            request.user, code, data, client_ip(request)
        )

    @post(
        "/care-pairs",
        status_code=200,
        summary="Pair a party member with a resident 结对帮扶 (the office; audited)",
        responses=error_responses(400, 401, 404),
    )
    async def pair(
        self, request: Req, data: JSONBody[CarePairIn], db_session: DbSession, lang: Locale
    ) -> CarePairView:
        return await VisitService(db_session, lang).pair(request.user, data, client_ip(request))

    @post(
        "/care-pairs/{pair_id:int}/end",
        status_code=200,
        summary="End a pair (the office; audited)",
        responses=error_responses(401, 404),
    )
    async def end_pair(
        self, request: Req, pair_id: PairId, db_session: DbSession, lang: Locale
    ) -> CarePairView:
        return await VisitService(db_session, lang).end_pair(
            request.user, pair_id, client_ip(request)
        )

    @get(
        "/communities/{code:str}/care-pairs",
        summary="A community's pairs 结对帮扶",
        responses=error_responses(401, 404),
    )
    async def pairs(
        self, request: Req, code: Code, db_session: DbSession, lang: Locale
    ) -> list[CarePairView]:
        return await VisitService(db_session, lang).pairs(request.user, code)

    @get(
        "/communities/{code:str}/visit-coverage",
        summary="走访覆盖率: the share of due visits done on time, by week, care tag and grid",
        description=(
            "Per ISO week (Asia/Shanghai): share = on_time / due, where due counts the"
            " visits with due_by in the week that were not cancelled (in the current week"
            " only those due before today), and on_time those done with the local date of"
            " visited_at on or before due_by. A resident with several care tags counts"
            " under each tag; by grid each visit counts once."
        ),
        responses=error_responses(400, 401, 404),
    )
    async def coverage(
        self,
        request: Req,
        code: Code,
        db_session: DbSession,
        lang: Locale,
        weeks: Annotated[int, QueryParameter(ge=1, le=53)] = 8,
    ) -> CoverageView:
        return await CoverageService(db_session, lang).coverage(request.user, code, weeks)

    @get(
        "/communities/{code:str}/visit-plan",
        summary="A community's week of visits for the office: per person, day and window, "
        "load against capacity, what could not be planned and why",
        responses=error_responses(400, 401, 404),
    )
    async def week(
        self,
        request: Req,
        code: Code,
        db_session: DbSession,
        lang: Locale,
        week_start: Annotated[
            date | None,
            QueryParameter(description="The Monday of the week (YYYY-MM-DD; default this week)"),
        ] = None,
    ) -> WeekPlan:
        return await VisitService(db_session, lang).week(request.user, code, week_start)

    @get(
        "/communities/{code:str}/visit-reports",
        summary="Visit records from phones that could not be applied (household reassigned, "
        "visit recorded by someone else first), for the community office to review",
        responses=error_responses(400, 401, 404),
    )
    async def visit_reports(
        self,
        request: Req,
        code: Code,
        db_session: DbSession,
        lang: Locale,
        review_state: Annotated[
            Literal["open", "reviewed"],
            QueryParameter(
                name="state", description="open: still to review (default); reviewed: done"
            ),
        ] = "open",
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> VisitReportPage:
        return await VisitReportService(db_session, lang).page(
            request.user, code, review_state, limit, offset
        )

    @post(
        "/visit-reports/{report_id:int}/review",
        status_code=200,
        summary="Review a kept visit record once: apply (record the visit from it, as its "
        "reporter made it) or dismiss (with a note); audited",
        responses=error_responses(400, 401, 403, 404, 409),
    )
    async def review_visit_report(
        self,
        request: Req,
        report_id: ReportId,
        data: JSONBody[VisitReportReview],
        db_session: DbSession,
        lang: Locale,
    ) -> VisitReportView:
        return await VisitReportService(db_session, lang).review(
            request.user, report_id, data, client_ip(request)
        )
