"""People of the grid.

A *resident* 居民 is a record kept by the community (many elderly residents
never log in); one may be linked to a user account. Volunteers, grid workers
and staff are users with roles (:mod:`server.accounts`); their profiles here add
trades, availability and party membership. Every resident row stores the
scope ids of their building, so the one scope rule applies to them.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, TimestampMixin, utcnow
from server.grids.models import InCommunity, InGrid
from server.lib.crypto import blind_index, seal

__all__ = [
    "CARE_TAGS",
    "TRADES",
    "Household",
    "NotifyVia",
    "PartyMember",
    "PartyMemberKind",
    "Resident",
    "ServiceGroup",
    "ServiceGroupMember",
    "VolunteerHours",
    "VolunteerOrg",
    "VolunteerOrgMember",
    "VolunteerProfile",
]

# Defaults; a deployment adds its own in LINLI_CARE_TAGS / LINLI_TRADES (server/people/vocabulary.py).
CARE_TAGS = (
    "elderly_alone",  # 独居老人
    "disabled",  # 残疾
    "low_income",  # 低保
    "left_behind_child",  # 留守儿童
    "serious_illness",  # 重病
    "empty_nest",  # 空巢老人
    "veteran",  # 退役军人
)
TRADES = ("teacher", "doctor", "cook", "barber", "electrician", "plumber", "lawyer", "nurse")


class NotifyVia(enum.StrEnum):
    push = "push"
    sms = "sms"
    both = "both"


class Household(InGrid, TimestampMixin, Base):
    """户: one dwelling in a building."""

    __tablename__ = "households"
    __table_args__ = (UniqueConstraint("building_id", "unit", name="uq_households_building_unit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    unit: Mapped[str] = mapped_column(String(40))  # e.g. 2单元301


class Resident(InGrid, TimestampMixin, Base):
    """居民: a person living in the grid, as the community office knows them."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20), index=True, default=None)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id"), index=True, default=None
    )
    unit: Mapped[str] = mapped_column(String(40), default="")
    birth_year: Mapped[int | None] = mapped_column(default=None)
    # Minors' details are never shown on any board.
    is_minor: Mapped[bool] = mapped_column(Boolean, default=False)
    care_tags: Mapped[list[str]] = mapped_column(default=list)
    # Sealed with AES-GCM (server.lib.crypto); kept only if the office needs it.
    id_number_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # A keyed hash of the number (server.lib.crypto.blind_index): the window finds a
    # person by the ID card they hand over without the number being stored in the clear.
    id_number_index: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), unique=True, index=True, default=None
    )
    notify_via: Mapped[NotifyVia] = mapped_column(
        Enum(NotifyVia, native_enum=False, length=10), default=NotifyVia.both
    )
    locale: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    # When they are home for a staggered-hour visit: "noon", "evening" or None (either).
    visit_window: Mapped[str | None] = mapped_column(String(10), default=None)

    def set_id_number(self, number: str | None) -> None:
        """Keep an ID number (normalised, checked by the caller) sealed and findable."""
        self.id_number_sealed = seal(number) if number else None
        self.id_number_index = id_number_index(number) if number else None


def id_number_index(number: str) -> str:
    """The keyed hash an ID number is found by (upper-case X, no blanks)."""
    return blind_index(number.replace(" ", "").upper(), purpose=b"resident-id-number")


class VolunteerProfile(TimestampMixin, Base):
    """A volunteer's trades and the hours of the week they can help."""

    __tablename__ = "volunteer_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    trades: Mapped[list[str]] = mapped_column(default=list)
    # [{"weekday": 0-6 (Monday 0), "start": "18:00", "end": "20:00"}, …]
    availability: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id"), index=True, default=None
    )


class PartyMemberKind(enum.StrEnum):
    in_service = "in_service"  # 在职党员 (reports to their residential community)
    retired = "retired"  # 离退休党员
    activist = "activist"  # 入党积极分子


class PartyMember(TimestampMixin, Base):
    __tablename__ = "party_members"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[PartyMemberKind] = mapped_column(
        Enum(PartyMemberKind, native_enum=False, length=20)
    )
    party_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_orgs.id"), index=True, default=None
    )
    # 在职党员进社区报到: the residential community they reported to, and when.
    reported_community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id"), index=True, default=None
    )
    reported_at: Mapped[datetime | None] = mapped_column(default=None)


class ServiceGroup(InCommunity, TimestampMixin, Base):
    """网格为民服务组: one per grid, led by a community staff member."""

    __tablename__ = "service_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    leader_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class ServiceGroupMember(Base):
    __tablename__ = "service_group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("service_groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    trade: Mapped[str | None] = mapped_column(String(30), default=None)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class VolunteerOrg(InCommunity, TimestampMixin, Base):
    """志愿服务组织: a volunteer team with a leader, based in a community."""

    __tablename__ = "volunteer_orgs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    leader_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class VolunteerOrgMember(Base):
    __tablename__ = "volunteer_org_members"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_orgs.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class VolunteerHours(InCommunity, Base):
    """志愿服务时长: hours credited when a volunteer's wish or task is confirmed.

    One row per (source, person): confirming twice credits once.
    """

    __tablename__ = "volunteer_hours"
    __table_args__ = (
        UniqueConstraint(
            "source_type", "source_id", "user_id", name="uq_volunteer_hours_source_user"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    source_type: Mapped[str] = mapped_column(String(20))  # "wish", later "visit", "task"
    source_id: Mapped[int] = mapped_column()
    credited_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True, default=None)
