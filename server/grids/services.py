"""Queries over the grid: locate a point, the map of a scope, area listings.

Locate runs on the spatial index of each engine. PostGIS plans ``ST_Intersects``
through the GiST index by itself; SpatiaLite never uses its R*Tree unless the
query names it, so its query first narrows to the candidates whose bounding box
holds the point (``idx_grids_boundary``) and only then tests the polygons.
"""

from __future__ import annotations

from typing import Any

from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.scope import Scope
from server.accounts.services import CurrentUser
from server.grids.models import Building, Community, Grid, PartyOrg, Storefront, SubDistrict
from server.grids.schemas import AreaRef, AreaSummary, GridChain
from server.lib.errors import NotFound
from server.lib.i18n import N_, localised_name

__all__ = ["GridService"]

_LOCATE_SPATIALITE = text(
    """
    SELECT g.code AS g_code, g.name AS g_name, g.name_i18n AS g_i18n,
           c.code AS c_code, c.name AS c_name, c.name_i18n AS c_i18n,
           s.code AS s_code, s.name AS s_name, s.name_i18n AS s_i18n
    FROM grids AS g
    JOIN communities AS c ON c.id = g.community_id
    JOIN sub_districts AS s ON s.id = g.sub_district_id
    WHERE g.id IN (
        SELECT pkid FROM idx_grids_boundary
        WHERE xmin <= :lon AND xmax >= :lon AND ymin <= :lat AND ymax >= :lat
    )
    AND ST_Intersects(g.boundary, MakePoint(:lon, :lat, 4326)) = 1
    ORDER BY g.id
    LIMIT 1
    """
)

_LOCATE_POSTGIS = text(
    """
    SELECT g.code AS g_code, g.name AS g_name, g.name_i18n AS g_i18n,
           c.code AS c_code, c.name AS c_name, c.name_i18n AS c_i18n,
           s.code AS s_code, s.name AS s_name, s.name_i18n AS s_i18n
    FROM grids AS g
    JOIN communities AS c ON c.id = g.community_id
    JOIN sub_districts AS s ON s.id = g.sub_district_id
    WHERE ST_Intersects(g.boundary, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
    ORDER BY g.id
    LIMIT 1
    """
)


class GridService:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale

    def _ref(self, code: str, name: str, i18n: Any) -> AreaRef:
        return AreaRef(code=code, name=localised_name(name, i18n, self.locale))

    async def locate(self, lon: float, lat: float) -> GridChain:
        """The grid chain containing (lon, lat); NotFound when outside every grid."""
        is_sqlite = self.session.get_bind().dialect.name == "sqlite"
        query = _LOCATE_SPATIALITE if is_sqlite else _LOCATE_POSTGIS
        row = (await self.session.execute(query, {"lon": lon, "lat": lat})).first()
        if row is None:
            raise NotFound(N_("This location is not inside any grid"), error_code="outside_grid")
        return GridChain(
            sub_district=self._ref(row.s_code, row.s_name, row.s_i18n),
            community=self._ref(row.c_code, row.c_name, row.c_i18n),
            grid=self._ref(row.g_code, row.g_name, row.g_i18n),
        )

    async def locate_building(self, code: str) -> GridChain:
        row = (
            await self.session.execute(
                select(Building, Grid, Community, SubDistrict)
                .join(Grid, Grid.id == Building.grid_id)
                .join(Community, Community.id == Building.community_id)
                .join(SubDistrict, SubDistrict.id == Building.sub_district_id)
                .where(Building.code == code)
            )
        ).first()
        if row is None:
            raise NotFound(
                N_("No building has code {code}"), error_code="unknown_building", code=code
            )
        b, g, c, s = row
        return GridChain(
            sub_district=self._ref(s.code, s.name, s.name_i18n),
            community=self._ref(c.code, c.name, c.name_i18n),
            grid=self._ref(g.code, g.name, g.name_i18n),
            building=AreaRef(code=b.code, name=b.name),
        )

    async def map(self, user: CurrentUser, *, with_buildings: bool = True) -> dict[str, Any]:
        """GeoJSON of the areas (and buildings, storefronts) the user may see.

        Staff see their scope; residents and volunteers see the community they
        live in or serve.
        """
        scope = user.scope
        if scope.is_empty:
            scope = Scope(user_id=user.id, community_ids=user.community_ids())
        features: list[dict[str, Any]] = []

        def add(level: str, geom: Any, **props: Any) -> None:
            features.append(
                {
                    "type": "Feature",
                    "geometry": mapping(to_shape(geom)),
                    "properties": {"level": level, **props},
                }
            )

        for sd in (
            await self.session.scalars(
                select(SubDistrict).where(scope.clause(SubDistrict)).order_by(SubDistrict.code)
            )
        ).all():
            add(
                "sub_district",
                sd.boundary,
                code=sd.code,
                name=localised_name(sd.name, sd.name_i18n, self.locale),
            )
        communities = (
            await self.session.scalars(
                select(Community).where(scope.clause(Community)).order_by(Community.code)
            )
        ).all()
        for c in communities:
            add(
                "community",
                c.boundary,
                code=c.code,
                name=localised_name(c.name, c.name_i18n, self.locale),
            )
        for g in (
            await self.session.scalars(select(Grid).where(scope.clause(Grid)).order_by(Grid.code))
        ).all():
            add(
                "grid",
                g.boundary,
                code=g.code,
                name=localised_name(g.name, g.name_i18n, self.locale),
                kind=g.kind.value,
            )
        if with_buildings:
            for b in (
                await self.session.scalars(
                    select(Building).where(scope.clause(Building)).order_by(Building.code)
                )
            ).all():
                add(
                    "building",
                    b.location,
                    code=b.code,
                    name=b.name,
                    address=b.address,
                    households=b.households,
                )
            for s in (
                await self.session.scalars(
                    select(Storefront).where(scope.clause(Storefront)).order_by(Storefront.code)
                )
            ).all():
                add(
                    "storefront",
                    s.location,
                    code=s.code,
                    name=s.name,
                    address=s.address,
                    trade=s.trade,
                )
        return {"type": "FeatureCollection", "features": features}

    async def list_areas(self, scope: Scope, level: str) -> list[AreaSummary]:
        """Areas of one level in scope, with counts of what they hold."""
        if level == "sub_district":
            return await self._sub_districts(scope)
        if level == "community":
            return await self._communities(scope)
        return await self._grids(scope)

    async def _sub_districts(self, scope: Scope) -> list[AreaSummary]:
        rows = await self.session.execute(
            select(SubDistrict, func.count(Community.id))
            .outerjoin(Community, Community.sub_district_id == SubDistrict.id)
            .where(scope.clause(SubDistrict))
            .group_by(SubDistrict.id)
            .order_by(SubDistrict.code)
        )
        party = await self._party("sub_district")
        return [
            AreaSummary(
                level="sub_district",
                code=s.code,
                name=localised_name(s.name, s.name_i18n, self.locale),
                parent_code=None,
                party_org=party.get(s.id),
                children=n,
            )
            for s, n in rows.all()
        ]

    async def _communities(self, scope: Scope) -> list[AreaSummary]:
        sd_code = dict((await self.session.execute(select(SubDistrict.id, SubDistrict.code))).all())
        rows = await self.session.execute(
            select(Community, func.count(Grid.id))
            .outerjoin(Grid, Grid.community_id == Community.id)
            .where(scope.clause(Community))
            .group_by(Community.id)
            .order_by(Community.code)
        )
        party = await self._party("community")
        return [
            AreaSummary(
                level="community",
                code=c.code,
                name=localised_name(c.name, c.name_i18n, self.locale),
                parent_code=sd_code[c.sub_district_id],
                party_org=party.get(c.id),
                children=n,
            )
            for c, n in rows.all()
        ]

    async def _grids(self, scope: Scope) -> list[AreaSummary]:
        cm_code = dict((await self.session.execute(select(Community.id, Community.code))).all())
        rows = await self.session.execute(
            select(Grid, func.count(Building.id), func.coalesce(func.sum(Building.households), 0))
            .outerjoin(Building, Building.grid_id == Grid.id)
            .where(scope.clause(Grid))
            .group_by(Grid.id)
            .order_by(Grid.code)
        )
        party = await self._party("grid")
        return [
            AreaSummary(
                level="grid",
                code=g.code,
                name=localised_name(g.name, g.name_i18n, self.locale),
                parent_code=cm_code[g.community_id],
                party_org=party.get(g.id),
                kind=g.kind.value,
                buildings=n,
                households=int(h),
            )
            for g, n, h in rows.all()
        ]

    async def _party(self, level: str) -> dict[int, str]:
        column = {
            "sub_district": PartyOrg.sub_district_id,
            "community": PartyOrg.community_id,
            "grid": PartyOrg.grid_id,
        }[level]
        rows = await self.session.execute(
            select(column, PartyOrg.name).where(PartyOrg.level == level)
        )
        return {unit: name for unit, name in rows.all() if unit is not None}
