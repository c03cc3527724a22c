"""Service cases 民意快线: the service catalogue 服务事项 (categories and items), communities'
working hours, the cases and their history."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, TimestampMixin, utcnow
from server.grids.models import InGrid

__all__ = [
    "Case",
    "CaseCounter",
    "CaseEvent",
    "CaseState",
    "Channel",
    "CloseLevel",
    "CommunityWorkHours",
    "FieldKind",
    "HandlingMode",
    "ServiceCategory",
    "ServiceItem",
]


class CloseLevel(enum.StrEnum):
    """Who may close a case of the item: the grid, the community, the sub-district, or a
    department (职能部门) named on the item with its liaison 联络员."""

    grid = "grid"
    community = "community"
    sub_district = "sub_district"
    department = "department"


class HandlingMode(enum.StrEnum):
    on_the_spot = "on_the_spot"  # 即办: done while the resident waits
    by_proxy = "by_proxy"  # 代办: staff do it for the resident
    accompanied = "accompanied"  # 领办: staff go with the resident


class FieldKind(enum.StrEnum):
    text = "text"
    number = "number"
    date = "date"
    choice = "choice"


class ServiceCategory(TimestampMixin, Base):
    """A group of items (民政, 社保, 医保 …), names as the grid areas store theirs:
    ``name`` in Simplified Chinese, ``name_i18n`` the other locales."""

    __tablename__ = "service_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    name_i18n: Mapped[dict[str, str]] = mapped_column(default=dict)
    position: Mapped[int] = mapped_column(default=0)


class ServiceItem(TimestampMixin, Base):
    """One service item 服务事项: who closes it, how fast (working hours), how it is
    handled, and the extra fields intake fills in (``fields``: a list of
    ``{key, kind, label: {locale: text}, required, choices: [{value, label}]}``)."""

    __tablename__ = "service_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("service_categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    name_i18n: Mapped[dict[str, str]] = mapped_column(default=dict)
    close_level: Mapped[CloseLevel] = mapped_column(Enum(CloseLevel, native_enum=False, length=20))
    # A department's name (zh_Hans) and other locales, its liaison and their work phone.
    department: Mapped[str | None] = mapped_column(String(60), default=None)
    department_i18n: Mapped[dict[str, str]] = mapped_column(default=dict)
    liaison: Mapped[str | None] = mapped_column(String(50), default=None)
    liaison_phone: Mapped[str | None] = mapped_column(String(20), default=None)
    deadline_hours: Mapped[int] = mapped_column()
    mode: Mapped[HandlingMode] = mapped_column(Enum(HandlingMode, native_enum=False, length=20))
    fields: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(default=0)


class CommunityWorkHours(TimestampMixin, Base):
    """A community's working periods of the day (local time), where they are not the
    default 08:30–12:00 and 14:00–17:30: ``periods`` as ``[["08:30", "12:00"], …]``."""

    __tablename__ = "community_work_hours"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    periods: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class CaseState(enum.StrEnum):
    received = "received"  # 待受理
    accepted = "accepted"  # 已受理 (waiting to be dispatched at its level)
    rejected = "rejected"  # 不予受理
    dispatched = "dispatched"  # 已派单
    in_progress = "in_progress"  # 办理中
    resolved = "resolved"  # 已办结 (waiting to be verified)
    closed = "closed"  # 已关闭 (verified)
    merged = "merged"  # 已合并 (into another case)


class Channel(enum.StrEnum):
    resident_app = "resident_app"
    patrol = "patrol"  # 网格员巡查
    visit = "visit"  # 走访
    window = "window"  # 窗口
    hotline = "hotline"  # 热线
    sms = "sms"
    email = "email"
    open311 = "open311"


class CaseCounter(Base):
    """The last case number given in a year (numbers are ``2026-000123``, city-wide)."""

    __tablename__ = "case_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class Case(InGrid, TimestampMixin, Base):
    """A service case: who reported what, where, and where it is in its life
    (:mod:`server.cases.rules`)."""

    __tablename__ = "cases"
    __table_args__ = (
        # A community's list, newest first; by state; the deadline chore.
        Index("ix_cases_community_newest", "community_id", "id"),
        Index("ix_cases_community_state", "community_id", "state", "id"),
        Index("ix_cases_open_due", "state", "due_at"),
        # The boards: a unit's cases received in a period.
        Index("ix_cases_community_created", "community_id", "created_at"),
        Index("ix_cases_sub_district_created", "sub_district_id", "created_at"),
        # The board's 90th percentile reads a few closed cases of one bin of handling
        # hours, a sub-district's or a community's (server/boards/tally.py); PostgreSQL
        # from these indexes alone.
        Index(
            "ix_cases_sub_district_hours",
            "sub_district_id",
            "handling_hours",
            postgresql_include=["created_at", "state", "closed_at"],
        ),
        Index(
            "ix_cases_community_hours",
            "community_id",
            "handling_hours",
            postgresql_include=["created_at", "state", "closed_at"],
        ),
        Index("ix_cases_grid_created", "grid_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_items.id"), index=True, default=None
    )
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=20))
    # The reporter: an account, a resident of the register, and/or a bare contact whose
    # address is sealed (as the outbox keeps addresses) with a keyed hash to find it by.
    reporter_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), index=True, default=None
    )
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id"), index=True, default=None
    )
    contact_phone_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    contact_email_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    contact_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    # Staff who took it in for the reporter (window, hotline, visit, patrol), with consent.
    taken_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    consent_note: Mapped[str | None] = mapped_column(String(200), default=None)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[Any | None] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=True), nullable=True, default=None
    )
    photos: Mapped[list[str]] = mapped_column(default=list)  # media keys the reporter uploaded
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[CaseState] = mapped_column(
        Enum(CaseState, native_enum=False, length=20), index=True
    )
    version: Mapped[int] = mapped_column(default=1)
    # Where it is handled now: grid → community → sub-district → department.
    level: Mapped[CloseLevel] = mapped_column(
        Enum(CloseLevel, native_enum=False, length=20), default=CloseLevel.grid
    )
    assignee_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), index=True, default=None
    )
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    reject_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    resolution: Mapped[str | None] = mapped_column(Text, default=None)
    resolution_photo: Mapped[str | None] = mapped_column(String(80), default=None)
    satisfaction: Mapped[int | None] = mapped_column(default=None)  # 1 满意 2 基本满意 3 不满意
    extension_hours: Mapped[int | None] = mapped_column(default=None)  # asked, not yet approved
    extension_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    reworks: Mapped[int] = mapped_column(default=0)
    returns: Mapped[int] = mapped_column(default=0)  # returned or transferred
    escalations: Mapped[int] = mapped_column(default=0)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None)
    # Written when it closes (cleared when reopened), for the boards (server/boards/): the
    # working hours from intake to closing in its community's calendar, and whether it was
    # resolved by its deadline (extensions approved count) without ever running past one.
    handling_hours: Mapped[float | None] = mapped_column(Float, default=None)
    on_time: Mapped[bool | None] = mapped_column(Boolean, default=None)
    # Set by the deadline watch when the case ran past a deadline (it then gets fresh time
    # one level up, so ``due_at`` alone no longer shows it was late).
    deadline_missed: Mapped[bool] = mapped_column(Boolean, default=False)


class CaseEvent(Base):
    """One change in a case's history (a transition, a supervision note, an extension)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[CaseState | None] = mapped_column(
        Enum(CaseState, native_enum=False, length=20), default=None
    )
    to_state: Mapped[CaseState] = mapped_column(Enum(CaseState, native_enum=False, length=20))
    note: Mapped[str | None] = mapped_column(String(500), default=None)
