"""The people API: residents (with import), volunteers, party members, service groups, hours."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter
from litestar.response import Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.services import RESIDENT_REGISTRARS, CurrentUser
from server.lib.deps import DbSession, Locale, client_ip
from server.lib.errors import error_responses
from server.lib.guards import requires_role
from server.people.messaging import NotifyPreferencesService
from server.people.models import PartyMemberKind
from server.people.schemas import (
    CommunityHours,
    ImportReport,
    MyHours,
    NotifyPreferences,
    PartyMemberIn,
    PartyMemberView,
    ResidentCreate,
    ResidentPage,
    ResidentPassword,
    ResidentUpdate,
    ResidentView,
    Revealed,
    ServiceGroupMemberIn,
    ServiceGroupView,
    TermView,
    TimelineView,
    VocabularyView,
    VolunteerOrgIn,
    VolunteerOrgView,
    VolunteerProfileIn,
    VolunteerView,
)
from server.people.services import PeopleService
from server.people.timeline import TimelineService
from server.people.vocabulary import vocabulary

__all__ = ["PeopleController"]

Req = Request[CurrentUser, Any, Any]
Id = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]


async def _import_answer(report: ImportReport, db_session: AsyncSession) -> Response[ImportReport]:
    """200 with the report, or 422 with it and nothing written."""
    if not report.ok:
        await db_session.rollback()
    return Response(report, status_code=200 if report.ok else 422)


class PeopleController(Controller):
    path = "/api/v1"
    tags = ["people"]

    @get(
        "/people/vocabulary",
        summary="The care tags and trades in use (defaults and this deployment's own)",
        responses=error_responses(401),
    )
    async def vocabulary(self) -> VocabularyView:
        words = vocabulary()
        return VocabularyView(
            care_tags=[TermView(t.code, t.label) for t in words.care_tags],
            trades=[TermView(t.code, t.label) for t in words.trades],
        )

    @get(
        "/me/volunteer-profile",
        summary="My trades and weekly availability, as a volunteer (change them with "
        "PUT /volunteers/{my id}/profile)",
        responses=error_responses(401, 404),
    )
    async def my_volunteer_profile(
        self, request: Req, db_session: DbSession, lang: Locale
    ) -> VolunteerView:
        return await PeopleService(db_session, lang).my_volunteer_profile(request.user)

    @get("/me/hours", summary="My volunteer hours 志愿服务时长", responses=error_responses(401))
    async def my_hours(self, request: Req, db_session: DbSession) -> MyHours:
        return await PeopleService(db_session).my_hours(request.user)

    @post(
        "/residents",
        guards=[requires_role(*RESIDENT_REGISTRARS)],
        summary="Register a resident",
        responses=error_responses(401, 403, 413),
    )
    async def create_resident(
        self, request: Req, data: JSONBody[ResidentCreate], db_session: DbSession, lang: Locale
    ) -> ResidentView:
        return await PeopleService(db_session, lang).create_resident(
            request.user, data, client_ip(request)
        )

    @get(
        "/residents",
        summary="Find residents in my scope (phones masked), a page at a time with the total",
        responses=error_responses(401, 403),
    )
    async def list_residents(
        self,
        request: Req,
        db_session: DbSession,
        lang: Locale,
        q: Annotated[
            str | None,
            QueryParameter(
                max_length=50,
                description="start of the name, last 4 digits of the phone, the whole phone, "
                "or the start of a building code",
            ),
        ] = None,
        building: Annotated[str | None, QueryParameter(max_length=40)] = None,
        care_tag: Annotated[str | None, QueryParameter(max_length=30)] = None,
        grid: Annotated[str | None, QueryParameter(max_length=32)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> ResidentPage:
        return await PeopleService(db_session, lang).list_residents(
            request.user,
            q=q,
            building_code=building,
            care_tag=care_tag,
            grid_code=grid,
            limit=limit,
            offset=offset,
        )

    @get(
        "/residents/{resident_id:int}",
        summary="One resident in my scope",
        responses=error_responses(401, 404),
    )
    async def get_resident(
        self, request: Req, resident_id: Id, db_session: DbSession, lang: Locale
    ) -> ResidentView:
        return await PeopleService(db_session, lang).get_resident(request.user, resident_id)

    @get(
        "/residents/{resident_id:int}/timeline",
        summary=(
            "A resident's visits and the wishes posted for them, newest first (the office and"
            " the grid worker of their grid; every opening is written to the audit log)"
        ),
        responses=error_responses(400, 401, 404),
    )
    async def timeline(
        self,
        request: Req,
        resident_id: Id,
        db_session: DbSession,
        lang: Locale,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 200,
    ) -> TimelineView:
        return await TimelineService(db_session, lang).timeline(
            request.user, resident_id, limit, client_ip(request)
        )

    @patch(
        "/residents/{resident_id:int}",
        summary="Update a resident",
        responses=error_responses(401, 404, 413),
    )
    async def update_resident(
        self,
        request: Req,
        resident_id: Id,
        data: JSONBody[ResidentUpdate],
        db_session: DbSession,
        lang: Locale,
    ) -> ResidentView:
        return await PeopleService(db_session, lang).update_resident(
            request.user, resident_id, data, client_ip(request)
        )

    @post(
        "/residents/{resident_id:int}/reveal/{field:str}",
        status_code=200,
        summary="Show a resident's full phone or ID number (written to the audit log)",
        responses=error_responses(401, 403, 404),
    )
    async def reveal(
        self,
        request: Req,
        resident_id: Id,
        field: FromPath[Literal["phone", "id_number"]],
        db_session: DbSession,
        lang: Locale,
    ) -> Revealed:
        return await PeopleService(db_session, lang).reveal(
            request.user, resident_id, field, client_ip(request)
        )

    @post(
        "/residents/{resident_id:int}/temporary-password",
        guards=[requires_role(*RESIDENT_REGISTRARS)],
        status_code=200,
        summary="A one-time password for a resident, creating their account if they have none "
        "(shown once; audited)",
        responses=error_responses(401, 403, 404, 409),
    )
    async def resident_password(
        self, request: Req, resident_id: Id, db_session: DbSession, lang: Locale
    ) -> ResidentPassword:
        return await PeopleService(db_session, lang).resident_password(
            request.user, resident_id, client_ip(request)
        )

    @post(
        "/residents/import",
        guards=[requires_role(*RESIDENT_REGISTRARS)],
        status_code=200,
        request_max_body_size=8 * 1024 * 1024,
        summary="Import residents from CSV or XLSX (the raw file is the body); all rows or none",
        responses={
            **error_responses(401, 403, 413),
            422: ResponseSpec(ImportReport, description="Rows were rejected; nothing was imported"),
        },
    )
    async def import_residents(
        self, request: Req, db_session: DbSession, lang: Locale
    ) -> Response[ImportReport]:
        service = PeopleService(db_session, lang)
        return await _import_answer(
            await service.import_residents(request.user, await request.body(), client_ip(request)),
            db_session,
        )

    @get(
        "/volunteers",
        summary="Volunteers of the communities I manage",
        responses=error_responses(401, 403),
    )
    async def volunteers(
        self,
        request: Req,
        db_session: DbSession,
        lang: Locale,
        trade: Annotated[str | None, QueryParameter(max_length=30)] = None,
    ) -> list[VolunteerView]:
        return await PeopleService(db_session, lang).list_volunteers(request.user, trade=trade)

    @put(
        "/volunteers/{user_id:int}/profile",
        summary="A volunteer's trades and weekly availability (audited when staff change it)",
        responses=error_responses(401, 403, 404, 413),
    )
    async def volunteer_profile(
        self,
        request: Req,
        user_id: Id,
        data: JSONBody[VolunteerProfileIn],
        db_session: DbSession,
        lang: Locale,
    ) -> VolunteerView:
        return await PeopleService(db_session, lang).set_volunteer_profile(
            request.user, user_id, data, client_ip(request)
        )

    @put(
        "/volunteers/{user_id:int}/party-member",
        summary="Record party membership (在职党员报到)",
        responses=error_responses(401, 403, 404, 413),
    )
    async def party_member(
        self,
        request: Req,
        user_id: Id,
        data: JSONBody[PartyMemberIn],
        db_session: DbSession,
        lang: Locale,
    ) -> VolunteerView:
        return await PeopleService(db_session, lang).set_party_member(
            request.user, user_id, data, client_ip(request)
        )

    @get(
        "/party-members",
        summary="Party members of the communities I manage (在职党员报到, retired, activists)",
        responses=error_responses(401, 403),
    )
    async def party_members(
        self,
        request: Req,
        db_session: DbSession,
        lang: Locale,
        kind: Annotated[PartyMemberKind | None, QueryParameter()] = None,
        community: Annotated[str | None, QueryParameter(max_length=32)] = None,
    ) -> list[PartyMemberView]:
        return await PeopleService(db_session, lang).party_members(
            request.user, kind=kind, community=community
        )

    @get(
        "/service-groups",
        summary="Service groups 为民服务组 in my scope",
        responses=error_responses(401, 403),
    )
    async def service_groups(
        self, request: Req, db_session: DbSession, lang: Locale
    ) -> list[ServiceGroupView]:
        return await PeopleService(db_session, lang).service_groups(request.user)

    @post(
        "/service-groups/{group_id:int}/members",
        status_code=200,
        summary="Add a member to a service group",
        responses=error_responses(401, 404, 413),
    )
    async def add_member(
        self,
        request: Req,
        group_id: Id,
        data: JSONBody[ServiceGroupMemberIn],
        db_session: DbSession,
        lang: Locale,
    ) -> ServiceGroupView:
        return await PeopleService(db_session, lang).add_group_member(
            request.user, group_id, data, client_ip(request)
        )

    @delete(
        "/service-groups/{group_id:int}/members/{user_id:int}",
        status_code=200,
        summary="Take a member off a service group (audited)",
        responses=error_responses(401, 404),
    )
    async def remove_member(
        self, request: Req, group_id: Id, user_id: Id, db_session: DbSession, lang: Locale
    ) -> ServiceGroupView:
        return await PeopleService(db_session, lang).remove_group_member(
            request.user, group_id, user_id, client_ip(request)
        )

    @post(
        "/volunteers/import",
        status_code=200,
        request_max_body_size=8 * 1024 * 1024,
        summary="Import volunteers from CSV or XLSX (the raw file is the body); all rows or none",
        responses={
            **error_responses(401, 403, 413),
            422: ResponseSpec(ImportReport, description="Rows were rejected; nothing was imported"),
        },
    )
    async def import_volunteers(
        self, request: Req, db_session: DbSession, lang: Locale
    ) -> Response[ImportReport]:
        service = PeopleService(db_session, lang)
        return await _import_answer(
            await service.import_volunteers(request.user, await request.body(), client_ip(request)),
            db_session,
        )

    @post(
        "/volunteer-orgs",
        summary="Found a volunteer organisation in a community I manage",
        responses=error_responses(401, 404, 413),
    )
    async def create_org(
        self, request: Req, data: JSONBody[VolunteerOrgIn], db_session: DbSession, lang: Locale
    ) -> VolunteerOrgView:
        return await PeopleService(db_session, lang).create_org(
            request.user, data, client_ip(request)
        )

    @get(
        "/volunteer-orgs",
        summary="Volunteer organisations in my scope",
        responses=error_responses(401, 403),
    )
    async def list_orgs(
        self, request: Req, db_session: DbSession, lang: Locale
    ) -> list[VolunteerOrgView]:
        return await PeopleService(db_session, lang).list_orgs(request.user)

    @post(
        "/volunteer-orgs/{org_id:int}/members",
        status_code=200,
        summary="Add a member to an organisation",
        responses=error_responses(401, 404, 413),
    )
    async def add_org_member(
        self,
        request: Req,
        org_id: Id,
        data: JSONBody[ServiceGroupMemberIn],
        db_session: DbSession,
        lang: Locale,
    ) -> VolunteerOrgView:
        return await PeopleService(db_session, lang).add_org_member(
            request.user, org_id, data.user_id, client_ip(request)
        )

    @delete(
        "/volunteer-orgs/{org_id:int}/members/{user_id:int}",
        status_code=200,
        summary="Take a member off an organisation (audited; a leader who leaves is no longer leader)",
        responses=error_responses(401, 404),
    )
    async def remove_org_member(
        self, request: Req, org_id: Id, user_id: Id, db_session: DbSession, lang: Locale
    ) -> VolunteerOrgView:
        return await PeopleService(db_session, lang).remove_org_member(
            request.user, org_id, user_id, client_ip(request)
        )

    @get(
        "/communities/{code:str}/hours",
        summary="Volunteer hours of a community",
        responses=error_responses(401, 404),
    )
    async def community_hours(
        self,
        request: Req,
        code: Annotated[str, PathParameter(max_length=32)],
        db_session: DbSession,
        lang: Locale,
    ) -> CommunityHours:
        return await PeopleService(db_session, lang).community_hours(request.user, code)

    @get(
        "/me/notifications",
        summary="How I hear back: push, SMS or both",
        tags=["notifications"],
        responses=error_responses(401),
    )
    async def notify_preferences(self, request: Req, db_session: DbSession) -> NotifyPreferences:
        return await NotifyPreferencesService(db_session).get(request.user)

    @put(
        "/me/notifications",
        summary="Choose push, SMS or both (residents)",
        tags=["notifications"],
        responses=error_responses(401, 404),
    )
    async def set_notify_preferences(
        self, request: Req, data: JSONBody[NotifyPreferences], db_session: DbSession
    ) -> NotifyPreferences:
        return await NotifyPreferencesService(db_session).set(request.user, data)
