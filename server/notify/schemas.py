"""Payloads of the notification API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

__all__ = [
    "AliyunReportAck",
    "AliyunSmsReply",
    "AliyunSmsReport",
    "NotifySettings",
    "NotifySettingsUpdate",
    "PushKey",
    "SubscriptionCreate",
    "SubscriptionKeys",
    "TencentReportAck",
    "TencentSmsReply",
    "TencentSmsReport",
]

B64 = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_\-=]+$", max_length=200)]


class PushKey(msgspec.Struct, frozen=True):
    """The VAPID public key the PWA passes to PushManager.subscribe (applicationServerKey)."""

    public_key: str


HHMM = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="Local time (Asia/Shanghai), HH:MM",
        examples=["21:30"],
    ),
]


class NotifySettings(msgspec.Struct, frozen=True):
    """A community's notification settings: its quiet hours (no SMS unless urgent)."""

    community_code: str
    quiet_enabled: bool
    quiet_start: str  # HH:MM local time
    quiet_end: str  # HH:MM; earlier than the start: the window runs over midnight
    updated_at: datetime | None = None  # None: the defaults, never changed


class NotifySettingsUpdate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    quiet_enabled: bool
    quiet_start: HHMM
    quiet_end: HHMM


class SubscriptionKeys(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    p256dh: B64
    auth: B64


class SubscriptionCreate(msgspec.Struct, frozen=True):
    """PushSubscription.toJSON() as the browser gives it (extra fields such as expirationTime allowed)."""

    endpoint: Annotated[str, msgspec.Meta(pattern=r"^https?://", max_length=1000)]
    keys: SubscriptionKeys


# --- SMS delivery reports posted by the providers ---------------------------------------------
# Unknown fields are allowed on purpose: the providers add fields to these reports over time
# (Aliyun's newer pushes carry sign_name, template_code…), and refusing them would lose reports.

ProviderId = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]


class AliyunSmsReport(msgspec.Struct, frozen=True):
    """One report of Aliyun's SmsReport "HTTP batch push" (a JSON array of these)."""

    biz_id: ProviderId  # the BizId SendSms answered
    success: bool  # received by the phone
    err_code: str = ""  # the carrier's status, e.g. DELIVERED, MK:0001
    err_msg: str = ""
    out_id: str = ""  # our outbox id, as sent
    phone_number: str = ""  # never stored or logged
    send_time: str = ""  # yyyy-MM-dd HH:mm:ss, China time
    report_time: str = ""
    sms_size: str | int | None = None


class AliyunReportAck(msgspec.Struct, frozen=True):
    """What Aliyun expects back (it checks that ``code`` is a number; 200 or it pushes again)."""

    code: int = 0
    msg: str = "接收成功"


class TencentSmsReport(msgspec.Struct, frozen=True):
    """One report of Tencent Cloud's SMS status callback (a JSON array of these)."""

    sid: ProviderId  # the SerialNo SendSms answered
    report_status: Literal["SUCCESS", "FAIL"]
    errmsg: str = ""  # the carrier's status, e.g. DELIVRD
    description: str = ""
    user_receive_time: str = ""  # yyyy-MM-dd HH:mm:ss
    nationcode: str = ""
    mobile: str = ""  # never stored or logged


class TencentReportAck(msgspec.Struct, frozen=True):
    """What Tencent expects back."""

    result: int = 0
    errmsg: str = "OK"


# --- SMS people send us (MO), posted by the providers -------------------------------------------


class AliyunSmsReply(msgspec.Struct, frozen=True):
    """One message of Aliyun's SmsUp "HTTP batch push" (a JSON array of these)."""

    phone_number: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]  # never logged
    content: Annotated[str, msgspec.Meta(max_length=1000)]
    send_time: str = ""  # yyyy-MM-dd HH:mm:ss, China time
    dest_code: str = ""
    sequence_id: int | str | None = None
    sign_name: str = ""


class TencentSmsReply(msgspec.Struct, frozen=True):
    """Tencent Cloud's SMS reply callback (one object per reply)."""

    mobile: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]  # never logged
    text: Annotated[str, msgspec.Meta(max_length=1000)]
    nationcode: str = "86"
    sign: str = ""
    time: int | None = None  # Unix seconds
    extend: str | None = ""
