"""Users and role assignments.

A role is bound to at most one unit of the grid (a grid, a community or a
sub-district); a person can hold several roles. The ancestors of the unit are
stored with it, so the scope of a role is three id columns, like every scoped
table.
"""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, CheckConstraint, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, TimestampMixin

__all__ = [
    "ADMIN_ROLES",
    "CAPABILITIES",
    "OFFICE_ROLES",
    "SCOPE_LEVEL_OF_ROLE",
    "STAFF_ROLES",
    "Role",
    "RoleAssignment",
    "User",
]


class Role(enum.StrEnum):
    resident = "resident"  # 居民
    volunteer = "volunteer"  # 志愿者
    grid_worker = "grid_worker"  # 网格员
    community_staff = "community_staff"  # 社区工作人员 (window clerks included)
    community_admin = "community_admin"  # 社区管理员
    subdistrict_admin = "subdistrict_admin"  # 街道管理员
    system_admin = "system_admin"  # 系统管理员


# The level of the grid each role is bound to (None: bound to nothing).
SCOPE_LEVEL_OF_ROLE: dict[Role, str | None] = {
    Role.resident: None,
    Role.volunteer: "community",
    Role.grid_worker: "grid",
    Role.community_staff: "community",
    Role.community_admin: "community",
    Role.subdistrict_admin: "sub_district",
    Role.system_admin: None,
}

STAFF_ROLES = frozenset(
    {
        Role.grid_worker,
        Role.community_staff,
        Role.community_admin,
        Role.subdistrict_admin,
        Role.system_admin,
    }
)

# The community office and above: moderate wishes, register caring businesses.
OFFICE_ROLES = (
    Role.community_staff,
    Role.community_admin,
    Role.subdistrict_admin,
    Role.system_admin,
)


# Administrators: who change settings, grant roles below their own and import people.
ADMIN_ROLES = frozenset({Role.community_admin, Role.subdistrict_admin, Role.system_admin})

# What a person may do, by role, as the PWA is told it (``/api/v1/me``'s ``can``): the
# services enforce each with the same role groups and the scope rule, the PWA only
# chooses which screens to offer from it. Volunteers claim where they serve, party
# members where they reported: ``party_member`` in /me, the claim options per board.
CAPABILITIES: dict[str, frozenset[Role]] = {
    "wish.post": frozenset({Role.resident}),
    "wish.post_for_resident": STAFF_ROLES,
    "wish.moderate": frozenset(OFFICE_ROLES),
    "wish.stats": frozenset(OFFICE_ROLES),
    "wish.board": STAFF_ROLES | {Role.volunteer},
    "wish.claim": frozenset({Role.volunteer}),
    "people.manage": frozenset(OFFICE_ROLES),
    "businesses.manage": frozenset(OFFICE_ROLES),
    "notify.quiet_hours": ADMIN_ROLES,
    "visit.day": STAFF_ROLES,
    # Give the weekly hours one can go out on visits: the people the weekly plan sends out.
    "visit.hours": frozenset({Role.grid_worker, Role.community_staff}),
    "visit.coverage": frozenset(OFFICE_ROLES),
    "visit.plan": frozenset(OFFICE_ROLES),
    # Review the visit records phones sent that could not be applied (kept reports).
    "visit.review": frozenset(OFFICE_ROLES),
    "visit.settings": ADMIN_ROLES,
    # Service cases 民意快线: report one's own, take in for others (and the inbox), the
    # office's list, the catalogue and working hours.
    "case.report": frozenset({Role.resident}),
    "case.take_in": STAFF_ROLES,
    "case.office": frozenset(OFFICE_ROLES),
    "case.settings": ADMIN_ROLES,
    # 三公开: the office writes its commitments and the residents' evaluation (the level
    # above's evaluation is checked by area in server/disclosure).
    "disclosure.edit": frozenset(OFFICE_ROLES),
    # The case boards 案件统计 of one's grids, community or sub-district (the scope rule).
    "case.board": STAFF_ROLES,
    # The window terminal 办事窗口: the day's queue, looking a walk-in up, intake for them.
    "window.serve": frozenset(OFFICE_ROLES),
    "window.settings": ADMIN_ROLES,
    # Open311 api_keys: who may post requests through /open311/v2/.
    "open311.keys": frozenset({Role.system_admin}),
}


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where a resident lives: fixes their grid, community and sub-district.
    home_building_id: Mapped[int | None] = mapped_column(
        ForeignKey("buildings.id"), index=True, default=None
    )


class RoleAssignment(TimestampMixin, Base):
    __tablename__ = "role_assignments"
    __table_args__ = (
        UniqueConstraint(
            "user_id", "role", "scope_code", name="uq_role_assignments_user_role_scope"
        ),
        CheckConstraint(
            "(grid_id IS NULL OR community_id IS NOT NULL)"
            " AND (community_id IS NULL OR sub_district_id IS NOT NULL)",
            name="scope_chain_complete",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=30))
    # Free text shown with the role, e.g. 窗口受理员 (window clerk) for community staff.
    title: Mapped[str | None] = mapped_column(String(50), default=None)
    # The code of the unit ("" for unbound roles): keeps the unique key free of NULLs.
    scope_code: Mapped[str] = mapped_column(String(32), default="")
    sub_district_id: Mapped[int | None] = mapped_column(
        ForeignKey("sub_districts.id"), index=True, default=None
    )
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id"), index=True, default=None
    )
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True, default=None)
