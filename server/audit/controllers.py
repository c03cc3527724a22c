"""Reading the audit log of my scope."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import QueryParameter

from server.accounts.services import ADMIN_ROLES, CurrentUser
from server.audit.services import AuditService
from server.lib.deps import DbSession
from server.lib.errors import error_responses
from server.lib.guards import requires_role

__all__ = ["AuditController", "AuditView"]


class AuditView(msgspec.Struct, frozen=True):
    id: int
    at: datetime
    actor_id: int | None
    action: str
    object_type: str
    object_id: str | None
    detail: dict[str, Any]


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]

    @get(
        "/",
        guards=[requires_role(*ADMIN_ROLES)],
        summary="Audit entries in the area I administer",
        responses=error_responses(401, 403),
    )
    async def list_entries(
        self,
        request: Request[CurrentUser, Any, Any],
        db_session: DbSession,
        action: Annotated[str | None, QueryParameter(max_length=50)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        before_id: Annotated[int | None, QueryParameter(ge=1, le=2**62)] = None,
    ) -> list[AuditView]:
        entries = await AuditService(db_session).list(
            request.user.scope_of(ADMIN_ROLES), action=action, limit=limit, before_id=before_id
        )
        return [
            AuditView(
                id=e.id,
                at=e.at,
                actor_id=e.actor_id,
                action=e.action,
                object_type=e.object_type,
                object_id=e.object_id,
                detail=e.detail,
            )
            for e in entries
        ]
