"""Route guards: coarse role checks before a handler runs. Object-level scope is the services' job."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from server.accounts.models import Role
from server.lib.errors import Forbidden
from server.lib.i18n import N_

__all__ = ["requires_role"]


def requires_role(
    *roles: Role,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    wanted = frozenset(roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if user is None or not any(g.role in wanted for g in user.grants):
            raise Forbidden(N_("Your role does not allow this"))

    return guard
