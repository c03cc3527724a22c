"""Queries over the grid: locate a point or building, the map of a scope, area listings.

The SQL of locate lives in :mod:`server.grids.sql`; the request hot path runs it
through :mod:`server.grids.locator`, and code inside a transaction through
:meth:`GridService.locate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from server.accounts.scope import Scope
from server.accounts.services import CurrentUser
from server.grids.models import Building, Community, Grid, PartyOrg, Storefront, SubDistrict
from server.grids.schemas import AreaRef, AreaSummary, BuildingMatch, GridChain
from server.grids.sql import LOCATE_POSTGIS, LOCATE_SPATIALITE
from server.lib.errors import Forbidden, NotFound
from server.lib.i18n import N_, localised_name
from server.lib.text import like_escape

__all__ = ["GridService", "chain_of"]


def chain_of(row: dict[str, Any] | None, locale: str) -> GridChain:
    """A located row (columns of :mod:`server.grids.sql`) as names; NotFound for None."""
    if row is None:
        raise NotFound(N_("This location is not inside any grid"), error_code="outside_grid")

    def ref(level: str) -> AreaRef:
        code, name, i18n = row[f"{level}_code"], row[f"{level}_name"], row[f"{level}_i18n"]
        return AreaRef(code=code, name=localised_name(name, i18n, locale))

    return GridChain(sub_district=ref("s"), community=ref("c"), grid=ref("g"))


class GridService:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale

    def _ref(self, code: str, name: str, i18n: Any) -> AreaRef:
        return AreaRef(code=code, name=localised_name(name, i18n, self.locale))

    async def community(self, code: str, scope: Scope | None = None) -> Community:
        """The community with this code; NotFound when there is none or it is outside ``scope``."""
        community = await self.session.scalar(
            select(Community).where(Community.code == code).options(defer(Community.boundary))
        )
        if community is None or (scope is not None and not scope.covers(community)):
            raise NotFound(N_("No community has code {code}"), code=code)
        return community

    async def locate(self, lon: float, lat: float) -> GridChain:
        """The grid chain containing (lon, lat); NotFound when outside every grid."""
        is_sqlite = self.session.get_bind().dialect.name == "sqlite"
        query = text(LOCATE_SPATIALITE if is_sqlite else LOCATE_POSTGIS)
        row = (await self.session.execute(query, {"lon": lon, "lat": lat})).mappings().first()
        return chain_of(dict(row) if row else None, self.locale)

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

        def area(level: str, row: Any, **props: Any) -> None:
            name = localised_name(row.name, row.name_i18n, self.locale)
            add(level, row.boundary, code=row.code, name=name, **props)

        for sd in await self._scoped(SubDistrict, scope):
            area("sub_district", sd)
        for c in await self._scoped(Community, scope):
            area("community", c)
        for g in await self._scoped(Grid, scope):
            area("grid", g, kind=g.kind.value)
        if with_buildings:
            for b in await self._scoped(Building, scope):
                add(
                    "building",
                    b.location,
                    code=b.code,
                    name=b.name,
                    address=b.address,
                    households=b.households,
                )
            for st in await self._scoped(Storefront, scope):
                add(
                    "storefront",
                    st.location,
                    code=st.code,
                    name=st.name,
                    address=st.address,
                    trade=st.trade,
                )
        return {"type": "FeatureCollection", "features": features}

    async def find_buildings(self, scope: Scope, text: str, limit: int = 20) -> list[BuildingMatch]:
        """Buildings in ``scope`` whose code starts with ``text`` or whose name or address holds it.

        For the register form's lookup: staff pick the building instead of typing its code blind.
        """
        if scope.is_empty:
            raise Forbidden(N_("Your role does not allow this"))
        needle = text.strip()
        pattern = like_escape(needle)
        matches = or_(
            Building.code.like(f"{pattern.upper()}%", escape="\\"),
            Building.name.like(f"%{pattern}%", escape="\\"),
            Building.address.like(f"%{pattern}%", escape="\\"),
        )
        rows = await self.session.execute(
            select(Building, Grid)
            .join(Grid, Grid.id == Building.grid_id)
            .where(scope.clause(Building), matches)
            .order_by(Building.code)
            .limit(limit)
        )
        return [
            BuildingMatch(
                code=b.code,
                name=b.name,
                address=b.address,
                households=b.households,
                grid_code=g.code,
                grid=localised_name(g.name, g.name_i18n, self.locale),
            )
            for b, g in rows.all()
        ]

    async def _scoped(self, model: Any, scope: Scope) -> Sequence[Any]:
        query = select(model).where(scope.clause(model)).order_by(model.code)
        return (await self.session.scalars(query)).all()

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
