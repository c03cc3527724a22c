"""Who may change whom: the rank rule beside the scope rule.

Seeing a person (:mod:`server.accounts.scope`) is not enough to change their
account. Roles, profiles, passwords and imports only ever reach people the
caller **outranks in their scope**: for every role the target holds, the caller
holds a strictly higher-ranked role whose unit contains that role's unit. A
resident's unit is their home building. Staff of the same level are peers
(a window clerk and a grid worker cannot reset each other's passwords); nobody
outranks a system administrator through the API (the operator's CLI can).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from server.accounts.models import Role
from server.accounts.scope import Scope, ScopedRow

__all__ = ["RANK", "Bound", "outranks", "rank_over"]

RANK: dict[Role, int] = {
    Role.resident: 0,
    Role.volunteer: 1,
    Role.grid_worker: 2,
    Role.community_staff: 2,
    Role.community_admin: 3,
    Role.subdistrict_admin: 4,
    Role.system_admin: 5,
}


class Bound(Protocol):
    """A role bound to a unit: a RoleAssignment row or a resolved grant."""

    @property
    def role(self) -> Any: ...
    @property
    def sub_district_id(self) -> int | None: ...
    @property
    def community_id(self) -> int | None: ...
    @property
    def grid_id(self) -> int | None: ...


def _unit(grant: Bound, home: ScopedRow | None) -> Any:
    """The unit a role lives in: its bound area, or for a resident their home."""
    return home if Role(grant.role) is Role.resident else grant


def rank_over(actor: Iterable[Bound], unit: Any) -> int:
    """The highest rank the actor holds over this unit (-1: none of the actor's roles reach it)."""
    best = -1
    if unit is None:
        return best
    for grant in actor:
        role = Role(grant.role)
        if role is Role.resident:
            continue  # being a resident gives no power over anyone
        if role is Role.system_admin or Scope.from_assignments(0, [grant], staff_only=False).covers(
            unit
        ):
            best = max(best, RANK[role])
    return best


def outranks(actor: Sequence[Bound], target: Sequence[Bound], home: ScopedRow | None) -> bool:
    """Does the actor outrank every role of the target, each inside the actor's area?

    A target with no role at all is reached through their home alone.
    """
    if not target:
        return rank_over(actor, home) > RANK[Role.resident]
    for grant in target:
        role = Role(grant.role)
        if role is Role.system_admin:
            return False
        if rank_over(actor, _unit(grant, home)) <= RANK[role]:
            return False
    return True
