"""Web-push subscriptions and notification preferences."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post, put
from litestar.params import JSONBody, QueryParameter

from server.accounts.services import CurrentUser
from server.auth.security import PUBLIC
from server.lib.deps import NO_AUTH, DbSession
from server.lib.errors import error_responses
from server.notify.schemas import NotifyPreferences, PushKey, SubscriptionCreate
from server.notify.services import NotifyService

__all__ = ["NotifyController"]

Req = Request[CurrentUser, Any, Any]


class NotifyController(Controller):
    path = "/api/v1"
    tags = ["notifications"]

    @get(
        "/push/key",
        opt=PUBLIC,
        security=NO_AUTH,
        summary="The VAPID public key for PushManager.subscribe",
    )
    async def key(self, db_session: DbSession) -> PushKey:
        return PushKey(public_key=await NotifyService(db_session).public_key())

    @post(
        "/push/subscriptions",
        status_code=204,
        summary="Register this device for web push",
        responses=error_responses(401, 413),
    )
    async def subscribe(
        self, request: Req, data: JSONBody[SubscriptionCreate], db_session: DbSession
    ) -> None:
        await NotifyService(db_session).subscribe(
            request.user, data, request.headers.get("user-agent")
        )

    @delete(
        "/push/subscriptions",
        status_code=204,
        summary="Stop web push to this device",
        responses=error_responses(401, 404),
    )
    async def unsubscribe(
        self,
        request: Req,
        db_session: DbSession,
        endpoint: Annotated[str, QueryParameter(max_length=1000)],
    ) -> None:
        await NotifyService(db_session).unsubscribe(request.user, endpoint)

    @get(
        "/me/notifications",
        summary="How I hear back: push, SMS or both",
        responses=error_responses(401),
    )
    async def preferences(self, request: Req, db_session: DbSession) -> NotifyPreferences:
        return await NotifyService(db_session).preferences(request.user)

    @put(
        "/me/notifications",
        summary="Choose push, SMS or both (residents)",
        responses=error_responses(401, 404),
    )
    async def set_preferences(
        self, request: Req, data: JSONBody[NotifyPreferences], db_session: DbSession
    ) -> NotifyPreferences:
        return await NotifyService(db_session).set_preferences(request.user, data)
