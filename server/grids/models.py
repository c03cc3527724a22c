"""Areas of the three-level grid, their buildings, storefronts and party organisations.

Every row below the sub-district stores the ids of all its ancestors
(``sub_district_id``, ``community_id``, ``grid_id``), computed once on import,
so that the one scope rule (:mod:`server.accounts.scope`) applies to any table
by the same three columns.
"""

from __future__ import annotations

import enum
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, TimestampMixin

__all__ = [
    "Building",
    "Community",
    "Grid",
    "GridKind",
    "InCommunity",
    "InGrid",
    "InGridUnindexed",
    "Level",
    "PartyOrg",
    "PartyOrgKind",
    "Storefront",
    "SubDistrict",
    "placed_in",
]


class Level(enum.StrEnum):
    sub_district = "sub_district"
    community = "community"
    grid = "grid"


class GridKind(enum.StrEnum):
    building_block = "building_block"  # 楼栋网格
    storefront = "storefront"  # 门店网格


class PartyOrgKind(enum.StrEnum):
    party_working_committee = "party_working_committee"  # 街道党工委
    party_branch = "party_branch"  # 社区党支部
    party_group = "party_group"  # 楼栋/门店党小组


def _area(geometry_type: str) -> Any:
    return mapped_column(Geometry(geometry_type, srid=4326, spatial_index=True), nullable=False)


class InCommunity:
    """A row that sits in a community: its ``sub_district_id`` and ``community_id``.

    With :class:`InGrid` the one place that says where a row sits in the grid (the
    columns the scope rule reads); :func:`placed_in` fills them from where it is.
    """

    sub_district_id: Mapped[int] = mapped_column(ForeignKey("sub_districts.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)

    @classmethod
    def placed_in(cls, source: Any) -> dict[str, int | None]:
        """This table's scope columns for a row sitting where ``source`` is."""
        return {k: v for k, v in placed_in(source).items() if k in _PLACEMENT[cls._level]}

    _level = "community"


class InGrid(InCommunity):
    """A row that sits in a grid: ``sub_district_id``, ``community_id`` and ``grid_id``."""

    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), index=True)

    _level = "grid"


class InGridUnindexed(InGrid):
    """:class:`InGrid` for a table written at a high rate and never read by place alone
    (visits, the reports phones sync): the same three columns, without an index each
    (every index is written for every row)."""

    sub_district_id: Mapped[int] = mapped_column(ForeignKey("sub_districts.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"))


_PLACEMENT = {
    "community": ("sub_district_id", "community_id"),
    "grid": ("sub_district_id", "community_id", "grid_id"),
}


def placed_in(source: Any) -> dict[str, int | None]:
    """The three scope columns of a row that sits where ``source`` is: an area (a
    sub-district, community or grid: the area itself) or any row that carries the
    columns (a building, a resident, a parent row, a role's grant)."""
    if isinstance(source, SubDistrict):
        return {"sub_district_id": source.id, "community_id": None, "grid_id": None}
    if isinstance(source, Community):
        return {
            "sub_district_id": source.sub_district_id,
            "community_id": source.id,
            "grid_id": None,
        }
    if isinstance(source, Grid):
        return {
            "sub_district_id": source.sub_district_id,
            "community_id": source.community_id,
            "grid_id": source.id,
        }
    return {
        "sub_district_id": source.sub_district_id,
        "community_id": getattr(source, "community_id", None),
        "grid_id": getattr(source, "grid_id", None),
    }


class SubDistrict(TimestampMixin, Base):
    """街道: the sub-district office and its party working committee."""

    __tablename__ = "sub_districts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_i18n: Mapped[dict[str, str]] = mapped_column(default=dict)
    boundary: Mapped[Any] = _area("MULTIPOLYGON")


class Community(TimestampMixin, Base):
    """社区: the community service centre and its party branch."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_i18n: Mapped[dict[str, str]] = mapped_column(default=dict)
    sub_district_id: Mapped[int] = mapped_column(ForeignKey("sub_districts.id"), index=True)
    boundary: Mapped[Any] = _area("MULTIPOLYGON")


class Grid(InCommunity, TimestampMixin, Base):
    """网格: a building-block or storefront grid, with its grid worker and party group."""

    __tablename__ = "grids"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_i18n: Mapped[dict[str, str]] = mapped_column(default=dict)
    kind: Mapped[GridKind] = mapped_column(
        Enum(GridKind, native_enum=False, length=20), default=GridKind.building_block
    )
    boundary: Mapped[Any] = _area("MULTIPOLYGON")


class Building(InGrid, TimestampMixin, Base):
    """楼栋: a residential building, located by a point and optionally its footprint."""

    __tablename__ = "buildings"
    __table_args__ = (CheckConstraint("households >= 0", name="households_non_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="")
    households: Mapped[int] = mapped_column(default=0)
    floors: Mapped[int | None] = mapped_column(default=None)
    location: Mapped[Any] = _area("POINT")
    footprint: Mapped[Any | None] = mapped_column(
        Geometry("POLYGON", srid=4326, spatial_index=False), nullable=True
    )


class Storefront(InGrid, TimestampMixin, Base):
    """门店: a shop in a storefront grid (later: a caring business 爱心商户)."""

    __tablename__ = "storefronts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="")
    trade: Mapped[str | None] = mapped_column(String(40), default=None)
    location: Mapped[Any] = _area("POINT")


class PartyOrg(TimestampMixin, Base):
    """The party organisation of one level: 党工委 (sub-district), 党支部 (community), 党小组 (grid).

    Exactly one of the three level columns that matches ``level`` is the unit
    it belongs to; the ancestors are filled in as on every scoped table.
    """

    __tablename__ = "party_orgs"
    __table_args__ = (
        CheckConstraint(
            "(level = 'sub_district' AND community_id IS NULL AND grid_id IS NULL)"
            " OR (level = 'community' AND community_id IS NOT NULL AND grid_id IS NULL)"
            " OR (level = 'grid' AND community_id IS NOT NULL AND grid_id IS NOT NULL)",
            name="level_matches_unit",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[Level] = mapped_column(Enum(Level, native_enum=False, length=20))
    kind: Mapped[PartyOrgKind] = mapped_column(Enum(PartyOrgKind, native_enum=False, length=30))
    name: Mapped[str] = mapped_column(String(100))
    sub_district_id: Mapped[int] = mapped_column(ForeignKey("sub_districts.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id"), index=True, default=None
    )
    grid_id: Mapped[int | None] = mapped_column(
        ForeignKey("grids.id"), index=True, unique=True, default=None
    )
