"""The service catalogue 服务事项: categories and the items a case is about."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, TimestampMixin

__all__ = [
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
