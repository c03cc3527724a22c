"""Counts of what waits for a user, read with the same scopes the wish actions enforce."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import OFFICE_ROLES, STAFF_ROLES, Role
from server.accounts.scope import Scope
from server.accounts.services import CurrentUser
from server.tasks.schemas import MyTasks
from server.wishes.models import Wish
from server.wishes.states import OPEN_STATES, State

__all__ = ["TaskService"]

class TaskService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _count(self, scope: Scope, states: Iterable[State]) -> int:
        if scope.is_empty:
            return 0  # no role of mine may act here: nothing waits for me
        total = await self.session.scalar(
            select(func.count())
            .select_from(Wish)
            .where(scope.clause(Wish), Wish.state.in_(list(states)))
        )
        return int(total or 0)

    async def mine(self, user: CurrentUser) -> MyTasks:
        """What waits for ``user``: wishes to moderate, open in their grids, to confirm.

        By the role groups the wish rule table uses (server/wishes/rules.py): the office
        moderates; the office and the grid worker of the wish's grid confirm for a resident.
        """
        return MyTasks(
            to_moderate=await self._count(user.scope_of(OFFICE_ROLES), (State.submitted,)),
            open_in_my_grids=await self._count(user.scope_of((Role.grid_worker,)), OPEN_STATES),
            to_confirm=await self._count(user.scope_of(STAFF_ROLES), (State.fulfilled,)),
        )
