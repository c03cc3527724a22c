"""Web-push subscriptions, communities' quiet hours, and what the SMS providers post to us:
delivery reports and the SMS people send (replies, MO)."""

from __future__ import annotations

import hmac
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException, ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import JSONBody, PathParameter, QueryParameter

from server.accounts.services import CurrentUser
from server.auth.security import PUBLIC
from server.lib.deps import NO_AUTH, DbSession, Locale, client_ip
from server.lib.errors import error_responses
from server.notify.schemas import (
    AliyunReportAck,
    AliyunSmsReply,
    AliyunSmsReport,
    NotifySettings,
    NotifySettingsUpdate,
    PushKey,
    SubscriptionCreate,
    TencentReportAck,
    TencentSmsReply,
    TencentSmsReport,
)
from server.notify.services import (
    NotifyService,
    NotifySettingsService,
    SmsReplyService,
    SmsReportService,
)

__all__ = [
    "NotifyController",
    "NotifySettingsController",
    "SmsReplyController",
    "SmsReportController",
]

Req = Request[CurrentUser, Any, Any]
Report = TypeVar("Report", AliyunSmsReport, TencentSmsReport, AliyunSmsReply)
CommunityCode = Annotated[str, PathParameter(max_length=32, pattern=r"^[0-9]+$")]
Token = Annotated[str, PathParameter(description="LINLI_SMS_CALLBACK_TOKEN")]


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


def callback_token(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: the path's token must be ``LINLI_SMS_CALLBACK_TOKEN``, else 404 like any unknown path.

    Neither provider signs its reports, so the secret address is what keeps others
    from marking messages delivered. Compared in constant time; with no token
    configured the endpoints do not exist.
    """
    expected: str | None = connection.app.state.settings.sms_callback_token
    given = str(connection.path_params.get("token", ""))
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise NotFoundException()


async def _reports(request: Request[Any, Any, Any], kind: type[Report]) -> list[Report]:
    # Read here rather than as a `data` parameter, so that the guard has refused a wrong
    # token (404) before anything is said about the body.
    try:
        return msgspec.json.decode(await request.body(), type=list[kind], strict=False)  # type: ignore[valid-type]
    except msgspec.DecodeError as exc:  # a ValidationError is a DecodeError too
        raise ValidationException(f"not a batch of delivery reports: {exc}") from None


class SmsReportController(Controller):
    """Where Aliyun (SmsReport, HTTP batch push) and Tencent Cloud (status callback) post
    SMS delivery reports: ``…/{provider}/{LINLI_SMS_CALLBACK_TOKEN}``."""

    path = "/api/v1/sms/reports"
    tags = ["notifications"]
    guards = [callback_token]

    @post(
        "/aliyun/{token:str}",
        opt=PUBLIC,
        security=NO_AUTH,
        status_code=200,
        summary="Aliyun SMS delivery reports (SmsReport, HTTP batch push)",
        responses=error_responses(400, 404, 413),
    )
    async def aliyun(
        self, request: Request[Any, Any, Any], token: Token, db_session: DbSession
    ) -> AliyunReportAck:
        return await SmsReportService(db_session).aliyun(await _reports(request, AliyunSmsReport))

    @post(
        "/tencent/{token:str}",
        opt=PUBLIC,
        security=NO_AUTH,
        status_code=200,
        summary="Tencent Cloud SMS delivery reports (status callback)",
        responses=error_responses(400, 404, 413),
    )
    async def tencent(
        self, request: Request[Any, Any, Any], token: Token, db_session: DbSession
    ) -> TencentReportAck:
        return await SmsReportService(db_session).tencent(await _reports(request, TencentSmsReport))


class SmsReplyController(Controller):
    """Where Aliyun (SmsUp, HTTP batch push) and Tencent Cloud (reply callback) post the SMS
    people send to our number: ``…/{provider}/{LINLI_SMS_CALLBACK_TOKEN}``. Each goes to the
    inbound handlers (退订/TD opts the number out of SMS)."""

    path = "/api/v1/sms/replies"
    tags = ["notifications"]
    guards = [callback_token]

    @post(
        "/aliyun/{token:str}",
        opt=PUBLIC,
        security=NO_AUTH,
        status_code=200,
        summary="SMS people sent us through Aliyun (SmsUp, HTTP batch push)",
        responses=error_responses(400, 404, 413),
    )
    async def aliyun(
        self, request: Request[Any, Any, Any], token: Token, db_session: DbSession
    ) -> AliyunReportAck:
        return await SmsReplyService(db_session).aliyun(await _reports(request, AliyunSmsReply))

    @post(
        "/tencent/{token:str}",
        opt=PUBLIC,
        security=NO_AUTH,
        status_code=200,
        summary="SMS people sent us through Tencent Cloud (reply callback)",
        responses=error_responses(400, 404, 413),
    )
    async def tencent(
        self, request: Request[Any, Any, Any], token: Token, db_session: DbSession
    ) -> TencentReportAck:
        # Tencent posts one reply per request; a batch (array) is taken too.
        body = await request.body()
        try:
            one_or_many = msgspec.json.decode(
                body, type=TencentSmsReply | list[TencentSmsReply], strict=False
            )
        except msgspec.DecodeError as exc:
            raise ValidationException(f"not an SMS reply: {exc}") from None
        replies = one_or_many if isinstance(one_or_many, list) else [one_or_many]
        return await SmsReplyService(db_session).tencent(replies)


class NotifySettingsController(Controller):
    """A community's notification settings (quiet hours), for its office."""

    path = "/api/v1/communities/{code:str}/notify-settings"
    tags = ["notifications"]

    @get(
        summary="A community's quiet hours (its office and those above)",
        responses=error_responses(401, 404),
    )
    async def get_settings(
        self, request: Req, code: CommunityCode, db_session: DbSession, lang: Locale
    ) -> NotifySettings:
        return await NotifySettingsService(db_session, lang).get(request.user, code)

    @put(
        summary="Change a community's quiet hours (its admins and those above)",
        description=(
            "Between `quiet_start` and `quiet_end` (local time) SMS that is not urgent waits "
            "for the end of the window; web push is not held. A start later than the end runs "
            "over midnight. 400: a time not written HH:MM, or start equal to end while "
            "enabled; 403: the caller's office may read but not change them; 404: no such "
            "community in the caller's scope."
        ),
        responses=error_responses(400, 401, 403, 404, 413),
    )
    async def put_settings(
        self,
        request: Req,
        code: CommunityCode,
        data: JSONBody[NotifySettingsUpdate],
        db_session: DbSession,
        lang: Locale,
    ) -> NotifySettings:
        return await NotifySettingsService(db_session, lang).put(
            request.user, code, data, client_ip(request)
        )
