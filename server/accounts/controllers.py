"""The caller's own profile, and people management within scope."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from server.accounts.models import Role
from server.accounts.schemas import (
    MeUpdate,
    PhoneReveal,
    TemporaryPassword,
    UserCreate,
    UserDetail,
    UserSummary,
    UserView,
)
from server.accounts.services import RESIDENT_REGISTRARS, AccountService, CurrentUser
from server.lib.deps import DbSession, Locale, client_ip
from server.lib.errors import error_responses
from server.lib.guards import requires_role

__all__ = ["AccountController"]

Req = Request[CurrentUser, Any, Any]
UserId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]


class AccountController(Controller):
    path = "/api/v1"
    tags = ["accounts"]

    @get("/me", summary="The logged-in user and their roles", responses=error_responses(401))
    async def me(self, request: Req, db_session: DbSession, lang: Locale) -> UserView:
        return await AccountService(db_session, lang).me(request.user)

    @patch("/me", summary="Change my settings (language)", responses=error_responses(401, 413))
    async def update_me(
        self, request: Req, data: JSONBody[MeUpdate], db_session: DbSession, lang: Locale
    ) -> UserView:
        return await AccountService(db_session, lang).set_locale(request.user, data.locale)

    @get(
        "/users",
        guards=[requires_role(*RESIDENT_REGISTRARS)],
        summary="People in my scope (phones masked)",
        responses=error_responses(401, 403),
    )
    async def list_users(
        self,
        request: Req,
        db_session: DbSession,
        lang: Locale,
        role: Annotated[Role | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> list[UserSummary]:
        return await AccountService(db_session, lang).list_users(
            request.user, role=role, limit=limit, offset=offset
        )

    @post(
        "/users",
        guards=[requires_role(*RESIDENT_REGISTRARS)],
        summary="Create a person with roles",
        responses=error_responses(401, 403, 409, 413),
    )
    async def create_user(
        self, request: Req, data: JSONBody[UserCreate], db_session: DbSession, lang: Locale
    ) -> UserDetail:
        return await AccountService(db_session, lang).create_user(
            request.user, data, client_ip(request)
        )

    @get(
        "/users/{user_id:int}",
        summary="One person in my scope",
        responses=error_responses(401, 404),
    )
    async def get_user(
        self, request: Req, user_id: UserId, db_session: DbSession, lang: Locale
    ) -> UserDetail:
        return await AccountService(db_session, lang).get_user(request.user, user_id)

    @post(
        "/users/{user_id:int}/reveal-phone",
        status_code=200,
        summary="Show a person's full phone number (written to the audit log)",
        responses=error_responses(401, 404),
    )
    async def reveal_phone(
        self, request: Req, user_id: UserId, db_session: DbSession, lang: Locale
    ) -> PhoneReveal:
        return await AccountService(db_session, lang).reveal_phone(
            request.user, user_id, client_ip(request)
        )

    @post(
        "/users/{user_id:int}/temporary-password",
        status_code=200,
        summary="Issue a one-time password for someone in my area (audited)",
        responses=error_responses(401, 403, 404),
    )
    async def temporary_password(
        self, request: Req, user_id: UserId, db_session: DbSession, lang: Locale
    ) -> TemporaryPassword:
        return await AccountService(db_session, lang).issue_temporary_password(
            request.user, user_id, client_ip(request)
        )
