"""The task counts API: what waits for me, for the home screen."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get

from server.accounts.services import CurrentUser
from server.lib.deps import DbSession
from server.lib.errors import error_responses
from server.tasks.schemas import MyTasks
from server.tasks.services import TaskService

__all__ = ["TaskController"]

Req = Request[CurrentUser, Any, Any]


class TaskController(Controller):
    path = "/api/v1"
    tags = ["tasks"]

    @get(
        "/me/tasks",
        summary="How many wishes wait for me (to moderate, open in my grids, to confirm)",
        responses=error_responses(401),
    )
    async def mine(self, request: Req, db_session: DbSession) -> MyTasks:
        return await TaskService(db_session).mine(request.user)
