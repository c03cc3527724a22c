"""Wishes and their history."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, TimestampMixin, utcnow
from server.grids.models import InGrid
from server.wishes.states import State

__all__ = ["ClaimantKind", "Wish", "WishCategory", "WishEvent"]


class WishCategory(enum.StrEnum):
    daily_help = "daily_help"  # 生活帮扶
    repair = "repair"  # 维修
    health = "health"  # 健康
    study = "study"  # 学习 (四点半课堂)
    companionship = "companionship"  # 陪伴
    goods = "goods"  # 物品
    other = "other"


class ClaimantKind(enum.StrEnum):
    volunteer = "volunteer"
    party_member = "party_member"
    service_group = "service_group"
    business = "business"  # 爱心商户 (a storefront)


class Wish(InGrid, TimestampMixin, Base):
    __tablename__ = "wishes"
    # The public board: a community's wishes in one state, newest first.
    __table_args__ = (Index("ix_wishes_board", "community_id", "state", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No longer written (the Idempotency-Key header makes a retried post safe). Kept: on
    # SpatiaLite a UNIQUE column cannot be dropped without rebuilding this table and its
    # registered geometry; a later migration that rebuilds wishes anyway will drop it.
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    title: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[WishCategory] = mapped_column(Enum(WishCategory, native_enum=False, length=20))
    # Moderation may edit personal details out; the resident's own words are kept.
    original_title: Mapped[str | None] = mapped_column(String(60), default=None)
    original_description: Mapped[str | None] = mapped_column(Text, default=None)
    photo: Mapped[str | None] = mapped_column(String(80), index=True, default=None)  # media key
    state: Mapped[State] = mapped_column(Enum(State, native_enum=False, length=20), index=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    posted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # Posted by a grid worker or window clerk for the resident: their consent, recorded.
    on_behalf: Mapped[bool] = mapped_column(default=False)
    consent_note: Mapped[str | None] = mapped_column(String(200), default=None)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), default=None)
    location: Mapped[Any] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    reject_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    claimant_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), index=True, default=None
    )
    claimant_kind: Mapped[ClaimantKind | None] = mapped_column(
        Enum(ClaimantKind, native_enum=False, length=20), default=None
    )
    claimant_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_groups.id"), default=None
    )
    claimant_storefront_id: Mapped[int | None] = mapped_column(
        ForeignKey("storefronts.id"), default=None
    )
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    fulfilled_at: Mapped[datetime | None] = mapped_column(default=None)
    proof_note: Mapped[str | None] = mapped_column(Text, default=None)
    proof_photo: Mapped[str | None] = mapped_column(String(80), index=True, default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    thanks: Mapped[str | None] = mapped_column(String(200), default=None)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # Bumped by every transition: a stale client cannot overwrite a newer state.
    version: Mapped[int] = mapped_column(default=1)


class WishEvent(Base):
    """One transition in a wish's history."""

    __tablename__ = "wish_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wish_id: Mapped[int] = mapped_column(ForeignKey("wishes.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    action: Mapped[str] = mapped_column(String(20))  # Action value, or "post" / "edit"
    from_state: Mapped[State | None] = mapped_column(
        Enum(State, native_enum=False, length=20), default=None
    )
    to_state: Mapped[State] = mapped_column(Enum(State, native_enum=False, length=20))
    note: Mapped[str | None] = mapped_column(String(200), default=None)
