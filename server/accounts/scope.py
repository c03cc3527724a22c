"""The one scope rule: who may see and touch which rows.

Every scoped table carries ``sub_district_id``, ``community_id`` and
``grid_id`` (the ancestors of the thing, computed when it was written). A
person's scope is the union of the units their staff roles are bound to; a row
is in scope when any of its three ids falls in the matching set. Areas
themselves map their own id onto the column of their level. A system
administrator's scope is everything. Services call :meth:`Scope.clause` in
queries and :meth:`Scope.covers` on single objects: there is no other rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from server.accounts.models import STAFF_ROLES, Role

__all__ = ["Scope", "ScopedRow", "scope_columns"]


@dataclass(frozen=True, slots=True)
class ScopedRow:
    sub_district_id: int | None
    community_id: int | None
    grid_id: int | None


@dataclass(frozen=True, slots=True)
class Scope:
    user_id: int
    is_system: bool = False
    sub_district_ids: frozenset[int] = field(default_factory=frozenset)
    community_ids: frozenset[int] = field(default_factory=frozenset)
    grid_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def from_assignments(
        cls, user_id: int, assignments: Iterable[Any], *, staff_only: bool = True
    ) -> Scope:
        """Build from RoleAssignment-like rows (``role`` plus the three id columns).

        With ``staff_only`` (the default) only staff roles widen the scope:
        a volunteer bound to a community sees its public board, not its people.
        """
        sub_districts: set[int] = set()
        communities: set[int] = set()
        grids: set[int] = set()
        is_system = False
        for a in assignments:
            role = Role(a.role)
            if role is Role.system_admin:
                is_system = True
                continue
            if staff_only and role not in STAFF_ROLES:
                continue
            if a.grid_id is not None:
                grids.add(a.grid_id)
            elif a.community_id is not None:
                communities.add(a.community_id)
            elif a.sub_district_id is not None:
                sub_districts.add(a.sub_district_id)
        return cls(
            user_id=user_id,
            is_system=is_system,
            sub_district_ids=frozenset(sub_districts),
            community_ids=frozenset(communities),
            grid_ids=frozenset(grids),
        )

    @property
    def is_empty(self) -> bool:
        return not (self.is_system or self.sub_district_ids or self.community_ids or self.grid_ids)

    def covers(self, row: Any) -> bool:
        """Is this one object (anything with the three id attributes) in scope?"""
        if self.is_system:
            return True
        sd, cm, gr = _row_ids(row)
        return (
            (sd is not None and sd in self.sub_district_ids)
            or (cm is not None and cm in self.community_ids)
            or (gr is not None and gr in self.grid_ids)
        )

    def clause(self, model: Any) -> ColumnElement[bool]:
        """A WHERE clause selecting the rows of ``model`` in scope."""
        if self.is_system:
            return true()
        sd_col, cm_col, gr_col = scope_columns(model)
        parts: list[ColumnElement[bool]] = []
        if sd_col is not None and self.sub_district_ids:
            parts.append(sd_col.in_(sorted(self.sub_district_ids)))
        if cm_col is not None and self.community_ids:
            parts.append(cm_col.in_(sorted(self.community_ids)))
        if gr_col is not None and self.grid_ids:
            parts.append(gr_col.in_(sorted(self.grid_ids)))
        return or_(*parts) if parts else false()


def scope_columns(model: Any) -> tuple[Any, Any, Any]:
    """(sub-district, community, grid) id columns of a model; an area uses its own id for its level."""
    name = getattr(model, "__tablename__", "")
    if name == "sub_districts":
        return model.id, None, None
    if name == "communities":
        return model.sub_district_id, model.id, None
    if name == "grids":
        return model.sub_district_id, model.community_id, model.id
    return (
        getattr(model, "sub_district_id", None),
        getattr(model, "community_id", None),
        getattr(model, "grid_id", None),
    )


def _row_ids(row: Any) -> tuple[int | None, int | None, int | None]:
    # The class's: a plain row (a list's) has no such attribute, and looking it up on the
    # row itself goes through its keys' slow not-found path, for every rule checked.
    name = getattr(type(row), "__tablename__", "")
    if name == "sub_districts":
        return row.id, None, None
    if name == "communities":
        return row.sub_district_id, row.id, None
    if name == "grids":
        return row.sub_district_id, row.community_id, row.id
    return (
        getattr(row, "sub_district_id", None),
        getattr(row, "community_id", None),
        getattr(row, "grid_id", None),
    )
