"""Building the channels and the dispatcher from the settings (app lifespan, ``linli worker``)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.config import Settings
from server.notify.channels.base import Channel
from server.notify.dispatcher import Dispatcher
from server.notify.services import ensure_vapid_keys

__all__ = ["make_dispatcher"]


def _templates(options: dict[str, str]) -> Any:
    raw = options.get("templates", "{}")
    return (
        json.loads(raw)
        if raw.strip().startswith("{")
        else json.loads(open(raw, encoding="utf-8").read())
    )


def _sms(settings: Settings, dispatcher: Dispatcher) -> Channel:
    o = settings.sms_options
    provider = settings.sms_provider
    if provider == "console":
        from server.notify.channels.sms.console import ConsoleSms

        return ConsoleSms()
    if provider == "smpp":
        from server.notify.channels.sms.smpp import SmppSms

        return SmppSms(
            o["host"],
            int(o.get("port", "2775")),
            o["system_id"],
            o["password"],
            o.get("source", ""),
            on_receipt=dispatcher.record_receipt,
            on_inbound=dispatcher.record_inbound,
        )
    if provider == "aliyun":
        from server.notify.channels.sms.aliyun import AliyunSms

        return AliyunSms(o["access_key_id"], o["access_key_secret"], o["sign_name"], _templates(o))
    if provider == "tencent":
        from server.notify.channels.sms.tencent import TencentSms

        return TencentSms(
            o["secret_id"], o["secret_key"], o["sdk_app_id"], o["sign_name"], _templates(o)
        )
    raise ValueError(
        f"LINLI_SMS_PROVIDER must be console, smpp, aliyun or tencent, not {provider!r}"
    )


async def make_dispatcher(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> Dispatcher:
    from server.notify.channels.webpush import WebPushChannel

    async with sessionmaker.begin() as session:
        private, _public = await ensure_vapid_keys(session)
    channels: dict[str, Channel] = {}
    dispatcher = Dispatcher(
        sessionmaker, channels, receipt_poll_seconds=settings.sms_receipt_poll_seconds
    )
    channels["push"] = WebPushChannel(
        private, settings.vapid_subject, require_https=settings.push_require_https
    )
    channels["sms"] = _sms(settings, dispatcher)
    if settings.smtp_host:
        from server.notify.channels.email import SmtpEmail

        channels["email"] = SmtpEmail(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.smtp_from,
            username=settings.smtp_user,
            password=settings.smtp_password,
            tls=settings.smtp_tls,
            reply_to=settings.mail_in_address,
        )
    start = getattr(channels["sms"], "start", None)
    if start is not None:  # SMPP binds at startup, so delivery receipts flow from the first minute
        await start()
    return dispatcher
