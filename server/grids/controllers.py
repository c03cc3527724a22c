"""Locate, the map of my grids, area lists, grid-map import and export."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, PathParameter, QueryParameter

from server.accounts.models import Role
from server.accounts.services import CurrentUser
from server.audit.services import AuditService
from server.auth.security import PUBLIC, PUBLIC_READ
from server.grids.importer import GridMapInvalid, export_grid_map, import_grid_map
from server.grids.schemas import (
    AreaSummary,
    BuildingMatch,
    GridChain,
    ImportProblem,
    ImportReport,
    Lat,
    Lon,
)
from server.grids.services import GridService, chain_of
from server.lib.deps import NO_AUTH, DbSession, Locale, client_ip
from server.lib.errors import error_responses
from server.lib.guards import requires_role

__all__ = ["GridController"]

Req = Request[CurrentUser, Any, Any]


class GridController(Controller):
    path = "/api/v1"
    tags = ["grids"]

    @get(
        "/locate",
        opt=PUBLIC,
        security=NO_AUTH,
        summary="Which grid contains this point",
        responses=error_responses(404),
    )
    async def locate(self, lon: Lon, lat: Lat, state: State, lang: Locale) -> GridChain:
        # The hot path: no ORM session, see server.grids.locator.
        return chain_of(await state.locator.locate(lon, lat), lang)

    @get(
        "/buildings/{code:str}/grid",
        opt=PUBLIC_READ,
        security=NO_AUTH,
        summary="The grid chain of a building",
        responses=error_responses(404),
    )
    async def locate_building(
        self,
        code: Annotated[str, PathParameter(max_length=40, pattern=r"^[0-9A-Za-z]+$")],
        db_session: DbSession,
        lang: Locale,
    ) -> GridChain:
        return await GridService(db_session, lang).locate_building(code)

    @get(
        "/buildings",
        summary="Find buildings in my scope by code prefix or a piece of name or address (≤ 20)",
        responses=error_responses(401, 403),
    )
    async def find_buildings(
        self,
        request: Req,
        db_session: DbSession,
        lang: Locale,
        q: Annotated[str, QueryParameter(min_length=1, max_length=40)],
        limit: Annotated[int, QueryParameter(ge=1, le=20)] = 20,
    ) -> list[BuildingMatch]:
        return await GridService(db_session, lang).find_buildings(request.user.scope, q, limit)

    @get(
        "/map",
        summary="GeoJSON of the areas and buildings I may see",
        responses=error_responses(401),
    )
    async def map(
        self,
        request: Req,
        db_session: DbSession,
        lang: Locale,
        buildings: Annotated[bool, QueryParameter()] = True,
    ) -> dict[str, Any]:
        return await GridService(db_session, lang).map(request.user, with_buildings=buildings)

    @get(
        "/areas",
        summary="Sub-districts, communities or grids in my scope, with counts",
        responses=error_responses(401),
    )
    async def areas(
        self,
        request: Req,
        db_session: DbSession,
        lang: Locale,
        level: Annotated[Literal["sub_district", "community", "grid"], QueryParameter()] = "grid",
    ) -> list[AreaSummary]:
        return await GridService(db_session, lang).list_areas(request.user.scope, level)

    @post(
        "/grid-maps",
        guards=[requires_role(Role.system_admin)],
        status_code=200,
        request_max_body_size=64 * 1024 * 1024,
        summary="Import a grid map (GeoJSON); all or nothing, problems reported per feature",
        responses={
            **error_responses(401, 403, 413),
            422: ResponseSpec(
                ImportReport, description="The file has problems; nothing was imported"
            ),
        },
    )
    async def import_map(
        self,
        request: Req,
        data: JSONBody[dict[str, Any]],
        db_session: DbSession,
        state: State,
        lang: Locale,
    ) -> Response[ImportReport]:
        settings = state.settings
        try:
            result = await import_grid_map(
                db_session,
                data,
                segments=settings.code_segments,
                tolerance_m=settings.containment_tolerance_m,
            )
        except GridMapInvalid as invalid:
            await db_session.rollback()
            problems = [ImportProblem(**p.render(lang)) for p in invalid.problems]  # type: ignore[arg-type]
            return Response(
                ImportReport(ok=False, created={}, updated={}, problems=problems), status_code=422
            )
        AuditService(db_session).record(
            request.user.id,
            "grid_map.import",
            "grid_map",
            None,
            client_ip=client_ip(request),
            created=result.created,
            updated=result.updated,
        )
        return Response(
            ImportReport(ok=True, created=result.created, updated=result.updated, problems=[])
        )

    @get(
        "/grid-maps/export",
        guards=[requires_role(Role.system_admin)],
        summary="Export the grid map (GeoJSON)",
        responses=error_responses(401, 403),
    )
    async def export_map(self, db_session: DbSession) -> dict[str, Any]:
        return await export_grid_map(db_session)
