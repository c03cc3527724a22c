"""The people API: my volunteer hours (more to come: residents, teams, import)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get

from server.accounts.services import CurrentUser
from server.lib.deps import DbSession
from server.lib.errors import error_responses
from server.people.schemas import MyHours
from server.people.services import PeopleService

__all__ = ["PeopleController"]


class PeopleController(Controller):
    path = "/api/v1"
    tags = ["people"]

    @get("/me/hours", summary="My volunteer hours 志愿服务时长", responses=error_responses(401))
    async def my_hours(
        self, request: Request[CurrentUser, Any, Any], db_session: DbSession
    ) -> MyHours:
        return await PeopleService(db_session).my_hours(request.user)
